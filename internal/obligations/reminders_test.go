package obligations

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"irflow/playbooks/regimes"
)

func TestReminderPlan(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	certin, _ := cat.Rule("in-certin-6h")
	tests := []struct {
		name string
		due  time.Duration
		r    regimes.Reminders
		want string
	}{
		{"72 h default", 72 * time.Hour, regimes.DefaultReminders(), "half@36h0m0s before:PT24H@48h0m0s before:PT4H@68h0m0s before:PT1H@71h0m0s due@72h0m0s"},
		{"6 h default drops reminders before the trigger", 6 * time.Hour, regimes.DefaultReminders(), "half@3h0m0s before:PT4H@2h0m0s before:PT1H@5h0m0s due@6h0m0s"},
		{"CERT-In's own schedule", 6 * time.Hour, certin.Reminders.Resolve(), "half@3h0m0s before:PT1H@5h0m0s before:PT30M@5h30m0s due@6h0m0s"},
		{"2 h: half and 1 h before coincide", 2 * time.Hour, regimes.DefaultReminders(), "half@1h0m0s due@2h0m0s"},
	}
	for _, tt := range tests {
		plan, err := ReminderPlan(t0, t0.Add(tt.due), tt.r)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range plan {
			got = append(got, fmt.Sprintf("%s@%s", p.Key, p.At.Sub(t0)))
		}
		// The plan is in time order; compare as a set of key@offset.
		if g, w := setOf(got), setOf(strings.Fields(tt.want)); g != w {
			t.Errorf("%s: got %v, want %s", tt.name, got, tt.want)
		}
		for i := 1; i < len(plan); i++ {
			if plan[i].At.Before(plan[i-1].At) {
				t.Errorf("%s: plan not in time order", tt.name)
			}
		}
	}
}

func setOf(s []string) string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestNextReminderSkipsSentAndRepeatsOverdueDaily(t *testing.T) {
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	due := t0.Add(72 * time.Hour)
	sent := map[string]bool{}
	var got []string
	from := t0
	for i := 0; i < 8; i++ {
		r, ok, err := NextReminder(t0, due, regimes.DefaultReminders(), from, func(k string) bool { return sent[k] })
		if err != nil || !ok {
			t.Fatalf("step %d: ok %v err %v", i, ok, err)
		}
		sent[r.Key] = true
		got = append(got, fmt.Sprintf("%s:%s@%s", r.Kind, r.Key, r.At.Sub(t0)))
	}
	want := "reminder:half@36h0m0s reminder:before:PT24H@48h0m0s reminder:before:PT4H@68h0m0s reminder:before:PT1H@71h0m0s due:due@72h0m0s overdue:overdue:1@96h0m0s overdue:overdue:2@120h0m0s overdue:overdue:3@144h0m0s"
	if strings.Join(got, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	// Re-armed late (after due): only overdue reminders from then on.
	r, _, _ := NextReminder(t0, due, regimes.DefaultReminders(), t0.Add(100*time.Hour), func(string) bool { return false })
	if r.Key != "overdue:2" || !r.At.Equal(t0.Add(120*time.Hour)) {
		t.Errorf("late arming: %+v", r)
	}
	off := false
	if _, ok, _ := NextReminder(t0, due, regimes.Reminders{Half: &off, Before: []string{}, AtDue: &off, OverdueEvery: "PT0S"}, t0, func(string) bool { return false }); ok {
		t.Error("a schedule with nothing in it produced a reminder")
	}
}

// TestNextReminderCenturiesOverdue is issue 17 item 1: a due date more than 292
// years back (time.Duration's range) wrapped the overdue step round to 1, so every
// daily reminder since then was due at once. The next reminder must lie ahead.
func TestNextReminderCenturiesOverdue(t *testing.T) {
	now := time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)
	for _, y := range []int{1, 1700, 1900} {
		due := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
		r, ok, err := NextReminder(due.Add(-72*time.Hour), due, regimes.DefaultReminders(), now, func(string) bool { return false })
		if err != nil || !ok {
			t.Fatalf("year %d: ok %v err %v", y, ok, err)
		}
		if r.At.Before(now) || r.At.After(now.Add(24*time.Hour)) {
			t.Errorf("year %d: next reminder %s at %s, want within a day after %s", y, r.Key, r.At, now)
		}
	}
}

// TestNextDueCollapsesPastReminders: every reminder that fell due before now is one
// notice, and the one after it lies ahead.
func TestNextDueCollapsesPastReminders(t *testing.T) {
	now := time.Date(2026, 12, 1, 2, 30, 0, 0, time.UTC)
	for _, y := range []int{1, 1700, 1900} {
		due := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
		trigger := due.Add(-72 * time.Hour)
		sent := map[string]bool{}
		c, ok, err := NextDue(trigger, due, regimes.DefaultReminders(), due, now, func(k string) bool { return sent[k] })
		if err != nil || !ok {
			t.Fatalf("year %d: ok %v err %v", y, ok, err)
		}
		if c.Kind != "overdue" || c.At.After(now) || c.At.Before(now.Add(-24*time.Hour)) || !c.Since.Equal(due) || c.Missed < 365*int64(2026-y-1) {
			t.Errorf("year %d: got %+v, want the latest overdue reminder before %s standing for every one since %s", y, c, now, due)
		}
		sent[c.Key] = true
		next, ok, err := NextDue(trigger, due, regimes.DefaultReminders(), c.At, now, func(k string) bool { return sent[k] })
		if err != nil || !ok || !next.At.After(now) || next.Missed != 0 {
			t.Errorf("year %d: after the catch-up notice got %+v ok %v err %v, want one reminder ahead", y, next, ok, err)
		}
	}
	// A clock woken after an outage that spanned two planned reminders sends the
	// later one, standing for both.
	t0 := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	due := t0.Add(72 * time.Hour)
	c, _, _ := NextDue(t0, due, regimes.DefaultReminders(), t0, t0.Add(50*time.Hour), func(string) bool { return false })
	if c.Key != "before:PT24H" || c.Missed != 1 || !c.Since.Equal(t0.Add(36*time.Hour)) {
		t.Errorf("after an outage: %+v, want before:PT24H standing for half", c)
	}
	// Nothing due yet: the next reminder alone.
	c, _, _ = NextDue(t0, due, regimes.DefaultReminders(), t0, t0.Add(time.Hour), func(string) bool { return false })
	if c.Key != "half" || c.Missed != 0 {
		t.Errorf("before the first reminder: %+v", c)
	}
}
