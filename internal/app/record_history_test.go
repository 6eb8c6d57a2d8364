package app_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"irflow/internal/app"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/workflows"
)

// recordEnv names the folder TestRecordHistories writes into; unset, it is skipped.
const recordEnv = "IRFLOW_RECORD_HISTORIES"

// Obligations of playbooks/examples/demo-takeover.json that the recording drives.
const (
	gdprSA      = "eu-gdpr-33-sa"
	caResidents = "us-ca-1798-82-individuals"
	caAG        = "us-ca-1798-82-ag" // runs from the fulfilment of caResidents
)

// reminderLead is how long after declaration the GDPR clock's "4 h before"
// reminder falls due: aware_at is set 68 h minus this in the past, so the 72 h
// clock sends one real reminder without the recording waiting for hours. It leaves
// room for triage to start the clock first (a reminder due before the clock is
// armed is not sent after the fact).
const reminderLead = 15 * time.Second

// TestRecordHistories records the histories workflows/replay_test.go replays: one
// per workflow type besides the incident (whose history was recorded by hand, see
// that file). It runs the whole dev stack in-process, as `irflow dev` does, drives
// the demo takeover through the service (the CLI's code path) and writes each
// workflow's full history as protojson, the format `temporal workflow show
// --output json` writes and worker.WorkflowReplayer reads:
//
//	clock_history.json          the GDPR Art. 33 clock: armed, a reminder, fulfilled (a pause is refused:
//	                            Art. 33 provides no law-enforcement delay; recordings before issue 10
//	                            paused and resumed it)
//	clock_paused_history.json   California's resident notice: paused for law enforcement, resumed, fulfilled
//	clock_chained_history.json  California's AG notice: armed awaiting its predecessor, started by the
//	                            residents' notice being fulfilled while the incident was open, fulfilled
//	evidence_history.json       the incident's evidence collection against the simulator
//	registry_history.json       the id registry after three declares, one repeating an idempotency key
//
// It is skipped unless IRFLOW_RECORD_HISTORIES names the (absolute) folder to write
// into. Record before changing workflow code (README, "Changing workflow code"):
//
//	IRFLOW_RECORD_HISTORIES=$PWD/workflows/testdata go test ./internal/app -run TestRecordHistories -count=1 -v
//
// It never replaces a file: a history already recorded stays as it is, since it
// stands for executions that may still be running, and the new recording is added
// beside it as clock_2_history.json, clock_3_history.json and so on.
//
// Every run starts from an empty data folder, so the incident ids are always
// INC-<today>-001 and -002; timestamps and run ids differ from run to run.
func TestRecordHistories(t *testing.T) {
	out := os.Getenv(recordEnv)
	if out == "" {
		t.Skip(recordEnv + " is not set: nothing to record")
	}
	// go test runs in the package's folder, so a relative path would land in
	// internal/app rather than where the caller meant.
	if !filepath.IsAbs(out) {
		t.Fatalf("%s=%q: give an absolute path, e.g. $PWD/workflows/testdata", recordEnv, out)
	}
	if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
		t.Fatalf("%s=%q: not a folder (%v)", recordEnv, out, err)
	}
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	svc := d.Service

	// Declare 1: the demo takeover, with an idempotency key, aware_at in the past.
	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatalf("read the demo facts: %v", err)
	}
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatalf("parse the demo facts: %v", err)
	}
	aware := time.Now().UTC().Truncate(time.Second).Add(-68*time.Hour + reminderLead)
	doc.Timeline.AwareAt = &aware
	req := service.DeclareRequest{
		Playbook: "credential-compromise", Title: "Maya's account taken over", Facts: &doc, Actor: "alice",
		IdempotencyKey: "pagerduty-Q2DEMO",
	}
	decl, err := svc.Declare(ctx, req)
	if err != nil {
		t.Fatalf("declare the demo takeover: %v", err)
	}
	id := decl.ID
	// Declare 2: a retried page with the same key returns the same incident.
	again, err := svc.Declare(ctx, req)
	if err != nil || again.ID != id || !again.Existing {
		t.Fatalf("declare again with the same idempotency key: %+v %v, want %s existing", again, err, id)
	}
	// Declare 3: an unrelated incident without a key takes the next number.
	other, err := svc.Declare(ctx, service.DeclareRequest{
		Playbook: "api-token-leak", Title: "API token pasted in a gist", Actor: "dana",
		Facts: &facts.Document{Version: facts.Version, Summary: "token pasted in a gist", Zendesk: facts.ZendeskScope{APITokens: []int64{203}}},
	})
	if err != nil || other.ID == id || other.Existing {
		t.Fatalf("declare a second incident: %+v %v", other, err)
	}
	if _, err := svc.Close(ctx, other.ID, incident.CloseRequest{Actor: "dana", Reason: "token revoked upstream"}); err != nil {
		t.Fatalf("close %s: %v", other.ID, err)
	}
	waitClosed(t, d, other.ID)

	st := waitState(t, svc, id, 10*time.Second, "the obligation clocks to start", func(s workflows.State) bool {
		n := 0
		for _, o := range s.Obligations {
			if o.ID == gdprSA || o.ID == caResidents || o.ID == caAG {
				n++
			}
		}
		return n == 3
	})
	gdprClock := workflows.ObligationClockWorkflowID(id, gdprSA)
	agClock := workflows.ObligationClockWorkflowID(id, caAG)
	for _, o := range st.Obligations {
		if (o.ID == gdprSA && o.ClockWorkflowID != gdprClock) || (o.ID == caAG && o.ClockWorkflowID != agClock) {
			t.Fatalf("obligation %s has clock %q", o.ID, o.ClockWorkflowID)
		}
	}

	// The GDPR clock: its 4 h reminder, a law-enforcement pause refused (Art. 33
	// provides none), fulfil.
	waitClock(t, d, gdprClock, 3*reminderLead, "the 4 h reminder", func(v workflows.ClockView) bool {
		return len(v.RemindersSent) > 0
	})
	police := workflows.PauseRequest{Reason: "police asked for 2 h before any notice (case 2026-1147)", Actor: "dpo", Until: time.Now().Add(2 * time.Hour)}
	if _, err := svc.Pause(ctx, id, gdprSA, police); err == nil || !strings.Contains(err.Error(), "provides no law-enforcement delay") {
		t.Fatalf("pause %s: %v, want it refused", gdprSA, err)
	}
	fulfil(t, svc, id, gdprSA, "DPC breach notification form BN-2026-0412")

	// California's resident notice may be delayed for law enforcement: pause,
	// resume, and its fulfilment below.
	paused, err := svc.Pause(ctx, id, caResidents, police)
	if err != nil || paused.Status != workflows.ClockPaused {
		t.Fatalf("pause %s: %v (status %q)", caResidents, err, paused.Status)
	}
	resumed, err := svc.Resume(ctx, id, caResidents, workflows.ResumeRequest{
		Reason: "police lifted the delay", Actor: "dpo",
	})
	if err != nil || resumed.Paused != nil || resumed.Extension <= 0 {
		t.Fatalf("resume %s: %v (paused %+v, extension %s)", caResidents, err, resumed.Paused, resumed.Extension)
	}

	// The chained clock: fulfilling the residents' notice while the incident is open
	// starts California's AG clock (the incident forwards predecessor_fulfilled).
	fulfil(t, svc, id, caResidents, "letters mailed, batch 1")
	waitClock(t, d, agClock, 10*time.Second, "the predecessor's fulfilment to start it", func(v workflows.ClockView) bool {
		return v.TriggerAt != nil && v.DueAt != nil && v.Status == obligations.StatusOpen
	})
	fulfil(t, svc, id, caAG, "sample notice submitted to the Attorney General")

	// Evidence: collected from the simulator before the incident closes.
	st = waitState(t, svc, id, 30*time.Second, "evidence to be collected", func(s workflows.State) bool {
		return s.Evidence.Status == workflows.EvidenceCollected || s.Evidence.Status == workflows.EvidenceFailed
	})
	if st.Evidence.Status != workflows.EvidenceCollected {
		t.Fatalf("evidence: %+v", st.Evidence)
	}
	if _, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "carol", Reason: "contained; notices given"}); err != nil {
		t.Fatalf("close %s: %v", id, err)
	}
	waitClosed(t, d, id)

	for _, c := range []struct{ workflowID, name string }{
		{gdprClock, "clock"},
		{workflows.ObligationClockWorkflowID(id, caResidents), "clock_paused"},
		{agClock, "clock_chained"},
		{workflows.EvidenceWorkflowID(id), "evidence"},
	} {
		waitCompleted(t, d, c.workflowID)
		writeHistory(t, d, c.workflowID, out, c.name)
	}
	// The registry never ends: its history so far is what a worker would replay.
	writeHistory(t, d, workflows.RegistryWorkflowID, out, "registry")
}

// fulfil marks an obligation's notice given, now.
func fulfil(t *testing.T, svc *service.Service, id, obligation, reference string) {
	t.Helper()
	cs, err := svc.Fulfil(context.Background(), id, obligation, workflows.MarkFulfilledRequest{
		Obligation: obligation, Actor: "dpo", Reference: reference,
	})
	if err != nil || cs.Status != obligations.StatusFulfilled {
		t.Fatalf("fulfil %s: %v (status %q)", obligation, err, cs.Status)
	}
}

// waitClock polls a clock's query until cond holds.
func waitClock(t *testing.T, d *app.Dev, workflowID string, timeout time.Duration, what string, cond func(workflows.ClockView) bool) {
	t.Helper()
	var (
		v   workflows.ClockView
		err error
	)
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		q, qerr := d.Client.QueryWorkflow(context.Background(), workflowID, "", workflows.ClockQuery)
		if qerr == nil {
			qerr = q.Get(&v)
		}
		if err = qerr; err == nil && cond(v) {
			return
		}
	}
	t.Fatalf("%s: waited %s for %s; last error %v; status %q, reminders %d, history %+v",
		workflowID, timeout, what, err, v.Status, len(v.RemindersSent), v.History)
}

// waitCompleted waits for a workflow to complete, so its recorded history ends.
func waitCompleted(t *testing.T, d *app.Dev, workflowID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.Client.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		t.Fatalf("wait for %s to complete: %v", workflowID, err)
	}
}

// writeHistory writes every event of a workflow's latest run as a history.v1.History
// in protojson to dir/<name>_history.json, or, when that exists, to the first free
// dir/<name>_<n>_history.json (n = 2, 3, ...).
func writeHistory(t *testing.T, d *app.Dev, workflowID, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := d.Client.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatalf("encode history of %s: %v", workflowID, err)
	}
	b = append(b, '\n')
	path := filepath.Join(dir, name+"_history.json")
	for n := 2; ; n++ {
		// O_EXCL: an existing history is never truncated, even by a concurrent run.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			path = filepath.Join(dir, fmt.Sprintf("%s_%d_history.json", name, n))
			continue
		}
		if err != nil {
			t.Fatalf("create %s: %v", path, err)
		}
		_, err = f.Write(b)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatalf("write history of %s to %s: %v", workflowID, path, err)
		}
		break
	}
	t.Logf("%s: %d events, %d bytes written to %s", workflowID, len(h.Events), len(b), path)
}
