package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestClockViewJSONTimeLeft: time_left stays a Go duration (nanoseconds) for the
// readers that have it, and time_left_seconds says the same in whole seconds.
func TestClockViewJSONTimeLeft(t *testing.T) {
	asOf := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	due := asOf.Add(26*24*time.Hour + 15*time.Hour + 500*time.Millisecond)
	overdue := asOf.Add(-90 * time.Minute)
	for _, tc := range []struct {
		name string
		due  *time.Time
		want map[string]any // nil: the field is absent
	}{
		{"ahead", &due, map[string]any{"time_left": float64(due.Sub(asOf)), "time_left_seconds": float64(2300400)}},
		{"overdue", &overdue, map[string]any{"time_left": float64(-90 * time.Minute), "time_left_seconds": float64(-5400)}},
		{"no due date", nil, map[string]any{"time_left": nil, "time_left_seconds": nil}},
	} {
		v := ClockState{IncidentID: "INC-20261130-001", Status: "open", DueAt: tc.due}.View(asOf)
		b, err := json.Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		for k, want := range tc.want {
			if got[k] != want {
				t.Errorf("%s: %s = %v, want %v", tc.name, k, got[k], want)
			}
		}
		if got["incident_id"] != "INC-20261130-001" || !strings.Contains(string(b), `"as_of"`) {
			t.Errorf("%s: the state's own fields are missing: %s", tc.name, b)
		}
		var back ClockView
		if err := json.Unmarshal(b, &back); err != nil || back.IncidentID != v.IncidentID {
			t.Errorf("%s: does not decode back: %v", tc.name, err)
		}
	}
}
