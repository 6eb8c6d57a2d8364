package apiclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"irflow/internal/apiclient"
	"irflow/internal/auth"
	"irflow/internal/facts"
	"irflow/internal/httpapi"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
)

const id = "INC-20260306-001"

// api is irflow's real HTTP API over a fake Temporal and a real store, with bob
// (commander, legal) and victor (viewer) and their tokens.
type api struct {
	url           string
	ft            *servicetest.Temporal
	store         *sqlite.DB
	bob, victor   string
	clockWorkflow string
}

func newAPI(t *testing.T) api {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	a := api{ft: servicetest.New(), store: store, clockWorkflow: id + "/obligation/eu-gdpr-33-sa"}
	if err := store.SaveObligation(ctx, incident.ObligationRecord{IncidentID: id, ObligationID: "eu-gdpr-33-sa",
		ClockWorkflowID: a.clockWorkflow, Status: obligations.StatusOpen, Revision: 1, UpdatedAt: time.Now(),
		Clock: incident.ClockState{Status: obligations.StatusOpen}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []incident.User{
		{ID: "bob", Display: "Bob", Roles: []incident.Role{incident.RoleResponder, incident.RoleCommander, incident.RoleLegal}},
		{ID: "victor", Display: "Victor", Roles: []incident.Role{incident.RoleViewer}},
	} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if a.bob, _, err = auth.Issue(ctx, store, "bob", ""); err != nil {
		t.Fatal(err)
	}
	if a.victor, _, err = auth.Issue(ctx, store, "victor", ""); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	svc := &service.Service{Client: a.ft, Store: store, Users: store, Logger: logger}
	srv := httptest.NewServer(httpapi.Authenticate(httpapi.New(svc, logger), store, "", logger))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func client(t *testing.T, url, token string) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestActionsThroughTheAPI: every action method sends, through irflow's real HTTP
// API, the Update the service would send itself, attributed to the token's user
// via api whatever the request's actor says, and returns the Update's result.
func TestActionsThroughTheAPI(t *testing.T) {
	a := newAPI(t)
	c := client(t, a.url+"/", a.bob) // a trailing slash is fine
	ctx := context.Background()
	incidentWF := "incident-" + id
	bob := incident.Actor{ID: "bob", Display: "Bob", Via: incident.ViaAPI}
	at := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		update, workflow string
		arg              incident.Attributed
		result           any
		call             func() (any, error)
	}{
		{"add_note", incidentWF, incident.NoteRequest{Actor: "mallory", Text: "hi"}, incident.TimelineEntry{Seq: 7, Text: "hi", Actor: "bob", Via: "api"},
			func() (any, error) { return c.AddNote(ctx, id, incident.NoteRequest{Actor: "mallory", Text: "hi"}) }},
		{"close", incidentWF, incident.CloseRequest{Actor: "mallory", Reason: "done"}, incident.State{ID: id, Phase: incident.PhaseClosed},
			func() (any, error) { return c.Close(ctx, id, incident.CloseRequest{Actor: "mallory", Reason: "done"}) }},
		{"set_facts", incidentWF, incident.SetFactsRequest{Actor: "mallory", Patch: json.RawMessage(`{"risk":"high"}`), Reason: "r"}, incident.SetFactsResult{Severity: "SEV2"},
			func() (any, error) {
				return c.SetFacts(ctx, id, incident.SetFactsRequest{Actor: "mallory", Patch: json.RawMessage(`{"risk":"high"}`), Reason: "r"})
			}},
		{"set_trigger", incidentWF, incident.SetIncidentTriggerRequest{Field: "aware_at", At: at, Actor: "mallory", Reason: "r"}, []incident.IncidentObligation{{ClockWorkflowID: "c1"}},
			func() (any, error) {
				return c.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: at, Actor: "mallory", Reason: "r"})
			}},
		{"approve_step", incidentWF, incident.ApproveStepRequest{Step: "suspend-accounts", Actor: "mallory", Reason: "r"}, incident.StepState{Status: incident.StepApproved, ApprovedBy: "bob"},
			func() (any, error) {
				return c.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: "suspend-accounts", Actor: "mallory", Reason: "r"})
			}},
		{"skip_step", incidentWF, incident.SkipStepRequest{Step: "kill-sessions", Actor: "mallory"}, incident.StepState{Status: incident.StepSkipped},
			func() (any, error) {
				return c.SkipStep(ctx, id, incident.SkipStepRequest{Step: "kill-sessions", Actor: "mallory"})
			}},
		{"rollback", incidentWF, incident.RollbackRequest{Actor: "mallory", Reason: "r"}, incident.RollbackResult{Kept: []string{"x"}},
			func() (any, error) {
				return c.Rollback(ctx, id, incident.RollbackRequest{Actor: "mallory", Reason: "r"})
			}},
		{"confirm_ownership", incidentWF, incident.ConfirmOwnershipRequest{Actor: "mallory"}, incident.OwnershipState{Source: incident.OwnershipConfirmed},
			func() (any, error) {
				return c.ConfirmOwnership(ctx, id, incident.ConfirmOwnershipRequest{Actor: "mallory"})
			}},
		{"override_ownership", incidentWF, incident.OverrideOwnershipRequest{Owner: "shared", Clauses: []string{"SRM-VI.Z"}, Actor: "mallory", Reason: "vendor"}, incident.OwnershipState{Source: incident.OwnershipOverridden},
			func() (any, error) {
				return c.OverrideOwnership(ctx, id, incident.OverrideOwnershipRequest{Owner: "shared", Clauses: []string{"SRM-VI.Z"}, Actor: "mallory", Reason: "vendor"})
			}},
		{"mark_fulfilled", a.clockWorkflow, incident.MarkFulfilledRequest{Obligation: "eu-gdpr-33-sa", Actor: "mallory", Reference: "DPC 1", At: at}, incident.ClockState{Status: obligations.StatusFulfilled},
			func() (any, error) {
				return c.Fulfil(ctx, id, "eu-gdpr-33-sa", incident.MarkFulfilledRequest{Actor: "mallory", Reference: "DPC 1", At: at})
			}},
		{"pause", a.clockWorkflow, incident.PauseRequest{Actor: "mallory", Reason: "FBI", Until: at}, incident.ClockState{Status: incident.ClockPaused},
			func() (any, error) {
				return c.Pause(ctx, id, "eu-gdpr-33-sa", incident.PauseRequest{Actor: "mallory", Reason: "FBI", Until: at})
			}},
		{"resume", a.clockWorkflow, incident.ResumeRequest{Actor: "mallory", Reason: "over"}, incident.ClockState{Status: obligations.StatusOpen},
			func() (any, error) {
				return c.Resume(ctx, id, "eu-gdpr-33-sa", incident.ResumeRequest{Actor: "mallory", Reason: "over"})
			}},
		{"waive", a.clockWorkflow, incident.WaiveRequest{Actor: "mallory", Reason: "unlikely"}, incident.ClockState{Status: incident.ClockWaived},
			func() (any, error) {
				return c.Waive(ctx, id, "eu-gdpr-33-sa", incident.WaiveRequest{Actor: "mallory", Reason: "unlikely"})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.update, func(t *testing.T) {
			a.ft.Results[tt.update] = tt.result
			got, err := tt.call()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.result) {
				t.Errorf("result %+v, want %+v", got, tt.result)
			}
			ups := a.ft.Updates()
			u := ups[len(ups)-1]
			if u.UpdateName != tt.update || u.WorkflowID != tt.workflow {
				t.Errorf("sent %s to %s, want %s to %s", u.UpdateName, u.WorkflowID, tt.update, tt.workflow)
			}
			if got, want := jsonOf(t, u.Args[0]), jsonOf(t, tt.arg.WithActor(bob)); got != want {
				t.Errorf("argument %s, want %s", got, want)
			}
		})
	}
}

// TestReadsThroughTheAPI: Show, List, Timeline and Obligations answer what the
// service answers.
func TestReadsThroughTheAPI(t *testing.T) {
	a := newAPI(t)
	c := client(t, a.url, a.victor) // a viewer may read
	ctx := context.Background()
	a.ft.States["incident-"+id] = incident.State{ID: id, Title: "t", Phase: incident.PhaseContainment,
		Timeline: []incident.TimelineEntry{{Seq: 1, Actor: "alice", Via: incident.ViaAPI, Kind: incident.KindNote, Text: "hi"}}}
	st, err := c.Show(ctx, id)
	if err != nil || st.ID != id || len(st.Timeline) != 1 || st.Timeline[0].Via != incident.ViaAPI {
		t.Fatalf("show: %+v %v", st, err)
	}
	list, err := c.List(ctx, incident.ListFilter{Limit: 5, Open: true, Query: "a b", Phase: "triage"})
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("list: %+v %v", list, err)
	}
	obs, err := c.Obligations(ctx, id, true)
	if err != nil || len(obs) == 0 {
		t.Errorf("obligations: %+v %v", obs, err)
	}
	_, err = c.Timeline(ctx, id)
	wantCode(t, "timeline of an incident the store lacks", err, incident.ENOTFOUND, id)
}

// TestErrorsComeBackAsTheServiceWordedThem: a refusal is EFORBIDDEN naming the
// role, a bad token EUNAUTHORIZED, bad input EINVALID, with the server's message;
// an answer that is not the API's (a route this server lacks, a proxy's page) is a
// plain error, never "not found"; an unreachable server is named, within seconds.
// No message holds the token.
func TestErrorsComeBackAsTheServiceWordedThem(t *testing.T) {
	a := newAPI(t)
	ctx := context.Background()
	_, err := client(t, a.url, a.victor).ApproveStep(ctx, id, incident.ApproveStepRequest{Step: "suspend-accounts"})
	wantCode(t, "viewer approves", err, incident.EFORBIDDEN, "victor may not approve_step", "commander")
	_, err = client(t, a.url, "irf_wrong").Show(ctx, id)
	wantCode(t, "unknown token", err, incident.EUNAUTHORIZED, "unknown API token")
	_, err = client(t, a.url, "").Show(ctx, id)
	wantCode(t, "no token", err, incident.EUNAUTHORIZED, "Bearer")
	_, err = client(t, a.url, a.bob).Show(ctx, "nope")
	wantCode(t, "bad id", err, incident.EINVALID, `"nope" is not an incident id`)

	text := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	defer text.Close()
	_, err = client(t, text.URL, a.bob).Pause(ctx, id, "x", incident.PauseRequest{})
	var ie *incident.Error
	if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "/obligations/x/pause") {
		t.Errorf("a route the server lacks: %v, want a plain error naming the status and route", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	began := time.Now()
	_, err = client(t, "http://"+addr, a.bob).Show(ctx, id)
	if err == nil || !strings.Contains(err.Error(), "cannot reach irflow at http://"+addr) || time.Since(began) > 2*apiclient.DialTimeout {
		t.Errorf("unreachable server: %v after %s", err, time.Since(began))
	}
	if strings.Contains(err.Error(), a.bob) {
		t.Error("the error holds the token")
	}

	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := apiclient.New(bad, "t"); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// TestDeclare: the body is the one POST /api/incidents reads strictly, the facts
// document survives the trip (the server parses it with facts.Parse), the token is
// a Bearer header, and a 200 (repeated idempotency key) reads as Existing.
func TestDeclare(t *testing.T) {
	raw, err := os.ReadFile("../ownership/testdata/insider-unnoticed-exports.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if r.Method != http.MethodPost || r.URL.Path != "/api/incidents" || r.Header.Get("Authorization") != "Bearer irf_t" {
			t.Errorf("%s %s with %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		b, _ := io.ReadAll(r.Body)
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		var body struct {
			Playbook, Title, Actor string
			IdempotencyKey         string          `json:"idempotency_key"`
			Facts                  json.RawMessage `json:"facts"`
		}
		if err := dec.Decode(&body); err != nil {
			t.Errorf("body %s: %v", b, err)
		}
		got, err := facts.Parse(body.Facts)
		if err != nil || !reflect.DeepEqual(got, doc) {
			t.Errorf("facts after the trip: %v\n%+v\nwant %+v", err, got, doc)
		}
		if body.Playbook != "insider" || body.Title != "exports" || body.IdempotencyKey != "k" {
			t.Errorf("body %s", b)
		}
		w.Header().Set("Content-Type", "application/json")
		if calls == 1 {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = io.WriteString(w, `{"id":"`+id+`","workflow_id":"incident-`+id+`"}`)
	}))
	defer srv.Close()
	c := client(t, srv.URL, " irf_t\n")
	req := service.DeclareRequest{Playbook: "insider", Title: "exports", Facts: &doc, IdempotencyKey: "k", Actor: "ops"}
	for i, existing := range []bool{false, true} {
		d, err := c.Declare(context.Background(), req)
		if err != nil || d.ID != id || d.WorkflowID != "incident-"+id || d.Existing != existing {
			t.Errorf("declare %d: %+v %v", i, d, err)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code string, parts ...string) {
	t.Helper()
	var e *incident.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v (%T), want an incident error with code %s", what, err, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s: got code %s (%q), want %s", what, e.Code, e.Message, code)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("%s: message %q does not mention %q", what, e.Message, p)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
