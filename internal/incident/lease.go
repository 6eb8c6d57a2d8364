package incident

import (
	"context"
	"time"
)

// Lease is one incident's hold on the containment of one Zendesk object (issue 17
// item 5). Two incidents can name the same compromised user or rogue webhook: the
// first to contain it holds the lease and the undo; the others rely on its change
// and register no undo of their own, so rolling one incident back never lifts a
// containment another open incident still relies on.
type Lease struct {
	// Object is the contained object's target key: "user:372003",
	// "webhook:01KJ...".
	Object     string    `json:"object" db:"object"`
	IncidentID string    `json:"incident_id" db:"incident_id"`
	StepID     string    `json:"step_id" db:"step_id"`
	Action     string    `json:"action" db:"action"`
	AcquiredAt time.Time `json:"acquired_at" db:"acquired_at"`
	// Applied is the change the holder must undo when it lets go, as the JSON of a
	// containment.ApplyResult; set when a lease passes from the incident that made
	// the change to one that relied on it, so the new holder can undo it.
	Applied string `json:"-" db:"applied"`
	// Relying are the incidents that rely on the holder's change, first come first.
	Relying []string `json:"relying,omitempty" db:"-"`
}

// LeaseRelease is what letting go of a lease did.
type LeaseRelease struct {
	// Held is true when the caller held the lease.
	Held bool `json:"held"`
	// PassedTo, when set, is the open incident that relied on the change and holds
	// the lease now: the caller must not undo the change.
	PassedTo string `json:"passed_to,omitempty"`
	// Holder is the incident holding the lease after the call, if any (PassedTo, or
	// another incident when the caller only relied on it).
	Holder string `json:"holder,omitempty"`
	// Applied is the change to undo when the caller held the lease and nobody
	// relies on it any more: the one the lease was passed with, "" when the caller
	// made the change itself (and holds its own undo).
	Applied string `json:"applied,omitempty"`
}

// LeaseStore keeps containment leases. Both methods are idempotent, so a retried
// activity is harmless.
type LeaseStore interface {
	// AcquireLease gives l.Object to l.IncidentID unless another incident holds it,
	// and returns the lease as it stands: held by l.IncidentID, or by the other
	// incident with l.IncidentID recorded among those relying on it.
	AcquireLease(ctx context.Context, l Lease) (Lease, error)
	// ReleaseLease lets incidentID go of object. If it held the lease and an open
	// incident (not closed in the store) relies on the change, the lease passes to
	// the first such incident with applied (the caller's change, as JSON) unless
	// the lease already carries one; otherwise the lease is deleted. If incidentID
	// only relied on it, it stops relying.
	ReleaseLease(ctx context.Context, object, incidentID, applied string) (LeaseRelease, error)
	// Leases returns the leases incidentID holds or relies on, by object.
	Leases(ctx context.Context, incidentID string) ([]Lease, error)
}
