package incident

import (
	"encoding/json"
	"time"
)

// ObligationView is one obligation as `obligations list` and the HTTP API show it:
// the incident's record of the obligation and its clock's view.
type ObligationView struct {
	IncidentObligation
	// Clock is the clock's state as its last change recorded it, with the status and
	// the time left as of the read; absent for an obligation that does not apply.
	Clock *ClockView `json:"clock,omitempty"`
}

// View is the clock's state as of asOf: the status derived at that instant (an open
// clock past its due date is overdue even before its overdue reminder fires) and
// the time left. The clock query and the store's readers answer with it alike.
func (s ClockState) View(asOf time.Time) ClockView {
	v := ClockView{ClockState: s, AsOf: asOf}
	v.Refresh(asOf)
	if v.DueAt != nil {
		left := v.DueAt.Sub(asOf)
		v.TimeLeft = &left
	}
	return v
}

// MarshalJSON adds time_left_seconds to the view: time_left is a Go duration, so
// in JSON a count of nanoseconds, which scripts misread; time_left_seconds is the
// same instant-to-deadline span in whole seconds (negative when overdue, absent
// without a due date). Both are kept so readers of either keep working.
func (v ClockView) MarshalJSON() ([]byte, error) {
	type plain ClockView // without this method
	out := struct {
		plain
		TimeLeftSeconds *int64 `json:"time_left_seconds,omitempty"`
	}{plain: plain(v)}
	if v.TimeLeft != nil {
		s := int64(*v.TimeLeft / time.Second)
		out.TimeLeftSeconds = &s
	}
	return json.Marshal(out)
}
