// Package incident holds irflow's domain types: the incident state that the workflow
// exposes through its `state` query, the timeline, and the error codes the HTTP API
// and CLI map to statuses. It imports no adapter (no Temporal, SQLite or HTTP), so
// every other package can depend on it.
package incident

import (
	"fmt"
	"regexp"
	"time"
)

// Phase is where an incident stands in its lifecycle.
type Phase string

// The phases, in order. Every incident moves forward through them; a phase that has
// no work for this incident is recorded as skipped in the timeline, with the reason.
const (
	PhaseDeclared     Phase = "declared"
	PhaseTriage       Phase = "triage"
	PhaseContainment  Phase = "containment"
	PhaseNotification Phase = "notification"
	PhaseClosed       Phase = "closed"
)

// TimelineEntry is one recorded event. The timeline is append-only: it is the record a
// post-incident report and a regulator (GDPR Art. 33(5)) read.
type TimelineEntry struct {
	Seq   int       `json:"seq" db:"seq"`
	At    time.Time `json:"at" db:"at"`
	Actor string    `json:"actor" db:"actor"`
	// Via is the channel the actor acted through (api, slack, web, cli, system),
	// as verified by the transport; empty when no identity was verified.
	Via string `json:"via,omitempty" db:"via"`
	// ExternalID is the actor's own id in the channel Via (the Slack user id of
	// an action taken in Slack); empty for channels without one.
	ExternalID string `json:"external_id,omitempty" db:"external_id"`
	Kind       string `json:"kind" db:"kind"`
	Text       string `json:"text" db:"text"`
	// Data carries structured detail (clause ids, before/after state) as JSON.
	Data string `json:"data,omitempty" db:"data"`
}

// Timeline entry kinds.
const (
	KindDeclared     = "declared"
	KindPhase        = "phase"
	KindNote         = "note"
	KindClosed       = "closed"
	KindSkipped      = "skipped"
	KindFacts        = "facts"
	KindOwnership    = "ownership"
	KindTriage       = "triage"
	KindStep         = "step"
	KindEvidence     = "evidence"
	KindObligation   = "obligation"
	KindDisagreement = "disagreement"
)

// EvidenceManifest is the SHA-256 of an incident's evidence manifest as recorded in
// the store at collection time: the chain-of-custody anchor `irflow evidence verify`
// checks a folder against.
type EvidenceManifest struct {
	IncidentID   string    `db:"incident_id" json:"incident_id"`
	ManifestPath string    `db:"manifest_path" json:"manifest_path"`
	SHA256       string    `db:"sha256" json:"sha256"`
	Files        int       `db:"files" json:"files"`
	Records      int64     `db:"records" json:"records"`
	Gaps         int       `db:"gaps" json:"gaps"`
	RecordedAt   time.Time `db:"recorded_at" json:"recorded_at"`
}

// Summary is the incident as the store and the list commands see it.
type Summary struct {
	ID          string     `json:"id" db:"id"`
	WorkflowID  string     `json:"workflow_id" db:"workflow_id"`
	Title       string     `json:"title" db:"title"`
	Playbook    string     `json:"playbook" db:"playbook"`
	Phase       Phase      `json:"phase" db:"phase"`
	Severity    string     `json:"severity,omitempty" db:"severity"`
	Owner       string     `json:"owner,omitempty" db:"owner"`
	DeclaredAt  time.Time  `json:"declared_at" db:"declared_at"`
	ClosedAt    *time.Time `json:"closed_at,omitempty" db:"closed_at"`
	UpdatedAt   time.Time  `json:"updated_at" db:"updated_at"`
	CloseReason string     `json:"close_reason,omitempty" db:"close_reason"`
}

var idPattern = regexp.MustCompile(`^INC-[0-9]{8}-[0-9]{3,}$`)

// FormatID renders the human-readable incident id for the nth incident declared on
// day (UTC): INC-YYYYMMDD-NNN.
func FormatID(day time.Time, n int) string {
	return fmt.Sprintf("INC-%s-%03d", day.UTC().Format("20060102"), n)
}

// ValidID reports whether s has the shape of an incident id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// Error codes, mapped to HTTP statuses in one table in the HTTP package and to exit
// statuses in the CLI.
const (
	EINVALID = "invalid"
	// ETOOLARGE is a request too large to read at all (HTTP 413); a field over
	// its limit in a request that was read is EINVALID.
	ETOOLARGE     = "too_large"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"
)

// Error is an error whose Message is safe to show to a user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ShortHash abbreviates a hex digest for display; the full one stays in the JSON.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
