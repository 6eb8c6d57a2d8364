package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestClockCache: clocks read again come from the decode cache, yet a row
// rewritten (even at the same revision) is read as written, and a caller that
// changes the clock it got changes nobody else's.
func TestClockCache(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	at := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	rec := incident.ObligationRecord{IncidentID: "INC-20260306-001", ObligationID: "ob", ClockWorkflowID: "clock-1", Status: "open", Revision: 1, UpdatedAt: at,
		Clock: incident.ClockState{Status: "open", History: []incident.ObligationEvent{{Kind: "armed", Text: "first"}}, Sent: map[string]bool{"k": true}}}
	if err := db.SaveObligation(ctx, rec); err != nil {
		t.Fatal(err)
	}
	read := func() incident.ClockState {
		t.Helper()
		rows, err := db.Obligations(ctx, incident.ObligationFilter{})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		return rows[0].Clock
	}
	first := read()
	first.History[0].Text = "changed by a caller"
	first.Sent["k"] = false
	if again := read(); again.History[0].Text != "first" || !again.Sent["k"] {
		t.Errorf("a caller's change leaked into the next read: %+v", again)
	}
	rec.Clock.History[0].Text = "rewritten at the same revision"
	if err := db.SaveObligation(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.History[0].Text != "rewritten at the same revision" {
		t.Errorf("a rewritten row came from the cache: %+v", got.History)
	}
}
