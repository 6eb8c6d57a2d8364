package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestRecordFaultHistories records, beside TestRecordHistories' files, the
// histories of issue 14's workflow changes, for workflows/replay_test.go:
//
//	incident_retry_history.json  an incident whose suspend step failed on an unknown user id and was
//	                             retried after set-facts (retry_step, failure-text), and whose token
//	                             step ended no_targets and was retried once the list was filled
//	clock_late_history.json      the GDPR Art. 33 clock armed 28 h after its due date: an overdue
//	                             reminder at once (clock-reminder-catchup), then a late fulfilment
//
// Skipped unless IRFLOW_RECORD_HISTORIES names the folder, as TestRecordHistories:
//
//	IRFLOW_RECORD_HISTORIES=$PWD/workflows/testdata go test ./internal/app -run TestRecordFaultHistories -count=1 -v
func TestRecordFaultHistories(t *testing.T) {
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
	f := d.ZendeskSim.Facts()

	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	aware := time.Now().UTC().Truncate(time.Second).Add(-100 * time.Hour)
	doc.Timeline.AwareAt = &aware
	doc.Zendesk.Users = []int64{999_999_999}
	doc.Zendesk.APITokens = nil
	decl, err := svc.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise",
		Title: "Maya's account taken over (recorded late)", Facts: &doc, Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	id := decl.ID
	step := func(name string, want incident.StepStatus) {
		t.Helper()
		waitState(t, svc, id, 30*time.Second, "step "+name+" "+string(want), func(s incident.State) bool {
			for _, st := range s.Steps {
				if st.Step.ID == name {
					return st.Status == want
				}
			}
			return false
		})
	}
	approve := func(name string) {
		t.Helper()
		if _, err := svc.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: name, Actor: "carol"}); err != nil {
			t.Fatalf("approve %s: %v", name, err)
		}
	}
	skip := func(name string) {
		t.Helper()
		step(name, incident.StepAwaitingApproval)
		if _, err := svc.SkipStep(ctx, id, incident.SkipStepRequest{Step: name, Actor: "carol"}); err != nil {
			t.Fatalf("skip %s: %v", name, err)
		}
	}
	retry := func(name string) {
		t.Helper()
		if _, err := svc.RetryStep(ctx, id, incident.RetryStepRequest{Step: name, Actor: "carol", Reason: "facts corrected"}); err != nil {
			t.Fatalf("retry %s: %v", name, err)
		}
		step(name, incident.StepDone)
	}
	patch := func(p string) {
		t.Helper()
		if _, err := svc.SetFacts(ctx, id, incident.SetFactsRequest{Actor: "carol", Patch: []byte(p)}); err != nil {
			t.Fatalf("set facts %s: %v", p, err)
		}
	}

	step("suspend-accounts", incident.StepAwaitingApproval)
	approve("suspend-accounts")
	step("suspend-accounts", incident.StepFailed)
	patch(fmt.Sprintf(`{"zendesk": {"users": [%d]}}`, f.CompromisedUserID))
	retry("suspend-accounts")
	skip("kill-sessions")
	skip("revoke-oauth")
	step("revoke-api-tokens", incident.StepAwaitingApproval)
	approve("revoke-api-tokens")
	step("revoke-api-tokens", incident.StepNoTargets)
	patch(fmt.Sprintf(`{"zendesk": {"api_tokens": [%d]}}`, f.RogueAPITokenID))
	retry("revoke-api-tokens")
	skip("disable-rogue-webhooks")
	skip("reset-password")

	gdprClock := workflows.ObligationClockWorkflowID(id, gdprSA)
	waitClock(t, d, gdprClock, 30*time.Second, "the overdue reminder sent at once", func(v workflows.ClockView) bool {
		return len(v.RemindersSent) > 0
	})
	if _, err := svc.Fulfil(ctx, id, gdprSA, workflows.MarkFulfilledRequest{Obligation: gdprSA, Actor: "dpo",
		Reference: "DPC BN-2026-0413", LateReason: "the breach was recognised four days late"}); err != nil {
		t.Fatalf("fulfil: %v", err)
	}
	waitState(t, svc, id, 60*time.Second, "evidence", func(s incident.State) bool {
		return s.Evidence.Status != "" && s.Evidence.Status != incident.EvidenceCollecting
	})
	if _, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "carol", Reason: "contained"}); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitClosed(t, d, id)
	waitCompleted(t, d, gdprClock)
	writeHistory(t, d, workflows.IncidentWorkflowID(id), out, "incident_retry")
	writeHistory(t, d, gdprClock, out, "clock_late")
}
