package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// row is the obligation row of incident n's obligation oid at revision rev. Its
// clock's history names the revision, so a reader can tell which save is stored.
func row(n int, oid, rule, jurisdiction, audience, status string, due *time.Time, rev int64) incident.ObligationRecord {
	inc := incident.FormatID(base, n)
	return incident.ObligationRecord{
		IncidentID: inc, ObligationID: oid, ClockWorkflowID: "obligation-" + inc + "-" + oid,
		Rule: rule, Jurisdiction: jurisdiction, Audience: audience, Verification: "verified",
		Status: status, DueAt: due, Revision: rev, UpdatedAt: base.Add(time.Duration(rev) * time.Second),
		Clock: incident.ClockState{
			IncidentID: inc,
			Obligation: obligations.Obligation{ID: oid, Rule: rule, Audience: audience, Jurisdiction: jurisdiction, DueAt: due, Applicable: true, Status: status},
			Status:     status, DueAt: due,
			History: []incident.ObligationEvent{{ObligationID: oid, Kind: incident.EventArmed, At: base, Text: fmt.Sprintf("revision %d", rev)}},
		},
	}
}

func saveObligation(t *testing.T, s incident.Store, o incident.ObligationRecord) {
	t.Helper()
	if err := s.SaveObligation(t.Context(), o); err != nil {
		t.Fatalf("save obligation %s revision %d: %v", o.ClockWorkflowID, o.Revision, err)
	}
}

func listObligations(t *testing.T, s incident.Store, f incident.ObligationFilter) []incident.ObligationRecord {
	t.Helper()
	got, err := s.Obligations(t.Context(), f)
	if err != nil {
		t.Fatalf("obligations %+v: %v", f, err)
	}
	return got
}

// only returns the one row f selects.
func only(t *testing.T, s incident.Store, f incident.ObligationFilter) incident.ObligationRecord {
	t.Helper()
	got := listObligations(t, s, f)
	if len(got) != 1 {
		t.Fatalf("obligations %+v = %d rows %v, want 1", f, len(got), keys(got))
	}
	return got[0]
}

// keys names rows "<incident n>/<obligation>" for compact comparisons.
func keys(rs []incident.ObligationRecord) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.IncidentID[len(r.IncidentID)-1:]+"/"+r.ObligationID)
	}
	return out
}

// sameRecord fails unless got is want: every column, and the clock state exactly.
func sameRecord(t *testing.T, got, want incident.ObligationRecord) {
	t.Helper()
	if got.IncidentID != want.IncidentID || got.ObligationID != want.ObligationID || got.ClockWorkflowID != want.ClockWorkflowID ||
		got.Rule != want.Rule || got.Jurisdiction != want.Jurisdiction || got.Audience != want.Audience ||
		got.Verification != want.Verification || got.DependsOn != want.DependsOn || got.Status != want.Status ||
		got.Revision != want.Revision {
		t.Errorf("row = %+v,\nwant %+v", got, want)
	}
	samePtrInstant(t, want.ObligationID+" trigger_at", got.TriggerAt, want.TriggerAt)
	samePtrInstant(t, want.ObligationID+" due_at", got.DueAt, want.DueAt)
	samePtrInstant(t, want.ObligationID+" fulfilled_at", got.FulfilledAt, want.FulfilledAt)
	sameInstant(t, want.ObligationID+" updated_at", got.UpdatedAt, want.UpdatedAt)
	if !reflect.DeepEqual(got.Clock, want.Clock) {
		g, _ := json.Marshal(got.Clock)
		w, _ := json.Marshal(want.Clock)
		t.Errorf("%s clock =\n%s\nwant\n%s", want.ObligationID, g, w)
	}
}

// fulfilledClock is a GDPR Art. 33 clock with every part of its state set: paused and
// resumed once (the pause extends the deadline), reminded, then fulfilled late with
// its reason (Art. 33(1)).
func fulfilledClock() incident.ObligationRecord {
	inc := incident.FormatID(base, 1)
	trigger, due := base.Add(2*time.Hour), base.Add(122*time.Hour)
	done := base.Add(123*time.Hour + 42*time.Microsecond)
	cal := "ie"
	t, f := true, false
	o := obligations.Obligation{
		ID: "gdpr-33", Rule: "gdpr-33", Title: "Notify the supervisory authority", Audience: "authority",
		Jurisdiction: "EU", Citation: "GDPR Art. 33(1)", Trigger: "aware_at", TriggerAt: &trigger,
		DueAt: &due, DueText: "72 hours after awareness", Calendar: &cal, TimeZone: "Europe/Dublin",
		Applicable: true, Reason: "personal data breach likely to result in a risk", Verification: "verified",
		Status: obligations.StatusFulfilled, FulfilledAt: &done, SourceURL: "https://eur-lex.europa.eu/eli/reg/2016/679/oj",
	}
	clock := incident.ClockState{
		IncidentID: inc, Obligation: o,
		Spec: obligations.Spec{
			Deadline: "PT72H", TimeZone: "Europe/Dublin", BackstopField: "classified_major_at", BackstopDeadline: "PT24H",
			Reminders: regimes.Reminders{Half: &t, Before: []string{"PT24H", "PT4H"}, AtDue: &f, OverdueEvery: "P1D"},
		},
		Status: obligations.StatusFulfilled, TriggerAt: &trigger, DueAt: &due, BackstopAt: ptr(base.Add(time.Hour)),
		Extension: 48 * time.Hour,
		Fulfilment: &incident.Fulfilment{
			At: done, Actor: "dpo@example.com", Reference: "DPC-2026-0042",
			Attachment: &incident.Attachment{Name: "dpc-form.pdf", URI: "file:///evidence/dpc-form.pdf", SHA256: "9f86d081884c7d65"},
			LateReason: "law-enforcement delay ran past the original deadline", RecordedAt: done.Add(time.Second),
		},
		ArmedAt: base.Add(50 * time.Hour), Arming: 2,
		Sent: map[string]bool{"gdpr-33/2/half": true, "gdpr-33/2/PT24H": true},
		RemindersSent: []incident.SentReminder{
			{Key: "gdpr-33/2/half", Kind: incident.EventReminder, At: base.Add(86 * time.Hour), SentAt: base.Add(86*time.Hour + 3*time.Second), DueAt: &due},
			{Key: "gdpr-33/2/PT24H", Kind: incident.EventReminder, At: base.Add(98 * time.Hour), SentAt: base.Add(98*time.Hour + 2*time.Second)},
		},
		History: []incident.ObligationEvent{
			{ObligationID: "gdpr-33", Kind: incident.EventArmed, At: trigger, Text: "armed: due 72 h after awareness"},
			{ObligationID: "gdpr-33", Kind: incident.EventPaused, At: base.Add(3 * time.Hour), Actor: "legal", Text: "paused: law-enforcement request"},
			{ObligationID: "gdpr-33", Kind: incident.EventResumed, At: base.Add(51 * time.Hour), Actor: "legal", Text: "resumed"},
			{ObligationID: "gdpr-33", Kind: incident.EventFulfilled, At: done, Actor: "dpo@example.com", Text: "fulfilled: DPC-2026-0042"},
		},
	}
	return incident.ObligationRecord{
		IncidentID: inc, ObligationID: "gdpr-33", ClockWorkflowID: "obligation-" + inc + "-gdpr-33",
		Rule: "gdpr-33", Jurisdiction: "EU", Audience: "authority", Verification: "verified",
		Status: obligations.StatusFulfilled, TriggerAt: &trigger, DueAt: &due, FulfilledAt: &done,
		Revision: 9, UpdatedAt: done.Add(time.Second), Clock: clock,
	}
}

// pausedClock is a HIPAA individuals' notice under a running law-enforcement delay
// (45 CFR 164.412): trigger and due date set, no fulfilment.
func pausedClock() incident.ObligationRecord {
	r := row(1, "hipaa-164-404", "hipaa-164-404", "US", "individuals", incident.ClockPaused, ptr(base.Add(60*24*time.Hour)), 3)
	r.TriggerAt = ptr(base.In(paris)) // written in a zone, read back in UTC
	r.Clock.TriggerAt = ptr(base)
	r.Clock.Paused = &incident.Pause{Reason: "FBI letter 2026-17", Actor: "legal", At: base.Add(time.Hour), Until: base.Add(30 * 24 * time.Hour)}
	return r
}

// chainedClock is California's AG notice (Cal. Civ. Code 1798.82(f)) waiting for the
// residents' notice it runs from: no trigger, no due date, no fulfilment.
func chainedClock() incident.ObligationRecord {
	r := row(1, "us-ca-1798-82-ag", "us-ca-1798-82", "US-CA", "authority", obligations.StatusAwaitingPredecessor, nil, 1)
	r.DependsOn = "us-ca-1798-82-individuals"
	r.Clock.Obligation.DependsOn = ptr("us-ca-1798-82-individuals")
	r.Clock.Obligation.Trigger = "fulfilled_at"
	return r
}

func testSaveObligationRoundTrip(t *testing.T, s incident.Store) {
	want := []incident.ObligationRecord{fulfilledClock(), pausedClock(), chainedClock()}
	for _, r := range want {
		saveObligation(t, s, r)
	}
	for _, w := range want {
		got := only(t, s, incident.ObligationFilter{IncidentID: w.IncidentID, ObligationID: w.ObligationID})
		sameRecord(t, got, w)
	}
}

func testSaveObligationRevisions(t *testing.T, s incident.Store) {
	due := ptr(base.Add(72 * time.Hour))
	at := func(rev int64, status string) incident.ObligationRecord {
		return row(1, "gdpr-33", "gdpr-33", "EU", "authority", status, due, rev)
	}
	f := incident.ObligationFilter{ObligationID: "gdpr-33"}

	// The first save is stored whatever its revision.
	saveObligation(t, s, at(0, obligations.StatusAwaitingTrigger))
	sameRecord(t, only(t, s, f), at(0, obligations.StatusAwaitingTrigger))

	saveObligation(t, s, at(2, obligations.StatusOpen))
	saveObligation(t, s, at(1, obligations.StatusAwaitingTrigger)) // late: ignored
	sameRecord(t, only(t, s, f), at(2, obligations.StatusOpen))

	// An equal revision replaces the row: a retried save writes it again.
	again := at(2, obligations.StatusOverdue)
	again.Clock.History[0].Text = "revision 2, retried"
	saveObligation(t, s, again)
	sameRecord(t, only(t, s, f), again)

	// Fulfilled, then an older "open" save arrives: the duty stays fulfilled and out
	// of the open list.
	done := at(3, obligations.StatusFulfilled)
	done.FulfilledAt = ptr(base.Add(70 * time.Hour))
	saveObligation(t, s, done)
	saveObligation(t, s, at(2, obligations.StatusOpen))
	sameRecord(t, only(t, s, f), done)
	if open := listObligations(t, s, incident.ObligationFilter{Open: true}); len(open) != 0 {
		t.Errorf("open obligations = %v, want none", keys(open))
	}
}

func testSaveObligationOneRowPerClock(t *testing.T, s incident.Store) {
	// A retired clock keeps its row; the obligation that came back runs under a new
	// clock workflow id with its own row (and its own revisions, from 1 again).
	retired := row(1, "gdpr-33", "gdpr-33", "EU", "authority", incident.ClockRetired, nil, 4)
	fresh := row(1, "gdpr-33", "gdpr-33", "EU", "authority", obligations.StatusOpen, nil, 1)
	fresh.ClockWorkflowID += "#7"
	saveObligation(t, s, retired)
	saveObligation(t, s, fresh)

	got := listObligations(t, s, incident.ObligationFilter{IncidentID: retired.IncidentID, ObligationID: "gdpr-33"})
	if len(got) != 2 {
		t.Fatalf("rows = %v, want the retired clock's and the fresh one's", keys(got))
	}
	sameRecord(t, got[0], retired) // ties end on the clock workflow id
	sameRecord(t, got[1], fresh)
	sameRecord(t, only(t, s, incident.ObligationFilter{ObligationID: "gdpr-33", Open: true}), fresh)
}

func testObligationsFilters(t *testing.T, s incident.Store) {
	h := func(n int) *time.Time { return ptr(base.Add(time.Duration(n) * time.Hour)) }
	ag := row(1, "us-ca-1798-82-ag", "us-ca-1798-82", "US-CA", "authority", obligations.StatusAwaitingPredecessor, nil, 1)
	ag.DependsOn = "us-ca-1798-82-individuals"
	for _, r := range []incident.ObligationRecord{
		row(1, "gdpr-33", "gdpr-33", "EU", "authority", obligations.StatusOpen, h(72), 1),
		row(1, "gdpr-34", "gdpr-34", "EU", "individuals", obligations.StatusFulfilled, h(96), 1),
		row(1, "us-ca-1798-82-individuals", "us-ca-1798-82", "US-CA", "individuals", obligations.StatusFulfilled, h(30*24), 1),
		ag,
		row(2, "gdpr-33", "gdpr-33", "EU", "authority", incident.ClockWaived, h(80), 1),
		row(2, "hipaa-164-404", "hipaa-164-404", "US", "individuals", incident.ClockPaused, h(60*24), 1),
		row(2, "nis2-23", "nis2-23", "EU", "authority", incident.ClockRetired, h(24), 1),
		row(3, "sec-8k", "sec-8k", "US", "other", obligations.StatusOverdue, h(-1), 1),
	} {
		saveObligation(t, s, r)
	}
	tests := []struct {
		name string
		f    incident.ObligationFilter
		want []string
	}{
		{"all", incident.ObligationFilter{}, []string{"3/sec-8k", "2/nis2-23", "1/gdpr-33", "2/gdpr-33", "1/gdpr-34",
			"1/us-ca-1798-82-individuals", "2/hipaa-164-404", "1/us-ca-1798-82-ag"}},
		{"incident", incident.ObligationFilter{IncidentID: incident.FormatID(base, 1)},
			[]string{"1/gdpr-33", "1/gdpr-34", "1/us-ca-1798-82-individuals", "1/us-ca-1798-82-ag"}},
		{"obligation", incident.ObligationFilter{ObligationID: "gdpr-33"}, []string{"1/gdpr-33", "2/gdpr-33"}},
		{"depends on", incident.ObligationFilter{DependsOn: "us-ca-1798-82-individuals"}, []string{"1/us-ca-1798-82-ag"}},
		// Open leaves out fulfilled, waived and retired clocks; overdue, paused and
		// waiting ones are still duties.
		{"open", incident.ObligationFilter{Open: true},
			[]string{"3/sec-8k", "1/gdpr-33", "2/hipaa-164-404", "1/us-ca-1798-82-ag"}},
		{"jurisdiction", incident.ObligationFilter{Jurisdiction: "US-CA"}, []string{"1/us-ca-1798-82-individuals", "1/us-ca-1798-82-ag"}},
		{"audience", incident.ObligationFilter{Audience: "individuals"},
			[]string{"1/gdpr-34", "1/us-ca-1798-82-individuals", "2/hipaa-164-404"}},
		{"rule", incident.ObligationFilter{Rule: "us-ca-1798-82"}, []string{"1/us-ca-1798-82-individuals", "1/us-ca-1798-82-ag"}},
		{"incident and open", incident.ObligationFilter{IncidentID: incident.FormatID(base, 1), Open: true},
			[]string{"1/gdpr-33", "1/us-ca-1798-82-ag"}},
		{"jurisdiction and audience", incident.ObligationFilter{Jurisdiction: "EU", Audience: "authority"},
			[]string{"2/nis2-23", "1/gdpr-33", "2/gdpr-33"}},
		{"limit", incident.ObligationFilter{Limit: 3}, []string{"3/sec-8k", "2/nis2-23", "1/gdpr-33"}},
		{"limit after filter", incident.ObligationFilter{Open: true, Limit: 2}, []string{"3/sec-8k", "1/gdpr-33"}},
		{"no match", incident.ObligationFilter{Jurisdiction: "JP"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameIDs(t, fmt.Sprintf("rows for %+v", tt.f), keys(listObligations(t, s, tt.f)), tt.want)
		})
	}
}

func testObligationsOrder(t *testing.T, s incident.Store) {
	sameIDs(t, "empty store", keys(listObligations(t, s, incident.ObligationFilter{})), []string{})
	hour := base.Add(time.Hour)
	for _, r := range []incident.ObligationRecord{
		row(2, "a", "r", "EU", "authority", obligations.StatusAwaitingTrigger, nil, 1),
		row(1, "z", "r", "EU", "authority", obligations.StatusAwaitingTrigger, nil, 1),
		row(2, "b", "r", "EU", "authority", obligations.StatusOpen, &hour, 1),
		row(1, "c", "r", "EU", "authority", obligations.StatusOpen, &hour, 1),
		row(1, "b", "r", "EU", "authority", obligations.StatusOpen, &hour, 1),
		// A microsecond earlier is earlier.
		row(1, "d", "r", "EU", "authority", obligations.StatusOpen, ptr(hour.Add(-time.Microsecond)), 1),
		row(1, "a-rule", "r", "EU", "authority", obligations.StatusOpen, ptr(base), 1),
		// 14:30 in Paris is 13:30 UTC: due before a-rule, though its wall-clock text
		// sorts after.
		row(1, "z-rule", "r", "EU", "authority", obligations.StatusOpen, ptr(base.Add(-30*time.Minute).In(paris)), 1),
	} {
		saveObligation(t, s, r)
	}
	got := listObligations(t, s, incident.ObligationFilter{})
	sameIDs(t, "order", keys(got), []string{"1/z-rule", "1/a-rule", "1/d", "1/b", "1/c", "2/b", "1/z", "2/a"})
	if len(got) > 0 {
		samePtrInstant(t, "z-rule due_at", got[0].DueAt, ptr(base.Add(-30*time.Minute)))
	}
}
