package zendesk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// User roles accepted by PUT /api/v2/users/{id} (reference A2).
const (
	RoleEndUser = "end-user"
	RoleAgent   = "agent"
	RoleAdmin   = "admin"
)

// User is a Zendesk user (reference A1). Pointer fields are null in Zendesk when
// unset.
type User struct {
	ID                   int64      `json:"id"`
	URL                  string     `json:"url,omitempty"`
	Name                 string     `json:"name"`
	Email                string     `json:"email"`
	Role                 string     `json:"role"`
	RoleType             *int       `json:"role_type"`
	CustomRoleID         *int64     `json:"custom_role_id"`
	Active               bool       `json:"active"`
	Suspended            bool       `json:"suspended"`
	Verified             bool       `json:"verified"`
	OrganizationID       *int64     `json:"organization_id"`
	DefaultGroupID       *int64     `json:"default_group_id,omitempty"`
	Phone                *string    `json:"phone"`
	TimeZone             string     `json:"time_zone,omitempty"`
	IANATimeZone         string     `json:"iana_time_zone,omitempty"`
	Locale               string     `json:"locale,omitempty"`
	Tags                 []string   `json:"tags"`
	TwoFactorAuthEnabled *bool      `json:"two_factor_auth_enabled"`
	RestrictedAgent      bool       `json:"restricted_agent"`
	Shared               bool       `json:"shared"`
	SharedAgent          bool       `json:"shared_agent"`
	ExternalID           *string    `json:"external_id"`
	Notes                string     `json:"notes,omitempty"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	LastLoginAt          *time.Time `json:"last_login_at"`
}

// UserUpdate is a partial user update; nil fields are left unchanged. Containment
// uses Suspended (A1) and Role / CustomRoleID (A2).
type UserUpdate struct {
	Suspended    *bool   `json:"suspended,omitempty"`
	Role         *string `json:"role,omitempty"`
	CustomRoleID *int64  `json:"custom_role_id,omitempty"`
}

// Session is a signed-in session of a user (reference A3).
type Session struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"user_id"`
	URL             string    `json:"url,omitempty"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	LastSeenAt      time.Time `json:"last_seen_at"`
}

// GetUser fetches one user: GET /api/v2/users/{id}.
func (c *Client) GetUser(ctx context.Context, id int64) (*User, Meta, error) {
	var out struct {
		User *User `json:"user"`
	}
	meta, err := c.get(ctx, "/users/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk user %d: %w", id, err)
	}
	if out.User == nil {
		return nil, meta, fmt.Errorf("get zendesk user %d: response has no \"user\" (request_id=%s)", id, meta.RequestID)
	}
	return out.User, meta, nil
}

// Me fetches the authenticated user: GET /api/v2/users/me. irflow calls it at start
// to prove the credentials work before a playbook depends on them.
func (c *Client) Me(ctx context.Context) (*User, Meta, error) {
	var out struct {
		User *User `json:"user"`
	}
	meta, err := c.get(ctx, "/users/me", nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get current zendesk user: %w", err)
	}
	if out.User == nil {
		return nil, meta, fmt.Errorf("get current zendesk user: response has no \"user\" (request_id=%s)", meta.RequestID)
	}
	return out.User, meta, nil
}

// UpdateUser applies upd: PUT /api/v2/users/{id} with {"user":{...}}. Not retried by
// the client; the response carries the updated user.
func (c *Client) UpdateUser(ctx context.Context, id int64, upd UserUpdate) (*User, Meta, error) {
	var out struct {
		User *User `json:"user"`
	}
	body := map[string]UserUpdate{"user": upd}
	meta, err := c.do(ctx, request{method: http.MethodPut, path: "/users/" + idPath(id), body: body, out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("update zendesk user %d: %w", id, err)
	}
	if out.User == nil {
		return nil, meta, fmt.Errorf("update zendesk user %d: response has no \"user\" (request_id=%s)", id, meta.RequestID)
	}
	return out.User, meta, nil
}

// SuspendUser sets suspended to true (or false to unsuspend); a suspended user
// cannot sign in or use API tokens with their email (reference A1).
func (c *Client) SuspendUser(ctx context.Context, id int64, suspended bool) (*User, Meta, error) {
	return c.UpdateUser(ctx, id, UserUpdate{Suspended: &suspended})
}

// SetUserRole changes a user's role to "end-user", "agent" or "admin" (A2).
func (c *Client) SetUserRole(ctx context.Context, id int64, role string) (*User, Meta, error) {
	return c.UpdateUser(ctx, id, UserUpdate{Role: &role})
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// Role is "end-user", "agent" or "admin"; empty lists every user.
	Role string
}

// ListUsers lists users: GET /api/v2/users (cursor by default).
func (c *Client) ListUsers(f UserFilter, opts ListOptions) *Pager[User] {
	q := url.Values{}
	if f.Role != "" {
		q.Set("role", f.Role)
	}
	return newPager[User](c, "users", "/users", q, opts)
}

// ListOrganizationUsers lists the users of one organisation:
// GET /api/v2/organizations/{id}/users. There is no "suspend organisation" API
// (reference A12); containment suspends each user.
func (c *Client) ListOrganizationUsers(orgID int64, opts ListOptions) *Pager[User] {
	return newPager[User](c, "users", "/organizations/"+idPath(orgID)+"/users", url.Values{}, opts)
}

// SetUserPassword sets a user's password: POST /api/v2/users/{id}/password with
// {"password":"..."} (reference A10). Zendesk answers 422 unless the account owner
// enabled "admins can set user passwords". The password is never logged.
func (c *Client) SetUserPassword(ctx context.Context, id int64, password string) (Meta, error) {
	body := map[string]string{"password": password}
	meta, err := c.do(ctx, request{method: http.MethodPost, path: "/users/" + idPath(id) + "/password", body: body})
	if err != nil {
		return meta, fmt.Errorf("set zendesk password of user %d: %w", id, err)
	}
	return meta, nil
}

// ListSessions lists every session in the account (admins) or the caller's own:
// GET /api/v2/sessions.
func (c *Client) ListSessions(opts ListOptions) *Pager[Session] {
	return newPager[Session](c, "sessions", "/sessions", url.Values{}, opts)
}

// ListUserSessions lists one user's sessions: GET /api/v2/users/{id}/sessions.
func (c *Client) ListUserSessions(userID int64, opts ListOptions) *Pager[Session] {
	return newPager[Session](c, "sessions", "/users/"+idPath(userID)+"/sessions", url.Values{}, opts)
}

// GetUserSession fetches one session: GET /api/v2/users/{uid}/sessions/{sid}.
func (c *Client) GetUserSession(ctx context.Context, userID, sessionID int64) (*Session, Meta, error) {
	var out struct {
		Session *Session `json:"session"`
	}
	meta, err := c.get(ctx, "/users/"+idPath(userID)+"/sessions/"+idPath(sessionID), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk session %d of user %d: %w", sessionID, userID, err)
	}
	if out.Session == nil {
		return nil, meta, fmt.Errorf("get zendesk session %d of user %d: response has no \"session\" (request_id=%s)", sessionID, userID, meta.RequestID)
	}
	return out.Session, meta, nil
}

// DeleteUserSessions signs a user out everywhere: DELETE /api/v2/users/{id}/sessions
// → 204 (reference A3).
func (c *Client) DeleteUserSessions(ctx context.Context, userID int64) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodDelete, path: "/users/" + idPath(userID) + "/sessions"})
	if err != nil {
		return meta, fmt.Errorf("delete zendesk sessions of user %d: %w", userID, err)
	}
	return meta, nil
}

// DeleteUserSession ends one session: DELETE /api/v2/users/{uid}/sessions/{sid} → 204.
func (c *Client) DeleteUserSession(ctx context.Context, userID, sessionID int64) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodDelete, path: "/users/" + idPath(userID) + "/sessions/" + idPath(sessionID)})
	if err != nil {
		return meta, fmt.Errorf("delete zendesk session %d of user %d: %w", sessionID, userID, err)
	}
	return meta, nil
}
