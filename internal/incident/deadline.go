package incident

// Deadline is one obligation clock on legal's deadline board: its row in the store,
// its view as of the read (status and time left), and the incident it belongs to.
type Deadline struct {
	ObligationRecord
	View     ClockView `json:"view"`
	Incident Summary   `json:"incident"`
}
