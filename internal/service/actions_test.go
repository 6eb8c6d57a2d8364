package service_test

import (
	"context"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/workflows"
)

// TestClockActionsAddressTheStoreRow: an action on an obligation goes to the clock
// its newest live row names, directly and never through the incident workflow, so
// it works on a closed incident whose workflow is gone; a clock that has ended is a
// conflict answered without Temporal.
func TestClockActionsAddressTheStoreRow(t *testing.T) {
	svc, store, ft := newService(t, now)
	seedClosed(t, store)
	ctx := context.Background()
	ft.Results[workflows.MarkFulfilledUpdate] = incident.ClockState{Status: obligations.StatusFulfilled}
	ft.Results[workflows.WaiveUpdate] = incident.ClockState{Status: incident.ClockWaived}

	_, err := svc.Fulfil(ctx, closedID, residents, incident.MarkFulfilledRequest{Actor: "legal", Reference: "again"})
	wantCode(t, "fulfil a fulfilled obligation", err, incident.ECONFLICT, residents, closedID, "already fulfilled")
	if calls := ft.Calls(); len(calls) != 0 {
		t.Fatalf("an action on an ended clock called Temporal: %v", calls)
	}

	cs, err := svc.Fulfil(ctx, closedID, gdpr, incident.MarkFulfilledRequest{Actor: "legal", Reference: "DPC case 1"})
	if err != nil || cs.Status != obligations.StatusFulfilled {
		t.Fatalf("fulfil: %+v %v", cs, err)
	}
	u := last(ft.Updates())
	if u.WorkflowID != clockID(gdpr)+"#3" || u.UpdateName != workflows.MarkFulfilledUpdate {
		t.Errorf("fulfil sent %s to %s, want %s to the clock that replaced the retired one", u.UpdateName, u.WorkflowID, workflows.MarkFulfilledUpdate)
	}
	if req, ok := u.Args[0].(incident.MarkFulfilledRequest); !ok || req.Obligation != gdpr || req.Reference != "DPC case 1" {
		t.Errorf("fulfil argument %#v, want the request naming %s", u.Args[0], gdpr)
	}

	p, err := svc.StartWaive(ctx, closedID, ag, incident.WaiveRequest{Actor: "legal", Reason: "AG notified by phone"})
	if err != nil {
		t.Fatalf("start waive: %v", err)
	}
	if cs, err := p.Get(ctx); err != nil || cs.Status != incident.ClockWaived {
		t.Errorf("waive result: %+v %v", cs, err)
	}
	if u := last(ft.Updates()); u.WorkflowID != clockID(ag) || u.UpdateName != workflows.WaiveUpdate {
		t.Errorf("waive sent %s to %s", u.UpdateName, u.WorkflowID)
	}
	for _, c := range ft.Calls() {
		if c == "query "+workflows.IncidentWorkflowID(closedID)+" "+workflows.StateQuery {
			t.Errorf("an action on a clock with a row asked the incident workflow: %v", ft.Calls())
		}
	}

	_, err = svc.Fulfil(ctx, closedID, gdpr, incident.MarkFulfilledRequest{Obligation: ag, Actor: "legal", Reference: "x"})
	wantCode(t, "request naming another obligation", err, incident.EINVALID, ag, gdpr)
	// The incident workflow is gone: the store names the clocks it had.
	_, err = svc.Pause(ctx, closedID, "nope", incident.PauseRequest{Actor: "legal", Reason: "police", Until: now.Add(72 * time.Hour)})
	wantCode(t, "unknown obligation", err, incident.ENOTFOUND, `no obligation clock "nope"`, gdpr+", "+ag+", "+residents)
	_, err = svc.Resume(ctx, "INC-19990101-999", gdpr, incident.ResumeRequest{Actor: "legal", Reason: "r"})
	wantCode(t, "unknown incident", err, incident.ENOTFOUND, "incident INC-19990101-999 not found")
	_, err = svc.Fulfil(ctx, closedID, " ", incident.MarkFulfilledRequest{})
	wantCode(t, "no obligation id", err, incident.EINVALID, "obligation id is required")
}

// TestClockActionWithoutRow: a clock started before clocks wrote the store is found
// through the open incident's state query.
func TestClockActionWithoutRow(t *testing.T) {
	svc, _, ft := newService(t, now)
	const id = "INC-20260306-004"
	clock := workflows.ObligationClockWorkflowID(id, gdpr)
	ft.States[workflows.IncidentWorkflowID(id)] = incident.State{ID: id, Phase: incident.PhaseNotification,
		Obligations: []incident.IncidentObligation{{Obligation: obligations.Obligation{ID: gdpr, Applicable: true}, ClockWorkflowID: clock}}}
	ft.Results[workflows.ResumeUpdate] = incident.ClockState{Status: obligations.StatusOpen}

	if _, err := svc.Resume(context.Background(), id, gdpr, incident.ResumeRequest{Actor: "legal", Reason: "police done"}); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if u := last(ft.Updates()); u.WorkflowID != clock || u.UpdateName != workflows.ResumeUpdate {
		t.Errorf("resume sent %s to %s, want %s", u.UpdateName, u.WorkflowID, clock)
	}
	_, err := svc.Resume(context.Background(), id, residents, incident.ResumeRequest{Actor: "legal", Reason: "x"})
	wantCode(t, "obligation without a clock", err, incident.ENOTFOUND, `no obligation clock "`+residents+`"`, "clocks: "+gdpr)
}

// TestIncidentActionsSendTheirUpdate: each typed action sends its own Update with
// its own request to the incident workflow.
func TestIncidentActionsSendTheirUpdate(t *testing.T) {
	svc, _, ft := newService(t, now)
	ctx := context.Background()
	const id = "INC-20260306-005"
	for name, v := range map[string]any{
		workflows.AddNoteUpdate: incident.TimelineEntry{Seq: 4}, workflows.CloseUpdate: incident.State{ID: id},
		workflows.UpdateApproveStep: incident.StepState{}, workflows.UpdateSkipStep: incident.StepState{},
		workflows.UpdateRollback: incident.RollbackResult{}, workflows.SetFactsUpdate: incident.SetFactsResult{},
		workflows.ConfirmOwnershipUpdate: incident.OwnershipState{}, workflows.OverrideOwnershipUpdate: incident.OwnershipState{},
		workflows.SetIncidentTriggerUpdate: []incident.IncidentObligation{},
	} {
		ft.Results[name] = v
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{workflows.AddNoteUpdate, func() error { _, err := svc.AddNote(ctx, id, incident.NoteRequest{Actor: "a", Text: "t"}); return err }},
		{workflows.CloseUpdate, func() error { _, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "a"}); return err }},
		{workflows.UpdateApproveStep, func() error {
			_, err := svc.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: "s", Actor: "a"})
			return err
		}},
		{workflows.UpdateSkipStep, func() error {
			_, err := svc.SkipStep(ctx, id, incident.SkipStepRequest{Step: "s", Actor: "a"})
			return err
		}},
		{workflows.UpdateRollback, func() error { _, err := svc.Rollback(ctx, id, incident.RollbackRequest{Actor: "a"}); return err }},
		{workflows.SetFactsUpdate, func() error { _, err := svc.SetFacts(ctx, id, incident.SetFactsRequest{Actor: "a"}); return err }},
		{workflows.ConfirmOwnershipUpdate, func() error {
			_, err := svc.ConfirmOwnership(ctx, id, incident.ConfirmOwnershipRequest{Actor: "a"})
			return err
		}},
		{workflows.OverrideOwnershipUpdate, func() error {
			_, err := svc.OverrideOwnership(ctx, id, incident.OverrideOwnershipRequest{Actor: "a"})
			return err
		}},
		{workflows.SetIncidentTriggerUpdate, func() error {
			_, err := svc.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Actor: "a"})
			return err
		}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if u := ft.Updates()[i]; u.UpdateName != s.name || u.WorkflowID != workflows.IncidentWorkflowID(id) {
			t.Errorf("sent %s to %s, want %s to the incident", u.UpdateName, u.WorkflowID, s.name)
		}
	}
	_, err := svc.AddNote(ctx, "not-an-id", incident.NoteRequest{Actor: "a", Text: "t"})
	wantCode(t, "bad id", err, incident.EINVALID, "not-an-id")
}
