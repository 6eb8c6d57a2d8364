package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/workflows"
)

// TestDutiesOutliveTheIncident is issue 8's "done when", on the embedded server:
// declare with the demo facts and close the incident at once; fulfilling the
// residents' notice afterwards still starts the Attorney General's chained clock.
// Then the incident workflow's history is deleted, as the namespace's retention
// does, and show, the obligations list and actions on the clocks keep working from
// the store; and again after a restart of the whole stack.
func TestDutiesOutliveTheIncident(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDev(t, dir)
	ctx := context.Background()
	svc := d.Service
	id := declareDemo(t, svc, "duties outlive")
	waitObligation(t, svc, id, agNotice, "the AG clock's row, awaiting its predecessor", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.Status == obligations.StatusAwaitingPredecessor && v.Clock.DueAt == nil
	})
	closed, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "carol", Reason: "contained"})
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	if len(closed.Steps) == 0 {
		t.Errorf("close returned no steps; it must return what the state query returns")
	}
	waitClosed(t, d, id)

	// Fulfilled after close: the residents' clock tells the AG clock itself.
	given := time.Now().Add(-10 * time.Minute).UTC().Truncate(time.Second)
	if _, err := svc.Fulfil(ctx, id, residentsNotice, incident.MarkFulfilledRequest{Actor: "legal", Reference: "letters mailed", At: given}); err != nil {
		t.Fatalf("fulfil residents' notice after close: %v", err)
	}
	waitObligation(t, svc, id, agNotice, "the AG clock to start from the fulfilment", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.DueAt != nil && v.Clock.TriggerAt != nil && v.Clock.TriggerAt.Equal(given)
	})

	// Retention deletes the closed incident's workflow.
	deleteWorkflow(t, d.Client.WorkflowService(), workflows.IncidentWorkflowID(id))

	checkFromStore := func(stage string) {
		t.Helper()
		st, err := svc.Show(ctx, id)
		if err != nil {
			t.Fatalf("%s: show: %v", stage, err)
		}
		if st.Phase != incident.PhaseClosed || len(st.Timeline) == 0 || len(st.Steps) == 0 {
			t.Errorf("%s: show: phase %s, %d timeline entries, %d steps", stage, st.Phase, len(st.Timeline), len(st.Steps))
		}
		if o := find(st.Obligations, residentsNotice); o == nil || o.Status != obligations.StatusFulfilled {
			t.Errorf("%s: show: residents' notice %+v, want fulfilled", stage, o)
		}
		if o := find(st.Obligations, agNotice); o == nil || o.DueAt == nil {
			t.Errorf("%s: show: AG notice %+v, want its due date", stage, o)
		}
		obs, err := svc.Obligations(ctx, id, false)
		if err != nil || len(obs) == 0 {
			t.Fatalf("%s: obligations: %v (%d)", stage, err, len(obs))
		}
		list, err := svc.List(ctx, incident.ListFilter{})
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Errorf("%s: list: %v %+v", stage, err, list)
		}
	}
	checkFromStore("after the incident workflow was deleted")

	// Actions on the clocks address them directly.
	if _, err := svc.Fulfil(ctx, id, agNotice, incident.MarkFulfilledRequest{Actor: "legal", Reference: "AG sample notice"}); err != nil {
		t.Fatalf("fulfil AG notice after deletion: %v", err)
	}
	_, err = svc.Fulfil(ctx, id, residentsNotice, incident.MarkFulfilledRequest{Actor: "legal", Reference: "again"})
	wantCode(t, "fulfil twice", err, incident.ECONFLICT, "fulfilled")
	if _, err := svc.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: given, Actor: "dpo", Reason: "x"}); err == nil {
		t.Errorf("set_trigger on a deleted incident succeeded")
	}

	// A restart of the whole stack changes nothing.
	d.Stop()
	d2 := startDev(t, dir)
	svc = d2.Service
	checkFromStore("after restart")
	obs, err := svc.Obligations(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	var open string
	for _, v := range obs {
		if v.Clock != nil && !v.Clock.Terminal() {
			open = v.ID
			break
		}
	}
	if open == "" {
		t.Fatal("no open clock left to waive")
	}
	if _, err := svc.Waive(ctx, id, open, incident.WaiveRequest{Actor: "dpo", Reason: "risk assessed unlikely"}); err != nil {
		t.Fatalf("waive %s after restart: %v", open, err)
	}
	waitObligation(t, svc, id, open, "the waiver in the store", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.Status == incident.ClockWaived
	})
}

// deleteWorkflow deletes a closed workflow's execution, as the namespace's retention
// does, and waits until the server no longer knows it.
func deleteWorkflow(t *testing.T, ws workflowservice.WorkflowServiceClient, workflowID string) {
	t.Helper()
	ctx := context.Background()
	if _, err := ws.DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
		Namespace: "default", WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
	}); err != nil {
		t.Fatalf("delete %s: %v", workflowID, err)
	}
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, err = ws.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
			Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
		})
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return
		}
	}
	t.Fatalf("%s still exists 30 s after its deletion (describe: %v)", workflowID, err)
}
