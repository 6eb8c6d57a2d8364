package incident

import (
	"irflow/internal/containment"
	"time"
)

// StepStatus is where a containment step is in its life.
type StepStatus string

// ApproveStepRequest is the payload of the approve_step Update.
type ApproveStepRequest struct {
	Step   string `json:"step"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// SkipStepRequest is the payload of the skip_step Update.
type SkipStepRequest struct {
	Step   string `json:"step"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// RetryStepRequest is the payload of the retry_step Update: run a failed or
// no_targets step again, with the same idempotency keys.
type RetryStepRequest struct {
	Step   string `json:"step"`
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// StepRetry records one retry of a step: who asked, when, and what the attempt
// before it ended with.
type StepRetry struct {
	Actor string `json:"actor"`
	Via   string `json:"via,omitempty"`
	// ExternalID is the actor's id in the channel Via (see Actor.ExternalID).
	ExternalID   string     `json:"external_id,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	At           time.Time  `json:"at"`
	PriorStatus  StepStatus `json:"prior_status"`
	PriorErrors  []string   `json:"prior_errors,omitempty"`
	MissingFacts string     `json:"missing_facts,omitempty"`
}

// RollbackRequest is the payload of the rollback Update.
type RollbackRequest struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// RollbackResult is the answer to the rollback Update.
type RollbackResult struct {
	Undone []containment.UndoResult `json:"undone"`
	// Failed names the undos that failed; a later rollback retries them.
	Failed []string `json:"failed"`
	// Kept names completed steps that cannot be undone (irreversible actions).
	Kept []string `json:"kept"`
}

// StepState is one containment step and everything that happened to it. It is part
// of the incident workflow's state, so every field is exported and serializable.
type StepState struct {
	Step   containment.Step `json:"step"`
	Status StepStatus       `json:"status"`
	// Targets are the objects the step acts on, frozen when it is approved (so the
	// approver approves exactly these) or when it starts.
	Targets        []containment.Target `json:"targets,omitempty"`
	IdempotencyKey string               `json:"idempotency_key,omitempty"`
	ApprovedBy     string               `json:"approved_by,omitempty"`
	ApprovalReason string               `json:"approval_reason,omitempty"`
	ApprovedAt     *time.Time           `json:"approved_at,omitempty"`
	// Approvals lists each approval of a step that needs several (separation of
	// duties); the step is approved when it has as many as it needs.
	Approvals  []Approval `json:"approvals,omitempty"`
	SkippedBy  string     `json:"skipped_by,omitempty"`
	SkipReason string     `json:"skip_reason,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Results holds one entry per target the action was applied to.
	Results []containment.ApplyResult `json:"results,omitempty"`
	// Errors holds one message per target the action failed on.
	Errors []string `json:"errors,omitempty"`
	// MissingFacts is the facts path (e.g. "zendesk.users") a no_targets step
	// would have taken its targets from.
	MissingFacts string `json:"missing_facts,omitempty"`
	// Retries lists each retry of the step, oldest first, with the errors the
	// attempt before it ended with.
	Retries []StepRetry              `json:"retries,omitempty"`
	Undone  []containment.UndoResult `json:"undone,omitempty"`
	// BeforeState says, per target of a step that deletes or revokes (sessions, API
	// and OAuth tokens), which evidence file holds what it destroyed, or the gap.
	BeforeState []BeforeState `json:"before_state,omitempty"`
}

// BeforeState is the snapshot of one target's objects taken before a destructive
// step acted on it (issue 17 item 4).
type BeforeState struct {
	Target containment.Target `json:"target"`
	// Path is relative to the evidence root: "<incident>.before/<step>-<target>.ndjson".
	Path    string `json:"path,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	Records int    `json:"records,omitempty"`
	// Gap says why nothing was kept: the objects were gone before the step ran.
	Gap string `json:"gap,omitempty"`
}

// RollbackRecord says who rolled containment back and how far it got.
type RollbackRecord struct {
	Actor    string     `json:"actor"`
	Reason   string     `json:"reason,omitempty"`
	At       time.Time  `json:"at"`
	Complete bool       `json:"complete"`
	DoneAt   *time.Time `json:"done_at,omitempty"`
}

// Step statuses.
const (
	StepPending          StepStatus = "pending"
	StepAwaitingApproval StepStatus = "awaiting_approval"
	StepApproved         StepStatus = "approved"
	StepRunning          StepStatus = "running"
	StepDone             StepStatus = "done"
	StepFailed           StepStatus = "failed"
	StepSkipped          StepStatus = "skipped"
	// StepCancelled: the step never ran because containment was rolled back first.
	StepCancelled StepStatus = "cancelled"
	// StepRolledBack: the step ran and rollback undid every change it made.
	StepRolledBack StepStatus = "rolled_back"
	// StepNoTargets: the step found nothing to act on (its facts list is empty);
	// StepState.MissingFacts names the facts path to fill, after which a
	// commander retries it. Not a failure: nothing went wrong in Zendesk.
	StepNoTargets StepStatus = "no_targets"
)

// Approval is one person's approval of a containment step.
type Approval struct {
	Actor string `json:"actor"`
	Via   string `json:"via,omitempty"`
	// ExternalID is the approver's id in the channel Via (the Slack user id of an
	// approval given in Slack; see Actor.ExternalID).
	ExternalID string    `json:"external_id,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}
