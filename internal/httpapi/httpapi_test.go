package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/httpapi"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
)

const id = "INC-20260306-001"

// TestActionRoutes: each action route decodes its body strictly, sends its own
// Update (by the names the README documents) with the request the body and path
// make, to the incident or, for a fulfilment, to the clock the store names, and
// answers with the Update's result.
func TestActionRoutes(t *testing.T) {
	ft := servicetest.New()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clock := id + "/obligation/eu-gdpr-33-sa"
	if err := store.SaveObligation(context.Background(), incident.ObligationRecord{IncidentID: id, ObligationID: "eu-gdpr-33-sa",
		ClockWorkflowID: clock, Status: obligations.StatusOpen, Revision: 1, UpdatedAt: time.Now(),
		Clock: incident.ClockState{Status: obligations.StatusOpen}}); err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(&service.Service{Client: ft, Store: store}, slog.New(slog.DiscardHandler))

	incidentWF := "incident-" + id
	tests := []struct {
		path, body     string
		workflow, name string
		arg            any
		result         any
	}{
		{"/notes", `{"actor":"bob","text":"hi"}`, incidentWF, "add_note",
			incident.NoteRequest{Actor: "bob", Text: "hi"}, incident.TimelineEntry{Seq: 7, Text: "hi"}},
		{"/close", `{"actor":"bob","reason":"done"}`, incidentWF, "close",
			incident.CloseRequest{Actor: "bob", Reason: "done"}, incident.State{ID: id, Phase: incident.PhaseClosed}},
		{"/facts", `{"actor":"bob","patch":{"risk":"high"},"reason":"r"}`, incidentWF, "set_facts",
			incident.SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"risk":"high"}`), Reason: "r"}, incident.SetFactsResult{Severity: "SEV2"}},
		{"/trigger", `{"field":"aware_at","at":"2026-03-06T10:00:00Z","actor":"bob","reason":"r"}`, incidentWF, "set_trigger",
			incident.SetIncidentTriggerRequest{Field: "aware_at", At: time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC), Actor: "bob", Reason: "r"}, []incident.IncidentObligation{}},
		{"/steps/suspend-accounts/approve", `{"actor":"bob","reason":"r"}`, incidentWF, "approve_step",
			incident.ApproveStepRequest{Step: "suspend-accounts", Actor: "bob", Reason: "r"}, incident.StepState{Status: incident.StepApproved}},
		{"/steps/kill-sessions/skip", `{"actor":"bob"}`, incidentWF, "skip_step",
			incident.SkipStepRequest{Step: "kill-sessions", Actor: "bob"}, incident.StepState{Status: incident.StepSkipped}},
		{"/rollback", `{"actor":"bob","reason":"r"}`, incidentWF, "rollback",
			incident.RollbackRequest{Actor: "bob", Reason: "r"}, incident.RollbackResult{Kept: []string{"x"}}},
		{"/ownership/confirm", `{"actor":"bob"}`, incidentWF, "confirm_ownership",
			incident.ConfirmOwnershipRequest{Actor: "bob"}, incident.OwnershipState{Source: incident.OwnershipConfirmed}},
		{"/ownership/override", `{"owner":"shared","actor":"bob","reason":"vendor"}`, incidentWF, "override_ownership",
			incident.OverrideOwnershipRequest{Owner: "shared", Actor: "bob", Reason: "vendor"}, incident.OwnershipState{Source: incident.OwnershipOverridden}},
		{"/obligations/eu-gdpr-33-sa/fulfil", `{"actor":"legal","reference":"DPC 1"}`, clock, "mark_fulfilled",
			incident.MarkFulfilledRequest{Obligation: "eu-gdpr-33-sa", Actor: "legal", Reference: "DPC 1"}, incident.ClockState{Status: obligations.StatusFulfilled}},
		{"/obligations/eu-gdpr-33-sa/pause", `{"actor":"legal","reason":"FBI request","until":"2026-04-01T00:00:00Z"}`, clock, "pause",
			incident.PauseRequest{Actor: "legal", Reason: "FBI request", Until: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, incident.ClockState{Status: incident.ClockPaused}},
		{"/obligations/eu-gdpr-33-sa/resume", `{"actor":"legal","reason":"delay over"}`, clock, "resume",
			incident.ResumeRequest{Actor: "legal", Reason: "delay over"}, incident.ClockState{Status: obligations.StatusOpen}},
		{"/obligations/eu-gdpr-33-sa/waive", `{"actor":"legal","reason":"risk unlikely"}`, clock, "waive",
			incident.WaiveRequest{Actor: "legal", Reason: "risk unlikely"}, incident.ClockState{Status: incident.ClockWaived}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft.Results[tt.name] = tt.result
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, asBob(httptest.NewRequest(http.MethodPost, "/api/incidents/"+id+tt.path, strings.NewReader(tt.body))))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			ups := ft.Updates()
			u := ups[len(ups)-1]
			if u.WorkflowID != tt.workflow || u.UpdateName != tt.name {
				t.Errorf("sent %s to %s, want %s to %s", u.UpdateName, u.WorkflowID, tt.name, tt.workflow)
			}
			// The verified identity replaces the body's actor ("legal" in the fulfilment).
			if got, want := jsonOf(t, u.Args[0]), jsonOf(t, tt.arg.(incident.Attributed).WithActor(bob.Actor())); got != want {
				t.Errorf("argument %s, want %s", got, want)
			}
			if got, want := strings.TrimSpace(rec.Body.String()), jsonIndented(t, tt.result); got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		})
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, asBob(httptest.NewRequest(http.MethodPost, "/api/incidents/"+id+"/rollback", strings.NewReader(`{"actor":"bob","colour":"red"}`))))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "colour") {
		t.Errorf("unknown field: %d %s, want 400 naming it", rec.Code, rec.Body)
	}
}

// bob holds every role but admin; the requests of these tests are his.
var bob = incident.Identity{Via: incident.ViaAPI, User: incident.User{ID: "bob", Display: "Bob",
	Roles: []incident.Role{incident.RoleResponder, incident.RoleCommander, incident.RoleLegal}}}

func asBob(r *http.Request) *http.Request {
	return r.WithContext(incident.WithIdentity(r.Context(), bob))
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonIndented(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
