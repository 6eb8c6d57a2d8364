package service

import (
	"context"
	"fmt"
	"strings"

	"irflow/internal/incident"
	"irflow/workflows"
)

// The incident's actions. Each is one Update of the incident workflow: the service
// checks its argument against the limits of incident/limits.go (EINVALID, naming
// the field and the limit), its validator rejects bad input (EINVALID, with the
// reason), and a closed incident rejects every action (ECONFLICT). Each X waits for the result; StartX returns once
// the action is accepted (see Pending).

// AddNote appends a responder's note to the incident's timeline and returns the entry.
func (s *Service) AddNote(ctx context.Context, id string, req incident.NoteRequest) (incident.TimelineEntry, error) {
	p, err := sendIncident[incident.TimelineEntry](ctx, s, id, workflows.AddNoteUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartAddNote is AddNote returning once the action is accepted.
func (s *Service) StartAddNote(ctx context.Context, id string, req incident.NoteRequest) (*Pending[incident.TimelineEntry], error) {
	return sendIncident[incident.TimelineEntry](ctx, s, id, workflows.AddNoteUpdate, req, accepted)
}

// Close closes the incident and returns its final state. Its obligation clocks keep running:
// closing an incident never ends a legal duty.
func (s *Service) Close(ctx context.Context, id string, req incident.CloseRequest) (incident.State, error) {
	p, err := sendIncident[incident.State](ctx, s, id, workflows.CloseUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartClose is Close returning once the action is accepted.
func (s *Service) StartClose(ctx context.Context, id string, req incident.CloseRequest) (*Pending[incident.State], error) {
	return sendIncident[incident.State](ctx, s, id, workflows.CloseUpdate, req, accepted)
}

// ApproveStep approves a containment step that waits for approval; the step runs after the
// approval is recorded, so the result is the approved step, not its outcome.
func (s *Service) ApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (incident.StepState, error) {
	p, err := sendIncident[incident.StepState](ctx, s, id, workflows.UpdateApproveStep, req, completed)
	return wait(ctx, p, err)
}

// StartApproveStep is ApproveStep returning once the action is accepted.
func (s *Service) StartApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (*Pending[incident.StepState], error) {
	return sendIncident[incident.StepState](ctx, s, id, workflows.UpdateApproveStep, req, accepted)
}

// SkipStep skips a containment step that has not run.
func (s *Service) SkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (incident.StepState, error) {
	p, err := sendIncident[incident.StepState](ctx, s, id, workflows.UpdateSkipStep, req, completed)
	return wait(ctx, p, err)
}

// StartSkipStep is SkipStep returning once the action is accepted.
func (s *Service) StartSkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (*Pending[incident.StepState], error) {
	return sendIncident[incident.StepState](ctx, s, id, workflows.UpdateSkipStep, req, accepted)
}

// RetryStep runs a failed or no_targets containment step again, with the same
// idempotency keys (a target already changed is not acted on again) and the
// targets the facts name now. Like ApproveStep, the result is the step once it
// runs, not its outcome. A step in any other state, or after a rollback, is a
// conflict.
func (s *Service) RetryStep(ctx context.Context, id string, req incident.RetryStepRequest) (incident.StepState, error) {
	p, err := sendIncident[incident.StepState](ctx, s, id, workflows.UpdateRetryStep, req, completed)
	return wait(ctx, p, err)
}

// StartRetryStep is RetryStep returning once the action is accepted.
func (s *Service) StartRetryStep(ctx context.Context, id string, req incident.RetryStepRequest) (*Pending[incident.StepState], error) {
	return sendIncident[incident.StepState](ctx, s, id, workflows.UpdateRetryStep, req, accepted)
}

// Rollback undoes every completed reversible containment step, newest first, and returns
// what was undone, what failed (a later rollback retries it) and what was kept.
func (s *Service) Rollback(ctx context.Context, id string, req incident.RollbackRequest) (incident.RollbackResult, error) {
	p, err := sendIncident[incident.RollbackResult](ctx, s, id, workflows.UpdateRollback, req, completed)
	return wait(ctx, p, err)
}

// StartRollback is Rollback returning once the action is accepted.
func (s *Service) StartRollback(ctx context.Context, id string, req incident.RollbackRequest) (*Pending[incident.RollbackResult], error) {
	return sendIncident[incident.RollbackResult](ctx, s, id, workflows.UpdateRollback, req, accepted)
}

// SetFacts merges a JSON merge patch into the incident's facts; ownership, severity and the
// obligation clocks are recomputed.
func (s *Service) SetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (incident.SetFactsResult, error) {
	p, err := sendIncident[incident.SetFactsResult](ctx, s, id, workflows.SetFactsUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartSetFacts is SetFacts returning once the action is accepted.
func (s *Service) StartSetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (*Pending[incident.SetFactsResult], error) {
	return sendIncident[incident.SetFactsResult](ctx, s, id, workflows.SetFactsUpdate, req, accepted)
}

// ConfirmOwnership adopts the computed ownership determination as a human decision.
func (s *Service) ConfirmOwnership(ctx context.Context, id string, req incident.ConfirmOwnershipRequest) (incident.OwnershipState, error) {
	p, err := sendIncident[incident.OwnershipState](ctx, s, id, workflows.ConfirmOwnershipUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartConfirmOwnership is ConfirmOwnership returning once the action is accepted.
func (s *Service) StartConfirmOwnership(ctx context.Context, id string, req incident.ConfirmOwnershipRequest) (*Pending[incident.OwnershipState], error) {
	return sendIncident[incident.OwnershipState](ctx, s, id, workflows.ConfirmOwnershipUpdate, req, accepted)
}

// OverrideOwnership replaces the ownership determination with a human decision.
func (s *Service) OverrideOwnership(ctx context.Context, id string, req incident.OverrideOwnershipRequest) (incident.OwnershipState, error) {
	p, err := sendIncident[incident.OwnershipState](ctx, s, id, workflows.OverrideOwnershipUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartOverrideOwnership is OverrideOwnership returning once the action is accepted.
func (s *Service) StartOverrideOwnership(ctx context.Context, id string, req incident.OverrideOwnershipRequest) (*Pending[incident.OwnershipState], error) {
	return sendIncident[incident.OwnershipState](ctx, s, id, workflows.OverrideOwnershipUpdate, req, accepted)
}

// SetTrigger moves a facts timeline instant (aware_at, discovered_at, ...) for the whole
// incident; every clock that runs from it is re-armed. It returns the obligations.
func (s *Service) SetTrigger(ctx context.Context, id string, req incident.SetIncidentTriggerRequest) ([]incident.IncidentObligation, error) {
	p, err := sendIncident[[]incident.IncidentObligation](ctx, s, id, workflows.SetIncidentTriggerUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartSetTrigger is SetTrigger returning once the action is accepted.
func (s *Service) StartSetTrigger(ctx context.Context, id string, req incident.SetIncidentTriggerRequest) (*Pending[[]incident.IncidentObligation], error) {
	return sendIncident[[]incident.IncidentObligation](ctx, s, id, workflows.SetIncidentTriggerUpdate, req, accepted)
}

// sendIncident sends an Update to the workflow of incident id.
func sendIncident[T any](ctx context.Context, s *Service, id, name string, arg any, st stage) (*Pending[T], error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := checkRequest(arg); err != nil {
		return nil, err
	}
	arg, err := s.stamp(ctx, name, id, targetOf(arg), arg)
	if err != nil {
		return nil, err
	}
	return send[T](ctx, s.Client, workflows.IncidentWorkflowID(id), "incident "+id, name, arg, st)
}

// The obligation clocks' actions. Each is one Update of the clock workflow,
// addressed by the clock's row in the store, never through the incident workflow,
// so that they work after the incident closed and after its workflow's history is
// gone: a legal duty outlives the incident. The clock's validators reject what the
// law does not allow; a clock that has ended is a conflict. Each returns the
// clock's state after the change.

// Fulfil records that an obligation's notice was given. The clock rejects a late
// fulfilment without a late reason (GDPR Art. 33(1)) and one before the trigger.
// req.Obligation may be empty; it is set to obligationID.
func (s *Service) Fulfil(ctx context.Context, incidentID, obligationID string, req incident.MarkFulfilledRequest) (incident.ClockState, error) {
	p, err := s.startFulfil(ctx, incidentID, obligationID, req, completed)
	return wait(ctx, p, err)
}

// StartFulfil is Fulfil returning once the action is accepted.
func (s *Service) StartFulfil(ctx context.Context, incidentID, obligationID string, req incident.MarkFulfilledRequest) (*Pending[incident.ClockState], error) {
	return s.startFulfil(ctx, incidentID, obligationID, req, accepted)
}

func (s *Service) startFulfil(ctx context.Context, incidentID, obligationID string, req incident.MarkFulfilledRequest, st stage) (*Pending[incident.ClockState], error) {
	req, err := fulfilment(obligationID, req)
	if err != nil {
		return nil, err
	}
	return sendClock(ctx, s, incidentID, obligationID, workflows.MarkFulfilledUpdate, req, st)
}

// Pause stops an obligation's clock for a law-enforcement delay, with its reason and
// expiry.
func (s *Service) Pause(ctx context.Context, incidentID, obligationID string, req incident.PauseRequest) (incident.ClockState, error) {
	p, err := sendClock(ctx, s, incidentID, obligationID, workflows.PauseUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartPause is Pause returning once the action is accepted.
func (s *Service) StartPause(ctx context.Context, incidentID, obligationID string, req incident.PauseRequest) (*Pending[incident.ClockState], error) {
	return sendClock(ctx, s, incidentID, obligationID, workflows.PauseUpdate, req, accepted)
}

// Resume restarts a paused clock; its deadline moves by the time paused.
func (s *Service) Resume(ctx context.Context, incidentID, obligationID string, req incident.ResumeRequest) (incident.ClockState, error) {
	p, err := sendClock(ctx, s, incidentID, obligationID, workflows.ResumeUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartResume is Resume returning once the action is accepted.
func (s *Service) StartResume(ctx context.Context, incidentID, obligationID string, req incident.ResumeRequest) (*Pending[incident.ClockState], error) {
	return sendClock(ctx, s, incidentID, obligationID, workflows.ResumeUpdate, req, accepted)
}

// Waive ends an obligation's clock without a notice (e.g. a risk assessment found the
// breach unlikely to result in a risk), with the reason.
func (s *Service) Waive(ctx context.Context, incidentID, obligationID string, req incident.WaiveRequest) (incident.ClockState, error) {
	p, err := sendClock(ctx, s, incidentID, obligationID, workflows.WaiveUpdate, req, completed)
	return wait(ctx, p, err)
}

// StartWaive is Waive returning once the action is accepted.
func (s *Service) StartWaive(ctx context.Context, incidentID, obligationID string, req incident.WaiveRequest) (*Pending[incident.ClockState], error) {
	return sendClock(ctx, s, incidentID, obligationID, workflows.WaiveUpdate, req, accepted)
}

// fulfilment checks that req names obligationID, or names none (then it is set).
func fulfilment(obligationID string, req incident.MarkFulfilledRequest) (incident.MarkFulfilledRequest, error) {
	if req.Obligation != "" && req.Obligation != obligationID {
		return req, incident.Errorf(incident.EINVALID, "the request fulfils %q, not %q", req.Obligation, obligationID)
	}
	req.Obligation = obligationID
	return req, nil
}

// sendClock sends an Update to the clock of obligationID in incidentID.
func sendClock(ctx context.Context, s *Service, incidentID, obligationID, name string, arg any, st stage) (*Pending[incident.ClockState], error) {
	if err := checkID(incidentID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(obligationID) == "" {
		return nil, incident.Errorf(incident.EINVALID, "an obligation id is required")
	}
	if err := checkText("obligation", obligationID, fieldRule{max: incident.MaxLine}); err != nil {
		return nil, err
	}
	if err := checkRequest(arg); err != nil {
		return nil, err
	}
	arg, err := s.stamp(ctx, name, incidentID, obligationID, arg)
	if err != nil {
		return nil, err
	}
	workflowID, err := s.clock(ctx, incidentID, obligationID)
	if err != nil {
		return nil, err
	}
	return send[incident.ClockState](ctx, s.Client, workflowID, fmt.Sprintf("obligation %s of incident %s", obligationID, incidentID), name, arg, st)
}

// targetOf names what an incident action acts on, for the audit log.
func targetOf(arg any) string {
	switch r := arg.(type) {
	case incident.ApproveStepRequest:
		return r.Step
	case incident.SkipStepRequest:
		return r.Step
	case incident.RetryStepRequest:
		return r.Step
	case incident.SetIncidentTriggerRequest:
		return r.Field
	case incident.OverrideOwnershipRequest:
		return r.Owner
	}
	return ""
}
