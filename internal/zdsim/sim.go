// Package zdsim is a stateful Zendesk simulator that speaks the real wire formats
// (shared/reference/external-apis.md, sections C, A, B and G): unwrapped app
// installations, string webhook ids, 204 on deletes, absolute cursor links on its own
// base URL, text/plain 429s with and without Retry-After, and every error-body shape.
//
// It backs the client's tests, the rate-limit benchmark and `irflow dev` when no
// Zendesk credentials are configured. It enforces API-token Basic and OAuth Bearer
// auth, admin-only endpoints and a configurable rate limit; it counts every mutation
// per object so tests can prove a containment step acted exactly once, and it can be
// told to fail after applying a mutation to exercise that proof.
package zdsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultNow is the simulator's "present" when Options.Now is zero: seed data is
// placed relative to it, so ids and timestamps are the same on every run.
var DefaultNow = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

// DefaultAdvertisedLimit is the X-Rate-Limit value sent when no limit is enforced
// (Zendesk's common 700/min, reference C4).
const DefaultAdvertisedLimit = 700

// TooManyRequestsBody is Zendesk's plain-text 429 body (reference C4).
const TooManyRequestsBody = "Number of allowed API requests per minute exceeded"

// Seeds.
const (
	SeedDemo  = "demo"
	SeedEmpty = "empty"
)

// Faults injects failures into /api/v2 requests, before auth.
type Faults struct {
	// Rate429 is the probability of a text/plain 429 (with Retry-After: 1 unless
	// Options.OmitRetryAfter).
	Rate429 float64 `json:"rate_429"`
	// Rate5xx is the probability of a 500/502/503.
	Rate5xx float64 `json:"rate_5xx"`
	// Latency delays every response.
	Latency time.Duration `json:"latency"`
}

// Options configures a simulator.
type Options struct {
	// Seed is "demo" (a realistic instance with a credential-stuffing takeover)
	// or "empty" (one admin and the credentials to reach it). Default "demo".
	Seed string
	// Now is the instant seed data is placed relative to (default DefaultNow). The
	// simulator's clock starts there and advances with real time, unless
	// FrozenClock.
	Now         time.Time
	FrozenClock bool
	// RateLimit is the number of requests allowed per minute; 0 disables
	// enforcement (X-Rate-Limit still says 700).
	RateLimit int
	// RateWindow is the sliding window the limit is enforced over (default one
	// minute, as Zendesk does). A shorter window enforces the same per-minute rate
	// at a finer grain: 6000/min over 1 s allows 100 requests in any second.
	RateWindow time.Duration
	// IncrementalRateLimit is the per-minute limit on /incremental/ (0: none).
	IncrementalRateLimit int
	// OmitRetryAfter sends 429s without Retry-After, as per-endpoint limits do.
	OmitRetryAfter bool
	// Faults injects 429s, 5xx and latency.
	Faults Faults
	// FaultSeed seeds the fault dice (default 1) so fault patterns repeat.
	FaultSeed uint64
	// AuditLogRecords adds this many synthetic audit-log records, older than the
	// seed's own, for volume tests and the collection benchmark.
	AuditLogRecords int
	// AdminsCanSetUserPasswords is the security setting of that name (off by
	// default, as in Zendesk): when off, POST /users/{id}/password answers 422.
	AdminsCanSetUserPasswords bool
	// AccessLogsAddon is whether the account has the Advanced Data Privacy and
	// Protection add-on, which access logs need (reference B4). Off by default, as
	// on most accounts: GET /access_logs then answers 403 and the demo shows
	// collection recording a gap instead of failing.
	AccessLogsAddon bool
	// NoAuditLogs simulates a plan without audit logs (anything below Enterprise,
	// reference B1): GET /audit_logs answers 403. The zero value keeps audit logs,
	// so every existing Options literal still describes an Enterprise account.
	NoAuditLogs bool
}

// Plan features that gate endpoints (reference B1, B4).

// SetAccessLogsAddon turns the ADPP add-on (and with it GET /access_logs) on or off.
func (s *Sim) SetAccessLogsAddon(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.AccessLogsAddon = on
}

// SetNoAuditLogs switches the plan to one without audit logs (true) or back.
func (s *Sim) SetNoAuditLogs(off bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.NoAuditLogs = off
}

// Stats counts what the simulator answered.
type Stats struct {
	Requests        int `json:"requests"`
	TooManyRequests int `json:"too_many_requests"`
	RateLimited     int `json:"rate_limited"`
	Injected429     int `json:"injected_429"`
	Injected5xx     int `json:"injected_5xx"`
	Unauthorized    int `json:"unauthorized"`
}

// Sim is the simulator: an http.Handler with in-memory state. Safe for concurrent
// use.
type Sim struct {
	mu    sync.Mutex
	opts  Options
	start time.Time // wall clock at creation
	now   time.Time // simulated present at creation
	dice  *rand.Rand
	st    *state
	facts DemoFacts

	window      *slidingWindow
	incWindow   *slidingWindow
	stats       Stats
	requestSeq  int64
	mutations   map[string]int
	deleted     map[string][]string // kind → ids, for Deleted
	failOnApply map[string]int
	mux         *http.ServeMux
}

// New builds a simulator from opts.
func New(opts Options) (*Sim, error) {
	if opts.Seed == "" {
		opts.Seed = SeedDemo
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.RateLimit < 0 || opts.IncrementalRateLimit < 0 || opts.AuditLogRecords < 0 {
		return nil, fmt.Errorf("zdsim options: RateLimit, IncrementalRateLimit and AuditLogRecords must not be negative")
	}
	if err := validateFaults(opts.Faults); err != nil {
		return nil, err
	}
	if opts.FaultSeed == 0 {
		opts.FaultSeed = 1
	}
	s := &Sim{
		opts:        opts,
		start:       time.Now(),
		now:         opts.Now.UTC().Truncate(time.Second),
		dice:        rand.New(rand.NewPCG(opts.FaultSeed, 0x5eed)),
		mutations:   map[string]int{},
		deleted:     map[string][]string{},
		failOnApply: map[string]int{},
	}
	st, facts, err := buildSeed(opts.Seed, s.now, opts)
	if err != nil {
		return nil, err
	}
	s.st, s.facts = st, facts
	if opts.RateLimit > 0 {
		s.window = newSlidingWindow(perWindow(opts.RateLimit, opts.RateWindow), opts.RateWindow)
	}
	if opts.IncrementalRateLimit > 0 {
		s.incWindow = newSlidingWindow(opts.IncrementalRateLimit, time.Minute)
	}
	s.mux = s.routes()
	return s, nil
}

func perWindow(perMinute int, window time.Duration) int {
	n := int(math.Round(float64(perMinute) * window.Seconds() / 60))
	return max(n, 1)
}

func validateFaults(f Faults) error {
	if f.Rate429 < 0 || f.Rate429 > 1 || f.Rate5xx < 0 || f.Rate5xx > 1 || f.Rate429+f.Rate5xx > 1 {
		return fmt.Errorf("zdsim faults: rate_429 (%g) and rate_5xx (%g) must be in [0,1] and sum to at most 1", f.Rate429, f.Rate5xx)
	}
	if f.Latency < 0 {
		return fmt.Errorf("zdsim faults: latency %s must not be negative", f.Latency)
	}
	return nil
}

// Facts returns the seed's key ids and credentials (for "empty", only the admin
// credentials are set).
func (s *Sim) Facts() DemoFacts { return s.facts }

// Now is the simulator's current time: Options.Now plus the real time elapsed since
// New (unless FrozenClock), truncated to the second like Zendesk's timestamps.
func (s *Sim) Now() time.Time {
	if s.opts.FrozenClock {
		return s.now
	}
	return s.now.Add(time.Since(s.start)).Truncate(time.Second)
}

// SetFaults replaces the fault knobs.
func (s *Sim) SetFaults(f Faults) error {
	if err := validateFaults(f); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Faults = f
	return nil
}

// SetOmitRetryAfter switches Retry-After off (true) or on for 429 answers.
func (s *Sim) SetOmitRetryAfter(omit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.OmitRetryAfter = omit
}

// SetAdminsCanSetUserPasswords flips the security setting of that name.
func (s *Sim) SetAdminsCanSetUserPasswords(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.settings.AdminsCanSetUserPasswords = on
}

// Stats returns the request counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Object kinds counted by Mutations.
const (
	KindUser            = "user"
	KindUserPassword    = "user_password"
	KindUserSessions    = "user_sessions" // bulk delete of one user's sessions
	KindSession         = "session"
	KindAPIToken        = "api_token"
	KindOAuthToken      = "oauth_token"
	KindOAuthClient     = "oauth_client"
	KindAppInstallation = "app_installation"
	KindWebhook         = "webhook"
	KindTarget          = "target"
	KindComment         = "comment"
)

// Mutations returns how many mutating requests were applied to one object (kind is
// one of the Kind constants; id is the object's id as a string). Requests that fail
// validation or auth are not counted; a "fail after apply" request is.
func (s *Sim) Mutations(kind, id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mutations[kind+"/"+id]
}

// MutationCount is one row of AllMutations.
type MutationCount struct {
	Kind  string `json:"kind"`
	ID    string `json:"id"`
	Count int    `json:"count"`
}

// AllMutations lists every mutated object, sorted by kind then id.
func (s *Sim) AllMutations() []MutationCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MutationCount, 0, len(s.mutations))
	for k, n := range s.mutations {
		kind, id, _ := strings.Cut(k, "/")
		out = append(out, MutationCount{Kind: kind, ID: id, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// FailAfterApply makes the next `times` mutations of one object apply their change
// and then answer 500, as a real server that crashes between commit and response
// would. id "*" matches every object of the kind. Containment uses this to prove a
// retried activity does not act twice.
func (s *Sim) FailAfterApply(kind, id string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times <= 0 {
		delete(s.failOnApply, kind+"/"+id)
		return
	}
	s.failOnApply[kind+"/"+id] = times
}

// mutated records an applied mutation and reports whether to fail after it. Called
// with s.mu held.
func (s *Sim) mutated(kind, id string) (failNow bool) {
	s.mutations[kind+"/"+id]++
	for _, k := range []string{kind + "/" + id, kind + "/*"} {
		if n := s.failOnApply[k]; n > 0 {
			if n == 1 {
				delete(s.failOnApply, k)
			} else {
				s.failOnApply[k] = n - 1
			}
			return true
		}
	}
	return false
}

// ServeHTTP serves /api/v2/... (Zendesk) and /_sim/... (simulator control).
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Paths work with or without ".json" (reference C1).
	r.URL.Path = strings.TrimSuffix(r.URL.Path, ".json")
	r.URL.RawPath = ""
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	s.mu.Lock()
	s.requestSeq++
	s.stats.Requests++
	reqID := fmt.Sprintf("zdsim-%08d", s.requestSeq)
	faults := s.opts.Faults
	roll := s.dice.Float64()
	s.mu.Unlock()
	w.Header().Set("X-Request-Id", reqID)

	if faults.Latency > 0 {
		t := time.NewTimer(faults.Latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	switch {
	case roll < faults.Rate429:
		s.mu.Lock()
		s.stats.Injected429++
		s.stats.TooManyRequests++
		omit := s.opts.OmitRetryAfter
		s.mu.Unlock()
		s.setRateHeaders(w, 0)
		writeTooMany(w, 1, omit, TooManyRequestsBody)
		return
	case roll < faults.Rate429+faults.Rate5xx:
		s.mu.Lock()
		s.stats.Injected5xx++
		s.mu.Unlock()
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		code := codes[int(roll*1000)%len(codes)]
		s.setRateHeaders(w, -1)
		writeJSON(w, code, map[string]any{"error": "InternalServerError", "description": "Simulated server failure"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// setRateHeaders puts X-Rate-Limit and X-Rate-Limit-Remaining on a response
// (remaining < 0: compute from the window).
func (s *Sim) setRateHeaders(w http.ResponseWriter, remaining int) {
	limit := DefaultAdvertisedLimit
	s.mu.Lock()
	if s.opts.RateLimit > 0 {
		limit = s.opts.RateLimit
	}
	if remaining < 0 {
		remaining = limit - 1
		if s.window != nil {
			remaining = max(s.window.limit-s.window.count(time.Now()), 0)
		}
	}
	s.mu.Unlock()
	w.Header().Set("X-Rate-Limit", fmt.Sprint(limit))
	w.Header().Set("X-Rate-Limit-Remaining", fmt.Sprint(remaining))
}

// admit applies the rate limits to an authenticated request. It returns 0 when
// admitted, otherwise the Retry-After to send. Called without s.mu.
func (s *Sim) admit(incremental bool) (retryAfter time.Duration, message string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if incremental && s.incWindow != nil {
		if d, ok := s.incWindow.admit(now); !ok {
			s.stats.RateLimited++
			s.stats.TooManyRequests++
			return d, "Number of allowed incremental export API requests per minute exceeded", false
		}
	}
	if s.window != nil {
		if d, ok := s.window.admit(now); !ok {
			s.stats.RateLimited++
			s.stats.TooManyRequests++
			return d, TooManyRequestsBody, false
		}
	}
	return 0, "", true
}

// slidingWindow admits at most limit requests in any window-long interval (a
// sliding log: the strictest reading of "N per minute").
type slidingWindow struct {
	limit  int
	window time.Duration
	ring   []time.Time // admitted request times, oldest at head
	head   int
	n      int
}

func newSlidingWindow(limit int, window time.Duration) *slidingWindow {
	return &slidingWindow{limit: limit, window: window, ring: make([]time.Time, limit)}
}

func (sw *slidingWindow) expire(now time.Time) {
	for sw.n > 0 && !sw.ring[sw.head].After(now.Add(-sw.window)) {
		sw.head = (sw.head + 1) % len(sw.ring)
		sw.n--
	}
}

func (sw *slidingWindow) count(now time.Time) int {
	sw.expire(now)
	return sw.n
}

func (sw *slidingWindow) admit(now time.Time) (time.Duration, bool) {
	sw.expire(now)
	if sw.n >= sw.limit {
		return sw.ring[sw.head].Add(sw.window).Sub(now), false
	}
	sw.ring[(sw.head+sw.n)%len(sw.ring)] = now
	sw.n++
	return 0, true
}

// writeTooMany writes Zendesk's text/plain 429 (reference C4).
func writeTooMany(w http.ResponseWriter, retryAfter time.Duration, omit bool, body string) {
	w.Header().Set("X-Rate-Limit-Remaining", "0")
	if !omit {
		secs := int(math.Ceil(retryAfter.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(body))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// baseURL is the API root on the host the request reached: links are absolute
// and on the simulator's own base URL, as Zendesk's are on the subdomain.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/api/v2"
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// encodeCursor and decodeCursor make opaque cursors, like Zendesk's base64 ones.
func encodeCursor(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return string(b), err == nil
}
