package httpapi

import (
	"net/http"

	"irflow/internal/incident"
)

// registerActions adds the routes that act on an incident or one of its obligation
// clocks: each decodes a strict JSON body, calls one typed method of the service and
// answers with its result. A validator's rejection is a 400 with the reason.
func (s *Server) registerActions() {
	s.mux.HandleFunc("POST /api/incidents/{id}/notes", action(s, func(r *http.Request, b incident.NoteRequest) (incident.TimelineEntry, error) {
		return s.svc.AddNote(r.Context(), r.PathValue("id"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/close", action(s, func(r *http.Request, b incident.CloseRequest) (incident.State, error) {
		return s.svc.Close(r.Context(), r.PathValue("id"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/facts", action(s, func(r *http.Request, b incident.SetFactsRequest) (incident.SetFactsResult, error) {
		return s.svc.SetFacts(r.Context(), r.PathValue("id"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/trigger", action(s, func(r *http.Request, b incident.SetIncidentTriggerRequest) ([]incident.IncidentObligation, error) {
		return s.svc.SetTrigger(r.Context(), r.PathValue("id"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/steps/{step}/approve", action(s, func(r *http.Request, b actorReason) (incident.StepState, error) {
		return s.svc.ApproveStep(r.Context(), r.PathValue("id"), incident.ApproveStepRequest{Step: r.PathValue("step"), Actor: b.Actor, Reason: b.Reason})
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/steps/{step}/skip", action(s, func(r *http.Request, b actorReason) (incident.StepState, error) {
		return s.svc.SkipStep(r.Context(), r.PathValue("id"), incident.SkipStepRequest{Step: r.PathValue("step"), Actor: b.Actor, Reason: b.Reason})
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/steps/{step}/retry", action(s, func(r *http.Request, b actorReason) (incident.StepState, error) {
		return s.svc.RetryStep(r.Context(), r.PathValue("id"), incident.RetryStepRequest{Step: r.PathValue("step"), Actor: b.Actor, Reason: b.Reason})
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/rollback", action(s, func(r *http.Request, b actorReason) (incident.RollbackResult, error) {
		return s.svc.Rollback(r.Context(), r.PathValue("id"), incident.RollbackRequest{Actor: b.Actor, Reason: b.Reason})
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/ownership/confirm", action(s, func(r *http.Request, b actorReason) (incident.OwnershipState, error) {
		return s.svc.ConfirmOwnership(r.Context(), r.PathValue("id"), incident.ConfirmOwnershipRequest{Actor: b.Actor, Reason: b.Reason})
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/ownership/override", action(s, func(r *http.Request, b incident.OverrideOwnershipRequest) (incident.OwnershipState, error) {
		return s.svc.OverrideOwnership(r.Context(), r.PathValue("id"), b)
	}))
	s.mux.HandleFunc("GET /api/incidents/{id}/obligations", func(w http.ResponseWriter, r *http.Request) {
		obs, err := s.svc.Obligations(r.Context(), r.PathValue("id"), r.URL.Query().Get("all") == "true")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, obs)
	})
	s.mux.HandleFunc("POST /api/incidents/{id}/obligations/{obligation}/fulfil", action(s, func(r *http.Request, b incident.MarkFulfilledRequest) (incident.ClockState, error) {
		b.Obligation = r.PathValue("obligation") // the path names it, whatever the body says
		return s.svc.Fulfil(r.Context(), r.PathValue("id"), b.Obligation, b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/obligations/{obligation}/pause", action(s, func(r *http.Request, b incident.PauseRequest) (incident.ClockState, error) {
		return s.svc.Pause(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/obligations/{obligation}/resume", action(s, func(r *http.Request, b incident.ResumeRequest) (incident.ClockState, error) {
		return s.svc.Resume(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/obligations/{obligation}/waive", action(s, func(r *http.Request, b incident.WaiveRequest) (incident.ClockState, error) {
		return s.svc.Waive(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
}

// actorReason is the body of the actions that need only who and why.
type actorReason struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
}

// action returns a handler that decodes the body into B, calls do, and answers
// with its result.
func action[B, R any](s *Server, do func(r *http.Request, body B) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body B
		if err := decodeBody(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
		res, err := do(r, body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	}
}
