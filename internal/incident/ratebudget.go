package incident

import (
	"context"
	"time"
)

// RateBudget spaces requests to an external system across every process that shares
// the store: one budget per key (one Zendesk instance, say), not one per worker, so
// three workers do not send three times the instance's limit. It is a token bucket
// in its GCRA form with a burst of one: the store keeps, per key, the earliest
// instant the next request may go (its theoretical arrival time), by the store's
// own clock, so workers on hosts whose clocks differ still space their requests.
type RateBudget interface {
	// ReserveRate books the next slot of key's budget, interval after the slot
	// booked before it (or now, when that has passed), and returns how long the
	// caller must wait for it. Every call books a slot: a caller that gives up
	// waiting leaves a gap in the budget, never an excess.
	ReserveRate(ctx context.Context, key string, interval time.Duration) (time.Duration, error)
	// PauseRate admits no slot of key's budget for d from now (a 429's
	// Retry-After seen by any worker throttles them all). A pause never shortens
	// slots already booked.
	PauseRate(ctx context.Context, key string, d time.Duration) error
}
