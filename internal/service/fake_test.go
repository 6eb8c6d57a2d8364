package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/internal/sqlite"
	"irflow/workflows"
)

// fakeTemporal answers the two calls the service's reads and actions make: the
// state and clock queries from states and clocks (a workflow absent from both is
// NotFound, as after the namespace's retention), and Updates, which it records and
// answers with the update's result from results. Any other call panics: the
// embedded nil client.Client has no methods to run.
type fakeTemporal struct {
	client.Client
	mu      sync.Mutex
	states  map[string]incident.State      // by incident workflow id
	clocks  map[string]incident.ClockView  // by clock workflow id
	results map[string]any                 // by update name
	calls   []string                       // "query <workflow id> <name>", "update <workflow id> <name>"
	updates []client.UpdateWorkflowOptions // every Update sent
}

func newFakeTemporal() *fakeTemporal {
	return &fakeTemporal{states: map[string]incident.State{}, clocks: map[string]incident.ClockView{}, results: map[string]any{}}
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, workflowID, _, name string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "query "+workflowID+" "+name)
	switch name {
	case workflows.StateQuery:
		if st, ok := f.states[workflowID]; ok {
			return jsonValue{st}, nil
		}
	case workflows.ClockQuery:
		if cv, ok := f.clocks[workflowID]; ok {
			return jsonValue{cv}, nil
		}
	}
	return nil, serviceerror.NewNotFound("workflow not found for ID: " + workflowID)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "update "+opts.WorkflowID+" "+opts.UpdateName)
	f.updates = append(f.updates, opts)
	return fakeHandle{workflowID: opts.WorkflowID, result: f.results[opts.UpdateName]}, nil
}

func (f *fakeTemporal) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// jsonValue is an EncodedValue that decodes like Temporal's JSON payloads.
type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return j.v != nil }
func (j jsonValue) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

type fakeHandle struct {
	workflowID string
	result     any
}

func (h fakeHandle) WorkflowID() string { return h.workflowID }
func (h fakeHandle) RunID() string      { return "" }
func (h fakeHandle) UpdateID() string   { return "fake" }
func (h fakeHandle) Get(_ context.Context, ptr any) error {
	if h.result == nil {
		return fmt.Errorf("fake: no result for this update")
	}
	return jsonValue{h.result}.Get(ptr)
}

// newService returns a service on a fresh SQLite store and a fake Temporal, with
// its clock stopped at now.
func newService(t testing.TB, now time.Time) (*service.Service, *sqlite.DB, *fakeTemporal) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ft := newFakeTemporal()
	return &service.Service{Client: ft, Store: store, Now: func() time.Time { return now }}, store, ft
}

// caFacts are facts that trigger California's notices: residents within the
// statute's deadline, and the Attorney General 15 days after them (chained).
func caFacts(aware time.Time) facts.Document {
	return facts.Document{
		Version:  facts.Version,
		Summary:  "takeover",
		Timeline: facts.Timeline{AwareAt: &aware, DiscoveredAt: &aware},
		Affected: facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: "US-CA", Count: 800}}},
		Risk:     "high",
	}
}

// clockRow is an obligation clock's row as the clock writes it.
func clockRow(incidentID, obligationID, clockID, status string, due *time.Time, updated time.Time, history ...incident.ObligationEvent) incident.ObligationRecord {
	o := obligations.Obligation{ID: obligationID, Rule: obligationID, Title: obligationID, Audience: "individuals",
		Jurisdiction: "US-CA", Trigger: "aware_at", Applicable: true, Status: status, Verification: "verified", DueAt: due}
	cs := incident.ClockState{IncidentID: incidentID, Obligation: o, Status: status, DueAt: due, History: history, Sent: map[string]bool{}}
	if due != nil {
		trigger := due.Add(-24 * time.Hour)
		cs.TriggerAt = &trigger
	}
	r := incident.ObligationRecord{IncidentID: incidentID, ObligationID: obligationID, ClockWorkflowID: clockID,
		Rule: o.Rule, Jurisdiction: o.Jurisdiction, Audience: o.Audience, Verification: o.Verification,
		Status: status, TriggerAt: cs.TriggerAt, DueAt: due, Revision: int64(len(history)), UpdatedAt: updated, Clock: cs}
	if status == obligations.StatusFulfilled {
		at := updated
		cs.Fulfilment = &incident.Fulfilment{At: at, Actor: "legal", Reference: "letters", RecordedAt: at}
		r.Clock = cs
		r.FulfilledAt = &at
	}
	return r
}

// saveIncident writes an incident's summary, state and timeline as its workflow does.
func saveIncident(t testing.TB, store *sqlite.DB, st incident.State, tl []incident.TimelineEntry) {
	t.Helper()
	st.Timeline = nil
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	sum := incident.Summary{ID: st.ID, WorkflowID: st.WorkflowID, Title: st.Title, Playbook: st.Playbook, Phase: st.Phase,
		Severity: st.Severity, DeclaredAt: st.DeclaredAt, UpdatedAt: st.DeclaredAt, ClosedAt: st.ClosedAt, CloseReason: st.CloseReason}
	if err := store.SaveIncident(context.Background(), incident.IncidentSave{Summary: sum, StateJSON: string(b), Version: 1, Entries: tl}); err != nil {
		t.Fatal(err)
	}
}
