package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"irflow/internal/incident"
)

var _ incident.UserStore = (*DB)(nil)

// CreateUser implements incident.UserStore.
func (s *DB) CreateUser(ctx context.Context, u incident.User) error {
	if err := incident.ValidUserID(u.ID); err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create user %s: begin: %w", u.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM users WHERE id = ?`, u.ID); err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	if n > 0 {
		return incident.Errorf(incident.ECONFLICT, "user %s already exists", u.ID)
	}
	created := u.CreatedAt
	if created.IsZero() {
		created = s.Now()
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, display, email, slack_user_id, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, u.Display, u.Email, u.SlackUserID, u.Disabled, created.UTC()); err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	if err := setRoles(ctx, tx, u.ID, u.Roles); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create user %s: commit: %w", u.ID, err)
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func setRoles(ctx context.Context, tx execer, id string, roles []incident.Role) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = ?`, id); err != nil {
		return fmt.Errorf("set roles of %s: %w", id, err)
	}
	for _, r := range roles {
		if _, err := incident.ParseRole(string(r)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, string(r)); err != nil {
			return fmt.Errorf("set roles of %s: %w", id, err)
		}
	}
	return nil
}

// GetUser implements incident.UserStore.
func (s *DB) GetUser(ctx context.Context, id string) (incident.User, error) {
	var u incident.User
	err := s.db.GetContext(ctx, &u, `SELECT id, display, email, slack_user_id, disabled, created_at FROM users WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return u, incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return u, fmt.Errorf("get user %s: %w", id, err)
	}
	u.Roles, err = s.roles(ctx, id)
	return u, err
}

func (s *DB) roles(ctx context.Context, id string) ([]incident.Role, error) {
	var names []string
	if err := s.db.SelectContext(ctx, &names, `SELECT role FROM user_roles WHERE user_id = ?`, id); err != nil {
		return nil, fmt.Errorf("roles of %s: %w", id, err)
	}
	roles := make([]incident.Role, 0, len(names))
	for _, r := range incident.Roles { // in the canonical order
		for _, n := range names {
			if string(r) == n {
				roles = append(roles, r)
			}
		}
	}
	return roles, nil
}

// ListUsers implements incident.UserStore.
func (s *DB) ListUsers(ctx context.Context) ([]incident.User, error) {
	var users []incident.User
	if err := s.db.SelectContext(ctx, &users, `SELECT id, display, email, slack_user_id, disabled, created_at FROM users ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	for i := range users {
		r, err := s.roles(ctx, users[i].ID)
		if err != nil {
			return nil, err
		}
		users[i].Roles = r
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	return users, nil
}

// SetRoles implements incident.UserStore.
func (s *DB) SetRoles(ctx context.Context, id string, roles []incident.Role) error {
	if _, err := s.GetUser(ctx, id); err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set roles of %s: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := setRoles(ctx, tx, id, roles); err != nil {
		return err
	}
	return tx.Commit()
}

// SetDisabled implements incident.UserStore.
func (s *DB) SetDisabled(ctx context.Context, id string, disabled bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE id = ?`, disabled, id)
	if err != nil {
		return fmt.Errorf("disable user %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	return nil
}

// CreateToken implements incident.UserStore.
func (s *DB) CreateToken(ctx context.Context, t incident.APIToken, sha256Hex string) error {
	if _, err := s.GetUser(ctx, t.UserID); err != nil {
		return err
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.Now()
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, sha256, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, strings.ToLower(sha256Hex), created.UTC()); err != nil {
		return fmt.Errorf("create token for %s: %w", t.UserID, err)
	}
	return nil
}

const tokenColumns = `t.id, t.user_id, t.name, t.created_at, t.last_used_at, t.revoked_at`

// TokenUser implements incident.UserStore.
func (s *DB) TokenUser(ctx context.Context, sha256Hex string) (incident.User, incident.APIToken, error) {
	var t incident.APIToken
	err := s.db.GetContext(ctx, &t, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.sha256 = ?`, strings.ToLower(sha256Hex))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.User{}, t, incident.Errorf(incident.EUNAUTHORIZED, "unknown API token")
	}
	if err != nil {
		return incident.User{}, t, fmt.Errorf("look up token: %w", err)
	}
	if t.RevokedAt != nil {
		return incident.User{}, t, incident.Errorf(incident.EUNAUTHORIZED, "API token %s was revoked", t.ID)
	}
	u, err := s.GetUser(ctx, t.UserID)
	if err != nil {
		return incident.User{}, t, err
	}
	if u.Disabled {
		return incident.User{}, t, incident.Errorf(incident.EUNAUTHORIZED, "user %s is disabled", u.ID)
	}
	now := s.Now().UTC()
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, t.ID); err != nil {
		return incident.User{}, t, fmt.Errorf("record use of token %s: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return u, t, nil
}

// ListTokens implements incident.UserStore.
func (s *DB) ListTokens(ctx context.Context, userID string) ([]incident.APIToken, error) {
	var out []incident.APIToken
	if err := s.db.SelectContext(ctx, &out, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.user_id = ? ORDER BY t.created_at DESC, t.id`, userID); err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	return out, nil
}

// RevokeToken implements incident.UserStore.
func (s *DB) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, s.Now().UTC(), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no API token %q", id)
	}
	return nil
}

// RecordAudit implements incident.UserStore.
func (s *DB) RecordAudit(ctx context.Context, e incident.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.Now()
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, via, external_id, action, incident_id, target, allowed, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		at.UTC(), e.ActorID, e.Via, e.ExternalID, string(e.Action), e.IncidentID, e.Target, e.Allowed, e.Reason); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// AuditLog implements incident.UserStore.
func (s *DB) AuditLog(ctx context.Context, limit int) ([]incident.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []incident.AuditEntry
	if err := s.db.SelectContext(ctx, &out, `SELECT seq, at, actor_id, via, external_id, action, incident_id, target, allowed, reason FROM audit_log ORDER BY seq DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// UserBySlackID implements incident.UserStore.
func (s *DB) UserBySlackID(ctx context.Context, slackUserID string) (incident.User, error) {
	return s.userWhere(ctx, "slack user "+slackUserID, slackUserID == "", `SELECT id FROM users WHERE slack_user_id = ? ORDER BY id LIMIT 1`, slackUserID)
}

// UserByEmail implements incident.UserStore.
func (s *DB) UserByEmail(ctx context.Context, email string) (incident.User, error) {
	return s.userWhere(ctx, "email "+email, strings.TrimSpace(email) == "", `SELECT id FROM users WHERE lower(email) = lower(?) ORDER BY id LIMIT 1`, email)
}

// userWhere returns the user whose id query selects; what names the lookup in errors.
func (s *DB) userWhere(ctx context.Context, what string, empty bool, query string, arg any) (incident.User, error) {
	if empty {
		return incident.User{}, incident.Errorf(incident.ENOTFOUND, "no user with an empty %s", strings.Fields(what)[0])
	}
	var id string
	err := s.db.GetContext(ctx, &id, query, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.User{}, incident.Errorf(incident.ENOTFOUND, "no user with %s", what)
	}
	if err != nil {
		return incident.User{}, fmt.Errorf("user with %s: %w", what, err)
	}
	return s.GetUser(ctx, id)
}
