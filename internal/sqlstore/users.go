package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
)

// CreateUser implements incident.UserStore. Two admins adding the same id at once:
// the insert that loses finds the row and reports ECONFLICT.
func (s *Store) CreateUser(ctx context.Context, u incident.User) error {
	if err := incident.ValidUserID(u.ID); err != nil {
		return err
	}
	for _, r := range u.Roles {
		if _, err := incident.ParseRole(string(r)); err != nil {
			return err
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create user %s: begin: %w", u.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	created := u.CreatedAt
	if created.IsZero() {
		created = s.Now()
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (id, display, email, slack_user_id, disabled, created_at)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		s.texts(u.ID, u.Display, u.Email, u.SlackUserID, u.Disabled, created.UTC())...)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	} else if n == 0 {
		return incident.Errorf(incident.ECONFLICT, "user %s already exists", u.ID)
	}
	if err := s.setRoles(ctx, tx, u.ID, u.Roles); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create user %s: commit: %w", u.ID, err)
	}
	return nil
}

func (s *Store) setRoles(ctx context.Context, tx *sqlx.Tx, id string, roles []incident.Role) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM user_roles WHERE user_id = ?`), id); err != nil {
		return fmt.Errorf("set roles of %s: %w", id, err)
	}
	for _, r := range roles {
		if _, err := incident.ParseRole(string(r)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING`), id, string(r)); err != nil {
			return fmt.Errorf("set roles of %s: %w", id, err)
		}
	}
	return nil
}

const userColumns = `id, display, email, slack_user_id, disabled, created_at`

// GetUser implements incident.UserStore.
func (s *Store) GetUser(ctx context.Context, id string) (incident.User, error) {
	var u incident.User
	err := s.db.GetContext(ctx, &u, s.q(`SELECT `+userColumns+` FROM users WHERE id = ?`), s.text(id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return u, fmt.Errorf("get user %s: %w", id, err)
	}
	granted, err := s.grants(ctx, `WHERE user_id = ?`, id)
	if err != nil {
		return u, fmt.Errorf("roles of %s: %w", id, err)
	}
	u.Roles = canonicalRoles(granted[id])
	return u, nil
}

// grants returns the roles granted to the users whose user_roles rows where
// selects, by user id: one query for every user ListUsers reads, not one a user.
func (s *Store) grants(ctx context.Context, where string, args ...any) (map[string]map[string]bool, error) {
	var rows []struct {
		UserID string `db:"user_id"`
		Role   string `db:"role"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.q(`SELECT user_id, role FROM user_roles `+where), args...); err != nil {
		return nil, err
	}
	granted := map[string]map[string]bool{}
	for _, r := range rows {
		if granted[r.UserID] == nil {
			granted[r.UserID] = map[string]bool{}
		}
		granted[r.UserID][r.Role] = true
	}
	return granted, nil
}

// canonicalRoles lists granted in the order of incident.Roles, whatever order they
// were granted in; never nil.
func canonicalRoles(granted map[string]bool) []incident.Role {
	roles := []incident.Role{}
	for _, r := range incident.Roles {
		if granted[string(r)] {
			roles = append(roles, r)
		}
	}
	return roles
}

// ListUsers implements incident.UserStore.
func (s *Store) ListUsers(ctx context.Context) ([]incident.User, error) {
	var users []incident.User
	// Ids sort in byte order: SQLite's BINARY collation, PostgreSQL's COLLATE "C".
	if err := s.db.SelectContext(ctx, &users, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	granted, err := s.grants(ctx, ``)
	if err != nil {
		return nil, fmt.Errorf("list users: roles: %w", err)
	}
	for i := range users {
		users[i].Roles = canonicalRoles(granted[users[i].ID])
	}
	return users, nil
}

// SetRoles implements incident.UserStore. The user's row stays locked until the new
// roles are in (SQLite's immediate transaction locks the database), so two admins
// changing one user's roles do not mix their grants.
func (s *Store) SetRoles(ctx context.Context, id string, roles []incident.Role) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set roles of %s: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var found string
	err = tx.GetContext(ctx, &found, s.q(`SELECT id FROM users WHERE id = ?`+s.d.ForUpdate), id)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return fmt.Errorf("set roles of %s: %w", id, err)
	}
	if err := s.setRoles(ctx, tx, id, roles); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set roles of %s: commit: %w", id, err)
	}
	return nil
}

// SetDisabled implements incident.UserStore.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE users SET disabled = ? WHERE id = ?`), disabled, id)
	if err != nil {
		return fmt.Errorf("disable user %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("disable user %s: %w", id, err)
	} else if n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	return nil
}

// CreateToken implements incident.UserStore.
func (s *Store) CreateToken(ctx context.Context, t incident.APIToken, sha256Hex string) error {
	if _, err := s.GetUser(ctx, t.UserID); err != nil {
		return err
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO api_tokens (id, user_id, name, sha256, created_at) VALUES (?, ?, ?, ?, ?)`),
		s.texts(t.ID, t.UserID, t.Name, strings.ToLower(sha256Hex), created.UTC())...)
	if s.uniqueViolation(err) {
		return incident.Errorf(incident.ECONFLICT, "API token %s already exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("create token for %s: %w", t.UserID, err)
	}
	return nil
}

const tokenColumns = `id, user_id, name, created_at, last_used_at, revoked_at`

// TokenUser implements incident.UserStore.
func (s *Store) TokenUser(ctx context.Context, sha256Hex string) (incident.User, incident.APIToken, error) {
	var t incident.APIToken
	err := s.db.GetContext(ctx, &t, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE sha256 = ?`), s.text(strings.ToLower(sha256Hex)))
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
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`), now, t.ID); err != nil {
		return incident.User{}, t, fmt.Errorf("record use of token %s: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return u, t, nil
}

// ListTokens implements incident.UserStore.
func (s *Store) ListTokens(ctx context.Context, userID string) ([]incident.APIToken, error) {
	var out []incident.APIToken
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id`), userID); err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	return out, nil
}

// RevokeToken implements incident.UserStore; revoking a revoked token keeps the
// first revocation's time.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), s.Now().UTC(), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	} else if n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "no API token %q", id)
	}
	return nil
}

// RecordAudit implements incident.UserStore.
func (s *Store) RecordAudit(ctx context.Context, e incident.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.Now()
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_log (at, actor_id, via, external_id, action, incident_id, target, allowed, reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.texts(at.UTC(), e.ActorID, e.Via, e.ExternalID, string(e.Action), e.IncidentID, e.Target, e.Allowed, e.Reason)...); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// AuditLog implements incident.UserStore.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]incident.AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []incident.AuditEntry
	if err := s.db.SelectContext(ctx, &out, s.q(`SELECT seq, at, actor_id, via, external_id, action, incident_id, target, allowed, reason
FROM audit_log ORDER BY seq DESC LIMIT ?`), limit); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// UserBySlackID implements incident.UserStore.
func (s *Store) UserBySlackID(ctx context.Context, slackUserID string) (incident.User, error) {
	return s.userWhere(ctx, "slack user "+slackUserID, slackUserID == "", `SELECT id FROM users WHERE slack_user_id = ? ORDER BY id LIMIT 1`, slackUserID)
}

// UserByEmail implements incident.UserStore.
func (s *Store) UserByEmail(ctx context.Context, email string) (incident.User, error) {
	return s.userWhere(ctx, "email "+email, strings.TrimSpace(email) == "", `SELECT id FROM users WHERE lower(email) = lower(?) ORDER BY id LIMIT 1`, email)
}

// userWhere returns the user whose id query selects; what names the lookup in errors.
func (s *Store) userWhere(ctx context.Context, what string, empty bool, query, arg string) (incident.User, error) {
	if empty {
		return incident.User{}, incident.Errorf(incident.ENOTFOUND, "no user with an empty %s", strings.Fields(what)[0])
	}
	var id string
	err := s.db.GetContext(ctx, &id, s.q(query), s.text(arg))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.User{}, incident.Errorf(incident.ENOTFOUND, "no user with %s", what)
	}
	if err != nil {
		return incident.User{}, fmt.Errorf("user with %s: %w", what, err)
	}
	return s.GetUser(ctx, id)
}
