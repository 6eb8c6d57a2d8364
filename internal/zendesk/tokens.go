package zendesk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// APIToken is an account API token (reference A4). API tokens are not tied to a user:
// any verified user's email works with any token, so suspending a user does not
// revoke the tokens they know. Token and VisibleToken are secrets: LogValue omits
// them.
type APIToken struct {
	ID             int64      `json:"id"`
	URL            string     `json:"url,omitempty"`
	UserID         int64      `json:"user_id"`
	UserName       string     `json:"user_name,omitempty"`
	UserEmail      string     `json:"user_email,omitempty"`
	AssignedUserID *int64     `json:"assigned_user_id,omitempty"`
	Description    string     `json:"description"`
	Active         bool       `json:"active"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	LastUsed       *time.Time `json:"last_used"`
	VisibleToken   string     `json:"visible_token,omitempty"`
	Token          string     `json:"token,omitempty"`
}

// LogValue logs a token's identity, never its value.
func (t APIToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", t.ID), slog.Int64("user_id", t.UserID),
		slog.String("description", t.Description), slog.Bool("active", t.Active))
}

// OAuthToken is an OAuth access token (reference A5). Zendesk returns only the first
// 10 characters of Token.
type OAuthToken struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url,omitempty"`
	Token        string     `json:"token"`
	ClientID     int64      `json:"client_id"`
	UserID       int64      `json:"user_id"`
	Scopes       []string   `json:"scopes"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	UsedAt       *time.Time `json:"used_at"`
	RefreshToken *string    `json:"refresh_token"`
}

// LogValue logs a token's identity, never its value.
func (t OAuthToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", t.ID), slog.Int64("client_id", t.ClientID),
		slog.Int64("user_id", t.UserID), slog.Any("scopes", t.Scopes))
}

// OAuthClient is an OAuth client (reference A5). Secret is present only right after
// generate_secret; LogValue omits it.
type OAuthClient struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url,omitempty"`
	Name        string    `json:"name"`
	Identifier  string    `json:"identifier"`
	Kind        string    `json:"kind,omitempty"`
	CompanyName string    `json:"company,omitempty"`
	Description string    `json:"description,omitempty"`
	UserID      int64     `json:"user_id"`
	RedirectURI []string  `json:"redirect_uri"`
	Secret      string    `json:"secret,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LogValue logs a client's identity, never its secret.
func (o OAuthClient) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("id", o.ID), slog.String("identifier", o.Identifier), slog.String("name", o.Name))
}

// ListAPITokens lists every API token: GET /api/v2/api_tokens. The collection is not
// paginated (reference A4).
func (c *Client) ListAPITokens(ctx context.Context) ([]APIToken, Meta, error) {
	var out struct {
		APITokens []APIToken `json:"api_tokens"`
	}
	meta, err := c.get(ctx, "/api_tokens", nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("list zendesk api tokens: %w", err)
	}
	return out.APITokens, meta, nil
}

// GetAPIToken fetches one API token: GET /api/v2/api_tokens/{id}.
func (c *Client) GetAPIToken(ctx context.Context, id int64) (*APIToken, Meta, error) {
	var out struct {
		APIToken *APIToken `json:"api_token"`
	}
	meta, err := c.get(ctx, "/api_tokens/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk api token %d: %w", id, err)
	}
	if out.APIToken == nil {
		return nil, meta, fmt.Errorf("get zendesk api token %d: response has no \"api_token\" (request_id=%s)", id, meta.RequestID)
	}
	return out.APIToken, meta, nil
}

// DeleteAPIToken revokes an API token: DELETE /api/v2/api_tokens/{id} → 204.
func (c *Client) DeleteAPIToken(ctx context.Context, id int64) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodDelete, path: "/api_tokens/" + idPath(id)})
	if err != nil {
		return meta, fmt.Errorf("delete zendesk api token %d: %w", id, err)
	}
	return meta, nil
}

// OAuthTokenFilter narrows ListOAuthTokens.
type OAuthTokenFilter struct {
	// All lists every user's tokens (admins); otherwise only the caller's.
	All bool
	// ClientID filters by OAuth client id (0: any).
	ClientID int64
}

// ListOAuthTokens lists OAuth tokens: GET /api/v2/oauth/tokens?all=true&client_id=.
func (c *Client) ListOAuthTokens(f OAuthTokenFilter, opts ListOptions) *Pager[OAuthToken] {
	q := url.Values{}
	if f.All {
		q.Set("all", "true")
	}
	if f.ClientID != 0 {
		q.Set("client_id", idPath(f.ClientID))
	}
	return newPager[OAuthToken](c, "tokens", "/oauth/tokens", q, opts)
}

// GetOAuthToken fetches one OAuth token: GET /api/v2/oauth/tokens/{id}.
func (c *Client) GetOAuthToken(ctx context.Context, id int64) (*OAuthToken, Meta, error) {
	var out struct {
		Token *OAuthToken `json:"token"`
	}
	meta, err := c.get(ctx, "/oauth/tokens/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk oauth token %d: %w", id, err)
	}
	if out.Token == nil {
		return nil, meta, fmt.Errorf("get zendesk oauth token %d: response has no \"token\" (request_id=%s)", id, meta.RequestID)
	}
	return out.Token, meta, nil
}

// DeleteOAuthToken revokes an OAuth token: DELETE /api/v2/oauth/tokens/{id} → 204.
func (c *Client) DeleteOAuthToken(ctx context.Context, id int64) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodDelete, path: "/oauth/tokens/" + idPath(id)})
	if err != nil {
		return meta, fmt.Errorf("delete zendesk oauth token %d: %w", id, err)
	}
	return meta, nil
}

// GetOAuthClient fetches one OAuth client: GET /api/v2/oauth/clients/{id}.
func (c *Client) GetOAuthClient(ctx context.Context, id int64) (*OAuthClient, Meta, error) {
	var out struct {
		Client *OAuthClient `json:"client"`
	}
	meta, err := c.get(ctx, "/oauth/clients/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk oauth client %d: %w", id, err)
	}
	if out.Client == nil {
		return nil, meta, fmt.Errorf("get zendesk oauth client %d: response has no \"client\" (request_id=%s)", id, meta.RequestID)
	}
	return out.Client, meta, nil
}

// GenerateOAuthClientSecret rotates a client's secret:
// PUT /api/v2/oauth/clients/{id}/generate_secret. The returned client carries the new
// Secret; callers must store it securely and never log it.
func (c *Client) GenerateOAuthClientSecret(ctx context.Context, id int64) (*OAuthClient, Meta, error) {
	var out struct {
		Client *OAuthClient `json:"client"`
	}
	meta, err := c.do(ctx, request{method: http.MethodPut, path: "/oauth/clients/" + idPath(id) + "/generate_secret", out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("rotate zendesk oauth client %d secret: %w", id, err)
	}
	if out.Client == nil {
		return nil, meta, fmt.Errorf("rotate zendesk oauth client %d secret: response has no \"client\" (request_id=%s)", id, meta.RequestID)
	}
	return out.Client, meta, nil
}
