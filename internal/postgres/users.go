package postgres

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
func (s *DB) CreateUser(ctx context.Context, u incident.User) error {
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
	res, err := tx.ExecContext(ctx, `INSERT INTO users (id, display, email, slack_user_id, disabled, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		texts(u.ID, u.Display, u.Email, u.SlackUserID, u.Disabled, created.UTC())...)
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create user %s: %w", u.ID, err)
	} else if n == 0 {
		return incident.Errorf(incident.ECONFLICT, "user %s already exists", u.ID)
	}
	if err := setRoles(ctx, tx, u.ID, u.Roles); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create user %s: commit: %w", u.ID, err)
	}
	return nil
}

func setRoles(ctx context.Context, tx *sqlx.Tx, id string, roles []incident.Role) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_roles WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("set roles of %s: %w", id, err)
	}
	for _, r := range roles {
		if _, err := incident.ParseRole(string(r)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, string(r)); err != nil {
			return fmt.Errorf("set roles of %s: %w", id, err)
		}
	}
	return nil
}

const userColumns = `id, display, email, slack_user_id, disabled, created_at`

// GetUser implements incident.UserStore.
func (s *DB) GetUser(ctx context.Context, id string) (incident.User, error) {
	var u incident.User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, text(id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return u, fmt.Errorf("get user %s: %w", id, err)
	}
	roles, err := s.roles(ctx, []string{id})
	if err != nil {
		return u, err
	}
	u.Roles = roles[id]
	return u, nil
}

// roles returns the roles of each user in ids, in the canonical order of
// incident.Roles whatever order they were granted in.
func (s *DB) roles(ctx context.Context, ids []string) (map[string][]incident.Role, error) {
	var rows []struct {
		UserID string `db:"user_id"`
		Role   string `db:"role"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT user_id, role FROM user_roles WHERE user_id = ANY($1)`, ids); err != nil {
		return nil, fmt.Errorf("roles of %s: %w", strings.Join(ids, ", "), err)
	}
	granted := map[string]map[string]bool{}
	for _, r := range rows {
		if granted[r.UserID] == nil {
			granted[r.UserID] = map[string]bool{}
		}
		granted[r.UserID][r.Role] = true
	}
	out := make(map[string][]incident.Role, len(ids))
	for _, id := range ids {
		roles := []incident.Role{}
		for _, r := range incident.Roles {
			if granted[id][string(r)] {
				roles = append(roles, r)
			}
		}
		out[id] = roles
	}
	return out, nil
}

// ListUsers implements incident.UserStore.
func (s *DB) ListUsers(ctx context.Context) ([]incident.User, error) {
	var users []incident.User
	if err := s.db.SelectContext(ctx, &users, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	roles, err := s.roles(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range users {
		users[i].Roles = roles[users[i].ID]
	}
	return users, nil
}

// SetRoles implements incident.UserStore. The user's row stays locked until the new
// roles are in, so two admins changing one user's roles do not mix their grants.
func (s *DB) SetRoles(ctx context.Context, id string, roles []incident.Role) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set roles of %s: begin: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var found string
	err = tx.GetContext(ctx, &found, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Errorf(incident.ENOTFOUND, "no user %q", id)
	}
	if err != nil {
		return fmt.Errorf("set roles of %s: %w", id, err)
	}
	if err := setRoles(ctx, tx, id, roles); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set roles of %s: commit: %w", id, err)
	}
	return nil
}

// SetDisabled implements incident.UserStore.
func (s *DB) SetDisabled(ctx context.Context, id string, disabled bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, disabled, id)
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
func (s *DB) CreateToken(ctx context.Context, t incident.APIToken, sha256Hex string) error {
	if _, err := s.GetUser(ctx, t.UserID); err != nil {
		return err
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, sha256, created_at) VALUES ($1, $2, $3, $4, $5)`,
		texts(t.ID, t.UserID, t.Name, strings.ToLower(sha256Hex), created.UTC())...)
	if uniqueViolation(err) {
		return incident.Errorf(incident.ECONFLICT, "API token %s already exists", t.ID)
	}
	if err != nil {
		return fmt.Errorf("create token for %s: %w", t.UserID, err)
	}
	return nil
}

const tokenColumns = `id, user_id, name, created_at, last_used_at, revoked_at`

// TokenUser implements incident.UserStore.
func (s *DB) TokenUser(ctx context.Context, sha256Hex string) (incident.User, incident.APIToken, error) {
	var t incident.APIToken
	err := s.db.GetContext(ctx, &t, `SELECT `+tokenColumns+` FROM api_tokens WHERE sha256 = $1`, text(strings.ToLower(sha256Hex)))
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
	if _, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, t.ID); err != nil {
		return incident.User{}, t, fmt.Errorf("record use of token %s: %w", t.ID, err)
	}
	t.LastUsedAt = &now
	return u, t, nil
}

// ListTokens implements incident.UserStore.
func (s *DB) ListTokens(ctx context.Context, userID string) ([]incident.APIToken, error) {
	var out []incident.APIToken
	if err := s.db.SelectContext(ctx, &out, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id`, userID); err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", userID, err)
	}
	return out, nil
}

// RevokeToken implements incident.UserStore; revoking a revoked token keeps the
// first revocation's time.
func (s *DB) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, s.Now().UTC(), id)
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
func (s *DB) RecordAudit(ctx context.Context, e incident.AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.Now()
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (at, actor_id, via, external_id, action, incident_id, target, allowed, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		texts(at.UTC(), e.ActorID, e.Via, e.ExternalID, string(e.Action), e.IncidentID, e.Target, e.Allowed, e.Reason)...); err != nil {
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
	if err := s.db.SelectContext(ctx, &out, `SELECT seq, at, actor_id, via, external_id, action, incident_id, target, allowed, reason
FROM audit_log ORDER BY seq DESC LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// UserBySlackID implements incident.UserStore.
func (s *DB) UserBySlackID(ctx context.Context, slackUserID string) (incident.User, error) {
	return s.userWhere(ctx, "slack user "+slackUserID, slackUserID == "", `SELECT id FROM users WHERE slack_user_id = $1 ORDER BY id LIMIT 1`, text(slackUserID))
}

// UserByEmail implements incident.UserStore.
func (s *DB) UserByEmail(ctx context.Context, email string) (incident.User, error) {
	return s.userWhere(ctx, "email "+email, strings.TrimSpace(email) == "", `SELECT id FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 1`, text(email))
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
