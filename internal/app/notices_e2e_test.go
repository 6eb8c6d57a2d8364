package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"irflow/internal/app"
	"irflow/internal/incident"
	"irflow/internal/mail/mailtest"
	"irflow/internal/obligations"
	"irflow/internal/service"
)

// startNoticeDev starts the dev stack sending email to sink, with the notice
// defaults set and the intake listening for SMTP.
func startNoticeDev(t testing.TB, sink *mailtest.Sink) *app.Dev {
	t.Helper()
	env := map[string]string{
		"SMTP_URL":                 fmt.Sprintf("smtp://%s?tls=none", sink.Addr),
		"SMTP_FROM":                "Example GmbH Privacy <privacy@example.com>",
		"IRFLOW_NOTICE_CONTROLLER": "Example GmbH, Musterstrasse 1, 10115 Berlin",
		"IRFLOW_NOTICE_CONTACT":    "Data Protection Officer, dpo@example.com, +49 30 1234567",
	}
	dir := t.TempDir()
	var err error
	for range 3 {
		cfg := devConfig(t, dir)
		cfg.Getenv = func(k string) string { return env[k] }
		cfg.IntakeSMTP = "127.0.0.1:0"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var d *app.Dev
		d, err = app.StartDev(ctx, cfg)
		cancel()
		if err == nil {
			t.Cleanup(d.Stop)
			return d
		}
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	t.Fatalf("start dev stack: %v", err)
	return nil
}

func startSink(t testing.TB, o mailtest.Options) *mailtest.Sink {
	t.Helper()
	s, err := mailtest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// obligationByRule waits for the incident's clock of rule and returns its id.
func obligationByRule(t testing.TB, svc *service.Service, id, rule string) string {
	t.Helper()
	var ob string
	waitState(t, svc, id, 10*time.Second, "the clock of "+rule, func(s incident.State) bool {
		for _, o := range s.Obligations {
			if o.Rule == rule && o.ClockWorkflowID != "" && o.Retired == "" {
				ob = o.ID
				return true
			}
		}
		return false
	})
	return ob
}

func waitNotice(t testing.TB, svc *service.Service, id, ob string, timeout time.Duration, what string, cond func(service.NoticeStatus) bool) service.NoticeStatus {
	t.Helper()
	deadline := time.Now().Add(3 * timeout)
	var (
		st  service.NoticeStatus
		err error
	)
	for time.Now().Before(deadline) {
		st, err = svc.NoticeStatus(context.Background(), id, ob, "", 0, 0)
		if err == nil && cond(st) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/%s: waited %s for %s; last error %v; last status %+v counts %v progress %+v", id, ob, timeout, what, err, st.Notice, st.Counts, st.Progress)
	return st
}

func asUser(id string, roles ...incident.Role) context.Context {
	return incident.WithIdentity(context.Background(), incident.Identity{User: incident.User{ID: id, Display: id, Roles: roles}, Via: incident.ViaAPI})
}

// TestNoticeDraftApproveSendFulfils is the "done when" on the dev stack: the
// regulator notice is drafted from the demo record (naming what is missing first),
// only legal approves it, it is sent over SMTP, and the obligation is fulfilled with
// the delivery reference.
func TestNoticeDraftApproveSendFulfils(t *testing.T) {
	t.Parallel()
	sink := startSink(t, mailtest.Options{})
	d := startNoticeDev(t, sink)
	svc := d.Service
	ctx := context.Background()
	id := declareDemo(t, svc, "notice demo")
	ob := obligationByRule(t, svc, id, "eu-gdpr-33-sa")

	// The demo record has no awareness instant and no completed containment yet.
	_, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana"})
	wantCode(t, "draft with facts missing", err, incident.EINVALID, "aware_at", "measures_taken")

	aware := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	if _, err := svc.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: aware, Actor: "lee", Reason: "call with the CISO"}); err != nil {
		t.Fatal(err)
	}
	// The state shows the new trigger before drafting reads it.
	waitState(t, svc, id, 10*time.Second, "aware_at in the facts", func(s incident.State) bool { return s.Facts.Timeline.AwareAt != nil })
	v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana",
		Inputs: map[string]string{"measures_taken": "Suspended the compromised administrator and revoked the attacker's API token and OAuth grant."}})
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	for _, want := range []string{"Example GmbH", "## (a) Nature of the personal data breach", "credential stuffing",
		"approximately 12,800 (DE: 12,000; US-CA: 800)", "approximately 40,000", "## (b) Contact point", "dpo@example.com",
		"## (c) Likely consequences", "Phishing", "## (d) Measures taken or proposed", "revoked the attacker's API token"} {
		if !strings.Contains(v.Text, want) {
			t.Errorf("draft lacks %q:\n%s", want, v.Text)
		}
	}
	if v.Status != incident.NoticeDrafted || v.TextSHA256 == "" {
		t.Fatalf("draft view %+v", v.Notice)
	}

	// Sending before approval is refused; so is approval by anyone but legal.
	_, err = svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Recipients: []incident.NoticeRecipientInput{{Address: "dpa@example.org"}}, Actor: "lee"})
	wantCode(t, "send unapproved", err, incident.ECONFLICT, "not approved")
	_, err = svc.ApproveNotice(asUser("carol", incident.RoleCommander, incident.RoleResponder), id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256})
	wantCode(t, "commander approves", err, incident.EFORBIDDEN, "legal")
	_, err = svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: "0123456789abcdef", Actor: "lee"})
	wantCode(t, "approve another text", err, incident.EINVALID, "changed since you read it")

	// An edit, then legal approves the edited text.
	edited := v.Text + "\nWe will update this notice as the investigation proceeds.\n"
	v, err = svc.EditNotice(ctx, id, ob, incident.EditNoticeRequest{Text: edited, Actor: "dana"})
	if err != nil || v.Edits != 1 {
		t.Fatalf("edit: %+v %v", v.Notice, err)
	}
	v, err = svc.ApproveNotice(asUser("lee", incident.RoleLegal), id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256[:16], Actor: "someone-else"})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if v.ApprovedBy != "lee" || v.ApprovedSHA256 != v.TextSHA256 || v.ApprovedText != edited {
		t.Fatalf("approval %+v", v.Notice)
	}

	v, err = svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee",
		Recipients: []incident.NoticeRecipientInput{{Address: "breach@dpa.example.org", Name: "Supervisory authority"}, {Address: "BREACH@dpa.example.org"}}})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	st := waitNotice(t, svc, id, ob, 20*time.Second, "the notice to be sent", func(s service.NoticeStatus) bool { return s.Status == incident.NoticeSent })
	if st.Counts[incident.RecipientSent] != 1 || st.DeliveryRef == "" {
		t.Fatalf("status %+v counts %v", st.Notice, st.Counts)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages, want 1 (the same address twice is one recipient)", len(msgs))
	}
	if h := msgs[0].Header("X-Irflow-Notice-Sha256"); h != v.ApprovedSHA256 {
		t.Errorf("notice header %q, approved %q", h, v.ApprovedSHA256)
	}
	if !bytes.Contains(msgs[0].Data, []byte("as the investigation proceeds")) {
		t.Errorf("the approved (edited) text was not sent:\n%s", msgs[0].Data)
	}
	// The obligation is fulfilled with the delivery reference.
	waitObligation(t, svc, id, ob, "the obligation to be fulfilled by the send", func(o incident.ObligationView) bool {
		return o.Clock != nil && o.Clock.Status == obligations.StatusFulfilled
	})
	obs, err := svc.Obligations(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.ID == ob {
			if f := o.Clock.Fulfilment; f == nil || f.Reference != st.DeliveryRef || f.Attachment == nil || f.Attachment.SHA256 != v.ApprovedSHA256 {
				t.Errorf("fulfilment %+v", o.Clock.Fulfilment)
			}
		}
	}
	// A sent notice no longer changes.
	_, err = svc.EditNotice(ctx, id, ob, incident.EditNoticeRequest{Text: "x", Actor: "dana"})
	if err == nil {
		t.Error("edited a sent notice")
	}
}

// TestNoticeFanOutSurvivesWorkerRestart sends a notice to 1,000 people, restarts the
// worker in the middle, and checks every recipient got exactly one message, with
// bad addresses failing alone.
func TestNoticeFanOutSurvivesWorkerRestart(t *testing.T) {
	t.Parallel()
	sink := startSink(t, mailtest.Options{Reject: func(rcpt string) string {
		if strings.HasPrefix(rcpt, "gone-") {
			return "mailbox unavailable"
		}
		return ""
	}})
	d := startNoticeDev(t, sink)
	svc := d.Service
	ctx := context.Background()
	id := declareDemo(t, svc, "fan-out")
	ob := obligationByRule(t, svc, id, "us-ca-1798-82-individuals")
	v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{"measures_taken": "Locked the compromised account."}})
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	if !strings.Contains(v.Text, "## What Information Was Involved") {
		t.Fatalf("california template not used:\n%s", v.Text)
	}
	if _, err := svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256, Actor: "lee"}); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var rs []incident.NoticeRecipientInput
	for i := range n {
		rs = append(rs, incident.NoticeRecipientInput{Address: fmt.Sprintf("resident-%04d@example.net", i)})
	}
	rs = append(rs, incident.NoticeRecipientInput{Address: "gone-1@example.net"}, incident.NoticeRecipientInput{Address: "not an address"})
	if _, err := svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee", Recipients: rs, RatePerSecond: 400, BatchSize: 50}); err != nil {
		t.Fatalf("send: %v", err)
	}
	waitNotice(t, svc, id, ob, 20*time.Second, "a third of the recipients", func(s service.NoticeStatus) bool { return s.Counts[incident.RecipientSent] >= n/3 })
	if err := d.RestartWorker(); err != nil {
		t.Fatal(err)
	}
	mid := sink.Len()
	t.Logf("worker restarted after %d of %d messages", mid, n)
	st := waitNotice(t, svc, id, ob, 60*time.Second, "the fan-out to finish", func(s service.NoticeStatus) bool {
		return s.Status == incident.NoticeFailed || s.Status == incident.NoticeSent
	})
	if mid >= n {
		t.Logf("the restart came after the last message (%d sent): it proved nothing about resuming", mid)
	}
	got := sink.Received()
	for i := range n {
		addr := fmt.Sprintf("resident-%04d@example.net", i)
		if got[addr] != 1 {
			t.Errorf("%s received %d messages, want exactly 1", addr, got[addr])
		}
	}
	if st.Counts[incident.RecipientSent] != n || st.Counts[incident.RecipientBounced] != 1 || st.Counts[incident.RecipientFailed] != 1 {
		t.Errorf("counts %v, want %d sent, 1 bounced, 1 failed", st.Counts, n)
	}
	// Bad addresses fail alone, and keep the obligation open: it was not met for them.
	if st.Status != incident.NoticeFailed {
		t.Errorf("status %s, want failed", st.Status)
	}
	bad, err := svc.NoticeStatus(ctx, id, ob, incident.RecipientFailed, 0, 10)
	if err != nil || len(bad.Recipients) != 1 || !strings.Contains(bad.Recipients[0].Error, "not an email address") {
		t.Errorf("failed recipients %+v, %v", bad.Recipients, err)
	}
	if st.Progress == nil || st.Progress.Sent != n {
		t.Errorf("progress %+v", st.Progress)
	}
	// The incident's state carries the notice and its delivery counts.
	inc, err := svc.Show(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ns := range inc.Notices {
		if ns.ObligationID == ob {
			found = ns.Recipients[incident.RecipientSent] == n && ns.Status == incident.NoticeFailed
		}
	}
	if !found {
		t.Errorf("state notices %+v", inc.Notices)
	}
}

// TestNoticeRetriesUnreachableServer: with the SMTP server refusing service, the
// fan-out shows the error and retries; when the server is back, it completes.
func TestNoticeRetriesUnreachableServer(t *testing.T) {
	t.Parallel()
	sink := startSink(t, mailtest.Options{})
	sink.SetDown(true)
	d := startNoticeDev(t, sink)
	svc := d.Service
	ctx := context.Background()
	id := declareDemo(t, svc, "smtp down")
	ob := obligationByRule(t, svc, id, "us-ca-1798-82-individuals")
	v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{"measures_taken": "Locked the account."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256, Actor: "lee"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee", Recipients: []incident.NoticeRecipientInput{{Address: "a@example.net"}, {Address: "b@example.net"}}}); err != nil {
		t.Fatal(err)
	}
	st := waitNotice(t, svc, id, ob, 15*time.Second, "the error in the progress", func(s service.NoticeStatus) bool {
		return s.Progress != nil && s.Progress.LastError != "" && s.Progress.RetryAt != nil
	})
	if !strings.Contains(st.Progress.LastError, "421") || st.Counts[incident.RecipientQueued] != 2 {
		t.Errorf("progress %+v counts %v", st.Progress, st.Counts)
	}
	sink.SetDown(false)
	waitNotice(t, svc, id, ob, 30*time.Second, "the notice to be sent after the server came back", func(s service.NoticeStatus) bool { return s.Status == incident.NoticeSent })
	if r := sink.Received(); r["a@example.net"] != 1 || r["b@example.net"] != 1 {
		t.Errorf("received %v", r)
	}
}

// TestZendeskNoticeIntake pipes the sample Zendesk security notice into the intake's
// SMTP receiver: a zendesk-service-breach incident starts with the notice's arrival
// as zendesk_notice_received_at and aware_at, and the original is kept with its
// hash. Malformed mail posted to the intake is kept and reported.
func TestZendeskNoticeIntake(t *testing.T) {
	t.Parallel()
	sink := startSink(t, mailtest.Options{})
	d := startNoticeDev(t, sink)
	raw, err := os.ReadFile(filepath.Join("..", "intake", "testdata", "zendesk-security-notice.eml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.Dial(d.IntakeSMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC()
	if err := c.SendMail("security-noreply@zendesk.com", []string{"intake@example.com"}, bytes.NewReader(raw)); err != nil {
		t.Fatalf("deliver to intake: %v", err)
	}
	_ = c.Quit()
	msgs, err := d.Store.ListIntake(context.Background(), 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("intake messages %+v, %v", msgs, err)
	}
	m := msgs[0]
	if m.Status != incident.IntakeDeclared || m.IncidentID == "" || m.ReceivedAt.Before(before.Add(-time.Second)) {
		t.Fatalf("intake record %+v", m)
	}
	st := waitState(t, d.Service, m.IncidentID, 10*time.Second, "the incident's facts", func(s incident.State) bool { return s.Facts.Timeline.AwareAt != nil })
	if st.Playbook != "zendesk-service-breach" {
		t.Errorf("playbook %s", st.Playbook)
	}
	tl := st.Facts.Timeline
	if tl.ZendeskNoticeReceivedAt == nil || !tl.ZendeskNoticeReceivedAt.Equal(m.ReceivedAt) || !tl.AwareAt.Equal(m.ReceivedAt) {
		t.Errorf("trigger instants %v %v, want both %v", tl.ZendeskNoticeReceivedAt, tl.AwareAt, m.ReceivedAt)
	}
	if len(st.Facts.Zendesk.Tickets) != 3 || st.Facts.Cause.ServiceVulnerability != "yes" {
		t.Errorf("facts %+v", st.Facts)
	}
	noted := false
	for _, e := range st.Timeline {
		noted = noted || strings.Contains(e.Text, m.SHA256)
	}
	if !noted {
		t.Errorf("no timeline entry names the kept message's sha256 %s", m.SHA256)
	}
	full, err := d.Store.GetIntake(context.Background(), m.ID)
	if err != nil || len(full.Raw) == 0 {
		t.Errorf("original not kept: %v", err)
	}

	out, err := d.Service.ReceiveEmail(context.Background(), []byte("garbage\x00"), time.Now())
	if err != nil || out.Status != incident.IntakeMalformed || out.ID == 0 {
		t.Errorf("malformed: %+v, %v", out, err)
	}
	// Posting the same notice again finds the same incident.
	again, err := d.Service.ReceiveEmail(context.Background(), full.Raw, time.Now())
	if err != nil || again.IncidentID != m.IncidentID || !again.Duplicate {
		t.Errorf("redelivery: %+v, %v", again, err)
	}
}

// TestNoticeToTicketRequesters sends the individuals' notice to the requesters of
// the tickets the incident's facts name, read from Zendesk (the simulator).
func TestNoticeToTicketRequesters(t *testing.T) {
	t.Parallel()
	sink := startSink(t, mailtest.Options{})
	d := startNoticeDev(t, sink)
	svc := d.Service
	ctx := context.Background()
	id := declareDemo(t, svc, "requesters")
	ob := obligationByRule(t, svc, id, "us-ca-1798-82-individuals")
	v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{"measures_taken": "Locked the account."}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256, Actor: "lee"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee", Requesters: true}); err != nil {
		t.Fatalf("send: %v", err)
	}
	st := waitNotice(t, svc, id, ob, 20*time.Second, "the notice to reach the requesters", func(s service.NoticeStatus) bool { return s.Status != incident.NoticeSending })
	if st.Status != incident.NoticeSent || st.Counts[incident.RecipientSent] == 0 {
		t.Fatalf("status %s counts %v history %+v", st.Status, st.Counts, st.History)
	}
	full, err := svc.NoticeStatus(ctx, id, ob, "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := sink.Received()
	for _, r := range full.Recipients {
		if got[strings.ToLower(r.Address)] != 1 {
			t.Errorf("requester %s received %d messages", r.Address, got[strings.ToLower(r.Address)])
		}
	}
	if len(got) != len(full.Recipients) {
		t.Errorf("sink got mail for %d addresses, the list has %d", len(got), len(full.Recipients))
	}
}
