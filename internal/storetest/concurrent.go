package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"irflow/internal/incident"
)

// The activities of different incidents, and of one incident's retried and
// overlapping saves, run on several workers at once: the store must serialise them
// without losing an entry, duplicating one, or letting a late save win.
const (
	writers = 8
	// saves per writer in the single-row tests.
	rounds = 6
)

func testConcurrentIncidents(t *testing.T, s incident.Store) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			sum := summary(w+1, base.Add(time.Duration(w)*time.Minute))
			for v := 1; v <= rounds; v++ {
				sum.UpdatedAt = base.Add(time.Duration(v) * time.Second)
				err := s.SaveIncident(t.Context(), incident.IncidentSave{
					Summary: sum, StateJSON: state(int64(v)), Version: int64(v), Entries: []incident.TimelineEntry{entry(v, sum.ID)},
				})
				if err != nil {
					t.Errorf("save %s version %d: %v", sum.ID, v, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	if got := listIDs(t, s, incident.ListFilter{}); len(got) != writers {
		t.Errorf("listed %v, want %d incidents", got, writers)
	}
	for w := range writers {
		id := incident.FormatID(base, w+1)
		got := getIncident(t, s, id)
		if got.Version != rounds {
			t.Errorf("%s version = %d, want %d", id, got.Version, rounds)
		}
		sameJSON(t, id+" state_json", got.StateJSON, state(rounds))
		var want []incident.TimelineEntry
		for v := 1; v <= rounds; v++ {
			want = append(want, entry(v, id))
		}
		sameTimeline(t, timeline(t, s, id), want)
	}
}

func testConcurrentSameIncident(t *testing.T, s incident.Store) {
	const last = writers * rounds
	at := func(v int) incident.IncidentSave {
		sum := summary(1, base)
		sum.Title, sum.UpdatedAt = fmt.Sprintf("version %d", v), base.Add(time.Duration(v)*time.Second)
		if v == last {
			sum.Phase, sum.ClosedAt = incident.PhaseClosed, &sum.UpdatedAt
		}
		// Each save repeats the entry before its own, as a save unsure whether the
		// previous one landed does.
		entries := []incident.TimelineEntry{entry(v, fmt.Sprintf("entry %d", v))}
		if v > 1 {
			entries = append(entries, entry(v-1, fmt.Sprintf("entry %d", v-1)))
		}
		return incident.IncidentSave{Summary: sum, StateJSON: state(int64(v)), Version: int64(v), Entries: entries}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			// Writer w saves versions w+1, w+1+writers, ... newest first, so
			// older saves keep arriving after newer ones.
			for v := last - writers + w + 1; v > 0; v -= writers {
				if err := s.SaveIncident(t.Context(), at(v)); err != nil {
					t.Errorf("save version %d: %v", v, err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()

	want := at(last)
	got := getIncident(t, s, want.Summary.ID)
	sameSummary(t, got.Summary, want.Summary)
	sameJSON(t, "state_json", got.StateJSON, want.StateJSON)
	if got.Version != last {
		t.Errorf("version = %d, want %d", got.Version, last)
	}
	var tl []incident.TimelineEntry
	for v := 1; v <= last; v++ {
		tl = append(tl, entry(v, fmt.Sprintf("entry %d", v)))
	}
	sameTimeline(t, timeline(t, s, want.Summary.ID), tl)
}

func testConcurrentObligations(t *testing.T, s incident.Store) {
	const last = writers * rounds
	shared := func(rev int) incident.ObligationRecord {
		return row(1, "gdpr-33", "gdpr-33", "EU", "authority", "open", ptr(base.Add(time.Duration(rev)*time.Minute)), int64(rev))
	}
	own := func(w, rev int) incident.ObligationRecord {
		return row(w+1, "gdpr-34", "gdpr-34", "EU", "individuals", "open", nil, int64(rev))
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			// One clock's revisions from every writer, newest first (late saves
			// keep arriving), interleaved with each writer's own clock.
			for i, rev := 0, last-writers+w+1; rev > 0; i, rev = i+1, rev-writers {
				for _, o := range []incident.ObligationRecord{shared(rev), own(w, i+1)} {
					if err := s.SaveObligation(t.Context(), o); err != nil {
						t.Errorf("save %s revision %d: %v", o.ClockWorkflowID, o.Revision, err)
						return
					}
				}
			}
		})
	}
	close(start)
	wg.Wait()

	sameRecord(t, only(t, s, incident.ObligationFilter{ObligationID: "gdpr-33"}), shared(last))
	for w := range writers {
		sameRecord(t, only(t, s, incident.ObligationFilter{IncidentID: incident.FormatID(base, w+1), ObligationID: "gdpr-34"}), own(w, rounds))
	}
}
