package obligations

import (
	"fmt"
	"sort"
	"time"

	"irflow/internal/notify"
	"irflow/playbooks/regimes"
)

// Reminder is one scheduled notice of an obligation clock.
type Reminder struct {
	// Key names the reminder within one arming of the clock: "half", "before:PT24H",
	// "due", "overdue:3".
	Key  string    `json:"key"`
	Kind string    `json:"kind"` // notify.KindReminder, KindDue or KindOverdue
	At   time.Time `json:"at"`
}

// ReminderPlan lists the reminders of a clock that runs from trigger to due, in time
// order: when half the time has elapsed (to the second), each Before offset ahead of
// due, and at due. Reminders that would fall before the trigger (24 h ahead of a 6 h
// deadline) are dropped, as are duplicates of an instant already planned.
func ReminderPlan(trigger, due time.Time, r regimes.Reminders) ([]Reminder, error) {
	var plan []Reminder
	if r.Half != nil && *r.Half && due.After(trigger) {
		half := trigger.Add(due.Sub(trigger) / 2).Truncate(time.Second)
		plan = append(plan, Reminder{Key: "half", Kind: notify.KindReminder, At: half})
	}
	for _, b := range r.Before {
		d, err := regimes.ParseDuration(b)
		if err != nil {
			return nil, fmt.Errorf("reminder before %q: %w", b, err)
		}
		at := due.Add(-d.Span())
		if at.After(trigger) {
			plan = append(plan, Reminder{Key: "before:" + b, Kind: notify.KindReminder, At: at})
		}
	}
	if r.AtDue == nil || *r.AtDue {
		plan = append(plan, Reminder{Key: "due", Kind: notify.KindDue, At: due})
	}
	sort.SliceStable(plan, func(i, j int) bool { return plan[i].At.Before(plan[j].At) })
	out := plan[:0]
	for i, p := range plan {
		if i > 0 && p.At.Equal(out[len(out)-1].At) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// overdueEvery is the interval between overdue reminders, or 0 for none.
func overdueEvery(r regimes.Reminders) (time.Duration, error) {
	if r.OverdueEvery == "" {
		return 0, nil
	}
	d, err := regimes.ParseDuration(r.OverdueEvery)
	if err != nil {
		return 0, fmt.Errorf("reminder overdue_every: %w", err)
	}
	// "Daily while overdue" counts 24-hour steps from the due instant.
	return time.Duration(d.TotalDays())*24*time.Hour + d.Span(), nil
}

// NextReminder returns the earliest reminder at or after from whose key sent does
// not report as already sent: first the plan, then overdue reminders at every
// OverdueEvery after due, without end. ok is false when nothing is left (no overdue
// repetition configured and the plan is spent).
func NextReminder(trigger, due time.Time, r regimes.Reminders, from time.Time, sent func(key string) bool) (Reminder, bool, error) {
	plan, err := ReminderPlan(trigger, due, r)
	if err != nil {
		return Reminder{}, false, err
	}
	for _, p := range plan {
		if !p.At.Before(from) && !sent(p.Key) {
			return p, true, nil
		}
	}
	every, err := overdueEvery(r)
	if err != nil || every <= 0 {
		return Reminder{}, false, err
	}
	k := 1
	if from.After(due) {
		k = int((from.Sub(due) + every - 1) / every)
		if k < 1 {
			k = 1
		}
	}
	for {
		key := fmt.Sprintf("overdue:%d", k)
		if !sent(key) {
			return Reminder{Key: key, Kind: notify.KindOverdue, At: due.Add(time.Duration(k) * every)}, true, nil
		}
		k++
	}
}
