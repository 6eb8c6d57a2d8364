package incident

import (
	"fmt"
	"time"
)

// Deadline is one obligation clock on legal's deadline board: its row in the store,
// its view as of the read (status and time left), and the incident it belongs to.
type Deadline struct {
	ObligationRecord
	View     ClockView `json:"view"`
	Incident Summary   `json:"incident"`
}

// Span renders a duration as people read a deadline: "26d 15h", "5h 12m", "12m",
// rounded down to the minute. A negative d renders as its magnitude: the caller says
// whether it is left or overdue. The CLI, Slack, the web UI and the reports all
// render time left with it, so they agree to the minute.
func Span(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Minute)
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	}
	return fmt.Sprintf("%dm", m)
}
