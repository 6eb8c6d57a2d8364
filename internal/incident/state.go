package incident

import (
	"irflow/internal/facts"
	"irflow/internal/triage"
	"time"
)

// State is the incident as the `state` query returns it. Its JSON field names are a
// contract other tools rely on.
type State struct {
	ID           string          `json:"id"`
	WorkflowID   string          `json:"workflow_id"`
	Title        string          `json:"title"`
	Playbook     string          `json:"playbook"`
	PlaybookHash string          `json:"playbook_hash"`
	Phase        Phase           `json:"phase"`
	Facts        facts.Document  `json:"facts"`
	Timeline     []TimelineEntry `json:"timeline"`
	// TimelineFrom, when above 1, is the seq of Timeline's first entry: the
	// workflow continued-as-new and the earlier entries are in the store only.
	TimelineFrom int `json:"timeline_from,omitempty"`
	// Steps are the playbook's containment steps with their status and results.
	Steps []StepState `json:"steps"`
	// Rollback says who rolled containment back and how far it got.
	Rollback *RollbackRecord `json:"rollback,omitempty"`
	// Leases are the containment leases the incident holds or relies on, read from
	// the store by show (issue 17 item 5): the object, the incident holding it and
	// those relying on its change.
	Leases []Lease `json:"leases,omitempty"`
	// Obligations are the notification duties the facts trigger, each with its
	// clock; applicable ones first, by due date.
	Obligations []IncidentObligation `json:"obligations"`
	// Evidence is the evidence collection's progress and, when done, the manifest
	// and its SHA-256 (the chain-of-custody anchor).
	Evidence EvidenceStatus `json:"evidence"`
	// Ownership is the determination in force (SRM section VI); OwnershipHistory
	// lists every revision of it.
	Ownership        OwnershipState      `json:"ownership"`
	OwnershipHistory []OwnershipRevision `json:"ownership_history"`
	// Severity is SEV1 (worst) to SEV4, with the reason and the playbooks that fit.
	Severity           string              `json:"severity"`
	SeverityReason     string              `json:"severity_reason"`
	SuggestedPlaybooks []triage.Suggestion `json:"suggested_playbooks"`
	DeclaredAt         time.Time           `json:"declared_at"`
	DeclaredBy         string              `json:"declared_by"`
	ClosedAt           *time.Time          `json:"closed_at,omitempty"`
	CloseReason        string              `json:"close_reason,omitempty"`
	// Notices are the notices drafted for the incident's obligations, with their
	// delivery counts, from the store (the service adds them; the workflow's query
	// leaves them out).
	Notices []NoticeSummary `json:"notices,omitempty"`
}

// NoteRequest is the add_note Update's argument.
type NoteRequest struct {
	Actor string `json:"actor"`
	Text  string `json:"text"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// CloseRequest is the close Update's argument.
type CloseRequest struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}
