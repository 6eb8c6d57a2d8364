// Package zendesk is irflow's client for the Zendesk Support REST API (/api/v2).
//
// No maintained Go client covers the endpoints incident response needs (sessions, API
// and OAuth tokens, audit logs, incremental exports, webhook PATCH, app-installation
// updates), so irflow carries its own. The client speaks Zendesk's wire formats as
// written down in shared/reference/external-apis.md (sections C, A and B): API-token
// Basic auth and OAuth Bearer, cursor and offset pagination, incremental-export
// streams, every error-body shape, 429 with and without Retry-After.
//
// Retry semantics: GET requests are retried inside the client on 429, 5xx and
// timeouts, a bounded number of times. Mutations are never retried here: they return
// an *Error whose Retryable method tells the caller (a Temporal activity) whether a
// retry is safe, and the caller makes the mutation idempotent.
package zendesk

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvSubdomain         = "ZENDESK_SUBDOMAIN"
	EnvURL               = "ZENDESK_URL"
	EnvEmail             = "ZENDESK_EMAIL"
	EnvAPIToken          = "ZENDESK_API_TOKEN"
	EnvOAuthToken        = "ZENDESK_OAUTH_TOKEN"
	EnvRequestsPerMinute = "ZENDESK_REQUESTS_PER_MINUTE"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultRequestsPerMinute is the account-wide limit Zendesk advertises in
	// X-Rate-Limit on the plans we have seen (reference C4); plans differ.
	DefaultRequestsPerMinute = 700
	// DefaultIncrementalPerMinute is the documented incremental-export limit (C4).
	DefaultIncrementalPerMinute = 10
	// DefaultRetryAfter is the wait used when a 429 carries no Retry-After header;
	// Zendesk's own Ruby client waits 10 s (C4).
	DefaultRetryAfter = 10 * time.Second
	// DefaultMaxRetries bounds in-client retries of a GET.
	DefaultMaxRetries = 4
	// DefaultRetryBackoff is the first back-off after a 5xx or timeout on a GET;
	// it doubles per attempt.
	DefaultRetryBackoff = 500 * time.Millisecond
	// DefaultMaxRetryWait is the longest the client sleeps before an in-client
	// retry; a longer Retry-After is returned to the caller so that Temporal, not a
	// blocked activity, does the waiting.
	DefaultMaxRetryWait = 60 * time.Second
	// DefaultTimeout is the per-request timeout of the default HTTP client.
	DefaultTimeout = 30 * time.Second
	// DefaultUserAgent identifies irflow to Zendesk.
	DefaultUserAgent = "irflow-zendesk-client/1"
)

// subdomainPattern is the check go-zendesk applies to subdomains (reference C1).
var subdomainPattern = regexp.MustCompile(`^[a-z][a-z0-9-]+[a-z0-9]$`)

// Config holds everything needed to reach one Zendesk instance. Either Subdomain or
// BaseURL names the instance; either Email+APIToken or OAuthToken authenticates.
type Config struct {
	// Budget, when set, makes RequestsPerMinute and IncrementalPerMinute one
	// budget for every client that shares it (every worker using the store), keyed
	// by the instance's URL; nil keeps a budget per client.
	Budget SharedBudget
	// BaseURL overrides the instance URL, e.g. "https://acme.zendesk.com" or a
	// simulator's "http://127.0.0.1:8081". "/api/v2" is appended when missing.
	BaseURL string
	// Subdomain is the "acme" in acme.zendesk.com. Ignored when BaseURL is set,
	// except in error messages.
	Subdomain string
	// Email and APIToken select API-token Basic auth ("{email}/token:{token}").
	Email    string
	APIToken string
	// OAuthToken selects OAuth Bearer auth.
	OAuthToken string

	// RequestsPerMinute is the client-side budget for all requests (default 700).
	RequestsPerMinute int
	// IncrementalPerMinute is the separate budget for /incremental/ endpoints
	// (default 10). Incremental requests also consume the account-wide budget.
	IncrementalPerMinute int

	// DefaultRetryAfter is waited after a 429 without Retry-After (default 10 s).
	DefaultRetryAfter time.Duration
	// MaxRetries bounds in-client retries of GET requests (default 4; negative
	// disables retries).
	MaxRetries int
	// RetryBackoff is the first back-off after a 5xx or timeout (default 500 ms).
	RetryBackoff time.Duration
	// MaxRetryWait is the longest in-client wait before a retry (default 60 s).
	MaxRetryWait time.Duration

	// HTTPClient sends the requests (default: a client with a 30 s timeout).
	HTTPClient *http.Client
	// Logger receives request logs and X-Zendesk-API-Warn warnings (default: discard).
	Logger *slog.Logger
	// UserAgent is sent on every request (default DefaultUserAgent).
	UserAgent string
}

// AuthMode names the authentication scheme a Config selects.
func (c Config) AuthMode() string {
	switch {
	case c.OAuthToken != "":
		return "oauth_token"
	case c.APIToken != "":
		return "api_token"
	default:
		return "none"
	}
}

// Instance names the Zendesk instance for messages: the subdomain when known,
// otherwise the base URL.
func (c Config) Instance() string {
	if c.Subdomain != "" {
		return fmt.Sprintf("subdomain %q", c.Subdomain)
	}
	return fmt.Sprintf("base URL %s", c.BaseURL)
}

// LogValue keeps secrets out of logs: tokens are never printed.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("subdomain", c.Subdomain),
		slog.String("base_url", c.BaseURL),
		slog.String("auth_mode", c.AuthMode()),
		slog.String("email", c.Email),
		slog.Int("requests_per_minute", c.RequestsPerMinute),
	)
}

// String describes the configuration without secrets.
func (c Config) String() string {
	return fmt.Sprintf("zendesk{%s, auth=%s, email=%q}", c.Instance(), c.AuthMode(), c.Email)
}

// ConfigFromEnv builds a Config from ZENDESK_SUBDOMAIN or ZENDESK_URL, ZENDESK_EMAIL +
// ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN, and optionally
// ZENDESK_REQUESTS_PER_MINUTE. configured is false, with a nil error, when none of
// the Zendesk variables is set: the caller then runs against the simulator. A
// partial or contradictory set is an error naming the variables involved.
func ConfigFromEnv(getenv func(string) string) (cfg Config, configured bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	cfg = Config{
		Subdomain:  get(EnvSubdomain),
		BaseURL:    get(EnvURL),
		Email:      get(EnvEmail),
		APIToken:   get(EnvAPIToken),
		OAuthToken: get(EnvOAuthToken),
	}
	rpm := get(EnvRequestsPerMinute)
	if cfg.Subdomain == "" && cfg.BaseURL == "" && cfg.Email == "" && cfg.APIToken == "" && cfg.OAuthToken == "" {
		return Config{}, false, nil
	}
	if rpm != "" {
		n, perr := strconv.Atoi(rpm)
		if perr != nil || n <= 0 {
			return Config{}, true, fmt.Errorf("%s=%q: want a positive whole number of requests per minute", EnvRequestsPerMinute, rpm)
		}
		cfg.RequestsPerMinute = n
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, true, fmt.Errorf("zendesk configuration from environment: %w", err)
	}
	return cfg, true, nil
}

// Validate reports the first problem with c, naming the field (and the environment
// variable that sets it).
func (c Config) Validate() error {
	switch {
	case c.Subdomain == "" && c.BaseURL == "":
		return fmt.Errorf("instance: set %s (e.g. acme) or %s (e.g. https://acme.zendesk.com)", EnvSubdomain, EnvURL)
	case c.Subdomain != "" && c.BaseURL == "" && !subdomainPattern.MatchString(c.Subdomain):
		return fmt.Errorf("%s=%q: a subdomain is lower-case letters, digits and hyphens, starting with a letter (the \"acme\" in acme.zendesk.com)", EnvSubdomain, c.Subdomain)
	}
	if c.BaseURL != "" {
		if _, err := normalizeBaseURL(c.BaseURL); err != nil {
			return fmt.Errorf("%s=%q: %w", EnvURL, c.BaseURL, err)
		}
	}
	switch {
	case c.APIToken != "" && c.OAuthToken != "":
		return fmt.Errorf("credentials: set %s or %s, not both", EnvAPIToken, EnvOAuthToken)
	case c.APIToken != "" && c.Email == "":
		return fmt.Errorf("credentials: %s needs %s (API-token auth sends {email}/token:{token})", EnvAPIToken, EnvEmail)
	case c.APIToken == "" && c.OAuthToken == "":
		return fmt.Errorf("credentials: set %s with %s, or %s", EnvEmail, EnvAPIToken, EnvOAuthToken)
	case c.RequestsPerMinute < 0:
		return fmt.Errorf("RequestsPerMinute=%d: must not be negative", c.RequestsPerMinute)
	case c.IncrementalPerMinute < 0:
		return fmt.Errorf("IncrementalPerMinute=%d: must not be negative", c.IncrementalPerMinute)
	}
	return nil
}

// normalizeBaseURL turns "https://acme.zendesk.com" or ".../api/v2/" into
// "https://acme.zendesk.com/api/v2".
func normalizeBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("want an http or https URL")
	}
	if u.Host == "" {
		return nil, errors.New("missing host")
	}
	if u.User != nil {
		return nil, errors.New("credentials in the URL are ignored by Zendesk; use the token settings")
	}
	p := strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(p, "/api/v2") {
		p += "/api/v2"
	}
	u.Path = p
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}
