package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"irflow/internal/auth"
	"irflow/internal/incident"
)

// markFulfilled is the clock's Update name (markFulfilled); a
// transport's tests do not import the workflows either.
const markFulfilled = "mark_fulfilled"

// TestNoPageWithoutSession: every page sends a browser without a session to the
// sign-in page, and every action is refused; a forged or expired cookie is no
// session.
func TestNoPageWithoutSession(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover", "DE", true, dur(48*time.Hour))
	b := s.browser()
	for _, p := range []string{"/", "/incidents", "/incidents/INC-20260306-001", "/board", "/register.csv", "/incidents/INC-20260306-001/report?format=pdf",
		"/incidents/INC-20260306-001/obligations/ob-1/fulfil", "/no-such-page"} {
		r := b.get(p)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without a session: %d %s", p, r.Status, r.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/incidents/INC-20260306-001/obligations/ob-1/fulfil", "/incidents/INC-20260306-001/evidence/verify", "/logout"} {
		if r := b.post(p, "reference", "x"); r.Status != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d", p, r.Status)
		}
	}
	if n := len(s.ft.Updates()); n != 0 {
		t.Fatalf("%d Updates sent without a session", n)
	}
	// The sign-in page and the static files are open.
	if r := b.get("/login"); r.Status != 200 || !strings.Contains(r.Body, `name="password"`) {
		t.Errorf("login page: %d", r.Status)
	}
	if r := b.get("/static/app.js"); r.Status != 200 {
		t.Errorf("static: %d", r.Status)
	}
	// A cookie signed with another key is not a session.
	req, _ := http.NewRequest("GET", s.srv.URL+"/board", nil)
	req.AddCookie(&http.Cookie{Name: "irflow_session", Value: "eyJ1IjoibGVuYSIsIm4iOiJ4IiwiZSI6OTk5OTk5OTk5OX0.AAAA"})
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("forged cookie: %d", res.StatusCode)
	}
}

// TestSignIn: a wrong password and an unknown user get the same answer; after
// three failures each further one locks the name for a growing delay, during which
// even the right password is refused; the right password then signs in, with a
// secure cookie; signing out ends the session for good.
func TestSignIn(t *testing.T) {
	s := newStack(t)
	b := s.browser()
	b.get("/login")
	wrong := b.post("/login", "user", "lena", "password", "not the password")
	unknown := b.post("/login", "user", "nobody", "password", "not the password")
	disabled := b.post("/login", "user", "dis", "password", password)
	for name, r := range map[string]resp{"wrong password": wrong, "unknown user": unknown, "disabled user": disabled} {
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Wrong user name or password.") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	// The form comes back with the user name kept, not the password.
	if !strings.Contains(wrong.Body, `value="lena"`) || strings.Contains(wrong.Body, "not the password") {
		t.Errorf("re-displayed form: %s", wrong.Body)
	}
	b.post("/login", "user", "lena", "password", "again wrong")
	b.post("/login", "user", "lena", "password", "third wrong")
	fourth := b.post("/login", "user", "lena", "password", "fourth wrong")
	if fourth.Status != http.StatusUnauthorized || !strings.Contains(fourth.Body, "wait 2 seconds") {
		t.Errorf("fourth failure: %d %s", fourth.Status, fourth.Body)
	}
	locked := b.post("/login", "user", "lena", "password", password)
	if locked.Status != http.StatusTooManyRequests || !strings.Contains(locked.Body, "try again in 2 seconds") {
		t.Errorf("during the lock: %d %s", locked.Status, locked.Body)
	}
	s.clock.Add(3 * time.Second)
	fifth := b.post("/login", "user", "lena", "password", "fifth wrong")
	if !strings.Contains(fifth.Body, "wait 4 seconds") {
		t.Errorf("the delay does not grow: %s", fifth.Body)
	}
	s.clock.Add(5 * time.Second)
	// Without the sign-in form's CSRF token: refused.
	if r := b.do("POST", "/login", map[string][]string{"user": {"lena"}, "password": {password}}); r.Status != http.StatusForbidden {
		t.Errorf("sign-in without CSRF: %d", r.Status)
	}
	ok := b.post("/login", "user", "Lena", "password", password, "next", "//evil.example/")
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/incidents" {
		t.Fatalf("sign in: %d %q", ok.Status, ok.Header.Get("Location"))
	}
	cookie := ok.Header.Get("Set-Cookie")
	for _, want := range []string{"irflow_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	page := b.get("/incidents")
	if page.Status != 200 || !strings.Contains(page.Body, "Lena Legal") {
		t.Fatalf("incidents after sign-in: %d", page.Status)
	}
	for h, want := range map[string]string{"Content-Security-Policy": "default-src 'self'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if !strings.Contains(page.Header.Get(h), want) {
			t.Errorf("header %s = %q", h, page.Header.Get(h))
		}
	}
	// Sign out; the old cookie, replayed, is refused.
	jarCookies := b.c.Jar.Cookies(mustURL(t, s.srv.URL))
	if r := b.post("/logout"); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	replay := s.browser()
	replay.c.Jar.SetCookies(mustURL(t, s.srv.URL), jarCookies)
	if r := replay.get("/incidents"); r.Status != http.StatusSeeOther {
		t.Errorf("a signed-out session still works: %d", r.Status)
	}
	// A session outlives nothing: after its lifetime it is refused.
	b2 := s.browser()
	b2.signIn("vic")
	s.clock.Add(13 * time.Hour)
	if r := b2.get("/incidents"); r.Status != http.StatusSeeOther {
		t.Errorf("an expired session still works: %d", r.Status)
	}
}

// TestBoard: every open clock across incidents, by time left, coloured by urgency,
// filtered by rule, jurisdiction and audience; closed incidents' clocks are on it
// too (a legal duty outlives its incident); buttons follow the roles.
func TestBoard(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover in Germany", "DE", true, dur(-2*time.Hour), dur(30*time.Hour))
	s.seed("INC-20260306-002", "closed one in California", "US-CA", false, dur(10*time.Hour), nil)
	b := s.browser()
	b.signIn("lena")
	r := b.get("/board")
	if r.Status != 200 {
		t.Fatalf("board: %d %s", r.Status, r.Body)
	}
	order := []string{`data-incident="INC-20260306-001" data-obligation="ob-1"`, `data-incident="INC-20260306-002" data-obligation="ob-1"`,
		`data-incident="INC-20260306-001" data-obligation="ob-2"`, `data-incident="INC-20260306-002" data-obligation="ob-2"`}
	last := -1
	for _, o := range order {
		i := strings.Index(r.Body, o)
		if i < 0 || i < last {
			t.Fatalf("board rows not by time left: %s at %d after %d", o, i, last)
		}
		last = i
	}
	for _, want := range []string{`<tr class="u-overdue" data-incident="INC-20260306-001" data-obligation="ob-1"`, `<tr class="u-urgent" data-incident="INC-20260306-002"`,
		`<tr class="u-soon" data-incident="INC-20260306-001" data-obligation="ob-2"`, `<tr class="u-waiting"`, "2h 0m overdue", "1d 6h left",
		`data-due="2026-03-07T07:00:00Z"`, "Mark fulfilled", "/calendar.ics?token=cal_lena.", "closed one in California"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("board lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "<script>alert") {
		t.Errorf("unescaped markup on the board")
	}
	f := b.get("/board?jurisdiction=US-CA&audience=authority")
	if strings.Contains(f.Body, `data-incident="INC-20260306-001"`) || !strings.Contains(f.Body, `data-incident="INC-20260306-002" data-obligation="ob-1"`) ||
		strings.Contains(f.Body, `data-obligation="ob-2"`) {
		t.Errorf("filtered board: %s", f.Body)
	}
	if r := b.get("/board?rule=rule-DE"); strings.Contains(r.Body, `data-incident="INC-20260306-002"`) {
		t.Errorf("rule filter")
	}
	// A viewer sees the board without legal's buttons.
	v := s.browser()
	v.signIn("vic")
	if r := v.get("/board"); r.Status != 200 || strings.Contains(r.Body, "Mark fulfilled") || strings.Contains(r.Body, "Waive") {
		t.Errorf("viewer's board shows legal's buttons")
	}
}

// TestFulfilFromTheBoard: legal marks an obligation fulfilled through the form:
// the clock's Update carries the verified user via web; a missing reference and a
// bad instant re-display the form with the field marked and the values kept; a
// bad CSRF token and a viewer are refused before anything reaches Temporal.
func TestFulfilFromTheBoard(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover", "DE", true, dur(30*time.Hour))
	s.ft.Results[markFulfilled] = incident.ClockState{Status: "fulfilled"}
	const path = "/incidents/INC-20260306-001/obligations/ob-1/fulfil"

	v := s.browser()
	v.signIn("vic")
	if r := v.get(path); r.Status != http.StatusForbidden {
		t.Errorf("viewer's form: %d", r.Status)
	}
	if r := v.post(path, "reference", "x"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "vic may not fulfil") {
		t.Errorf("viewer's fulfil: %d %s", r.Status, r.Body)
	}

	b := s.browser()
	b.signIn("lena")
	form := b.get(path + "?next=/board")
	if form.Status != 200 || !strings.Contains(form.Body, `name="reference"`) {
		t.Fatalf("form: %d", form.Status)
	}
	good := b.csrf
	b.csrf = "forged"
	if r := b.post(path, "reference", "DPC-1"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "CSRF") {
		t.Errorf("bad CSRF: %d", r.Status)
	}
	b.csrf = ""
	if r := b.post(path, "reference", "DPC-1"); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF: %d", r.Status)
	}
	b.csrf = good
	// Another site's form post: its Origin is refused even with a token.
	req, _ := http.NewRequest("POST", s.srv.URL+path, strings.NewReader("csrf="+good+"&reference=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if res, err := b.c.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin post: %v %v", res.StatusCode, err)
	}
	if n := len(s.ft.Updates()); n != 0 {
		t.Fatalf("%d Updates reached Temporal from refused requests", n)
	}

	missing := b.post(path, "reference", "  ", "late_reason", "kept text", "next", "/board")
	if missing.Status != http.StatusBadRequest || !strings.Contains(missing.Body, `<div class="field invalid">`) ||
		!strings.Contains(missing.Body, "reference: required") || !strings.Contains(missing.Body, "kept text") {
		t.Errorf("missing reference: %d %s", missing.Status, missing.Body)
	}
	badAt := b.post(path, "reference", "DPC-1", "at", "yesterday-ish")
	if badAt.Status != http.StatusBadRequest || !strings.Contains(badAt.Body, `aria-invalid="true"`) || !strings.Contains(badAt.Body, `is not a time`) ||
		!strings.Contains(badAt.Body, `value="DPC-1"`) {
		t.Errorf("bad instant: %d %s", badAt.Status, badAt.Body)
	}

	ok := b.post(path, "reference", "DPC-2026-0042", "at", "2026-03-07 08:30", "next", "/board")
	if ok.Status != http.StatusSeeOther || ok.Header.Get("Location") != "/board" {
		t.Fatalf("fulfil: %d %s", ok.Status, ok.Body)
	}
	ups := s.ft.Updates()
	if len(ups) != 1 || ups[0].WorkflowID != "clock-INC-20260306-001-ob-1" || ups[0].UpdateName != markFulfilled {
		t.Fatalf("updates: %+v", ups)
	}
	req2 := ups[0].Args[0].(incident.MarkFulfilledRequest)
	if req2.Reference != "DPC-2026-0042" || req2.By == nil || req2.By.ID != "lena" || req2.By.Via != incident.ViaWeb ||
		!req2.At.Equal(time.Date(2026, 3, 7, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("sent %+v", req2)
	}
	if r := b.get("/board"); !strings.Contains(r.Body, "ob-1 of INC-20260306-001 marked fulfilled.") {
		t.Errorf("no confirmation on the board")
	}
	// The refusal and the grant are in the audit log.
	log, _ := s.store.AuditLog(context.Background(), 10)
	var got []string
	for _, e := range log {
		got = append(got, e.ActorID+" "+string(e.Action)+" "+map[bool]string{true: "allowed", false: "refused"}[e.Allowed])
	}
	if strings.Join(got, ";") != "lena fulfil allowed;vic fulfil refused" {
		t.Errorf("audit = %v", got)
	}
}

// TestIncidentPage shows the incident's sections and the actions a commander may
// take, escaped.
func TestIncidentPage(t *testing.T) {
	s := newStack(t)
	st := s.seed("INC-20260306-001", "takeover <b>bold</b>", "DE", true, dur(30*time.Hour))
	st.Steps = []incident.StepState{{Status: incident.StepAwaitingApproval}}
	st.Steps[0].Step.ID, st.Steps[0].Step.Action = "suspend-accounts", "suspend_user"
	s.ft.States[st.WorkflowID] = st
	c := s.browser()
	c.signIn("cora")
	r := c.get("/incidents/INC-20260306-001")
	if r.Status != 200 {
		t.Fatalf("incident page: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{"takeover &lt;b&gt;bold&lt;/b&gt;", "SRM-VI.S.i", "stolen password", "notification", "SEV2", `&#34;aware_at&#34;: &#34;2026-03-06T09:00:00Z&#34;`,
		"declared &lt;script&gt;", "ob-1", `class="countdown" data-due=`, "suspend-accounts", "/steps/suspend-accounts/approve", "report?format=pdf"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "/obligations/ob-1/fulfil") {
		t.Errorf("a commander without the legal role sees Mark fulfilled")
	}
	if l := c.get("/incidents?q=takeover&open=on"); !strings.Contains(l.Body, "INC-20260306-001") {
		t.Errorf("search")
	}
	if l := c.get("/incidents?q=nothing-like-this"); strings.Contains(l.Body, "INC-20260306-001") {
		t.Errorf("search matches everything")
	}
	if l := c.get("/incidents?phase=bogus"); l.Status != http.StatusBadRequest {
		t.Errorf("bad phase: %d", l.Status)
	}
	if r := c.get("/incidents/INC-20990101-001"); r.Status != http.StatusNotFound {
		t.Errorf("unknown incident: %d", r.Status)
	}
}

// TestCalendarFeed: the per-user token opens an iCalendar feed that a calendar
// library parses, with one event per open clock that has a due date, at it.
func TestCalendarFeed(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover, with; specials", "DE", true, dur(30*time.Hour), nil)
	s.seed("INC-20260306-002", "second", "US-CA", false, dur(-time.Hour))
	b := s.browser()
	b.signIn("lena")
	board := b.get("/board").Body
	i := strings.Index(board, "/calendar.ics?token=")
	token := board[i+len("/calendar.ics?token=") : i+strings.IndexByte(board[i:], '"')]
	anon := s.browser()
	for _, bad := range []string{"", "cal_lena.AAAA", "cal_vic." + token[len("cal_lena."):]} {
		if r := anon.get("/calendar.ics?token=" + bad); r.Status != http.StatusUnauthorized {
			t.Errorf("token %q: %d", bad, r.Status)
		}
	}
	r := anon.get("/calendar.ics?token=" + token)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", r.Status, r.Body)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse feed: %v\n%s", err, r.Body)
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (the clock waiting for its trigger has no instant)", len(events))
	}
	byUID := map[string]*ics.VEvent{}
	for _, e := range events {
		byUID[e.Id()] = e
	}
	e := byUID["clock-INC-20260306-001-ob-1@irflow"]
	if e == nil {
		t.Fatalf("no event for ob-1: %v", byUID)
	}
	start, err := e.GetStartAt()
	if err != nil || !start.Equal(s.clock.Now().Add(30*time.Hour)) {
		t.Errorf("DTSTART = %v, %v", start, err)
	}
	desc := e.GetProperty(ics.ComponentPropertyDescription).Value
	if !strings.Contains(desc, "takeover, with; specials") || !strings.Contains(desc, "/incidents/INC-20260306-001") {
		t.Errorf("description %q", desc)
	}
	// A disabled user's feed stops.
	if err := s.store.SetDisabled(context.Background(), "lena", true); err != nil {
		t.Fatal(err)
	}
	if r := anon.get("/calendar.ics?token=" + token); r.Status != http.StatusUnauthorized {
		t.Errorf("disabled user's feed: %d", r.Status)
	}
}

// TestBreachRegister exports every incident, notifiable or not, as CSV with the
// facts, effects and remedial action; a cell a spreadsheet would run is defused.
func TestBreachRegister(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "=HYPERLINK(\"x\")", "DE", true, dur(30*time.Hour))
	s.seed("INC-20260306-002", "nothing to notify", "US-CA", false)
	b := s.browser()
	b.signIn("vic")
	r := b.get("/register.csv")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("register: %d %v", r.Status, r.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "incident_id" || rows[0][len(rows[0])-1] != "close_reason" {
		t.Fatalf("rows: %v", rows)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	byID := map[string][]string{rows[1][0]: rows[1], rows[2][0]: rows[2]}
	one, two := byID["INC-20260306-001"], byID["INC-20260306-002"]
	if one[col["title"]] != `'=HYPERLINK("x")` || one[col["notifiable"]] != "yes" || two[col["notifiable"]] != "no" ||
		one[col["facts"]] != "'=cmd|' /C calc'!A0 takeover" || !strings.Contains(one[col["effects"]], "12 people affected") ||
		one[col["aware_at"]] != "2026-03-06T09:00:00Z" || two[col["close_reason"]] != "done" {
		t.Errorf("register rows: %v", rows)
	}
}

// TestReportDownload serves the report in each format, and refuses an unknown one.
func TestReportDownload(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover", "DE", false, dur(30*time.Hour))
	b := s.browser()
	b.signIn("vic")
	for format, want := range map[string]string{"pdf": "%PDF-", "md": "# Post-incident report: INC-20260306-001", "html": "<!doctype html>"} {
		r := b.get("/incidents/INC-20260306-001/report?format=" + format)
		if r.Status != 200 || !strings.HasPrefix(r.Body, want) || !strings.Contains(r.Header.Get("Content-Disposition"), "INC-20260306-001-report."+format) {
			t.Errorf("%s: %d %.40q %v", format, r.Status, r.Body, r.Header)
		}
	}
	if r := b.get("/incidents/INC-20260306-001/report?format=docx"); r.Status != http.StatusBadRequest {
		t.Errorf("docx: %d", r.Status)
	}
}

func TestNewRefusesAShortKey(t *testing.T) {
	s := newStack(t)
	if _, err := newWeb(s, []byte("short")); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short key: %v", err)
	}
}

// TestSessionFollowsTheStore: roles and the disabled flag are read from the store
// on every request, so taking a role away or disabling a user takes effect at once.
func TestSessionFollowsTheStore(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover", "DE", true, dur(30*time.Hour))
	b := s.browser()
	b.signIn("lena")
	if r := b.get("/board"); !strings.Contains(r.Body, "Mark fulfilled") {
		t.Fatalf("legal sees no Mark fulfilled")
	}
	if err := s.store.SetRoles(context.Background(), "lena", []incident.Role{incident.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/board"); r.Status != 200 || strings.Contains(r.Body, "Mark fulfilled") {
		t.Errorf("a role taken away still shows its buttons")
	}
	if err := s.store.SetDisabled(context.Background(), "lena", true); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/board"); r.Status != http.StatusSeeOther {
		t.Errorf("a disabled user's session still works: %d", r.Status)
	}
	// A new password ends the sessions the old one opened.
	v := s.browser()
	v.signIn("vic")
	h, err := auth.HashPassword("a brand new passphrase", fast)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.SetPasswordHash(context.Background(), "vic", h); err != nil {
		t.Fatal(err)
	}
	if r := v.get("/board"); r.Status != http.StatusSeeOther {
		t.Errorf("a session survived a password change: %d", r.Status)
	}
}
