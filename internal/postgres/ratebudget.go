package postgres

import (
	"context"
	"fmt"
	"time"

	"irflow/internal/incident"
)

var _ incident.RateBudget = (*DB)(nil)

// nowNS is the database's clock in Unix nanoseconds: every worker books slots by
// the same clock whatever its host's says.
const nowNS = `(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint`

// ReserveRate implements incident.RateBudget. One upsert books the slot under the
// row's lock, so concurrent workers never book one slot twice.
func (s *DB) ReserveRate(ctx context.Context, key string, interval time.Duration) (time.Duration, error) {
	var wait int64
	if err := s.db.QueryRowxContext(ctx, `WITH c AS MATERIALIZED (SELECT `+nowNS+` AS now_ns)
		INSERT INTO rate_budgets (key, tat_ns) SELECT $1, now_ns + $2 FROM c
		ON CONFLICT (key) DO UPDATE SET tat_ns = GREATEST(rate_budgets.tat_ns, (SELECT now_ns FROM c)) + $2
		RETURNING tat_ns - $2 - (SELECT now_ns FROM c)`, key, int64(interval)).Scan(&wait); err != nil {
		return 0, fmt.Errorf("reserve rate budget %s: %w", key, err)
	}
	return time.Duration(wait), nil
}

// PauseRate implements incident.RateBudget.
func (s *DB) PauseRate(ctx context.Context, key string, d time.Duration) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO rate_budgets (key, tat_ns) VALUES ($1, `+nowNS+` + $2)
		ON CONFLICT (key) DO UPDATE SET tat_ns = GREATEST(rate_budgets.tat_ns, EXCLUDED.tat_ns)`, key, int64(d)); err != nil {
		return fmt.Errorf("pause rate budget %s: %w", key, err)
	}
	return nil
}
