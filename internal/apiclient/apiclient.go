// Package apiclient is irflow's HTTP API seen from Go: one method per route, each
// with the signature of the service.Service method the route calls, so a transport
// (the CLI in client mode) can drive a remote irflow through the same code as a
// local one, without Temporal or the store. Errors come back as the server worded
// them, as *incident.Error with the server's code, so exit statuses and messages do
// not depend on which side of the wire the service ran.
//
// Like every transport it imports the domain and the service's request types, never
// the workflows.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"irflow/internal/incident"
	"irflow/internal/service"
)

// DialTimeout bounds connecting to the server, like app.DialTimeout bounds the dial
// to Temporal: an unreachable server is reported within seconds, never a hang. A
// request itself is bounded by its context only, because an action's answer waits
// for the workflow (a rollback waits for every undo).
const DialTimeout = 5 * time.Second

// maxAnswer bounds the answers read; a state with a long timeline is a few hundred
// kilobytes.
const maxAnswer = 64 << 20

// Client calls one irflow HTTP API with one user's API token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client of the API at baseURL (e.g. http://127.0.0.1:8080) that
// authenticates with token. The token is sent as "Authorization: Bearer" on every
// request and never appears in an error.
func New(baseURL, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, incident.Errorf(incident.EINVALID, "irflow server %q: give a URL such as http://127.0.0.1:8080", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: DialTimeout}).DialContext
	transport.TLSHandshakeTimeout = DialTimeout
	return &Client{base: u, token: strings.TrimSpace(token), http: &http.Client{Transport: transport}}, nil
}

// URL is the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// Declare implements service.Service.Declare over POST /api/incidents. The server
// answers 200 rather than 201 when the idempotency key named an existing incident.
func (c *Client) Declare(ctx context.Context, req service.DeclareRequest) (service.Declared, error) {
	body := struct {
		Playbook       string `json:"playbook"`
		Title          string `json:"title"`
		Actor          string `json:"actor,omitempty"`
		IdempotencyKey string `json:"idempotency_key,omitempty"`
		Facts          any    `json:"facts,omitempty"`
	}{Playbook: req.Playbook, Title: req.Title, Actor: req.Actor, IdempotencyKey: req.IdempotencyKey}
	if req.Facts != nil {
		body.Facts = req.Facts
	}
	var d service.Declared
	status, err := c.do(ctx, http.MethodPost, "/api/incidents", nil, body, &d)
	d.Existing = status == http.StatusOK
	return d, err
}

// List implements service.Service.List over GET /api/incidents.
func (c *Client) List(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	q := url.Values{}
	if f.Phase != "" {
		q.Set("phase", f.Phase)
	}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Open {
		q.Set("open", "true")
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out []incident.Summary
	_, err := c.do(ctx, http.MethodGet, "/api/incidents", q, nil, &out)
	return out, err
}

// Show implements service.Service.Show over GET /api/incidents/{id}.
func (c *Client) Show(ctx context.Context, id string) (incident.State, error) {
	var st incident.State
	_, err := c.do(ctx, http.MethodGet, incidentPath(id), nil, nil, &st)
	return st, err
}

// Timeline implements service.Service.Timeline over GET /api/incidents/{id}/timeline.
func (c *Client) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	var out []incident.TimelineEntry
	_, err := c.do(ctx, http.MethodGet, incidentPath(id)+"/timeline", nil, nil, &out)
	return out, err
}

// AddNote implements service.Service.AddNote.
func (c *Client) AddNote(ctx context.Context, id string, req incident.NoteRequest) (incident.TimelineEntry, error) {
	return post[incident.TimelineEntry](ctx, c, incidentPath(id)+"/notes", req)
}

// Close implements service.Service.Close.
func (c *Client) Close(ctx context.Context, id string, req incident.CloseRequest) (incident.State, error) {
	return post[incident.State](ctx, c, incidentPath(id)+"/close", req)
}

// actorReason is the body of the routes whose path names everything else.
type actorReason struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
}

// ApproveStep implements service.Service.ApproveStep; the path names the step.
func (c *Client) ApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (incident.StepState, error) {
	return post[incident.StepState](ctx, c, stepPath(id, req.Step)+"/approve", actorReason{req.Actor, req.Reason})
}

// SkipStep implements service.Service.SkipStep; the path names the step.
func (c *Client) SkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (incident.StepState, error) {
	return post[incident.StepState](ctx, c, stepPath(id, req.Step)+"/skip", actorReason{req.Actor, req.Reason})
}

// RetryStep implements service.Service.RetryStep; the path names the step.
func (c *Client) RetryStep(ctx context.Context, id string, req incident.RetryStepRequest) (incident.StepState, error) {
	return post[incident.StepState](ctx, c, stepPath(id, req.Step)+"/retry", actorReason{req.Actor, req.Reason})
}

// Rollback implements service.Service.Rollback.
func (c *Client) Rollback(ctx context.Context, id string, req incident.RollbackRequest) (incident.RollbackResult, error) {
	return post[incident.RollbackResult](ctx, c, incidentPath(id)+"/rollback", actorReason{req.Actor, req.Reason})
}

// SetFacts implements service.Service.SetFacts.
func (c *Client) SetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (incident.SetFactsResult, error) {
	return post[incident.SetFactsResult](ctx, c, incidentPath(id)+"/facts", req)
}

// ConfirmOwnership implements service.Service.ConfirmOwnership.
func (c *Client) ConfirmOwnership(ctx context.Context, id string, req incident.ConfirmOwnershipRequest) (incident.OwnershipState, error) {
	return post[incident.OwnershipState](ctx, c, incidentPath(id)+"/ownership/confirm", actorReason{req.Actor, req.Reason})
}

// OverrideOwnership implements service.Service.OverrideOwnership.
func (c *Client) OverrideOwnership(ctx context.Context, id string, req incident.OverrideOwnershipRequest) (incident.OwnershipState, error) {
	return post[incident.OwnershipState](ctx, c, incidentPath(id)+"/ownership/override", req)
}

// SetTrigger implements service.Service.SetTrigger.
func (c *Client) SetTrigger(ctx context.Context, id string, req incident.SetIncidentTriggerRequest) ([]incident.IncidentObligation, error) {
	return post[[]incident.IncidentObligation](ctx, c, incidentPath(id)+"/trigger", req)
}

// Obligations implements service.Service.Obligations over GET
// /api/incidents/{id}/obligations.
func (c *Client) Obligations(ctx context.Context, incidentID string, all bool) ([]incident.ObligationView, error) {
	var q url.Values
	if all {
		q = url.Values{"all": {"true"}}
	}
	var out []incident.ObligationView
	_, err := c.do(ctx, http.MethodGet, incidentPath(incidentID)+"/obligations", q, nil, &out)
	return out, err
}

// Fulfil implements service.Service.Fulfil; the path names the obligation.
func (c *Client) Fulfil(ctx context.Context, incidentID, obligationID string, req incident.MarkFulfilledRequest) (incident.ClockState, error) {
	req.Obligation = obligationID
	return post[incident.ClockState](ctx, c, obligationPath(incidentID, obligationID)+"/fulfil", req)
}

// Pause implements service.Service.Pause.
func (c *Client) Pause(ctx context.Context, incidentID, obligationID string, req incident.PauseRequest) (incident.ClockState, error) {
	return post[incident.ClockState](ctx, c, obligationPath(incidentID, obligationID)+"/pause", req)
}

// Resume implements service.Service.Resume.
func (c *Client) Resume(ctx context.Context, incidentID, obligationID string, req incident.ResumeRequest) (incident.ClockState, error) {
	return post[incident.ClockState](ctx, c, obligationPath(incidentID, obligationID)+"/resume", req)
}

// Waive implements service.Service.Waive.
func (c *Client) Waive(ctx context.Context, incidentID, obligationID string, req incident.WaiveRequest) (incident.ClockState, error) {
	return post[incident.ClockState](ctx, c, obligationPath(incidentID, obligationID)+"/waive", req)
}

func incidentPath(id string) string { return "/api/incidents/" + url.PathEscape(id) }

func stepPath(id, step string) string { return incidentPath(id) + "/steps/" + url.PathEscape(step) }

func obligationPath(id, obligation string) string {
	return incidentPath(id) + "/obligations/" + url.PathEscape(obligation)
}

func post[R any](ctx context.Context, c *Client, path string, body any) (R, error) {
	var out R
	_, err := c.do(ctx, http.MethodPost, path, nil, body, &out)
	return out, err
}

// do sends one request and decodes a 2xx answer into out. An error answer in the
// API's shape ({"error", "code"}) comes back as *incident.Error; anything else
// (an unreachable server, a proxy's error page, a route this server lacks) as a
// plain error that names the server and the route.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) (int, error) {
	// path is escaped already (each segment through url.PathEscape).
	target := c.base.String() + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "irflow-cli")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		// The *url.Error names the URL, which holds no secret: the token is a header.
		return 0, fmt.Errorf("cannot reach irflow at %s: %w", c.base, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, answerError(method, path, resp, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: the answer is not what this CLI expects (%v); is %s irflow's HTTP API?", method, path, err, c.base)
		}
	}
	return resp.StatusCode, nil
}

// answerError turns an error answer back into the error the server's service
// returned. Only an answer in the API's error shape is trusted with a code: a 404
// from a server without the route must not read as "incident not found".
func answerError(method, path string, resp *http.Response, raw []byte) error {
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") &&
		json.Unmarshal(raw, &e) == nil && e.Code != "" && e.Error != "" {
		return &incident.Error{Code: e.Code, Message: e.Error}
	}
	text := strings.TrimSpace(string(raw))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Errorf("%s %s: the server answered %s (%s); is it irflow's HTTP API, as recent as this CLI?", method, path, resp.Status, text)
}

// unwrapURLError drops *url.Error's "Get \"URL\":" prefix, which the message
// already gives.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
