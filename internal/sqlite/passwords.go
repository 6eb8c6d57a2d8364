package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"irflow/internal/incident"
)

// SetPasswordHash implements incident.UserStore.
func (s *DB) SetPasswordHash(ctx context.Context, id, hash string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	return nil
}

// PasswordHash implements incident.UserStore.
func (s *DB) PasswordHash(ctx context.Context, id string) (string, error) {
	var h string
	err := s.db.GetContext(ctx, &h, `SELECT password_hash FROM users WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return "", fmt.Errorf("password of %s: %w", id, err)
	}
	return h, nil
}
