package incident

import (
	"encoding/json"
	"irflow/internal/facts"
	"irflow/internal/ownership"
	"time"
)

// OwnershipState is the ownership determination in force, and where it came from.
// The embedded Determination is the effective one: the engine's while no human has
// decided, the human's afterwards. A later recomputation never silently replaces a
// human decision; when it disagrees, Disagreement says so and Computed holds it.
type OwnershipState struct {
	ownership.Determination
	Source         string     `json:"source"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	// Computed is the engine's latest determination when a human decision stands.
	Computed *ownership.Determination `json:"computed,omitempty"`
	// Disagreement explains how the engine's latest determination differs from the
	// human decision in force; empty when they agree.
	Disagreement string `json:"disagreement,omitempty"`
}

// OwnershipBrief is the part of a determination a revision records.
type OwnershipBrief struct {
	Owner      ownership.Owner      `json:"owner"`
	Clauses    []string             `json:"clauses"`
	Confidence ownership.Confidence `json:"confidence"`
}

// OwnershipRevision is one change of the ownership in force.
type OwnershipRevision struct {
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	From   OwnershipBrief `json:"from"`
	To     OwnershipBrief `json:"to"`
	Reason string         `json:"reason"`
}

// SetFactsRequest is the set_facts Update's argument.
type SetFactsRequest struct {
	Actor string `json:"actor"`
	// Patch is a JSON merge patch (RFC 7396) on the facts document: null clears a
	// field, arrays replace.
	Patch  json.RawMessage `json:"patch"`
	Reason string          `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// SetFactsResult is what set_facts returns.
type SetFactsResult struct {
	Facts     facts.Document `json:"facts"`
	Ownership OwnershipState `json:"ownership"`
	Severity  string         `json:"severity"`
}

// ConfirmOwnershipRequest is the confirm_ownership Update's argument.
type ConfirmOwnershipRequest struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// OverrideOwnershipRequest is the override_ownership Update's argument.
type OverrideOwnershipRequest struct {
	Owner string `json:"owner"`
	// Clauses optionally replace the computed clause ids; each must be an SRM id.
	Clauses []string `json:"clauses,omitempty"`
	Actor   string   `json:"actor"`
	Reason  string   `json:"reason"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// Ownership sources.
const (
	OwnershipComputed   = "computed"
	OwnershipConfirmed  = "confirmed"
	OwnershipOverridden = "overridden"
)
