package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
)

// summary is incident n of the fixture day, declared at declared.
func summary(n int, declared time.Time) incident.Summary {
	id := incident.FormatID(base, n)
	return incident.Summary{
		ID: id, WorkflowID: "incident-" + id, Title: "Maya's account taken over",
		Playbook: "credential-compromise", Phase: incident.PhaseTriage,
		DeclaredAt: declared, UpdatedAt: declared,
	}
}

// entry is timeline entry seq, at a sub-second instant after base.
func entry(seq int, text string) incident.TimelineEntry {
	return incident.TimelineEntry{
		Seq: seq, At: base.Add(time.Duration(seq)*time.Minute + 987654*time.Microsecond),
		Actor: "irflow", Kind: incident.KindNote, Text: text,
	}
}

func state(v int64) string { return fmt.Sprintf(`{"v": %d, "steps": []}`, v) }

func saveIncident(t *testing.T, s incident.Store, sum incident.Summary, version int64, entries ...incident.TimelineEntry) {
	t.Helper()
	err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: sum, StateJSON: state(version), Version: version, Entries: entries})
	if err != nil {
		t.Fatalf("save %s version %d: %v", sum.ID, version, err)
	}
}

func getIncident(t *testing.T, s incident.Store, id string) incident.StoredIncident {
	t.Helper()
	got, err := s.GetIncident(t.Context(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return got
}

func timeline(t *testing.T, s incident.Store, id string) []incident.TimelineEntry {
	t.Helper()
	tl, err := s.Timeline(t.Context(), id)
	if err != nil {
		t.Fatalf("timeline of %s: %v", id, err)
	}
	return tl
}

func sameSummary(t *testing.T, got, want incident.Summary) {
	t.Helper()
	if got.ID != want.ID || got.WorkflowID != want.WorkflowID || got.Title != want.Title || got.Playbook != want.Playbook ||
		got.Phase != want.Phase || got.Severity != want.Severity || got.Owner != want.Owner || got.CloseReason != want.CloseReason {
		t.Errorf("summary = %+v, want %+v", got, want)
	}
	sameInstant(t, want.ID+" declared_at", got.DeclaredAt, want.DeclaredAt)
	sameInstant(t, want.ID+" updated_at", got.UpdatedAt, want.UpdatedAt)
	samePtrInstant(t, want.ID+" closed_at", got.ClosedAt, want.ClosedAt)
}

// sameTimeline fails unless got holds exactly want, in order.
func sameTimeline(t *testing.T, got, want []incident.TimelineEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("timeline has %d entries %v, want %d", len(got), seqs(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Seq != w.Seq || g.Actor != w.Actor || g.Via != w.Via || g.ExternalID != w.ExternalID ||
			g.Kind != w.Kind || g.Text != w.Text || g.Data != w.Data {
			t.Errorf("timeline[%d] = %+v, want %+v", i, g, w)
		}
		sameInstant(t, fmt.Sprintf("timeline[%d].at", i), g.At, w.At)
	}
}

func seqs(tl []incident.TimelineEntry) []int {
	out := make([]int, len(tl))
	for i, e := range tl {
		out[i] = e.Seq
	}
	return out
}

func testSaveIncidentRoundTrip(t *testing.T, s incident.Store) {
	// Saved in a zone with an offset: the store hands instants back in UTC.
	sum := summary(1, base.In(paris))
	sum.Phase, sum.Severity, sum.Owner = incident.PhaseContainment, "SEV2", "alice"
	sum.UpdatedAt = base.Add(90*time.Second + time.Microsecond).In(paris)
	saveIncident(t, s, sum, 1, entry(1, "declared"))

	got := getIncident(t, s, sum.ID)
	sameSummary(t, got.Summary, sum)
	sameJSON(t, "state_json", got.StateJSON, state(1))
	if got.Version != 1 {
		t.Errorf("version = %d, want 1", got.Version)
	}

	// Closing sets the optional closed_at; a save without it keeps it nil (above).
	sum.Phase, sum.CloseReason, sum.ClosedAt = incident.PhaseClosed, "contained", ptr(base.Add(2*time.Hour+time.Microsecond))
	sum.UpdatedAt = *sum.ClosedAt
	saveIncident(t, s, sum, 2)
	got = getIncident(t, s, sum.ID)
	sameSummary(t, got.Summary, sum)
	sameJSON(t, "state_json", got.StateJSON, state(2))
	if got.Version != 2 {
		t.Errorf("version = %d, want 2", got.Version)
	}
}

func testSaveIncidentRetried(t *testing.T, s incident.Store) {
	sum := summary(1, base)
	e1, e2 := entry(1, "declared"), entry(2, "Phase triage")
	e2.Data = `{"clause":"VI.2"}`
	saveIncident(t, s, sum, 1, e1)
	saveIncident(t, s, sum, 1, e1) // the activity retried
	// The next save repeats an entry it is unsure was stored.
	saveIncident(t, s, sum, 2, e1, e2)
	// A replayed save carries seq 2 again with other text: the first write stands,
	// because the timeline is append-only (GDPR Art. 33(5) documentation).
	replayed := e2
	replayed.Text, replayed.Data = "rewritten", ""
	saveIncident(t, s, sum, 2, replayed)

	sameTimeline(t, timeline(t, s, sum.ID), []incident.TimelineEntry{e1, e2})
}

func testSaveIncidentOlderVersion(t *testing.T, s incident.Store) {
	sum := summary(1, base)
	saveIncident(t, s, sum, 1, entry(1, "declared"))
	closed := sum
	closed.Phase, closed.CloseReason, closed.ClosedAt = incident.PhaseClosed, "done", ptr(base.Add(time.Hour))
	closed.UpdatedAt = base.Add(time.Hour)
	saveIncident(t, s, closed, 3, entry(3, "closed"))

	// Version 2 arrives late: its summary and state are older than what is stored,
	// but its entry is new and must not be lost.
	late := sum
	late.Phase, late.Title, late.UpdatedAt = incident.PhaseContainment, "late title", base.Add(30*time.Minute)
	saveIncident(t, s, late, 2, entry(2, "Phase containment"))

	got := getIncident(t, s, sum.ID)
	sameSummary(t, got.Summary, closed)
	sameJSON(t, "state_json", got.StateJSON, state(3))
	if got.Version != 3 {
		t.Errorf("version = %d, want 3", got.Version)
	}
	sameTimeline(t, timeline(t, s, sum.ID), []incident.TimelineEntry{entry(1, "declared"), entry(2, "Phase containment"), entry(3, "closed")})
}

func testSaveIncidentSameVersion(t *testing.T, s incident.Store) {
	// A retry writes the same save again, so equal versions carry equal content in
	// practice; the contract takes the later one, as SaveObligation does for equal
	// revisions.
	sum := summary(1, base)
	saveIncident(t, s, sum, 2)
	again := sum
	again.Title = "Maya's and Lee's accounts taken over"
	err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: again, StateJSON: `{"v": 2, "again": true}`, Version: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := getIncident(t, s, sum.ID)
	sameSummary(t, got.Summary, again)
	sameJSON(t, "state_json", got.StateJSON, `{"v": 2, "again": true}`)
}

func testGetIncidentNotFound(t *testing.T, s incident.Store) {
	_, err := s.GetIncident(t.Context(), incident.FormatID(base, 1))
	wantCode(t, err, incident.ENOTFOUND)
	saveIncident(t, s, summary(1, base), 1)
	_, err = s.GetIncident(t.Context(), incident.FormatID(base, 2))
	wantCode(t, err, incident.ENOTFOUND)
}

func listIDs(t *testing.T, s incident.Store, f incident.ListFilter) []string {
	t.Helper()
	got, err := s.ListIncidents(t.Context(), f)
	if err != nil {
		t.Fatalf("list %+v: %v", f, err)
	}
	ids := []string{}
	for _, sum := range got {
		ids = append(ids, sum.ID)
	}
	return ids
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testListIncidentsFilters(t *testing.T, s incident.Store) {
	sameIDs(t, "empty store", listIDs(t, s, incident.ListFilter{}), []string{})
	seed := []struct {
		title, playbook string
		phase           incident.Phase
	}{
		{"Maya's account taken over", "credential-compromise", incident.PhaseContainment},
		{"Phishing wave", "phishing", incident.PhaseClosed},
		{"API token leaked", "credential-compromise", incident.PhaseNotification},
		{"50% of tickets exported", "bulk-export", incident.PhaseTriage},
	}
	for i, sd := range seed {
		sum := summary(i+1, base.Add(time.Duration(i)*time.Hour))
		sum.Title, sum.Playbook, sum.Phase = sd.title, sd.playbook, sd.phase
		saveIncident(t, s, sum, 1)
	}
	id := func(n int) string { return incident.FormatID(base, n) }
	tests := []struct {
		name string
		f    incident.ListFilter
		want []string
	}{
		{"all newest first", incident.ListFilter{}, []string{id(4), id(3), id(2), id(1)}},
		{"open", incident.ListFilter{Open: true}, []string{id(4), id(3), id(1)}},
		{"phase", incident.ListFilter{Phase: "closed"}, []string{id(2)}},
		{"phase and open", incident.ListFilter{Phase: "containment", Open: true}, []string{id(1)}},
		{"closed phase but open", incident.ListFilter{Phase: "closed", Open: true}, []string{}},
		{"query title any case", incident.ListFilter{Query: "MAYA"}, []string{id(1)}},
		{"query id any case", incident.ListFilter{Query: "inc-20260306-002"}, []string{id(2)}},
		{"query playbook any case", incident.ListFilter{Query: "Credential"}, []string{id(3), id(1)}},
		{"query mid-word", incident.ListFilter{Query: "leak"}, []string{id(3)}},
		{"query percent is literal", incident.ListFilter{Query: "%"}, []string{id(4)}},
		{"query underscore is literal", incident.ListFilter{Query: "_"}, []string{}},
		{"query backslash is literal", incident.ListFilter{Query: `\`}, []string{}},
		{"query no match", incident.ListFilter{Query: "ransomware"}, []string{}},
		// Issue 17 item 10: SQLite refused a LIKE pattern this long with an error.
		{"query longer than any title", incident.ListFilter{Query: strings.Repeat("a%_", 20000)}, []string{}},
		{"query of the longest title", incident.ListFilter{Query: strings.Repeat("x", incident.MaxTitle)}, []string{}},
		{"query and open", incident.ListFilter{Query: "credential", Open: true}, []string{id(3), id(1)}},
		{"limit", incident.ListFilter{Limit: 2}, []string{id(4), id(3)}},
		{"limit after filter", incident.ListFilter{Query: "credential", Limit: 1}, []string{id(3)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameIDs(t, fmt.Sprintf("ids for %+v", tt.f), listIDs(t, s, tt.f), tt.want)
		})
	}
	got, err := s.ListIncidents(t.Context(), incident.ListFilter{Query: "phishing"})
	if err != nil || len(got) != 1 {
		t.Fatalf("list phishing = %v, %v", got, err)
	}
	want := summary(2, base.Add(time.Hour))
	want.Title, want.Playbook, want.Phase = "Phishing wave", "phishing", incident.PhaseClosed
	sameSummary(t, got[0], want)
}

func testListIncidentsNewestFirst(t *testing.T, s incident.Store) {
	// 14:30 in Paris is 13:30 UTC: declared before incident 2, though its wall-clock
	// text sorts after.
	saveIncident(t, s, summary(1, base.Add(-30*time.Minute).In(paris)), 1)
	saveIncident(t, s, summary(2, base), 1)
	// Declared at the same instant: the higher id is newer.
	saveIncident(t, s, summary(3, base.Add(-2*time.Hour)), 1)
	saveIncident(t, s, summary(4, base.Add(-2*time.Hour)), 1)
	// A sub-second later is later.
	saveIncident(t, s, summary(5, base.Add(-2*time.Hour+time.Microsecond)), 1)
	id := func(n int) string { return incident.FormatID(base, n) }
	sameIDs(t, "newest first", listIDs(t, s, incident.ListFilter{}), []string{id(2), id(1), id(5), id(4), id(3)})
}

func testListIncidentsLatestVersion(t *testing.T, s incident.Store) {
	sum := summary(1, base)
	saveIncident(t, s, sum, 1)
	closed := sum
	closed.Phase, closed.ClosedAt = incident.PhaseClosed, ptr(base.Add(time.Hour))
	saveIncident(t, s, closed, 2)
	saveIncident(t, s, sum, 1) // late: must not reopen it
	sameIDs(t, "open", listIDs(t, s, incident.ListFilter{Open: true}), []string{})
	sameIDs(t, "closed", listIDs(t, s, incident.ListFilter{Phase: string(incident.PhaseClosed)}), []string{sum.ID})
}

func testTimelineOrderAndTimes(t *testing.T, s incident.Store) {
	sum := summary(1, base)
	e1, e2, e3 := entry(1, "declared"), entry(2, "Ownership: customer"), entry(3, "note")
	e1.Kind, e1.Actor, e1.Via = incident.KindDeclared, "alice", incident.ViaAPI
	e2.Kind, e2.Data = incident.KindOwnership, `{"srm":"VI.2","owner":"customer"}`
	e3.At = e3.At.In(paris) // an instant, whatever zone it was written in
	// A note taken in Slack keeps the Slack user id beside the channel.
	e3.Actor, e3.Via, e3.ExternalID = "rita", incident.ViaSlack, "U024BE7LH"
	// Entries reach the store out of order, across saves.
	saveIncident(t, s, sum, 1, e3, e1)
	saveIncident(t, s, sum, 2, e2)
	other := summary(2, base)
	saveIncident(t, s, other, 1, entry(1, "other incident"))

	sameTimeline(t, timeline(t, s, sum.ID), []incident.TimelineEntry{e1, e2, e3})
	sameTimeline(t, timeline(t, s, other.ID), []incident.TimelineEntry{entry(1, "other incident")})
}

func testTimelineUnknown(t *testing.T, s incident.Store) {
	tl, err := s.Timeline(t.Context(), incident.FormatID(base, 404))
	if err != nil || len(tl) != 0 {
		t.Errorf("timeline of an unknown incident = %v, %v; want empty and no error", tl, err)
	}
}

func testSaveIncidentKeepsState(t *testing.T, s incident.Store) {
	// A note's save carries no state: the store keeps the last one, moves the
	// summary and appends the entry.
	sum := summary(1, base)
	if err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: sum, StateJSON: `{"v": 1}`, Version: 1}); err != nil {
		t.Fatal(err)
	}
	later := sum
	later.UpdatedAt = sum.UpdatedAt.Add(time.Minute)
	note := incident.TimelineEntry{Seq: 1, At: later.UpdatedAt, Actor: "alice", Kind: incident.KindNote, Text: "called the agent"}
	if err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: later, Version: 2, Entries: []incident.TimelineEntry{note}}); err != nil {
		t.Fatal(err)
	}
	got := getIncident(t, s, sum.ID)
	sameJSON(t, "state_json", got.StateJSON, `{"v": 1}`)
	sameInstant(t, "updated_at", got.UpdatedAt, later.UpdatedAt)
	if got.Version != 2 {
		t.Errorf("version = %d, want 2", got.Version)
	}
	tl, err := s.Timeline(t.Context(), sum.ID)
	if err != nil || len(tl) != 1 || tl[0].Text != note.Text {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	// A first save without a state stores an empty document.
	other := summary(2, base)
	if err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: other, Version: 1}); err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "first state_json", getIncident(t, s, other.ID).StateJSON, `{}`)
}
