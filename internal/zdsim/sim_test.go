package zdsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// These tests speak raw HTTP to check the wire format itself; the client's tests in
// internal/zendesk check the same behaviour end to end.

type rawResp struct {
	status int
	header http.Header
	body   string
}

func (r rawResp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

type harness struct {
	t   *testing.T
	sim *Sim
	hs  *httptest.Server
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	sim, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	return &harness{t: t, sim: sim, hs: hs}
}

func basic(email, token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(email+"/token:"+token))
}

func (h *harness) do(method, path, auth, body string) rawResp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.hs.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResp{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (h *harness) admin() string { f := h.sim.Facts(); return basic(f.AdminEmail, f.AdminAPIToken) }

func TestJSONSuffixOptionalAndRateHeadersEverywhere(t *testing.T) {
	h := newHarness(t, Options{})
	f := h.sim.Facts()
	a := h.do("GET", "/api/v2/users/372003.json", h.admin(), "")
	b := h.do("GET", "/api/v2/users/372003", h.admin(), "")
	if a.status != 200 || a.body != b.body {
		t.Fatalf("with and without .json differ: %d %q vs %q", a.status, a.body, b.body)
	}
	for _, r := range []rawResp{a, h.do("GET", "/api/v2/users/1", h.admin(), ""), h.do("GET", "/api/v2/users/1", "Bearer nope", "")} {
		if r.header.Get("X-Rate-Limit") == "" || r.header.Get("X-Rate-Limit-Remaining") == "" || r.header.Get("X-Request-Id") == "" {
			t.Errorf("status %d lacks rate-limit or request-id headers: %v", r.status, r.header)
		}
	}
	if u := a.json(t)["user"].(map[string]any); u["email"] != f.CompromisedEmail {
		t.Errorf("user = %v", u)
	}
}

func TestErrorShapes(t *testing.T) {
	h := newHarness(t, Options{})
	f := h.sim.Facts()
	agent := basic(f.AgentEmail, f.AdminAPIToken)
	cases := []struct {
		name, method, path, auth, body string
		status                         int
		want                           string
	}{
		{"401", "GET", "/api/v2/users/me", basic(f.AdminEmail, "wrong"), "", 401, `{"error":"Couldn't authenticate you"}`},
		{"401 password auth refused", "GET", "/api/v2/users/me",
			"Basic " + base64.StdEncoding.EncodeToString([]byte(f.AdminEmail+":"+f.AdminAPIToken)), "", 401, `{"error":"Couldn't authenticate you"}`},
		{"404 record", "GET", "/api/v2/users/42", h.admin(), "", 404, `{"description":"Not found","error":"RecordNotFound"}`},
		{"404 endpoint", "GET", "/api/v2/nothing_here", h.admin(), "", 404, `{"description":"Not found","error":"InvalidEndpoint"}`},
		{"403", "GET", "/api/v2/api_tokens", agent, "", 403,
			`{"error":{"message":"You do not have access to this page. Please contact the account owner of this help desk for further help.","title":"Forbidden"}}`},
		{"422", "PUT", "/api/v2/users/372003", h.admin(), `{"user":{"role":"root"}}`, 422,
			`{"description":"Record validation errors","details":{"role":[{"description":"Role: \"root\" is not a valid role (end-user, agent, admin)","error":"InvalidValue"}]},"error":"RecordInvalid"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, tc.auth, tc.body)
			if r.status != tc.status || strings.TrimSpace(r.body) != tc.want {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.want)
			}
		})
	}
}

func TestUnwrappedInstallationsStringWebhookIDsAnd204s(t *testing.T) {
	h := newHarness(t, Options{})
	f := h.sim.Facts()
	inst := h.do("GET", "/api/v2/apps/installations/360001", h.admin(), "").json(t)
	if _, wrapped := inst["installation"]; wrapped || inst["id"] != float64(360001) {
		t.Errorf("installation is wrapped or wrong: %v", inst)
	}
	put := h.do("PUT", "/api/v2/apps/installations/360001", h.admin(), `{"enabled":false}`).json(t)
	if put["enabled"] != false || put["id"] != float64(360001) {
		t.Errorf("PUT installation = %v", put)
	}
	wh := h.do("GET", "/api/v2/webhooks/"+f.RogueWebhookID, h.admin(), "").json(t)["webhook"].(map[string]any)
	if id, ok := wh["id"].(string); !ok || id != f.RogueWebhookID || len(id) != 26 {
		t.Errorf("webhook id = %#v", wh["id"])
	}
	for _, r := range []rawResp{
		h.do("PATCH", "/api/v2/webhooks/"+f.RogueWebhookID, h.admin(), `{"webhook":{"status":"inactive"}}`),
		h.do("DELETE", "/api/v2/users/372003/sessions", h.admin(), ""),
		h.do("DELETE", "/api/v2/api_tokens/203", h.admin(), ""),
		h.do("DELETE", "/api/v2/oauth/tokens/304", h.admin(), ""),
	} {
		if r.status != 204 || r.body != "" {
			t.Errorf("want 204 with empty body, got %d %q", r.status, r.body)
		}
	}
}

func TestCursorLinksAbsoluteAndOffsetDepth(t *testing.T) {
	h := newHarness(t, Options{Seed: SeedEmpty, AuditLogRecords: 10001})
	r := h.do("GET", "/api/v2/audit_logs?page[size]=2", h.admin(), "").json(t)
	links, meta := r["links"].(map[string]any), r["meta"].(map[string]any)
	next, _ := links["next"].(string)
	if meta["has_more"] != true || !strings.HasPrefix(next, h.hs.URL+"/api/v2/audit_logs.json?") || !strings.Contains(next, "page%5Bafter%5D=") {
		t.Fatalf("meta %v links %v", meta, links)
	}
	second := h.do("GET", strings.TrimPrefix(next, h.hs.URL), h.admin(), "").json(t)
	if second["links"].(map[string]any)["prev"] == nil {
		t.Error("second page has no prev link")
	}
	off := h.do("GET", "/api/v2/audit_logs?per_page=100&page=100", h.admin(), "").json(t)
	if off["count"] != float64(10001) || off["next_page"] == nil || !strings.HasPrefix(off["next_page"].(string), h.hs.URL) {
		t.Errorf("page 100 = count %v next %v", off["count"], off["next_page"])
	}
	deep := h.do("GET", "/api/v2/audit_logs?per_page=100&page=101", h.admin(), "")
	if deep.status != 400 || !strings.Contains(deep.body, `"code":"InvalidPaginationDepth"`) {
		t.Errorf("page 101 = %d %s", deep.status, deep.body)
	}
}

func TestRateLimit429Format(t *testing.T) {
	for _, omit := range []bool{false, true} {
		h := newHarness(t, Options{Seed: SeedEmpty, RateLimit: 3, OmitRetryAfter: omit})
		for i := range 3 {
			if r := h.do("GET", "/api/v2/users/me", h.admin(), ""); r.status != 200 || r.header.Get("X-Rate-Limit-Remaining") != []string{"2", "1", "0"}[i] {
				t.Fatalf("request %d: %d remaining %s", i, r.status, r.header.Get("X-Rate-Limit-Remaining"))
			}
		}
		r := h.do("GET", "/api/v2/users/me", h.admin(), "")
		if r.status != 429 || r.body != TooManyRequestsBody || r.header.Get("Content-Type") != "text/plain" ||
			r.header.Get("X-Rate-Limit") != "3" || r.header.Get("X-Rate-Limit-Remaining") != "0" {
			t.Fatalf("429 = %d %q %v", r.status, r.body, r.header)
		}
		ra := r.header.Get("Retry-After")
		if omit != (ra == "") {
			t.Errorf("omit=%v but Retry-After=%q", omit, ra)
		}
		if !omit && (ra < "1" || len(ra) > 2) {
			t.Errorf("Retry-After %q not a small number of seconds", ra)
		}
		if st := h.sim.Stats(); st.RateLimited != 1 || st.TooManyRequests != 1 {
			t.Errorf("stats = %+v", st)
		}
	}
}

func TestIncrementalBudgetIsSeparate(t *testing.T) {
	h := newHarness(t, Options{IncrementalRateLimit: 1})
	if r := h.do("GET", "/api/v2/incremental/tickets/cursor?start_time=0", h.admin(), ""); r.status != 200 {
		t.Fatalf("first export: %d %s", r.status, r.body)
	}
	r := h.do("GET", "/api/v2/incremental/users/cursor?start_time=0", h.admin(), "")
	if r.status != 429 || !strings.Contains(r.body, "incremental") {
		t.Errorf("second export = %d %q", r.status, r.body)
	}
	if r := h.do("GET", "/api/v2/users/me", h.admin(), ""); r.status != 200 {
		t.Errorf("ordinary endpoint throttled by the export budget: %d", r.status)
	}
}

func TestFaultKnobs(t *testing.T) {
	h := newHarness(t, Options{Seed: SeedEmpty, Faults: Faults{Rate429: 1}})
	if r := h.do("GET", "/api/v2/users/me", h.admin(), ""); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("fault 429 = %d %v", r.status, r.header)
	}
	if err := h.sim.SetFaults(Faults{Rate5xx: 1}); err != nil {
		t.Fatal(err)
	}
	if r := h.do("GET", "/api/v2/users/me", h.admin(), ""); r.status < 500 {
		t.Errorf("fault 5xx = %d", r.status)
	}
	if err := h.sim.SetFaults(Faults{Rate429: 0.7, Rate5xx: 0.7}); err == nil {
		t.Error("rates summing above 1 accepted")
	}
	st := h.sim.Stats()
	if st.Injected429 != 1 || st.Injected5xx != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestMutationCountsAndFailAfterApplyOverControlAPI(t *testing.T) {
	h := newHarness(t, Options{})
	ctl := h.do("POST", "/_sim/fail_after_apply", "", `{"kind":"user","id":"372003","times":1}`)
	if ctl.status != 200 {
		t.Fatalf("control = %d %s", ctl.status, ctl.body)
	}
	if r := h.do("PUT", "/api/v2/users/372003", h.admin(), `{"user":{"suspended":true}}`); r.status != 500 {
		t.Fatalf("want the injected 500, got %d", r.status)
	}
	if r := h.do("PUT", "/api/v2/users/372003", h.admin(), `{"user":{"suspended":true}}`); r.status != 200 {
		t.Fatalf("second attempt = %d", r.status)
	}
	var m struct {
		Mutations []MutationCount `json:"mutations"`
	}
	if err := json.Unmarshal([]byte(h.do("GET", "/_sim/mutations", "", "").body), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Mutations) != 1 || m.Mutations[0] != (MutationCount{Kind: KindUser, ID: "372003", Count: 2}) {
		t.Errorf("mutations = %+v", m.Mutations)
	}
	// Rejected requests are not mutations.
	h.do("PUT", "/api/v2/users/372003", h.admin(), `{"user":{"role":"root"}}`)
	if n := h.sim.Mutations(KindUser, "372003"); n != 2 {
		t.Errorf("count after a 422 = %d", n)
	}
	var state struct {
		Users []struct {
			ID        int64 `json:"id"`
			Suspended bool  `json:"suspended"`
		} `json:"users"`
	}
	_ = json.Unmarshal([]byte(h.do("GET", "/_sim/state", "", "").body), &state)
	for _, u := range state.Users {
		if u.ID == 372003 && !u.Suspended {
			t.Error("state does not show the suspension")
		}
	}
}

// The demo seed tells one coherent story; these are the facts playbooks rely on.
func TestDemoSeedStory(t *testing.T) {
	h := newHarness(t, Options{})
	f := h.sim.Facts()
	st := h.sim.st
	failed, success := 0, 0
	for _, l := range st.auditLogs {
		if l.ActorID != f.CompromisedUserID || l.Action != "login" {
			continue
		}
		switch {
		case strings.HasPrefix(l.ChangeDescription, "Failed"):
			failed++
			if l.CreatedAt.Before(f.FirstFailedLoginAt) || !l.CreatedAt.Before(f.TakeoverAt) || !contains(f.StuffingIPs, l.IPAddress) {
				t.Errorf("failed login %+v outside the stuffing run", l)
			}
		case l.IPAddress == f.AttackerIP:
			success++
		}
	}
	if failed != f.FailedLogins || success != 2 {
		t.Errorf("failed %d (want %d), attacker sign-ins %d (want 2)", failed, f.FailedLogins, success)
	}
	for _, id := range f.AttackerSessionIDs {
		if s := st.sessions[id]; s == nil || s.UserID != f.CompromisedUserID || s.AuthenticatedAt.Before(f.TakeoverAt) {
			t.Errorf("attacker session %d = %+v", id, s)
		}
	}
	if tok := st.apiTokens[f.RogueAPITokenID]; tok == nil || !tok.CreatedAt.After(f.TakeoverAt) || tok.UserID != f.CompromisedUserID {
		t.Errorf("rogue token = %+v", tok)
	}
	if wh := st.webhooks[f.RogueWebhookID]; wh == nil || !strings.Contains(wh.Endpoint, f.AttackerDomain) || wh.Status != "active" {
		t.Errorf("rogue webhook = %+v", wh)
	}
	for _, tid := range f.AffectedTicketIDs {
		fromAttacker := false
		for _, a := range st.audits {
			if a.TicketID == tid && a.Metadata.System.IPAddress == f.AttackerIP {
				fromAttacker = true
			}
		}
		if !fromAttacker {
			t.Errorf("ticket %d has no audit from the attacker IP", tid)
		}
	}
	if u := st.users[f.CompromisedUserID]; u.Role != f.CompromisedOriginalRole || u.TwoFactorAuthEnabled {
		t.Errorf("compromised user = %+v", u)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestSeedsAreDeterministic(t *testing.T) {
	snap := func() string {
		s, err := New(Options{FrozenClock: true, AuditLogRecords: 100})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s.Snapshot())
		f, _ := json.Marshal(s.Facts())
		return string(b) + string(f)
	}
	if a, b := snap(), snap(); a != b {
		t.Error("two demo simulators differ")
	}
	if _, err := New(Options{Seed: "prod"}); err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Errorf("unknown seed: %v", err)
	}
}

func TestSlidingWindow(t *testing.T) {
	w := newSlidingWindow(2, time.Second)
	t0 := time.Unix(1000, 0)
	if _, ok := w.admit(t0); !ok {
		t.Fatal("first refused")
	}
	if _, ok := w.admit(t0.Add(400 * time.Millisecond)); !ok {
		t.Fatal("second refused")
	}
	d, ok := w.admit(t0.Add(900 * time.Millisecond))
	if ok || d != 100*time.Millisecond {
		t.Fatalf("third: ok=%v wait=%s, want refused for 100ms", ok, d)
	}
	if _, ok := w.admit(t0.Add(time.Second)); !ok {
		t.Fatal("refused after the oldest left the window")
	}
	if _, ok := w.admit(t0.Add(1100 * time.Millisecond)); ok {
		t.Fatal("window holds 400ms and 1000ms: a third must wait")
	}
}
