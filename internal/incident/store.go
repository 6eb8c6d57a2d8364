package incident

import (
	"context"
	"time"
)

// Store is irflow's read model: every list, board, search and report reads from it,
// and a closed incident (whose workflow history the namespace's retention deletes)
// is shown from it alone. Workflows write it through activities, so every method
// that writes must be idempotent: a retried or replayed activity repeats a write,
// and a late one must never move a row backwards (versions order the writes).
// Activities run on several workers at once, so every method is safe for concurrent
// use and concurrent writes serialise as if they had run one after another.
//
// Times come back in UTC, exact to the microsecond at least (PostgreSQL's timestamptz
// keeps no more), whatever zone they were saved in; filters and orders compare
// instants, never their text.
//
// internal/sqlite implements it; internal/storetest is the contract test suite that
// every implementation runs unchanged.
type Store interface {
	// SaveIncident writes the incident's summary and state (without the timeline) and
	// appends timeline entries in one transaction. Entries already stored (same
	// incident and seq) are skipped, even when their content differs: the first write
	// stands, because the timeline is append-only. A save older than the stored
	// version leaves the summary and state as they are but still appends its entries;
	// a save of the stored version replaces them (a retry writes the same again).
	SaveIncident(ctx context.Context, save IncidentSave) error
	// GetIncident returns the summary and the last stored state JSON; ENOTFOUND
	// when the store has never seen the incident.
	GetIncident(ctx context.Context, id string) (StoredIncident, error)
	// ListIncidents returns the incidents matching f, newest declared first (the
	// higher id first when two were declared at the same instant).
	ListIncidents(ctx context.Context, f ListFilter) ([]Summary, error)
	// Timeline returns an incident's timeline in seq order; empty, not an error, for
	// an incident the store has not seen.
	Timeline(ctx context.Context, id string) ([]TimelineEntry, error)

	// SaveObligation upserts one obligation clock's row, keyed by ClockWorkflowID: an
	// obligation that comes back after its clock was retired runs under a new clock
	// id and gets a row of its own beside the retired one. A save whose Revision is
	// lower than the stored one is ignored, so reordered or retried saves never
	// move a clock backwards; a save of the stored Revision replaces the row (a retry
	// writes the same again).
	SaveObligation(ctx context.Context, o ObligationRecord) error
	// Obligations returns obligation rows matching f, ordered by due date (rows
	// without one last), then incident id, obligation id and clock workflow id.
	Obligations(ctx context.Context, f ObligationFilter) ([]ObligationRecord, error)

	// SaveEvidenceManifest records an evidence manifest's hash, the store setting
	// RecordedAt. Saving a manifest already recorded for the incident (same SHA256)
	// is a no-op: it neither duplicates it nor makes it the latest again.
	SaveEvidenceManifest(ctx context.Context, m EvidenceManifest) error
	// LatestEvidenceManifest returns the manifest recorded last for an incident, in
	// the order the saves reached the store (not by a clock that may tick coarsely
	// or step back); ENOTFOUND when there is none.
	LatestEvidenceManifest(ctx context.Context, incidentID string) (EvidenceManifest, error)
}

// IncidentSave is one write of an incident by its workflow.
type IncidentSave struct {
	Summary Summary `json:"summary"`
	// StateJSON is the State the `state` query returns, without its timeline.
	// Empty keeps the stored state (a save that only appends timeline rows and
	// moves the summary, such as a note); a first save without one stores "{}".
	StateJSON string `json:"state_json"`
	// Version orders saves; the store keeps the newest.
	Version int64 `json:"version"`
	// Entries are timeline entries not yet stored.
	Entries []TimelineEntry `json:"entries"`
}

// StoredIncident is an incident as the store holds it.
type StoredIncident struct {
	Summary
	// StateJSON is the stored save's state: the same JSON document, though not
	// necessarily the same bytes (a JSON column may reformat it).
	StateJSON string `json:"state_json" db:"state_json"`
	Version   int64  `json:"version" db:"version"`
}

// ListFilter narrows ListIncidents. Zero values mean "any".
type ListFilter struct {
	Phase string
	// Open selects incidents not closed when true.
	Open bool
	// Query matches id, title or playbook: a literal substring (% and _ are not
	// wildcards), case-insensitive for ASCII letters at least.
	Query string
	Limit int
}

// ObligationRecord is one obligation clock as the store holds it: the columns that
// lists and the deadline board filter and sort on, and the clock's whole state. A
// clock writes its row on every change, before and after its incident closes, so
// the store answers for a legal duty as long as it runs and after it ends.
type ObligationRecord struct {
	IncidentID      string `json:"incident_id" db:"incident_id"`
	ObligationID    string `json:"obligation_id" db:"obligation_id"`
	ClockWorkflowID string `json:"clock_workflow_id" db:"clock_workflow_id"`
	Rule            string `json:"rule" db:"rule"`
	Jurisdiction    string `json:"jurisdiction" db:"jurisdiction"`
	Audience        string `json:"audience" db:"audience"`
	Verification    string `json:"verification" db:"verification"`
	// DependsOn is the obligation this one's clock runs from (a chained deadline);
	// empty when it has its own trigger.
	DependsOn string `json:"depends_on,omitempty" db:"depends_on"`
	// Status is Clock.Status as of this revision; ObligationFilter.Open reads it.
	Status      string     `json:"status" db:"status"`
	TriggerAt   *time.Time `json:"trigger_at,omitempty" db:"trigger_at"`
	DueAt       *time.Time `json:"due_at,omitempty" db:"due_at"`
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty" db:"fulfilled_at"`
	// Revision counts the clock's changes; the store keeps the highest.
	Revision  int64     `json:"revision" db:"revision"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
	// Clock is the clock's whole state (fulfilment, pauses, reminders, history).
	Clock ClockState `json:"clock" db:"-"`
}

// Final reports whether the clock has ended (fulfilled, waived or retired).
func (r ObligationRecord) Final() bool { return r.Clock.Terminal() }

// ObligationFilter narrows Obligations. Zero values mean "any".
type ObligationFilter struct {
	IncidentID   string
	ObligationID string
	// DependsOn selects the obligations chained to this one.
	DependsOn string
	// Open selects clocks that have not ended: Status is not fulfilled, waived or
	// retired (overdue, paused and waiting clocks are open duties).
	Open         bool
	Jurisdiction string
	Audience     string
	Rule         string
	Limit        int
}
