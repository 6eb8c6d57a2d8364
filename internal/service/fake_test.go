package service_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
)

// newService returns a service on a fresh SQLite store and a fake Temporal, with
// its clock stopped at now.
func newService(t testing.TB, now time.Time) (*service.Service, *sqlite.DB, *servicetest.Temporal) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ft := servicetest.New()
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

func last[T any](s []T) T { return s[len(s)-1] }
