package facts

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// EarliestInstant is the earliest timeline instant a facts document may give.
// Deadlines and reminders computed from it must stay within what JSON and Temporal
// carry; 1900 is far enough back for any real trigger. A later floor (1970) is not
// needed to stop a flood of overdue reminders: the obligation clock counts overdue
// steps without overflow and sends one "overdue since" notice for every reminder
// that fell due before it started (issue 17 item 1), so a trigger in 1900 costs one
// notice, not 46,000.
var EarliestInstant = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxAhead is how far ahead of now a timeline instant may lie: a trigger is
// something that happened, so a later one is a typo (a year 2206 for 2026) that
// would make every clock wait for centuries. It allows for clocks out of step and
// time zones entered wrongly. set-trigger (workflows) uses the same bound.
const MaxAhead = 24 * time.Hour

// CheckInstants checks every timeline instant of d against [EarliestInstant,
// now+MaxAhead] and returns every problem, each naming its field, as an Errors
// value; nil when all are in range. It is separate from Validate because it reads
// the clock: decoders call it with time.Now, workflow validators with workflow.Now.
func (d Document) CheckInstants(now time.Time) error {
	var errs Errors
	latest := now.Add(MaxAhead)
	v := reflect.ValueOf(d.Timeline)
	for i := range v.NumField() {
		t, ok := v.Field(i).Interface().(*time.Time)
		if !ok || t == nil {
			continue
		}
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		switch {
		case t.Before(EarliestInstant):
			errs = append(errs, &FieldError{Path: "timeline." + name, Msg: fmt.Sprintf("%s is before %d; give the instant it happened",
				t.UTC().Format(time.RFC3339), EarliestInstant.Year())})
		case t.After(latest):
			errs = append(errs, &FieldError{Path: "timeline." + name, Msg: fmt.Sprintf("%s is more than %s in the future (now %s)",
				t.UTC().Format(time.RFC3339), MaxAhead, now.UTC().Format(time.RFC3339))})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
