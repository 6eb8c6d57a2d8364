package sqlite

import (
	"context"
	"fmt"
	"time"

	"irflow/internal/incident"
)

var _ incident.RateBudget = (*DB)(nil)

// ReserveRate implements incident.RateBudget. One upsert books the slot: SQLite
// serialises writers on the file, so processes sharing it never book one slot
// twice. The clock is this host's, which every process sharing the file shares.
// A caller that waited for the write lock books no earlier than the clock said
// before it waited, so a slot can be in the past; it then goes at once.
func (s *DB) ReserveRate(ctx context.Context, key string, interval time.Duration) (time.Duration, error) {
	now := time.Now().UnixNano()
	var tat int64
	if err := s.db.QueryRowxContext(ctx, `INSERT INTO rate_budgets (key, tat_ns) VALUES (?1, ?2 + ?3)
		ON CONFLICT (key) DO UPDATE SET tat_ns = MAX(rate_budgets.tat_ns, ?2) + ?3
		RETURNING tat_ns`, key, now, int64(interval)).Scan(&tat); err != nil {
		return 0, fmt.Errorf("reserve rate budget %s: %w", key, err)
	}
	// The wait runs from now, not from before the write: the time spent waiting
	// for the file's write lock is already spent.
	return time.Until(time.Unix(0, tat-int64(interval))), nil
}

// PauseRate implements incident.RateBudget.
func (s *DB) PauseRate(ctx context.Context, key string, d time.Duration) error {
	until := time.Now().Add(d).UnixNano()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO rate_budgets (key, tat_ns) VALUES (?1, ?2)
		ON CONFLICT (key) DO UPDATE SET tat_ns = MAX(rate_budgets.tat_ns, ?2)`, key, until); err != nil {
		return fmt.Errorf("pause rate budget %s: %w", key, err)
	}
	return nil
}
