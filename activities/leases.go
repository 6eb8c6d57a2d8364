package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"irflow/internal/incident"
)

// LeaseActivities keep containment leases in the store (issue 17 item 5): which
// incident's change holds a Zendesk object contained, and which other incidents
// rely on it.
type LeaseActivities struct {
	Store incident.LeaseStore
}

// AcquireLeaseInput is AcquireContainmentLease's input.
type AcquireLeaseInput struct {
	Object     string `json:"object"`
	IncidentID string `json:"incident_id"`
	StepID     string `json:"step_id"`
	Action     string `json:"action"`
}

// AcquireContainmentLease gives the object to the incident unless another holds it,
// and returns the lease as it stands. Idempotent, so a retry is harmless.
func (a *LeaseActivities) AcquireContainmentLease(ctx context.Context, in AcquireLeaseInput) (incident.Lease, error) {
	if a.Store == nil {
		return incident.Lease{}, temporal.NewNonRetryableApplicationError("containment leases: the worker has no store", "NoLeaseStore", nil)
	}
	l, err := a.Store.AcquireLease(ctx, incident.Lease{Object: in.Object, IncidentID: in.IncidentID, StepID: in.StepID, Action: in.Action})
	if err != nil {
		return incident.Lease{}, fmt.Errorf("%s takes the lease on %s: %w", in.IncidentID, in.Object, err)
	}
	return l, nil
}

// ReleaseLeaseInput is ReleaseContainmentLease's input.
type ReleaseLeaseInput struct {
	Object     string `json:"object"`
	IncidentID string `json:"incident_id"`
	// Applied is the incident's change to the object (a containment.ApplyResult as
	// JSON), passed on with the lease to an incident that relies on it.
	Applied string `json:"applied,omitempty"`
}

// ReleaseContainmentLease lets the incident go of the object: see
// incident.LeaseStore.ReleaseLease.
func (a *LeaseActivities) ReleaseContainmentLease(ctx context.Context, in ReleaseLeaseInput) (incident.LeaseRelease, error) {
	if a.Store == nil {
		return incident.LeaseRelease{}, temporal.NewNonRetryableApplicationError("containment leases: the worker has no store", "NoLeaseStore", nil)
	}
	r, err := a.Store.ReleaseLease(ctx, in.Object, in.IncidentID, in.Applied)
	if err != nil {
		return incident.LeaseRelease{}, fmt.Errorf("%s releases the lease on %s: %w", in.IncidentID, in.Object, err)
	}
	return r, nil
}
