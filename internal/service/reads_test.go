package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
	"irflow/workflows"
)

const (
	closedID  = "INC-20260306-001"
	residents = "us-ca-1798-82-individuals"
	ag        = "us-ca-1798-82-ag"
	gdpr      = "eu-gdpr-33-sa"
)

var (
	declaredAt = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	closedAt   = declaredAt.Add(48 * time.Hour)
	// now is the service's clock in these tests: after the incident closed.
	now = declaredAt.Add(10 * 24 * time.Hour)
)

func clockID(obligationID string) string {
	return workflows.ObligationClockWorkflowID(closedID, obligationID)
}

// seedClosed stores a closed incident as its workflow and clocks leave it: the
// state saved at close (residents open, the AG notice awaiting its predecessor,
// GDPR's clock replaced by a recomputation) and the clocks' rows written after
// close (residents fulfilled, so the AG notice has its due date).
func seedClosed(t testing.TB, store *sqlite.DB) {
	t.Helper()
	pred := residents
	st := incident.State{
		ID: closedID, WorkflowID: workflows.IncidentWorkflowID(closedID), Title: "Maya takeover", Playbook: "credential-compromise",
		Phase: incident.PhaseClosed, Facts: caFacts(declaredAt), DeclaredAt: declaredAt, DeclaredBy: "alice",
		ClosedAt: &closedAt, CloseReason: "contained", Severity: "SEV2",
		Steps: []incident.StepState{{Status: incident.StepCancelled}},
		Obligations: []incident.IncidentObligation{
			{Obligation: obligations.Obligation{ID: residents, Applicable: true, Status: obligations.StatusOpen}, ClockWorkflowID: clockID(residents)},
			{Obligation: obligations.Obligation{ID: ag, Applicable: true, Status: obligations.StatusAwaitingPredecessor, DependsOn: &pred}, ClockWorkflowID: clockID(ag)},
			{Obligation: obligations.Obligation{ID: gdpr, Applicable: true, Status: obligations.StatusOpen}, ClockWorkflowID: clockID(gdpr) + "#3"},
		},
	}
	tl := []incident.TimelineEntry{
		{Seq: 1, At: declaredAt, Actor: "alice", Kind: incident.KindDeclared, Text: "declared"},
		{Seq: 2, At: declaredAt.Add(time.Hour), Actor: "bob", Kind: incident.KindNote, Text: "Maya confirms"},
		{Seq: 3, At: closedAt, Actor: "carol", Kind: incident.KindClosed, Text: "Closed: contained"},
	}
	saveIncident(t, store, st, tl)

	fulfilledAt := closedAt.Add(24 * time.Hour)
	agDue := fulfilledAt.Add(15 * 24 * time.Hour)
	gdprDue := now.Add(-time.Hour) // past due, and the clock has not said so yet
	rows := []incident.ObligationRecord{
		clockRow(closedID, residents, clockID(residents), obligations.StatusFulfilled, nil, fulfilledAt,
			incident.ObligationEvent{ObligationID: residents, Kind: incident.EventFulfilled, At: fulfilledAt, Actor: "legal", Text: residents + " fulfilled"}),
		clockRow(closedID, ag, clockID(ag), obligations.StatusOpen, &agDue, fulfilledAt,
			incident.ObligationEvent{ObligationID: ag, Kind: incident.EventPredecessorFulfilled, At: fulfilledAt, Text: residents + " fulfilled; the clock of " + ag + " starts"}),
		clockRow(closedID, gdpr, clockID(gdpr), incident.ClockRetired, nil, declaredAt.Add(2*time.Hour),
			incident.ObligationEvent{ObligationID: gdpr, Kind: incident.EventRetired, At: declaredAt.Add(2 * time.Hour), Text: "clock retired: risk reassessed"}),
		clockRow(closedID, gdpr, clockID(gdpr)+"#3", obligations.StatusOpen, &gdprDue, declaredAt.Add(3*time.Hour),
			incident.ObligationEvent{ObligationID: gdpr, Kind: incident.EventArmed, At: declaredAt.Add(3 * time.Hour), Text: "armed"}),
	}
	for _, r := range rows {
		if err := store.SaveObligation(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code string, parts ...string) {
	t.Helper()
	var e *incident.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: error %v (%T), want code %s", what, err, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Errorf("%s: message %q does not mention %q", what, e.Message, p)
		}
	}
}

func obligationByClock(t *testing.T, obs []incident.IncidentObligation, clock string) incident.IncidentObligation {
	t.Helper()
	for _, o := range obs {
		if o.ClockWorkflowID == clock {
			return o
		}
	}
	t.Fatalf("no obligation with clock %s in %+v", clock, obs)
	return incident.IncidentObligation{}
}

// TestShowClosedIncidentFromStore: a closed incident shows from the store alone,
// with its timeline, and with each obligation as its clock last recorded it: the
// residents' notice fulfilled after close and the AG notice's due date it started.
func TestShowClosedIncidentFromStore(t *testing.T) {
	svc, store, ft := newService(t, now)
	seedClosed(t, store)

	st, err := svc.Show(context.Background(), closedID)
	if err != nil {
		t.Fatal(err)
	}
	if calls := ft.Calls(); len(calls) != 0 {
		t.Errorf("Show of a closed incident called Temporal: %v", calls)
	}
	if st.ID != closedID || st.Phase != incident.PhaseClosed || st.CloseReason != "contained" || len(st.Steps) != 1 || st.Title != "Maya takeover" {
		t.Errorf("state header: %+v", st)
	}
	if len(st.Timeline) != 3 || st.Timeline[1].Text != "Maya confirms" || st.Timeline[2].Kind != incident.KindClosed {
		t.Errorf("timeline: %+v", st.Timeline)
	}
	if len(st.Obligations) != 3 {
		t.Fatalf("obligations: %+v, want the three of the saved state", st.Obligations)
	}
	res := obligationByClock(t, st.Obligations, clockID(residents))
	if res.Status != obligations.StatusFulfilled || res.FulfilledAt == nil || res.LastEvent == nil || res.LastEvent.Kind != incident.EventFulfilled {
		t.Errorf("residents' notice: %+v", res)
	}
	a := obligationByClock(t, st.Obligations, clockID(ag))
	if a.Status != obligations.StatusOpen || a.DueAt == nil || !a.DueAt.Equal(closedAt.Add(16*24*time.Hour)) || a.DependsOn == nil {
		t.Errorf("AG notice: status %s due %v, want open with the due date its predecessor's fulfilment started", a.Status, a.DueAt)
	}
	g := obligationByClock(t, st.Obligations, clockID(gdpr)+"#3")
	if g.Status != obligations.StatusOverdue {
		t.Errorf("GDPR notice past its due date: status %s, want overdue as of the read", g.Status)
	}
}

// TestShowOpenIncident: an open incident answers from its workflow's state query;
// when Temporal no longer has the workflow, from the store; an incident neither
// knows is not found.
func TestShowOpenIncident(t *testing.T) {
	svc, store, ft := newService(t, now)
	const id = "INC-20260306-002"
	stored := incident.State{ID: id, WorkflowID: workflows.IncidentWorkflowID(id), Title: "as saved", Playbook: "api-token-leak",
		Phase: incident.PhaseContainment, DeclaredAt: declaredAt}
	saveIncident(t, store, stored, []incident.TimelineEntry{{Seq: 1, At: declaredAt, Actor: "dana", Kind: incident.KindDeclared, Text: "declared"}})
	live := stored
	live.Title = "live"
	live.Timeline = []incident.TimelineEntry{{Seq: 1, At: declaredAt, Actor: "dana", Kind: incident.KindDeclared, Text: "declared"}, {Seq: 2, Text: "running"}}
	ft.States[stored.WorkflowID] = live
	ctx := context.Background()

	st, err := svc.Show(ctx, id)
	if err != nil || st.Title != "live" || len(st.Timeline) != 2 {
		t.Fatalf("open incident: %+v %v, want the live state", st, err)
	}
	delete(ft.States, stored.WorkflowID) // deleted after the namespace's retention
	st, err = svc.Show(ctx, id)
	if err != nil || st.Title != "as saved" || len(st.Timeline) != 1 || st.Phase != incident.PhaseContainment {
		t.Fatalf("incident whose workflow is gone: %+v %v, want the stored state", st, err)
	}
	_, err = svc.Show(ctx, "INC-19990101-999")
	wantCode(t, "unknown incident", err, incident.ENOTFOUND, "INC-19990101-999")
	_, err = svc.Show(ctx, "INC-42")
	wantCode(t, "bad id", err, incident.EINVALID, `"INC-42" is not an incident id`)
}

// TestObligationsFromStore: one view per clock from the store's rows, each with its
// clock's state and the time left as of the read; with all, the obligations that do
// not apply, computed from the stored facts. Temporal is not asked.
func TestObligationsFromStore(t *testing.T) {
	svc, store, ft := newService(t, now)
	seedClosed(t, store)
	ctx := context.Background()

	obs, err := svc.Obligations(ctx, closedID, false)
	if err != nil {
		t.Fatal(err)
	}
	if calls := ft.Calls(); len(calls) != 0 {
		t.Errorf("Obligations of a closed incident called Temporal: %v", calls)
	}
	var got []string
	for _, o := range obs {
		if o.Clock == nil || !o.Clock.AsOf.Equal(now) || o.ClockWorkflowID == "" {
			t.Errorf("%s: clock view %+v, want one as of %s", o.ID, o.Clock, now)
			continue
		}
		got = append(got, o.ClockWorkflowID+"="+o.Status)
	}
	want := []string{clockID(gdpr) + "#3=overdue", clockID(ag) + "=open", clockID(gdpr) + "=retired", clockID(residents) + "=fulfilled"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("obligations\n got %v\nwant %v", got, want)
	}
	for _, o := range obs {
		switch o.ClockWorkflowID {
		case clockID(ag):
			if o.Clock.TimeLeft == nil || *o.Clock.TimeLeft != o.Clock.DueAt.Sub(now) || o.Clock.Status != obligations.StatusOpen {
				t.Errorf("AG clock: time left %v, status %s", o.Clock.TimeLeft, o.Clock.Status)
			}
		case clockID(gdpr):
			if o.Retired != "risk reassessed" {
				t.Errorf("retired clock: reason %q", o.Retired)
			}
		}
	}

	all, err := svc.Obligations(ctx, closedID, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) <= len(obs) {
		t.Fatalf("with all: %d obligations, want more than the %d with clocks", len(all), len(obs))
	}
	for _, o := range all[len(obs):] {
		if o.Applicable || o.Reason == "" || o.Clock != nil || o.ID == residents || o.ID == ag || o.ID == gdpr {
			t.Errorf("not applicable: %+v", o)
		}
	}
}

// TestObligationsWithoutRows: clocks started before clocks wrote the store are
// listed from the incident's state, with their live view.
func TestObligationsWithoutRows(t *testing.T) {
	svc, store, ft := newService(t, now)
	const id = "INC-20260306-003"
	clock := workflows.ObligationClockWorkflowID(id, gdpr)
	st := incident.State{ID: id, WorkflowID: workflows.IncidentWorkflowID(id), Title: "t", Phase: incident.PhaseNotification, DeclaredAt: declaredAt,
		Obligations: []incident.IncidentObligation{{Obligation: obligations.Obligation{ID: gdpr, Applicable: true, Status: obligations.StatusOpen}, ClockWorkflowID: clock}}}
	saveIncident(t, store, st, nil)
	ft.Clocks[clock] = incident.ClockView{ClockState: incident.ClockState{Status: obligations.StatusOpen}, AsOf: now}

	obs, err := svc.Obligations(context.Background(), id, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].ClockWorkflowID != clock || obs[0].Clock == nil || !obs[0].Clock.AsOf.Equal(now) {
		t.Fatalf("obligations: %+v", obs)
	}
	_, err = svc.Obligations(context.Background(), "INC-19990101-999", false)
	wantCode(t, "unknown incident", err, incident.ENOTFOUND, "INC-19990101-999")
}

func TestListAndTimelineFromStore(t *testing.T) {
	svc, store, ft := newService(t, now)
	seedClosed(t, store)
	ctx := context.Background()
	list, err := svc.List(ctx, incident.ListFilter{Phase: string(incident.PhaseClosed)})
	if err != nil || len(list) != 1 || list[0].ID != closedID || list[0].CloseReason != "contained" {
		t.Errorf("list: %+v %v", list, err)
	}
	list, err = svc.List(ctx, incident.ListFilter{Open: true})
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("list of open incidents: %#v %v, want an empty list", list, err)
	}
	tl, err := svc.Timeline(ctx, closedID)
	if err != nil || len(tl) != 3 {
		t.Errorf("timeline: %+v %v", tl, err)
	}
	_, err = svc.Timeline(ctx, "INC-19990101-999")
	wantCode(t, "timeline of an unknown incident", err, incident.ENOTFOUND, "INC-19990101-999")
	if calls := ft.Calls(); len(calls) != 0 {
		t.Errorf("List and Timeline called Temporal: %v", calls)
	}
}

// TestServiceWithoutStore: reads say the store is missing rather than panic.
func TestServiceWithoutStore(t *testing.T) {
	svc := &service.Service{Client: servicetest.New()}
	_, err := svc.Show(context.Background(), closedID)
	wantCode(t, "show without a store", err, incident.EUNAVAILABLE, "no store")
}
