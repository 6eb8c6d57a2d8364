package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// AppInstallation is an installed Zendesk app (reference A6). Zendesk returns it
// unwrapped from GET/PUT on a single installation.
type AppInstallation struct {
	ID                int64          `json:"id"`
	AppID             int64          `json:"app_id"`
	Product           string         `json:"product"`
	Enabled           bool           `json:"enabled"`
	Collapsible       bool           `json:"collapsible"`
	Paid              *bool          `json:"paid"`
	Settings          map[string]any `json:"settings"`
	GroupRestrictions []int64        `json:"group_restrictions"`
	RoleRestrictions  []int64        `json:"role_restrictions"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
}

// Name is the installation's display name (settings.name).
func (a AppInstallation) Name() string {
	if s, ok := a.Settings["name"].(string); ok {
		return s
	}
	return ""
}

// Webhook is a Zendesk webhook (reference A7). Its id is a string.
type Webhook struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Description    string          `json:"description,omitempty"`
	Status         string          `json:"status"`
	Endpoint       string          `json:"endpoint"`
	HTTPMethod     string          `json:"http_method"`
	RequestFormat  string          `json:"request_format"`
	Subscriptions  []string        `json:"subscriptions"`
	Authentication json.RawMessage `json:"authentication,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	CreatedBy      string          `json:"created_by"`
	UpdatedAt      time.Time       `json:"updated_at"`
	UpdatedBy      string          `json:"updated_by"`
}

// Webhook statuses.
const (
	WebhookActive   = "active"
	WebhookInactive = "inactive"
)

// Target is a legacy HTTP or email target (reference A8).
type Target struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url,omitempty"`
	Title     string    `json:"title"`
	Type      string    `json:"type"`
	Active    bool      `json:"active"`
	TargetURL string    `json:"target_url,omitempty"`
	Method    string    `json:"method,omitempty"`
	Email     string    `json:"email,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ListAppInstallations lists installed apps: GET /api/v2/apps/installations →
// {"installations":[...]}.
func (c *Client) ListAppInstallations(ctx context.Context) ([]AppInstallation, Meta, error) {
	var out struct {
		Installations []AppInstallation `json:"installations"`
	}
	meta, err := c.get(ctx, "/apps/installations", nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("list zendesk app installations: %w", err)
	}
	return out.Installations, meta, nil
}

// GetAppInstallation fetches one installation (unwrapped object):
// GET /api/v2/apps/installations/{id}.
func (c *Client) GetAppInstallation(ctx context.Context, id int64) (*AppInstallation, Meta, error) {
	var out AppInstallation
	meta, err := c.get(ctx, "/apps/installations/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk app installation %d: %w", id, err)
	}
	if out.ID == 0 {
		return nil, meta, fmt.Errorf("get zendesk app installation %d: response has no installation id (request_id=%s)", id, meta.RequestID)
	}
	return &out, meta, nil
}

// SetAppInstallationEnabled enables or disables an app:
// PUT /api/v2/apps/installations/{id} with the unwrapped body {"enabled":false}.
func (c *Client) SetAppInstallationEnabled(ctx context.Context, id int64, enabled bool) (*AppInstallation, Meta, error) {
	var out AppInstallation
	meta, err := c.do(ctx, request{method: http.MethodPut, path: "/apps/installations/" + idPath(id),
		body: map[string]bool{"enabled": enabled}, out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("set zendesk app installation %d enabled=%t: %w", id, enabled, err)
	}
	if out.ID == 0 {
		return nil, meta, fmt.Errorf("set zendesk app installation %d enabled=%t: response has no installation id (request_id=%s)", id, enabled, meta.RequestID)
	}
	return &out, meta, nil
}

// WebhookFilter narrows ListWebhooks.
type WebhookFilter struct {
	// Status is "active" or "inactive" (filter[status]); empty lists both.
	Status string
	// NameContains is filter[name_contains].
	NameContains string
}

// ListWebhooks lists webhooks: GET /api/v2/webhooks (cursor).
func (c *Client) ListWebhooks(f WebhookFilter, opts ListOptions) *Pager[Webhook] {
	q := url.Values{}
	if f.Status != "" {
		q.Set("filter[status]", f.Status)
	}
	if f.NameContains != "" {
		q.Set("filter[name_contains]", f.NameContains)
	}
	return newPager[Webhook](c, "webhooks", "/webhooks", q, opts)
}

// GetWebhook fetches one webhook: GET /api/v2/webhooks/{id}.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, Meta, error) {
	var out struct {
		Webhook *Webhook `json:"webhook"`
	}
	meta, err := c.get(ctx, "/webhooks/"+url.PathEscape(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk webhook %s: %w", id, err)
	}
	if out.Webhook == nil {
		return nil, meta, fmt.Errorf("get zendesk webhook %s: response has no \"webhook\" (request_id=%s)", id, meta.RequestID)
	}
	return out.Webhook, meta, nil
}

// SetWebhookStatus activates or deactivates a webhook: PATCH /api/v2/webhooks/{id}
// with {"webhook":{"status":"inactive"}} → 204.
func (c *Client) SetWebhookStatus(ctx context.Context, id, status string) (Meta, error) {
	if status != WebhookActive && status != WebhookInactive {
		return Meta{}, fmt.Errorf("set zendesk webhook %s status: %q is not %q or %q", id, status, WebhookActive, WebhookInactive)
	}
	body := map[string]map[string]string{"webhook": {"status": status}}
	meta, err := c.do(ctx, request{method: http.MethodPatch, path: "/webhooks/" + url.PathEscape(id), body: body})
	if err != nil {
		return meta, fmt.Errorf("set zendesk webhook %s status %s: %w", id, status, err)
	}
	return meta, nil
}

// DeleteWebhook deletes a webhook: DELETE /api/v2/webhooks/{id} → 204.
func (c *Client) DeleteWebhook(ctx context.Context, id string) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodDelete, path: "/webhooks/" + url.PathEscape(id)})
	if err != nil {
		return meta, fmt.Errorf("delete zendesk webhook %s: %w", id, err)
	}
	return meta, nil
}

// ListTargets lists legacy targets: GET /api/v2/targets (offset pages when the
// account has many).
func (c *Client) ListTargets(opts ListOptions) *Pager[Target] {
	opts.Offset = true
	return newPager[Target](c, "targets", "/targets", url.Values{}, opts)
}

// SetTargetActive activates or deactivates a target: PUT /api/v2/targets/{id} with
// {"target":{"active":false}}.
func (c *Client) SetTargetActive(ctx context.Context, id int64, active bool) (*Target, Meta, error) {
	var out struct {
		Target *Target `json:"target"`
	}
	body := map[string]map[string]bool{"target": {"active": active}}
	meta, err := c.do(ctx, request{method: http.MethodPut, path: "/targets/" + idPath(id), body: body, out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("set zendesk target %d active=%t: %w", id, active, err)
	}
	if out.Target == nil {
		return nil, meta, fmt.Errorf("set zendesk target %d active=%t: response has no \"target\" (request_id=%s)", id, active, meta.RequestID)
	}
	return out.Target, meta, nil
}
