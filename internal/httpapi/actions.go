package httpapi

import (
	"encoding/json"
	"net/http"

	"irflow/workflows"
)

// registerActions adds the routes that drive a running incident: each decodes a
// strict JSON body, sends one Update and returns its answer. A validator's rejection
// is a 400 with the reason.
func (s *Server) registerActions() {
	s.mux.HandleFunc("POST /api/incidents/{id}/facts", s.update(workflows.SetFactsUpdate,
		func(r *http.Request) (any, any, error) {
			var b struct {
				Actor  string          `json:"actor"`
				Patch  json.RawMessage `json:"patch"`
				Reason string          `json:"reason"`
			}
			err := decodeBody(r, &b)
			return workflows.SetFactsRequest{Actor: b.Actor, Patch: b.Patch, Reason: b.Reason}, new(workflows.SetFactsResult), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/trigger", s.update(workflows.SetIncidentTriggerUpdate,
		func(r *http.Request) (any, any, error) {
			var b workflows.SetIncidentTriggerRequest
			err := decodeBody(r, &b)
			return b, new([]workflows.IncidentObligation), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/steps/{step}/approve", s.update(workflows.UpdateApproveStep,
		func(r *http.Request) (any, any, error) {
			var b actorReason
			err := decodeBody(r, &b)
			return workflows.ApproveStepRequest{Step: r.PathValue("step"), Actor: b.Actor, Reason: b.Reason}, new(workflows.StepState), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/steps/{step}/skip", s.update(workflows.UpdateSkipStep,
		func(r *http.Request) (any, any, error) {
			var b actorReason
			err := decodeBody(r, &b)
			return workflows.SkipStepRequest{Step: r.PathValue("step"), Actor: b.Actor, Reason: b.Reason}, new(workflows.StepState), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/rollback", s.update(workflows.UpdateRollback,
		func(r *http.Request) (any, any, error) {
			var b actorReason
			err := decodeBody(r, &b)
			return workflows.RollbackRequest{Actor: b.Actor, Reason: b.Reason}, new(workflows.RollbackResult), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/ownership/confirm", s.update(workflows.ConfirmOwnershipUpdate,
		func(r *http.Request) (any, any, error) {
			var b actorReason
			err := decodeBody(r, &b)
			return workflows.ConfirmOwnershipRequest{Actor: b.Actor, Reason: b.Reason}, new(workflows.OwnershipState), err
		}))
	s.mux.HandleFunc("POST /api/incidents/{id}/ownership/override", s.update(workflows.OverrideOwnershipUpdate,
		func(r *http.Request) (any, any, error) {
			var b workflows.OverrideOwnershipRequest
			err := decodeBody(r, &b)
			return b, new(workflows.OwnershipState), err
		}))
	s.mux.HandleFunc("GET /api/incidents/{id}/obligations", func(w http.ResponseWriter, r *http.Request) {
		obs, err := s.svc.Obligations(r.Context(), r.PathValue("id"), r.URL.Query().Get("all") == "true")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, obs)
	})
	s.mux.HandleFunc("POST /api/incidents/{id}/obligations/{obligation}/fulfil", func(w http.ResponseWriter, r *http.Request) {
		var req workflows.MarkFulfilledRequest
		if err := decodeBody(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		req.Obligation = r.PathValue("obligation")
		var out workflows.ClockState
		if err := s.svc.ObligationUpdate(r.Context(), r.PathValue("id"), req.Obligation, workflows.MarkFulfilledUpdate, req, &out); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// actorReason is the body of the Updates that need only who and why.
type actorReason struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
}

// update returns a handler that sends the Update name with the argument built from
// the request, answering with its result.
func (s *Server) update(name string, build func(r *http.Request) (arg, out any, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		arg, out, err := build(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.svc.Update(r.Context(), r.PathValue("id"), name, arg, out); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}
