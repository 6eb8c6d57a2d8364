package obligations

import (
	"testing"
	"time"

	"irflow/internal/notify"
	"irflow/playbooks/regimes"
)

// TestLateArmingRemindsAtOnceThenDaily: a clock armed after its due date sends an
// overdue reminder at the arming instant, then follows the daily boundaries from
// due; the catch-up is never sent twice, and a clock armed in time has none.
func TestLateArmingRemindsAtOnceThenDaily(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	due := t0.Add(72 * time.Hour)
	off := false
	for _, tc := range []struct {
		name     string
		from     time.Time
		r        regimes.Reminders
		wantKey  string
		wantNext string // the key NextReminder gives after the catch-up was sent
		wantNAt  time.Duration
	}{
		{"armed 28 h after due", t0.Add(100 * time.Hour), regimes.DefaultReminders(), "overdue:1", "overdue:2", 120 * time.Hour},
		{"armed 8 h after due", t0.Add(80 * time.Hour), regimes.DefaultReminders(), "due", "overdue:1", 96 * time.Hour},
		{"armed a month after due", t0.Add(72*time.Hour + 30*24*time.Hour + time.Minute), regimes.DefaultReminders(), "overdue:30", "overdue:31", 72*time.Hour + 31*24*time.Hour},
		{"armed before due", t0.Add(10 * time.Hour), regimes.DefaultReminders(), "", "half", 36 * time.Hour},
		{"armed exactly at due", due, regimes.DefaultReminders(), "", "due", 72 * time.Hour},
		{"no reminder at due, first overdue ahead", t0.Add(80 * time.Hour), regimes.Reminders{Half: &off, AtDue: &off, OverdueEvery: "P1D"}, "", "overdue:1", 96 * time.Hour},
		{"no overdue repetition", t0.Add(100 * time.Hour), regimes.Reminders{Half: &off, OverdueEvery: "PT0S"}, "due", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sent := map[string]bool{}
			isSent := func(k string) bool { return sent[k] }
			r, ok, err := LateReminder(due, tc.r, tc.from, isSent)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.wantKey != "") != ok || r.Key != tc.wantKey {
				t.Fatalf("late reminder %+v %v, want key %q", r, ok, tc.wantKey)
			}
			if ok {
				if !r.At.Equal(tc.from) || r.Kind != notify.KindOverdue {
					t.Errorf("late reminder at %s kind %s, want at arming %s, overdue", r.At, r.Kind, tc.from)
				}
				sent[r.Key] = true
				if again, ok, _ := LateReminder(due, tc.r, tc.from, isSent); ok {
					t.Errorf("the catch-up is offered twice: %+v", again)
				}
			}
			n, ok, err := NextReminder(t0, due, tc.r, tc.from, isSent)
			if err != nil {
				t.Fatal(err)
			}
			if (tc.wantNext != "") != ok || n.Key != tc.wantNext || (ok && !n.At.Equal(t0.Add(tc.wantNAt))) {
				t.Errorf("next reminder %+v %v, want %q at +%s", n, ok, tc.wantNext, tc.wantNAt)
			}
		})
	}
}
