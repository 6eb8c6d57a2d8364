package obligations

import (
	"fmt"
	"time"

	"irflow/internal/notify"
	"irflow/playbooks/regimes"
)

// LateReminder is the reminder a clock armed after its due date sends at once:
// the last one of its schedule (due, or the latest daily overdue reminder) that
// fell before from, the instant the clock was armed, re-timed to from and sent
// as overdue. Without it, a clock armed late (a trigger set to an instant long
// past, a chained clock whose predecessor was fulfilled after this one's
// backstop) stayed silent until the next daily boundary, up to 24 hours with a
// deadline already missed (issue 14). Later reminders follow NextReminder's daily
// boundaries. ok is false when from is not after due, when the schedule has no
// reminder at or after due, or when that reminder was already sent.
func LateReminder(due time.Time, r regimes.Reminders, from time.Time, sent func(key string) bool) (Reminder, bool, error) {
	if !from.After(due) {
		return Reminder{}, false, nil
	}
	every, err := overdueEvery(r)
	if err != nil {
		return Reminder{}, false, err
	}
	key := ""
	if every > 0 && from.Sub(due) >= every {
		key = fmt.Sprintf("overdue:%d", int(from.Sub(due)/every))
	} else if r.AtDue == nil || *r.AtDue {
		key = "due"
	} else if every > 0 {
		// No reminder at due and the first overdue one is still ahead: the
		// schedule asked for silence until then.
		return Reminder{}, false, nil
	}
	if key == "" || sent(key) {
		return Reminder{}, false, nil
	}
	return Reminder{Key: key, Kind: notify.KindOverdue, At: from}, true, nil
}
