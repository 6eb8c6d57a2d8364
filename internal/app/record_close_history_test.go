package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestRecordCloseAndTriggerHistories records, beside the other recorders' files,
// the histories of two versioned workflow changes, for workflows/replay_test.go:
//
//	incident_closed_in_triage_history.json  an incident closed in the workflow task that declared it:
//	                                         it stays closed, no triage or containment phase after the
//	                                         close (no-phase-after-close)
//	incident_trigger_later_history.json     the demo takeover declared without aware_at, which
//	                                         set_trigger gives later
//	clock_due_text_history.json             its GDPR Art. 33 clock, armed without a trigger and
//	                                         re-armed with the recomputed due text
//	                                         (clock-rearm-due-text), then fulfilled
//
// Skipped unless IRFLOW_RECORD_HISTORIES names the folder, as TestRecordHistories:
//
//	IRFLOW_RECORD_HISTORIES=$PWD/workflows/testdata go test ./internal/app -run TestRecordCloseAndTriggerHistories -count=1 -v
func TestRecordCloseAndTriggerHistories(t *testing.T) {
	out := os.Getenv(recordEnv)
	if out == "" {
		t.Skip(recordEnv + " is not set: nothing to record")
	}
	if !filepath.IsAbs(out) {
		t.Fatalf("%s=%q: give an absolute path, e.g. $PWD/workflows/testdata", recordEnv, out)
	}
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	svc := d.Service
	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatal(err)
	}

	// A close that lands before triage has finished depends on timing: declare and
	// close at once until one history shows it (no "Phase triage" entry).
	recorded := false
	for attempt := 0; attempt < 20 && !recorded; attempt++ {
		doc, err := facts.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		decl, err := svc.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "False alarm", Facts: &doc, Actor: "alice"})
		if err != nil {
			t.Fatalf("declare: %v", err)
		}
		if _, err := svc.Close(ctx, decl.ID, incident.CloseRequest{Actor: "carol", Reason: "false alarm"}); err != nil {
			t.Fatalf("close %s: %v", decl.ID, err)
		}
		waitClosed(t, d, decl.ID)
		st, err := svc.Show(ctx, decl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(st.Timeline, func(e incident.TimelineEntry) bool { return e.Kind == incident.KindPhase }) {
			writeHistory(t, d, workflows.IncidentWorkflowID(decl.ID), out, "incident_closed_in_triage")
			recorded = true
		}
	}
	if !recorded {
		t.Error("no close landed before triage in 20 attempts: nothing recorded for no-phase-after-close")
	}

	// A trigger given after declaration.
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc.Timeline.AwareAt, doc.Timeline.DiscoveredAt, doc.Timeline.DetectedAt = nil, nil, nil
	decl, err := svc.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "Awareness confirmed later", Facts: &doc, Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	id := decl.ID
	gdprClock := workflows.ObligationClockWorkflowID(id, gdprSA)
	waitClock(t, d, gdprClock, 30*time.Second, "the clock armed without a trigger", func(v workflows.ClockView) bool {
		return strings.HasPrefix(v.Obligation.DueText, "no due date")
	})
	aware := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	if _, err := svc.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: aware, Actor: "dpo", Reason: "confirmed on the call"}); err != nil {
		t.Fatalf("set trigger: %v", err)
	}
	waitClock(t, d, gdprClock, 30*time.Second, "the clock re-armed with its due text", func(v workflows.ClockView) bool {
		return v.DueAt != nil && !strings.HasPrefix(v.Obligation.DueText, "no due date")
	})
	if _, err := svc.Fulfil(ctx, id, gdprSA, workflows.MarkFulfilledRequest{Obligation: gdprSA, Actor: "dpo", Reference: "DPC BN-2026-0501"}); err != nil {
		t.Fatalf("fulfil: %v", err)
	}
	waitState(t, svc, id, 60*time.Second, "evidence", func(s incident.State) bool {
		return s.Evidence.Status != "" && s.Evidence.Status != incident.EvidenceCollecting
	})
	if _, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "carol", Reason: "notified"}); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitClosed(t, d, id)
	waitCompleted(t, d, gdprClock)
	writeHistory(t, d, workflows.IncidentWorkflowID(id), out, "incident_trigger_later")
	writeHistory(t, d, gdprClock, out, "clock_due_text")
}
