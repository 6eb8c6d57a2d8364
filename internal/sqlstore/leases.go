package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
)

// AcquireLease implements incident.LeaseStore. Of two incidents asking at once, the
// second is served after the first: on SQLite its transaction is immediate (the
// DSN's _txlock) and waits for the first's to end; on PostgreSQL its insert waits
// for the first's to commit and then does nothing, and its read (a new snapshot
// under READ COMMITTED) sees the first as the holder.
func (s *Store) AcquireLease(ctx context.Context, l incident.Lease) (incident.Lease, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return incident.Lease{}, fmt.Errorf("acquire lease on %s: %w", l.Object, err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.Now().UTC()
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO containment_leases (object, incident_id, step_id, action, acquired_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT(object) DO NOTHING`), l.Object, l.IncidentID, l.StepID, l.Action, now); err != nil {
		return incident.Lease{}, fmt.Errorf("acquire lease on %s: %w", l.Object, err)
	}
	var got incident.Lease
	if err := tx.GetContext(ctx, &got, s.q(`SELECT object, incident_id, step_id, action, acquired_at, applied
FROM containment_leases WHERE object = ?`), l.Object); err != nil {
		return incident.Lease{}, fmt.Errorf("read lease on %s: %w", l.Object, err)
	}
	if got.IncidentID != l.IncidentID {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO containment_lease_relying (object, incident_id, since)
VALUES (?, ?, ?) ON CONFLICT(object, incident_id) DO NOTHING`), l.Object, l.IncidentID, now); err != nil {
			return incident.Lease{}, fmt.Errorf("rely on lease on %s: %w", l.Object, err)
		}
	}
	if got.Relying, err = s.relying(ctx, tx, l.Object); err != nil {
		return incident.Lease{}, err
	}
	if err := tx.Commit(); err != nil {
		return incident.Lease{}, fmt.Errorf("acquire lease on %s: %w", l.Object, err)
	}
	return got, nil
}

// ReleaseLease implements incident.LeaseStore.
func (s *Store) ReleaseLease(ctx context.Context, object, incidentID, applied string) (incident.LeaseRelease, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return incident.LeaseRelease{}, fmt.Errorf("release lease on %s: %w", object, err)
	}
	defer func() { _ = tx.Rollback() }()
	var l incident.Lease
	err = tx.GetContext(ctx, &l, s.q(`SELECT object, incident_id, step_id, action, acquired_at, applied
FROM containment_leases WHERE object = ?`+s.d.ForUpdate), s.text(object))
	var out incident.LeaseRelease
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Nobody holds it (released before, or never taken): stop relying, if at all.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM containment_lease_relying WHERE object = ? AND incident_id = ?`), object, incidentID); err != nil {
			return out, fmt.Errorf("release lease on %s: %w", object, err)
		}
	case err != nil:
		return out, fmt.Errorf("read lease on %s: %w", object, err)
	case l.IncidentID != incidentID:
		out.Holder = l.IncidentID
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM containment_lease_relying WHERE object = ? AND incident_id = ?`), object, incidentID); err != nil {
			return out, fmt.Errorf("release lease on %s: %w", object, err)
		}
	default:
		out.Held = true
		// The first relying incident that is still open (one the store has not seen
		// is taken as open: it is being declared).
		var next string
		err := tx.GetContext(ctx, &next, s.q(`SELECT r.incident_id FROM containment_lease_relying r
LEFT JOIN incidents i ON i.id = r.incident_id
WHERE r.object = ? AND r.incident_id <> ? AND COALESCE(i.phase, '') <> 'closed'
ORDER BY r.since, r.`+s.d.InsertOrder+` LIMIT 1`), object, incidentID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM containment_leases WHERE object = ?`), object); err != nil {
				return out, fmt.Errorf("release lease on %s: %w", object, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM containment_lease_relying WHERE object = ?`), object); err != nil {
				return out, fmt.Errorf("release lease on %s: %w", object, err)
			}
			out.Applied = l.Applied
		case err != nil:
			return out, fmt.Errorf("find who relies on %s: %w", object, err)
		default:
			if l.Applied != "" {
				applied = l.Applied
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE containment_leases SET incident_id = ?, acquired_at = ?, applied = ? WHERE object = ?`),
				next, s.Now().UTC(), applied, object); err != nil {
				return out, fmt.Errorf("pass lease on %s to %s: %w", object, next, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM containment_lease_relying WHERE object = ? AND incident_id IN (?, ?)`), object, next, incidentID); err != nil {
				return out, fmt.Errorf("pass lease on %s to %s: %w", object, next, err)
			}
			out.PassedTo, out.Holder = next, next
		}
	}
	if err := tx.Commit(); err != nil {
		return incident.LeaseRelease{}, fmt.Errorf("release lease on %s: %w", object, err)
	}
	return out, nil
}

// Leases implements incident.LeaseStore.
func (s *Store) Leases(ctx context.Context, incidentID string) ([]incident.Lease, error) {
	var out []incident.Lease
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT object, incident_id, step_id, action, acquired_at, applied
FROM containment_leases WHERE incident_id = ? OR object IN (SELECT object FROM containment_lease_relying WHERE incident_id = ?)
ORDER BY object`), incidentID, incidentID); err != nil {
		return nil, fmt.Errorf("leases of %s: %w", incidentID, err)
	}
	for i := range out {
		r, err := s.relying(ctx, s.db, out[i].Object)
		if err != nil {
			return nil, err
		}
		out[i].Relying = r
	}
	return out, nil
}

// relying lists the incidents relying on object's lease, first come first.
func (s *Store) relying(ctx context.Context, db sqlx.QueryerContext, object string) ([]string, error) {
	var ids []string
	if err := sqlx.SelectContext(ctx, db, &ids, s.q(`SELECT incident_id FROM containment_lease_relying WHERE object = ? ORDER BY since, `+s.d.InsertOrder), object); err != nil {
		return nil, fmt.Errorf("who relies on %s: %w", object, err)
	}
	return ids, nil
}
