package service

import (
	"context"
	"fmt"
	"log/slog"

	"irflow/internal/incident"
	"irflow/workflows"
)

// methodActions is the action each Service method takes, checked against
// incident.Permissions before anything reaches Temporal. A test walks every method
// of Service and fails when one is missing here.
var methodActions = map[string]incident.Action{
	"Declare": incident.ActDeclare, "Show": incident.ActView, "List": incident.ActView,
	"Timeline": incident.ActView, "Obligations": incident.ActView,
	"AddNote": incident.ActAddNote, "Close": incident.ActClose,
	"ApproveStep": incident.ActApproveStep, "SkipStep": incident.ActSkipStep, "RetryStep": incident.ActRetryStep, "Rollback": incident.ActRollback,
	"SetFacts": incident.ActSetFacts, "ConfirmOwnership": incident.ActConfirmOwnership,
	"OverrideOwnership": incident.ActOverrideOwnership, "SetTrigger": incident.ActSetTrigger,
	"Fulfil": incident.ActFulfil, "Pause": incident.ActPause, "Resume": incident.ActResume, "Waive": incident.ActWaive,
	"Deadlines": incident.ActView, "SavedStates": incident.ActView, "Record": incident.ActView,
	"VerifyEvidence": incident.ActVerifyEvidence,
	"DraftNotice":    incident.ActDraftNotice, "EditNotice": incident.ActDraftNotice, "ApproveNotice": incident.ActApproveNotice,
	"SendNotice": incident.ActSendNotice, "ShowNotice": incident.ActView, "ListNotices": incident.ActView,
	"NoticeStatus": incident.ActView, "ReceiveEmail": incident.ActIntakeEmail, "ListIntake": incident.ActView,
	// The intake declares as a system actor, after ReceiveEmail or the SMTP
	// receiver authorized the message.
	"DeclareFromNotice": incident.ActDeclare,
}

// updateActions is the action each Update the service sends takes.
var updateActions = map[string]incident.Action{
	workflows.AddNoteUpdate: incident.ActAddNote, workflows.CloseUpdate: incident.ActClose,
	workflows.UpdateApproveStep: incident.ActApproveStep, workflows.UpdateSkipStep: incident.ActSkipStep,
	workflows.UpdateRetryStep: incident.ActRetryStep,
	workflows.UpdateRollback:  incident.ActRollback, workflows.SetFactsUpdate: incident.ActSetFacts,
	workflows.ConfirmOwnershipUpdate: incident.ActConfirmOwnership, workflows.OverrideOwnershipUpdate: incident.ActOverrideOwnership,
	workflows.SetIncidentTriggerUpdate: incident.ActSetTrigger, workflows.MarkFulfilledUpdate: incident.ActFulfil,
	workflows.PauseUpdate: incident.ActPause, workflows.ResumeUpdate: incident.ActResume, workflows.WaiveUpdate: incident.ActWaive,
	workflows.DraftNoticeUpdate: incident.ActDraftNotice, workflows.EditNoticeUpdate: incident.ActDraftNotice,
	workflows.ApproveNoticeUpdate: incident.ActApproveNotice, workflows.SendNoticeUpdate: incident.ActSendNotice,
}

// authorize checks that the caller may take action on an incident and returns the
// actor to stamp. With an identity in ctx (put there by a transport that verified
// it) the permission table decides, and the decision goes to the audit log, refused
// or allowed. Without one the caller is the operator's own tooling (the CLI talking
// to Temporal directly, which could send the Update itself): the request's actor is
// kept, attributed to s.Via.
func (s *Service) authorize(ctx context.Context, action incident.Action, incidentID, target, named string) (incident.Actor, error) {
	id, ok := incident.IdentityFrom(ctx)
	if !ok {
		via := s.Via
		if via == "" {
			via = incident.ViaCLI
		}
		return incident.Actor{ID: named, Via: via}, nil
	}
	if _, known := incident.Permissions[action]; !known {
		return incident.Actor{}, fmt.Errorf("action %q has no entry in the permission table", action)
	}
	allowed := !id.User.Disabled && incident.Allowed(id.User.Roles, action)
	var refusal *incident.Error
	if !allowed {
		refusal = incident.Forbidden(id, action)
		if id.User.Disabled {
			refusal = incident.Errorf(incident.EFORBIDDEN, "user %s is disabled", id.User.ID)
		}
	}
	if s.Users != nil {
		e := incident.AuditEntry{At: s.now(), ActorID: id.User.ID, Via: id.Via, ExternalID: id.ExternalID, Action: action,
			IncidentID: incidentID, Target: target, Allowed: allowed}
		if refusal != nil {
			e.Reason = refusal.Message
		}
		if err := s.Users.RecordAudit(ctx, e); err != nil {
			// An action that cannot be audited is not taken.
			return incident.Actor{}, fmt.Errorf("record the authorization decision: %w", err)
		}
	}
	if refusal != nil {
		s.logger().Warn("Action refused", "user", id.User.ID, "via", id.Via, "action", string(action), "incident_id", incidentID)
		return incident.Actor{}, refusal
	}
	return id.Actor(), nil
}

// stamp authorizes an Update's request and attributes it to the verified actor.
func (s *Service) stamp(ctx context.Context, update, incidentID, target string, arg any) (any, error) {
	action, ok := updateActions[update]
	if !ok {
		return nil, fmt.Errorf("update %q has no action in the permission table", update)
	}
	a, ok := arg.(incident.Attributed)
	if !ok {
		return nil, fmt.Errorf("update %q: request %T cannot carry a verified actor", update, arg)
	}
	actor, err := s.authorize(ctx, action, incidentID, target, a.ActorName())
	if err != nil {
		return nil, err
	}
	return a.WithActor(actor), nil
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// authorizeRead checks that an authenticated caller may read. Allowed reads are
// not audited (they would drown the decisions that matter); refusals are.
func (s *Service) authorizeRead(ctx context.Context, incidentID string) error {
	id, ok := incident.IdentityFrom(ctx)
	if !ok || (!id.User.Disabled && incident.Allowed(id.User.Roles, incident.ActView)) {
		return nil
	}
	_, err := s.authorize(ctx, incident.ActView, incidentID, "", id.User.ID)
	return err
}

// MethodActions returns the action each Service method takes (a copy).
func MethodActions() map[string]incident.Action {
	out := make(map[string]incident.Action, len(methodActions))
	for k, v := range methodActions {
		out[k] = v
	}
	return out
}
