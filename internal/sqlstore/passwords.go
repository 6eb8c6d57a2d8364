package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"irflow/internal/incident"
)

// SetPasswordHash implements incident.UserStore.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ? WHERE id = ?`), s.texts(hash, id)...)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	} else if n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	return nil
}

// PasswordHash implements incident.UserStore.
func (s *Store) PasswordHash(ctx context.Context, id string) (string, error) {
	var h string
	err := s.db.GetContext(ctx, &h, s.q(`SELECT password_hash FROM users WHERE id = ?`), s.text(id))
	if errors.Is(err, sql.ErrNoRows) {
		return "", incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return "", fmt.Errorf("password of %s: %w", id, err)
	}
	return h, nil
}
