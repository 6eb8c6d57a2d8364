package containment

import "time"

// Activity names, as the worker registers the methods of
// activities.ContainmentActivities. Workflows call activities by these names so that
// they never import the Zendesk adapter.
const (
	ActivityApply = "ApplyContainment"
	ActivityUndo  = "UndoContainment"
)

// State is a snapshot of the fields of a Zendesk object that an action reads or
// changes (for example {"suspended": false} or {"role": "admin"}). It never holds a
// secret: API tokens are described by metadata only.
type State map[string]any

// ApplyInput is the input of the ApplyContainment activity: one action on one target.
type ApplyInput struct {
	IncidentID string         `json:"incident_id"`
	StepID     string         `json:"step_id"`
	Action     string         `json:"action"`
	Params     map[string]any `json:"params,omitempty"`
	Target     Target         `json:"target"`
	// IdempotencyKey is generated once per step and target by the workflow. The
	// activity checks the target's state before acting, so a retry after a mutation
	// that was applied but not acknowledged finds it done and changes nothing.
	IdempotencyKey string `json:"idempotency_key"`
}

// ApplyResult is what one action did to one target.
type ApplyResult struct {
	StepID string `json:"step_id"`
	Action string `json:"action"`
	Target Target `json:"target"`
	// Changed is false when the target was already in the wanted state (no-op).
	Changed bool  `json:"changed"`
	Before  State `json:"before,omitempty"`
	After   State `json:"after,omitempty"`
	// Undo holds what the undo action needs to restore Before (previous role,
	// previous webhook status, ...). Empty when there is nothing to undo.
	Undo State `json:"undo,omitempty"`
	// RequestIDs are Zendesk's X-Request-Id values of the requests that changed or
	// read the target, for correlating with Zendesk's own logs.
	RequestIDs     []string  `json:"request_ids,omitempty"`
	At             time.Time `json:"at"`
	Note           string    `json:"note,omitempty"`
	IdempotencyKey string    `json:"idempotency_key"`
}

// UndoInput is the input of the UndoContainment activity: reverse one ApplyResult.
type UndoInput struct {
	IncidentID     string      `json:"incident_id"`
	Applied        ApplyResult `json:"applied"`
	IdempotencyKey string      `json:"idempotency_key"`
}

// UndoResult is what undoing one ApplyResult did.
type UndoResult struct {
	StepID string `json:"step_id"`
	// Action is the undo action that ran (for example unsuspend_user).
	Action         string    `json:"action"`
	Target         Target    `json:"target"`
	Changed        bool      `json:"changed"`
	Before         State     `json:"before,omitempty"`
	After          State     `json:"after,omitempty"`
	RequestIDs     []string  `json:"request_ids,omitempty"`
	At             time.Time `json:"at"`
	Note           string    `json:"note,omitempty"`
	IdempotencyKey string    `json:"idempotency_key"`
}
