package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// freeAddr returns a loopback address with a port that was free a moment ago. The
// embedded Temporal frontend cannot listen on port 0 (its static host list needs the
// real address up front), so tests pick one.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("release port %s: %v", addr, err)
	}
	return addr
}

// devConfig is a dev stack on dir with free ports and no Zendesk credentials, so the
// built-in simulator with the demo seed is used whatever the environment says.
func devConfig(t testing.TB, dir string) app.DevConfig {
	return app.DevConfig{
		DataDir:        dir,
		HTTPAddr:       "127.0.0.1:0",
		TemporalAddr:   freeAddr(t),
		ZendeskSimAddr: "127.0.0.1:0",
		Getenv:         func(string) string { return "" },
	}
}

// startDev starts the whole dev stack on dir and stops it when the test ends.
func startDev(t testing.TB, dir string) *app.Dev {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Tests run in parallel: the free port picked for the frontend can be taken by
	// another stack before this one binds it. Pick another and try again.
	var err error
	for range 3 {
		var d *app.Dev
		if d, err = app.StartDev(ctx, devConfig(t, dir)); err == nil {
			t.Cleanup(d.Stop)
			return d
		}
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	t.Fatalf("start dev stack on %s: %v", dir, err)
	return nil
}

// waitState polls the state query until cond holds, and fails the test after timeout
// with the last state it saw.
func waitState(t testing.TB, svc *service.Service, id string, timeout time.Duration, what string, cond func(incident.State) bool) incident.State {
	t.Helper()
	// The timeout is a bound against hangs, not a performance assertion: a CI
	// machine compiling other packages beside these tests gets three times as long.
	deadline := time.Now().Add(3 * timeout)
	var (
		st  incident.State
		err error
	)
	for time.Now().Before(deadline) {
		st, err = svc.Show(context.Background(), id)
		if err == nil && cond(st) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := json.MarshalIndent(st, "", "  ")
	t.Fatalf("%s: waited %s for %s; last error %v; last state:\n%s", id, timeout, what, err, b)
	return st
}

// waitClosed waits for the incident workflow to complete and returns its result.
func waitClosed(t testing.TB, d *app.Dev, id string) workflows.IncidentResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var res workflows.IncidentResult
	if err := d.Client.GetWorkflow(ctx, workflows.IncidentWorkflowID(id), "").Get(ctx, &res); err != nil {
		// A closed incident waits for its evidence collection: say what that waits on.
		if desc, derr := d.Client.DescribeWorkflowExecution(context.Background(), workflows.EvidenceWorkflowID(id), ""); derr == nil {
			t.Logf("evidence workflow %s", desc.GetWorkflowExecutionInfo().GetStatus())
			for _, pa := range desc.GetPendingActivities() {
				t.Logf("pending activity %s attempt %d %s, last failure %v", pa.GetActivityType().GetName(), pa.GetAttempt(), pa.GetState(), pa.GetLastFailure())
			}
		}
		st, qerr := d.Service.Show(context.Background(), id)
		b, _ := json.MarshalIndent(st, "", "  ")
		t.Fatalf("wait for incident %s to complete: %v; state (query error %v):\n%s", id, err, qerr, b)
	}
	return res
}

// wantCode asserts err is an *incident.Error with code, whose message contains each
// of parts.
func wantCode(t testing.TB, what string, err error, code string, parts ...string) {
	t.Helper()
	var e *incident.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got error %v (%T), want an incident error with code %s", what, err, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s: got code %s (%q), want %s", what, e.Code, e.Message, code)
	}
	for _, p := range parts {
		if !bytes.Contains([]byte(e.Message), []byte(p)) {
			t.Errorf("%s: message %q does not mention %q", what, e.Message, p)
		}
	}
}

// httpJSON sends a JSON request to the dev stack's HTTP API and decodes the answer
// into out (when not nil). It returns the status code.
func httpJSON(t testing.TB, d *app.Dev, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode %s %s body: %v", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://"+d.HTTPAddr+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+d.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// declareDemo declares a credential-compromise incident with the demo facts
// (playbooks/examples/demo-takeover.json: Germany and California residents, the
// simulator's compromised admin) and returns its id.
func declareDemo(t testing.TB, svc *service.Service, title string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	decl, err := svc.Declare(context.Background(), service.DeclareRequest{Playbook: "credential-compromise", Title: title, Facts: &doc, Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	return decl.ID
}
