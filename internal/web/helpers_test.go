package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"irflow/internal/auth"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/ownership"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
	"irflow/internal/web"
)

var (
	t0   = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	fast = auth.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}
)

// clock is a settable clock shared by the service and the web server.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// stack is a web server over the real service, a SQLite store and a fake Temporal.
type stack struct {
	t     testing.TB
	store *sqlite.DB
	ft    *servicetest.Temporal
	svc   *service.Service
	web   *web.Server
	srv   *httptest.Server
	clock *clock
}

const password = "correct horse battery staple"

func newStack(t testing.TB) *stack {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	c := &clock{now: t0.Add(24 * time.Hour)}
	ft := servicetest.New()
	svc := &service.Service{Client: ft, Store: store, Users: store, Now: c.Now}
	for _, u := range []incident.User{
		{ID: "lena", Display: "Lena Legal", Email: "lena@example.com", Roles: []incident.Role{incident.RoleLegal}},
		{ID: "vic", Display: "Vic Viewer", Roles: []incident.Role{incident.RoleViewer}},
		{ID: "cora", Display: "Cora Commander", Roles: []incident.Role{incident.RoleCommander, incident.RoleResponder}},
		{ID: "dis", Display: "Disabled", Roles: []incident.Role{incident.RoleLegal}, Disabled: true},
	} {
		if err := store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		h, err := auth.HashPassword(password, fast)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SetPasswordHash(ctx, u.ID, h); err != nil {
			t.Fatal(err)
		}
	}
	w, err := web.New(ctx, web.Config{Service: svc, Users: store, SessionKey: []byte(strings.Repeat("k", 32)),
		PasswordParams: fast, SettleTimeout: 20 * time.Millisecond, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return &stack{t: t, store: store, ft: ft, svc: svc, web: w, srv: srv, clock: c}
}

// seed stores an incident in the store (and its live state in the fake
// Temporal when open) with one obligation clock per due offset: negative is
// overdue, nil waits for its trigger.
func (s *stack) seed(id, title, jurisdiction string, open bool, dues ...*time.Duration) incident.State {
	s.t.Helper()
	ctx := context.Background()
	aware := t0
	st := incident.State{ID: id, WorkflowID: "incident-" + id, Title: title, Playbook: "credential-compromise", Phase: incident.PhaseNotification,
		Facts: facts.Document{Version: 1, Summary: "=cmd|' /C calc'!A0 takeover", Timeline: facts.Timeline{AwareAt: &aware},
			Affected: facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: jurisdiction, Count: 12}}}, DataCategories: []string{"contact"}},
		Severity: "SEV2", DeclaredAt: t0, DeclaredBy: "cora",
		Ownership: incident.OwnershipState{Determination: ownership.Determination{Owner: ownership.OwnerSubscriber, Clauses: []string{"SRM-VI.S.i"},
			Rationale: "stolen password (cause.credentials_used: password)", Confidence: ownership.Probable}, Source: incident.OwnershipComputed},
		Timeline: []incident.TimelineEntry{{Seq: 1, At: t0, Actor: "cora", Via: "web", Kind: incident.KindDeclared, Text: "declared <script>alert(1)</script>"}}}
	if !open {
		st.Phase = incident.PhaseClosed
		closed := t0.Add(time.Hour)
		st.ClosedAt, st.CloseReason = &closed, "done"
	}
	for i, d := range dues {
		obID := fmt.Sprintf("ob-%d", i+1)
		ob := obligations.Obligation{ID: obID, Rule: "rule-" + jurisdiction, Title: "Notice " + obID, Audience: []string{"authority", "individuals"}[i%2],
			Jurisdiction: jurisdiction, Citation: "Art. " + fmt.Sprint(30+i), Trigger: "aware_at", TriggerAt: &aware, DueText: "within 72 hours", Applicable: true}
		rec := incident.ObligationRecord{IncidentID: id, ObligationID: obID, ClockWorkflowID: "clock-" + id + "-" + obID, Rule: ob.Rule,
			Jurisdiction: jurisdiction, Audience: ob.Audience, Status: obligations.StatusOpen, TriggerAt: &aware, Revision: 1, UpdatedAt: t0,
			Clock: incident.ClockState{IncidentID: id, Obligation: ob, Status: obligations.StatusOpen, TriggerAt: &aware}}
		if d != nil {
			due := s.clock.Now().Add(*d)
			ob.DueAt, rec.DueAt, rec.Clock.DueAt = &due, &due, &due
			rec.Clock.Obligation.DueAt = &due
		} else {
			ob.TriggerAt, rec.TriggerAt, rec.Clock.TriggerAt = nil, nil, nil
			rec.Status, rec.Clock.Status = obligations.StatusAwaitingTrigger, obligations.StatusAwaitingTrigger
		}
		if err := s.store.SaveObligation(ctx, rec); err != nil {
			s.t.Fatal(err)
		}
		st.Obligations = append(st.Obligations, incident.IncidentObligation{Obligation: ob, ClockWorkflowID: rec.ClockWorkflowID})
	}
	tl := st.Timeline
	saved := st
	saved.Timeline = nil
	b, _ := json.Marshal(saved)
	if err := s.store.SaveIncident(ctx, incident.IncidentSave{Summary: incident.Summary{ID: id, WorkflowID: st.WorkflowID, Title: title, Playbook: st.Playbook,
		Phase: st.Phase, Severity: "SEV2", Owner: "subscriber", DeclaredAt: t0, ClosedAt: st.ClosedAt, UpdatedAt: t0}, StateJSON: string(b), Version: 1, Entries: tl}); err != nil {
		s.t.Fatal(err)
	}
	if open {
		s.ft.States[st.WorkflowID] = st
	}
	return st
}

func dur(d time.Duration) *time.Duration { return &d }

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t    testing.TB
	s    *stack
	c    *http.Client
	csrf string
}

func (s *stack) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	Status int
	Body   string
	Header http.Header
}

func (b *browser) do(method, path string, form url.Values) resp {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		b.csrf = m[1]
	}
	return resp{Status: res.StatusCode, Body: string(raw), Header: res.Header}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) resp { return b.do("GET", path, nil) }

// post submits a form with the CSRF token of the last page seen.
func (b *browser) post(path string, kv ...string) resp {
	form := url.Values{"csrf": {b.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return b.do("POST", path, form)
}

// signIn signs in as user and fails the test unless it worked.
func (b *browser) signIn(user string) {
	b.t.Helper()
	b.get("/login")
	r := b.post("/login", "user", user, "password", password, "next", "/board")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/board" {
		b.t.Fatalf("sign in as %s: %d %s", user, r.Status, r.Body)
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newWeb(s *stack, key []byte) (*web.Server, error) {
	return web.New(context.Background(), web.Config{Service: s.svc, Users: s.store, SessionKey: key, PasswordParams: fast, Now: s.clock.Now})
}
