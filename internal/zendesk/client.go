package zendesk

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody caps how much of a response the client reads (a page of 100 audit logs is
// well under 1 MiB; a ticket export page of 1000 tickets a few MiB).
const maxBody = 64 << 20

// Client calls one Zendesk instance. It is safe for concurrent use; every goroutine
// shares the same rate-limit budgets.
type Client struct {
	cfg         Config
	base        *url.URL // scheme://host/.../api/v2
	authHeader  string
	authDesc    string
	http        *http.Client
	log         *slog.Logger
	limiter     *limiter
	incremental *limiter
	sleep       func(context.Context, time.Duration) error
}

// Meta describes the response to one request.
type Meta struct {
	// RequestID is the x-request-id header: quote it to Zendesk support and record
	// it in evidence.
	RequestID string
	// StatusCode is the HTTP status of the final attempt.
	StatusCode int
	// RateLimitRemaining is X-Rate-Limit-Remaining (-1 when absent).
	RateLimitRemaining int
	// Warning is X-Zendesk-API-Warn, e.g. parameters Zendesk silently dropped.
	Warning string
}

// New validates cfg, applies defaults and returns a client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("zendesk config: %w", err)
	}
	var base *url.URL
	if cfg.BaseURL != "" {
		u, err := normalizeBaseURL(cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("zendesk config: base URL %q: %w", cfg.BaseURL, err)
		}
		base = u
	} else {
		base = &url.URL{Scheme: "https", Host: cfg.Subdomain + ".zendesk.com", Path: "/api/v2"}
	}
	cfg.BaseURL = base.String()
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if cfg.IncrementalPerMinute == 0 {
		cfg.IncrementalPerMinute = DefaultIncrementalPerMinute
	}
	if cfg.DefaultRetryAfter <= 0 {
		cfg.DefaultRetryAfter = DefaultRetryAfter
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	if cfg.MaxRetryWait <= 0 {
		cfg.MaxRetryWait = DefaultMaxRetryWait
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	c := &Client{
		cfg:         cfg,
		base:        base,
		http:        cfg.HTTPClient,
		log:         cfg.Logger,
		limiter:     newLimiter(cfg.RequestsPerMinute).share(cfg.Budget, "zendesk "+base.String()+" requests"),
		incremental: newLimiter(cfg.IncrementalPerMinute).share(cfg.Budget, "zendesk "+base.String()+" incremental"),
		sleep:       sleepCtx,
	}
	switch cfg.AuthMode() {
	case "oauth_token":
		c.authHeader = "Bearer " + cfg.OAuthToken
		c.authDesc = fmt.Sprintf("%s (%s) with auth mode oauth_token (OAuth Bearer token from %s)", cfg.Instance(), base, EnvOAuthToken)
	default:
		c.authHeader = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.Email+"/token:"+cfg.APIToken))
		c.authDesc = fmt.Sprintf("%s (%s) with auth mode api_token as %s (check %s and %s)", cfg.Instance(), base, cfg.Email, EnvEmail, EnvAPIToken)
	}
	return c, nil
}

// BaseURL returns the normalised API root, e.g. "https://acme.zendesk.com/api/v2".
func (c *Client) BaseURL() string { return c.base.String() }

// Config returns the effective configuration (defaults applied).
func (c *Client) Config() Config { return c.cfg }

// request is one logical API call; do may send it several times.
type request struct {
	method string
	// path is relative to the API root ("/users/1") or an absolute URL returned by
	// Zendesk (links.next, next_page, after_url) on the same host.
	path  string
	query url.Values
	body  any
	out   any
}

// resolve turns a relative path or an absolute URL into the URL to send. Absolute
// URLs must point at the configured host, so a tampered or misconfigured "next" link
// can never receive our credentials.
func (c *Client) resolve(path string, q url.Values) (*url.URL, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return nil, fmt.Errorf("parse zendesk link %q: %w", path, err)
		}
		if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
			return nil, fmt.Errorf("zendesk link %s points outside %s; refusing to send credentials there", u.Redacted(), c.base.Host)
		}
		if len(q) > 0 {
			merged := u.Query()
			for k, vs := range q {
				merged[k] = vs
			}
			u.RawQuery = merged.Encode()
		}
		return u, nil
	}
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	return &u, nil
}

// do sends rq, retrying GETs on 429, 5xx and timeouts, and decodes a 2xx body into
// rq.out.
func (c *Client) do(ctx context.Context, rq request) (Meta, error) {
	u, err := c.resolve(rq.path, rq.query)
	if err != nil {
		return Meta{}, err
	}
	var payload []byte
	if rq.body != nil {
		if payload, err = json.Marshal(rq.body); err != nil {
			return Meta{}, fmt.Errorf("encode zendesk %s %s body: %w", rq.method, u.Path, err)
		}
	}
	safe := rq.method == http.MethodGet || rq.method == http.MethodHead
	incremental := strings.Contains(u.Path, "/incremental/")
	for attempt := 0; ; attempt++ {
		if incremental {
			if err := c.incremental.wait(ctx); err != nil {
				return Meta{}, fmt.Errorf("zendesk %s %s: wait for incremental-export budget: %w", rq.method, u.Path, err)
			}
		}
		if err := c.limiter.wait(ctx); err != nil {
			return Meta{}, fmt.Errorf("zendesk %s %s: wait for rate-limit budget: %w", rq.method, u.Path, err)
		}
		meta, err := c.send(ctx, rq.method, u, payload, rq.out)
		if err == nil {
			return meta, nil
		}
		var zerr *Error
		if !errors.As(err, &zerr) {
			return meta, err
		}
		if zerr.StatusCode == http.StatusTooManyRequests {
			wait := zerr.RetryAfter
			if wait <= 0 {
				wait = c.cfg.DefaultRetryAfter
				zerr.RetryAfter = wait
			}
			// Throttle every caller of this client, not only this request.
			lim := c.limiter
			if incremental && zerr.Message != "" && strings.Contains(strings.ToLower(zerr.Message), "incremental") {
				lim = c.incremental
			}
			lim.pause(time.Now().Add(wait))
		}
		if !safe || !zerr.Retryable() || c.cfg.MaxRetries < 0 || attempt >= c.cfg.MaxRetries {
			return meta, err
		}
		delay := c.backoff(zerr, attempt)
		if delay > c.cfg.MaxRetryWait {
			return meta, err
		}
		c.log.Warn("zendesk request will be retried",
			"method", rq.method, "path", u.Path, "status", zerr.StatusCode, "code", zerr.Code,
			"attempt", attempt+1, "delay", delay, "request_id", zerr.RequestID)
		if zerr.StatusCode == http.StatusTooManyRequests {
			// The limiter is paused until Retry-After; its wait does the sleeping.
			continue
		}
		if err := c.sleep(ctx, delay); err != nil {
			return meta, fmt.Errorf("%w (gave up waiting to retry: %w)", zerr, err)
		}
	}
}

// backoff is Retry-After for a 429 (the limiter enforces it), and otherwise an
// exponential back-off with jitter for 5xx and timeouts.
func (c *Client) backoff(e *Error, attempt int) time.Duration {
	if e.StatusCode == http.StatusTooManyRequests {
		return e.RetryAfter
	}
	if e.RetryAfter > 0 {
		return e.RetryAfter
	}
	d := c.cfg.RetryBackoff << attempt
	// Up to 25% jitter keeps concurrent retriers from synchronising.
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

// send performs one HTTP exchange.
func (c *Client) send(ctx context.Context, method string, u *url.URL, payload []byte, out any) (Meta, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return Meta{}, fmt.Errorf("build zendesk request %s %s: %w", method, u.Path, err)
	}
	req.Header.Set("Authorization", c.authHeader)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Meta{}, fmt.Errorf("zendesk %s %s: %w", method, u.Path, ctx.Err())
		}
		code := CodeTransport
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			code = CodeTimeout
		}
		c.log.Warn("zendesk request failed", "method", method, "path", u.Path, "code", code, "error", err)
		return Meta{}, &Error{Method: method, Path: u.Path, Code: code, Message: transportMessage(err), Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	meta := Meta{
		RequestID:          resp.Header.Get("X-Request-Id"),
		StatusCode:         resp.StatusCode,
		RateLimitRemaining: headerInt(resp.Header, "X-Rate-Limit-Remaining"),
		Warning:            resp.Header.Get("X-Zendesk-Api-Warn"),
	}
	c.log.Debug("zendesk request", "method", method, "path", u.Path, "status", resp.StatusCode,
		"request_id", meta.RequestID, "duration", time.Since(start), "rate_limit_remaining", meta.RateLimitRemaining)
	if meta.Warning != "" {
		c.log.Warn("zendesk api warning", "method", method, "path", u.Path, "warning", meta.Warning, "request_id", meta.RequestID)
	}
	if err != nil {
		if ctx.Err() != nil {
			return meta, fmt.Errorf("zendesk %s %s: read body: %w", method, u.Path, ctx.Err())
		}
		return meta, &Error{Method: method, Path: u.Path, StatusCode: 0, Code: CodeTransport, Message: "reading response body: " + err.Error(), RequestID: meta.RequestID, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		zerr := parseError(method, u.Path, resp.StatusCode, resp.Header, raw, time.Now())
		if zerr.StatusCode == http.StatusUnauthorized {
			zerr.Auth = c.authDesc
		}
		c.log.Info("zendesk error response", "method", method, "path", u.Path, "status", zerr.StatusCode,
			"code", zerr.Code, "request_id", zerr.RequestID, "retry_after", zerr.RetryAfter)
		return meta, zerr
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return meta, fmt.Errorf("decode zendesk %s %s response (request_id=%s): %w", method, u.Path, meta.RequestID, err)
		}
	}
	return meta, nil
}

// transportMessage strips the URL from a *url.Error: it is already in Path, and a
// query string may carry cursors we do not want duplicated in logs.
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func headerInt(h http.Header, key string) int {
	v := h.Get(key)
	if v == "" {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get fetches path into out.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) (Meta, error) {
	return c.do(ctx, request{method: http.MethodGet, path: path, query: q, out: out})
}

// idPath formats an integer id for a URL path.
func idPath(id int64) string { return strconv.FormatInt(id, 10) }
