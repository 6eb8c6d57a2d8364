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
//
// The arithmetic saturates: a due date centuries before from (a trigger given as
// year 1 or 1700) counts its overdue steps in seconds rather than in a
// time.Duration, which ends at 292 years; counting in Durations wrapped the step
// number round to 1 and made a clock send every daily reminder since the due date
// (issue 17 item 1).
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
	k := int64(1)
	if from.After(due) {
		k = max(1, stepsBefore(due, from, every))
		for addSteps(due, k, every).Before(from) {
			k++
		}
	}
	for {
		key := overdueKey(k)
		if !sent(key) {
			return Reminder{Key: key, Kind: notify.KindOverdue, At: addSteps(due, k, every)}, true, nil
		}
		k++
	}
}

// NextReminderV0 is NextReminder as clocks started before the catch-up release ran
// it, wrapping arithmetic included. It is kept only so that their histories replay
// (workflows.versionReminderCatchup); nothing new may call it.
func NextReminderV0(trigger, due time.Time, r regimes.Reminders, from time.Time, sent func(key string) bool) (Reminder, bool, error) {
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

// Catchup is the reminder a clock sends next. When it is already due (At at or
// before now) it stands for every reminder that fell due since Since: a clock armed
// after its due date (a trigger found out late, or given as a date long past) or
// woken after an outage sends one notice saying so, not one per missed reminder.
type Catchup struct {
	Reminder
	// Since is when the earliest reminder this one stands for fell due.
	Since time.Time `json:"since"`
	// Missed counts the earlier reminders this one stands for; 0 when it is alone.
	Missed int64 `json:"missed"`
}

// NextDue returns the reminder to send next, looking at reminders at or after from
// as NextReminder does. When that reminder lies after now it is returned alone, to
// be waited for. When it is already due, the result is the latest reminder due at
// or before now, with Since and Missed saying which earlier ones it stands for; the
// caller sends it and looks again from its At, so the earlier ones are never sent.
func NextDue(trigger, due time.Time, r regimes.Reminders, from, now time.Time, sent func(key string) bool) (Catchup, bool, error) {
	first, ok, err := NextReminder(trigger, due, r, from, sent)
	if err != nil || !ok {
		return Catchup{}, ok, err
	}
	c := Catchup{Reminder: first, Since: first.At}
	if first.At.After(now) {
		return c, true, nil
	}
	// Planned reminders due by now.
	plan, err := ReminderPlan(trigger, due, r)
	if err != nil {
		return Catchup{}, false, err
	}
	var n int64
	latest := first
	for _, p := range plan {
		if p.At.Before(from) || p.At.After(now) || sent(p.Key) {
			continue
		}
		n++
		if p.At.After(latest.At) {
			latest = p
		}
	}
	// Overdue reminders due by now: steps k0 to kNow.
	if every, err := overdueEvery(r); err == nil && every > 0 && !now.Before(due.Add(every)) {
		kNow := stepsBefore(due, now, every)
		for addSteps(due, kNow, every).After(now) {
			kNow--
		}
		k0 := int64(1)
		if from.After(due) {
			k0 = max(1, stepsBefore(due, from, every))
			for addSteps(due, k0, every).Before(from) {
				k0++
			}
		}
		if kNow >= k0 {
			n += kNow - k0 + 1
			if key := overdueKey(kNow); !sent(key) {
				latest = Reminder{Key: key, Kind: notify.KindOverdue, At: addSteps(due, kNow, every)}
			}
		}
	}
	c.Reminder = latest
	c.Missed = max(0, n-1)
	return c, true, nil
}

func overdueKey(k int64) string { return fmt.Sprintf("overdue:%d", k) }

// stepsBefore returns how many whole steps of every fit between due and t (t after
// due), counted in seconds when the span is too long for a time.Duration. It may be
// one short when every is not a whole number of seconds; callers step forward.
func stepsBefore(due, t time.Time, every time.Duration) int64 {
	if d := t.Sub(due); d < maxDuration {
		return int64(d / every)
	}
	secs := t.Unix() - due.Unix()
	es := int64(every / time.Second)
	if es < 1 {
		es = 1
	}
	return secs / es
}

// addSteps returns due + k*every without overflowing time.Duration: long spans are
// added in chunks a Duration can hold.
func addSteps(due time.Time, k int64, every time.Duration) time.Time {
	chunk := int64(maxDuration / every)
	t := due
	for k > chunk {
		t = t.Add(time.Duration(chunk) * every)
		k -= chunk
	}
	return t.Add(time.Duration(k) * every)
}

const maxDuration = time.Duration(1<<63 - 1)
