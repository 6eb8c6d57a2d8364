package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/incident"
	"irflow/internal/mail/mailtest"
	"irflow/internal/service"
)

// TestNoticesDoneWhen is issue 12's "done when" through the CLI on the dev stack, in
// client mode over the HTTP API: the regulator notice is drafted from the demo
// record (naming what is missing first), a commander may not approve it, legal
// does, it is sent to a local SMTP server, the obligation shows fulfilled with the
// delivery reference; and the sample Zendesk notice fed to the intake starts a
// zendesk-service-breach incident.
func TestNoticesDoneWhen(t *testing.T) {
	sink, err := mailtest.Start(mailtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	env := map[string]string{
		"SMTP_URL": "smtp://" + sink.Addr + "?tls=none", "SMTP_FROM": "privacy@example.com",
		"IRFLOW_NOTICE_CONTROLLER": "Example GmbH", "IRFLOW_NOTICE_CONTACT": "DPO, dpo@example.com",
	}
	dir := t.TempDir()
	var d *app.Dev
	for range 3 {
		cfg := app.DevConfig{DataDir: dir, HTTPAddr: "127.0.0.1:0", TemporalAddr: freePort(t), ZendeskSimAddr: "127.0.0.1:0",
			Getenv: func(k string) string { return env[k] }}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		d, err = app.StartDev(ctx, cfg)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	server := "http://" + d.HTTPAddr
	t.Setenv("IRFLOW_DATA", dir)
	t.Setenv("IRFLOW_ACTOR", "")
	t.Setenv("IRFLOW_SERVER", "")
	t.Setenv("IRFLOW_TOKEN", "")
	t.Setenv("TEMPORAL_ADDRESS", d.Temporal.FrontendAddr())
	cli := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != wantCode {
			t.Fatalf("irflow %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		return stdout, stderr
	}
	token := func(user, role string) string {
		cli(0, "users", "add", user, "--role", role)
		out, _ := cli(0, "users", "token", "create", user)
		return strings.TrimSpace(out)
	}
	legal, commander := token("lee", "legal"), token("carol", "commander")
	as := func(tok string) {
		t.Setenv("IRFLOW_SERVER", server)
		t.Setenv("IRFLOW_TOKEN", tok)
	}

	as(d.AdminToken)
	out, _ := cli(0, "incident", "declare", "--playbook", "credential-compromise", "--title", "Maya's account taken over",
		"--facts", filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"), "--json")
	var decl struct{ ID string }
	if err := json.Unmarshal([]byte(out), &decl); err != nil {
		t.Fatal(err)
	}
	id := decl.ID
	var ob string
	for deadline := time.Now().Add(30 * time.Second); ob == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ := cli(0, "obligations", "list", id, "--json")
		var obs []incident.ObligationView
		if err := json.Unmarshal([]byte(out), &obs); err != nil {
			t.Fatal(err)
		}
		for _, o := range obs {
			if o.Rule == "eu-gdpr-33-sa" && o.Clock != nil {
				ob = o.ID
			}
		}
	}
	if ob == "" {
		t.Fatal("no GDPR Art. 33 clock")
	}

	_, stderr := cli(2, "notices", "draft", id, ob)
	for _, want := range []string{"aware_at", "measures_taken", "--set measures_taken="} {
		if !strings.Contains(stderr, want) {
			t.Errorf("draft refusal does not name %q:\n%s", want, stderr)
		}
	}
	if _, err := d.Service.SetTrigger(context.Background(), id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: time.Now().Add(-time.Hour), Actor: "lee", Reason: "call"}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, out, errOut := runCLI(t, "notices", "draft", id, ob, "--set", "measures_taken=Suspended the account; revoked the API token.", "--json")
		if code == 0 {
			var v incident.NoticeView
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"## (b) Contact point", "DPO, dpo@example.com", "approximately 12,800", "revoked the API token"} {
				if !strings.Contains(v.Text, want) {
					t.Errorf("draft lacks %q", want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("draft: exit %d\n%s", code, errOut)
		}
	}
	out, _ = cli(0, "notices", "show", id, ob, "--json")
	var v incident.NoticeView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}

	as(commander)
	_, stderr = cli(5, "notices", "approve", id, ob, "--sha256", v.TextSHA256)
	if !strings.Contains(stderr, "legal") {
		t.Errorf("refusal does not name the role: %s", stderr)
	}
	as(legal)
	out, _ = cli(0, "notices", "approve", id, ob, "--sha256", v.TextSHA256[:12])
	if !strings.Contains(out, "Approved by lee") {
		t.Errorf("approve: %s", out)
	}
	out, _ = cli(0, "notices", "send", id, ob, "--to", "breach@dpa.example.org", "--wait")
	if !strings.Contains(out, "Sent to 1 recipients") || !strings.Contains(out, "marked fulfilled") {
		t.Errorf("send: %s", out)
	}
	if sink.Received()["breach@dpa.example.org"] != 1 {
		t.Errorf("sink: %v", sink.Received())
	}
	out, _ = cli(0, "notices", "status", id, ob, "--json")
	var st service.NoticeStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if st.Counts[incident.RecipientSent] != 1 || len(st.Recipients) != 1 || st.Recipients[0].MessageID == "" {
		t.Errorf("status %+v", st)
	}
	out, _ = cli(0, "obligations", "list", id, "--json")
	var obs []incident.ObligationView
	if err := json.Unmarshal([]byte(out), &obs); err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.ID == ob && (o.Clock == nil || o.Clock.Fulfilment == nil || o.Clock.Fulfilment.Reference != st.DeliveryRef) {
			t.Errorf("obligation %s not fulfilled with %s: %+v", ob, st.DeliveryRef, o.Clock)
		}
	}
	out, _ = cli(0, "notices", "status", id)
	if !strings.Contains(out, ob) || !strings.Contains(out, "sent") {
		t.Errorf("overview: %s", out)
	}

	// The intake, fed the sample notice over the API.
	as(d.AdminToken)
	out, _ = cli(0, "intake", "receive", filepath.Join("..", "..", "internal", "intake", "testdata", "zendesk-security-notice.eml"), "--json")
	var got struct {
		IncidentID string `json:"incident_id"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Status != incident.IntakeDeclared || !incident.ValidID(got.IncidentID) {
		t.Fatalf("intake: %s %v", out, err)
	}
	out, _ = cli(0, "incident", "show", got.IncidentID, "--json")
	var inc incident.State
	if err := json.Unmarshal([]byte(out), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.Playbook != "zendesk-service-breach" || inc.Facts.Timeline.ZendeskNoticeReceivedAt == nil || inc.Facts.Timeline.AwareAt == nil {
		t.Errorf("intake incident: playbook %s timeline %+v", inc.Playbook, inc.Facts.Timeline)
	}
	out, _ = cli(0, "intake", "list")
	if !strings.Contains(out, got.IncidentID) {
		t.Errorf("intake list: %s", out)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
