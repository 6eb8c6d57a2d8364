package incident

import "time"

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
