package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/incident"
	"irflow/internal/notify"
	"irflow/internal/service"
	"irflow/internal/slackbot/slackfake"
	"irflow/internal/sqlite"
	"irflow/playbooks"
)

const (
	testSecret = "test-signing-secret"
	testToken  = "xoxb-test"
)

// fakeService records the actions it is asked for and refuses what the identity's
// roles do not allow, as the real service's permission check does.
type fakeService struct {
	mu    sync.Mutex
	calls []string
	state incident.State
}

func (f *fakeService) record(ctx context.Context, action incident.Action, call string) error {
	id, ok := incident.IdentityFrom(ctx)
	if ok && !incident.Allowed(id.User.Roles, action) {
		return incident.Forbidden(id, action)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" by "+id.Actor().String())
	return nil
}

func (f *fakeService) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeService) Declare(ctx context.Context, req service.DeclareRequest) (service.Declared, error) {
	return service.Declared{ID: "INC-20260301-001"}, f.record(ctx, incident.ActDeclare, "declare "+req.Title)
}
func (f *fakeService) Show(ctx context.Context, id string) (incident.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state
	st.ID = id
	return st, nil
}
func (f *fakeService) Obligations(context.Context, string, bool) ([]incident.ObligationView, error) {
	return nil, nil
}
func (f *fakeService) StartAddNote(ctx context.Context, id string, req incident.NoteRequest) (*service.Pending[incident.TimelineEntry], error) {
	return nil, f.record(ctx, incident.ActAddNote, "note "+id+" "+req.Text)
}
func (f *fakeService) StartApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (*service.Pending[incident.StepState], error) {
	return nil, f.record(ctx, incident.ActApproveStep, "approve "+id+" "+req.Step)
}
func (f *fakeService) StartSkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (*service.Pending[incident.StepState], error) {
	return nil, f.record(ctx, incident.ActSkipStep, "skip "+id+" "+req.Step)
}
func (f *fakeService) StartClose(ctx context.Context, id string, req incident.CloseRequest) (*service.Pending[incident.State], error) {
	return nil, f.record(ctx, incident.ActClose, "close "+id)
}
func (f *fakeService) StartSetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (*service.Pending[incident.SetFactsResult], error) {
	return nil, f.record(ctx, incident.ActSetFacts, "facts "+id+" "+string(req.Patch))
}

type harness struct {
	app   *App
	slack *slackfake.Server
	svc   *fakeService
	db    *sqlite.DB
	srv   *httptest.Server
}

func newHarness(t testing.TB, mutate func(*Config)) *harness {
	t.Helper()
	fake := slackfake.New(testToken)
	t.Cleanup(fake.Stop)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	for _, u := range []incident.User{
		{ID: "carol", Display: "Carol Commander", SlackUserID: "UCAROL", Roles: []incident.Role{incident.RoleCommander}},
		{ID: "rita", Display: "Rita Responder", Email: "rita@example.com", Roles: []incident.Role{incident.RoleResponder}},
	} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	fake.AddUser("URITA", "Rita@Example.com")
	fake.AddUser("USTRANGER", "nobody@example.com")
	cat, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BotToken: testToken, SigningSecret: testSecret, APIURL: fake.URL(), CardInterval: 20 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	svc := &fakeService{state: incident.State{Title: "Leaked token", Phase: incident.PhaseContainment, Severity: "SEV2",
		Steps: []incident.StepState{{Status: incident.StepAwaitingApproval}}}}
	svc.state.Steps[0].Step.ID, svc.state.Steps[0].Step.Action = "revoke-tokens", "revoke_api_tokens"
	app, err := New(cfg, Deps{Service: svc, Playbooks: cat, Refs: db, Store: db, Users: db})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	app.Start(runCtx)
	t.Cleanup(func() { cancel(); app.Wait() })
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(srv.Close)
	return &harness{app: app, slack: fake, svc: svc, db: db, srv: srv}
}

// signed posts body to path, signed as Slack would at now+skew.
func (h *harness) signed(t testing.TB, path, contentType, body string, skew time.Duration) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
	ts := strconv.FormatInt(time.Now().Add(skew).Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func commandBody(user, channel, text string) string {
	return url.Values{"token": {"x"}, "team_id": {"T1"}, "channel_id": {channel}, "user_id": {user}, "user_name": {"someone"},
		"command": {"/incident"}, "text": {text}, "trigger_id": {"13345224609.738474920.8088930838d88f008e0"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}}.Encode()
}

const form = "application/x-www-form-urlencoded"

func readMessage(t testing.TB, resp *http.Response) Message {
	t.Helper()
	var m Message
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("decode ack: %v", err)
	}
	return m
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ephemeralTo(f *slackfake.Server, user, substr string) bool {
	for _, e := range f.Ephemerals() {
		if e.User == user && strings.Contains(e.Text, substr) {
			return true
		}
	}
	return false
}

func TestHTTPRefusesBadRequests(t *testing.T) {
	h := newHarness(t, nil)
	body := commandBody("UCAROL", "C1", "help")
	post := func(path, ctype, body string, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-6*time.Minute).Unix(), 10)
	cases := []struct {
		name string
		path string
		body string
		hdr  map[string]string
		want int
	}{
		{"unsigned", "/slack/commands", body, nil, 401},
		{"bad signature", "/slack/commands", body, map[string]string{HeaderTimestamp: now, HeaderSignature: Sign("wrong-secret", now, []byte(body))}, 401},
		{"stale timestamp", "/slack/commands", body, map[string]string{HeaderTimestamp: stale, HeaderSignature: Sign(testSecret, stale, []byte(body))}, 401},
		{"signed for another body", "/slack/interactions", "payload=%7B%7D", map[string]string{HeaderTimestamp: now, HeaderSignature: Sign(testSecret, now, []byte(body))}, 401},
	}
	for _, tc := range cases {
		if got := post(tc.path, form, tc.body, tc.hdr); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if n := len(h.svc.Calls()); n != 0 {
		t.Fatalf("refused requests reached the service: %v", h.svc.Calls())
	}

	// Signed but malformed: 400, never a panic.
	for _, tc := range []struct{ name, path, ctype, body string }{
		{"no user", "/slack/commands", form, "command=%2Fincident&channel_id=C1&text=help"},
		{"bad form encoding", "/slack/commands", form, "command=%zz"},
		{"interaction without payload", "/slack/interactions", form, "foo=bar"},
		{"interaction payload not JSON", "/slack/interactions", form, "payload=%7Bnot-json"},
		{"interaction without user", "/slack/interactions", form, "payload=" + url.QueryEscape(`{"type":"block_actions"}`)},
		{"event not JSON", "/slack/events", "application/json", "{"},
		{"event of unknown shape", "/slack/events", "application/json", `{"type":"event_callback","event":"nope"}`},
	} {
		if got := h.signed(t, tc.path, tc.ctype, tc.body, 0).StatusCode; got != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, got)
		}
	}
	// Oversized: refused before verification could be fooled into reading it all.
	big := strings.Repeat("a", MaxBodyBytes+1)
	if got := h.signed(t, "/slack/commands", form, big, 0).StatusCode; got != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: status %d, want 413", got)
	}
	// The URL verification handshake of the Events API.
	resp := h.signed(t, "/slack/events", "application/json", `{"type":"url_verification","challenge":"c-123"}`, 0)
	var ch map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil || ch["challenge"] != "c-123" {
		t.Errorf("challenge = %v, %v", ch, err)
	}
}

func TestCommandTextRefusedWithAMessage(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct{ text, want string }{
		{"note \xff\xfe broken", "not valid UTF-8"},
		{"note " + strings.Repeat("x", MaxTextBytes), "at most 4000"},
		{"frobnicate", `unknown subcommand "frobnicate"`},
		{"", "/incident declare"},
	}
	for _, tc := range cases {
		m := readMessage(t, h.signed(t, "/slack/commands", form, commandBody("UCAROL", "C1", tc.text), 0))
		if !strings.Contains(m.Text, tc.want) || m.ResponseType != "ephemeral" {
			t.Errorf("%.30q: ack %q, want it to contain %q", tc.text, m.Text, tc.want)
		}
		if tc.want != "/incident declare" && !strings.Contains(m.Text, "/incident declare") {
			t.Errorf("%.30q: the refusal does not carry the help text: %q", tc.text, m.Text)
		}
	}
	if n := len(h.svc.Calls()); n != 0 {
		t.Fatalf("refused commands reached the service: %v", h.svc.Calls())
	}
}

func TestNoteInIncidentChannelAsMappedUser(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if _, err := h.db.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey("INC-20260301-004"), Kind: incident.SlackRefChannel, IncidentID: "INC-20260301-004", Channel: "CINC4"}); err != nil {
		t.Fatal(err)
	}
	// Rita is mapped by the email users.info returns (case-insensitively).
	m := readMessage(t, h.signed(t, "/slack/commands", form, commandBody("URITA", "CINC4", "note attacker IP 203.0.113.7"), 0))
	if !strings.Contains(m.Text, "Adding your note") {
		t.Errorf("ack = %q", m.Text)
	}
	eventually(t, "the note's confirmation", func() bool { return ephemeralTo(h.slack, "URITA", "Note added to INC-20260301-004") })
	// The Slack user id is the actor's own field, not part of the display name.
	want := "note INC-20260301-004 attacker IP 203.0.113.7 by rita (Rita Responder) via slack URITA"
	if calls := h.svc.Calls(); len(calls) != 1 || calls[0] != want {
		t.Fatalf("calls = %q, want [%q]", calls, want)
	}
}

func TestUnmappedAndUnauthorisedUsersChangeNothing(t *testing.T) {
	h := newHarness(t, nil)
	// A stranger: users.info knows an email no irflow user has.
	readMessage(t, h.signed(t, "/slack/commands", form, commandBody("USTRANGER", "C1", "approve INC-20260301-001 revoke-tokens"), 0))
	eventually(t, "the stranger's explanation", func() bool {
		return ephemeralTo(h.slack, "USTRANGER", "not linked to an irflow user") && ephemeralTo(h.slack, "USTRANGER", "you need the role commander")
	})
	// Rita is a responder: approving needs a commander.
	readMessage(t, h.signed(t, "/slack/commands", form, commandBody("URITA", "C1", "approve INC-20260301-001 revoke-tokens"), 0))
	eventually(t, "rita's refusal", func() bool {
		return ephemeralTo(h.slack, "URITA", "needs the role commander") && ephemeralTo(h.slack, "URITA", "Nothing was changed")
	})
	if calls := h.svc.Calls(); len(calls) != 0 {
		t.Fatalf("refused actions were taken: %v", calls)
	}
}

func blockAction(user, channel, msgTS, actionID, value string) string {
	payload := map[string]any{
		"type": "block_actions", "trigger_id": "t-" + msgTS, "user": map[string]any{"id": user},
		"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": msgTS, "channel_id": channel},
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "step-0", "value": value, "action_ts": "1.2"}},
	}
	raw, _ := json.Marshal(payload)
	return url.Values{"payload": {string(raw)}}.Encode()
}

func TestDuplicateClickActsOnce(t *testing.T) {
	h := newHarness(t, nil)
	body := blockAction("UCAROL", "CINC1", "1712345678.000100", ActionApprove, "INC-20260301-001|revoke-tokens")
	var wg sync.WaitGroup
	for range 5 { // a double (quintuple) click, some arriving together
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp := h.signed(t, "/slack/interactions", form, body, 0); resp.StatusCode != http.StatusOK {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	eventually(t, "the approval", func() bool {
		return ephemeralTo(h.slack, "UCAROL", "approval of `revoke-tokens` on INC-20260301-001 is recorded")
	})
	time.Sleep(100 * time.Millisecond) // let any duplicate that slipped through run
	if calls := h.svc.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "approve INC-20260301-001 revoke-tokens by carol") {
		t.Fatalf("calls = %q, want one approval by carol", calls)
	}
	// Skip on the same card is a different action: it goes through.
	h.signed(t, "/slack/interactions", form, blockAction("UCAROL", "CINC1", "1712345678.000100", ActionSkip, "INC-20260301-001|revoke-tokens"), 0)
	eventually(t, "the skip", func() bool { return len(h.svc.Calls()) == 2 })
}

func TestDeclareModalSubmissionValidates(t *testing.T) {
	h := newHarness(t, nil)
	m := h.signed(t, "/slack/commands", form, commandBody("URITA", "CGENERAL", "declare Leaked token"), 0)
	if m.StatusCode != http.StatusOK {
		t.Fatalf("status %d", m.StatusCode)
	}
	eventually(t, "the declare modal", func() bool { return len(h.slack.Views()) == 1 })
	var view slack.ModalViewRequest
	if err := json.Unmarshal(h.slack.Views()[0], &view); err != nil {
		t.Fatal(err)
	}
	if view.CallbackID != CallbackDeclare || view.PrivateMetadata != "CGENERAL" || len(view.Blocks.BlockSet) < 7 {
		t.Fatalf("view = %+v", view)
	}
	submit := func(vals map[string]map[string]slack.BlockAction) *http.Response {
		cb := map[string]any{"type": "view_submission", "user": map[string]any{"id": "URITA"},
			"view": map[string]any{"id": "V1", "hash": fmt.Sprint(len(vals), time.Now().UnixNano()), "callback_id": CallbackDeclare, "private_metadata": "CGENERAL", "state": map[string]any{"values": vals}}}
		raw, _ := json.Marshal(cb)
		return h.signed(t, "/slack/interactions", form, url.Values{"payload": {string(raw)}}.Encode(), 0)
	}
	in := func(v string) slack.BlockAction { return slack.BlockAction{Value: v} }
	bad := map[string]map[string]slack.BlockAction{
		fieldPlaybook:   {fieldPlaybook: {SelectedOption: slack.OptionBlockObject{Value: "no-such-playbook"}}},
		fieldTitle:      {fieldTitle: in("")},
		fieldAffected:   {fieldAffected: in("Germany=12")},
		fieldCategories: {fieldCategories: in("contact, gossip")},
		fieldZDUsers:    {fieldZDUsers: in("12, -4")},
	}
	var resp slack.ViewSubmissionResponse
	if err := json.NewDecoder(submit(bad).Body).Decode(&resp); err != nil {
		t.Fatal(err)
	}
	for _, block := range []string{fieldPlaybook, fieldTitle, fieldAffected, fieldCategories, fieldZDUsers} {
		if resp.ResponseAction != slack.RAErrors || resp.Errors[block] == "" {
			t.Errorf("no error under %s: %+v", block, resp)
		}
	}
	if len(h.svc.Calls()) != 0 {
		t.Fatalf("an invalid form declared: %v", h.svc.Calls())
	}
	good := map[string]map[string]slack.BlockAction{
		fieldPlaybook:   {fieldPlaybook: {SelectedOption: slack.OptionBlockObject{Value: h.app.deps.Playbooks.IDs()[0]}}},
		fieldTitle:      {fieldTitle: in("Leaked token")},
		fieldAffected:   {fieldAffected: in("DE=1200, us-ca=40")},
		fieldCategories: {fieldCategories: in("contact, credentials")},
		fieldZDUsers:    {fieldZDUsers: in("12, 34")},
	}
	if r := submit(good); r.StatusCode != http.StatusOK {
		t.Fatalf("status %d", r.StatusCode)
	}
	eventually(t, "the declaration's message", func() bool { return ephemeralTo(h.slack, "URITA", "Declared *INC-20260301-001*") })
	chans := h.slack.Channels()
	id := chans["inc-20260301-1-leaked-token"]
	if id == "" {
		t.Fatalf("channels = %v", chans)
	}
	if inv := h.slack.Invited(id); len(inv) != 1 || inv[0] != "URITA" {
		t.Errorf("invited = %v", inv)
	}
	if topic := h.slack.Topic(id); !strings.HasPrefix(topic, "INC-20260301-001") {
		t.Errorf("topic = %q", topic)
	}
	card, err := h.db.GetSlackRef(context.Background(), incident.SlackCardKey("INC-20260301-001"))
	if err != nil {
		t.Fatal(err)
	}
	if pins := h.slack.Pins(); len(pins) != 1 || pins[0].TS != card.TS {
		t.Errorf("pins = %v, card = %v", pins, card)
	}
}

func TestTransportRetriesAndNeverDuplicates(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.CommanderGroup = "SCMD" })
	ctx := context.Background()
	if _, err := h.db.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey("INC-20260301-001"), Kind: incident.SlackRefChannel, IncidentID: "INC-20260301-001", Channel: "CINC1"}); err != nil {
		t.Fatal(err)
	}
	tr := h.app.Notifier()
	m := notify.Message{Key: "INC-20260301-001/timeline/7", Kind: notify.KindStepAwaitingApproval, IncidentID: "INC-20260301-001",
		Title: "INC-20260301-001: Leaked token", Text: "revoke-tokens awaits approval", At: time.Now()}
	// Two 429s: retried in place, honouring Retry-After; one post.
	h.slack.Fail("chat.postMessage", 429, 429)
	sent, err := tr.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Transport != TransportName || sent.Channel != "CINC1" || !strings.Contains(sent.MessageID, ".") {
		t.Errorf("sent = %+v", sent)
	}
	posts := h.slack.Posts()
	var msgs, cards int
	for _, p := range posts {
		if strings.Contains(p.Text, "revoke-tokens awaits approval") {
			msgs++
			if !strings.HasPrefix(p.Text, "<!subteam^SCMD>") {
				t.Errorf("the approval request does not mention the commanders: %q", p.Text)
			}
		} else {
			cards++
		}
	}
	if msgs != 1 || cards != 1 {
		t.Fatalf("posts = %d messages and %d cards, want 1 and 1: %+v", msgs, cards, posts)
	}
	// A retried activity (same key) posts nothing new and returns the first delivery.
	again, err := tr.Send(ctx, m)
	if err != nil || again.MessageID != sent.MessageID {
		t.Fatalf("second send = %+v, %v", again, err)
	}
	if n := len(h.slack.Posts()); n != 2 {
		t.Fatalf("posts after a retry = %d, want 2", n)
	}
	// The card is rate limited past the in-place retries: Send fails (Temporal will
	// retry) and the card is not duplicated; the next attempt converges it.
	h.svc.mu.Lock()
	h.svc.state.Phase = incident.PhaseNotification
	h.svc.mu.Unlock()
	h.slack.Fail("chat.update", 429, 429, 429, 429)
	m2 := m
	m2.Key, m2.Kind, m2.Text = "INC-20260301-001/timeline/8", notify.KindPhaseChanged, "phase: notification"
	if _, err := tr.Send(ctx, m2); err == nil || notify.IsPermanent(err) {
		t.Fatalf("send during a rate limit = %v, want a retryable error", err)
	}
	if _, err := tr.Send(ctx, m2); err != nil {
		t.Fatalf("retry after the rate limit: %v", err)
	}
	card, _ := h.db.GetSlackRef(ctx, incident.SlackCardKey("INC-20260301-001"))
	got, _ := h.slack.Card("CINC1", card.TS)
	if !strings.Contains(got.Blocks, "notification") {
		t.Errorf("card did not converge: %s", got.Blocks)
	}
	var phaseMsgs int
	for _, p := range h.slack.Posts() {
		if strings.Contains(p.Text, "phase: notification") {
			phaseMsgs++
		}
	}
	if phaseMsgs != 1 || len(h.slack.Posts()) != 3 {
		t.Fatalf("phase messages = %d, posts = %d; want 1 and 3", phaseMsgs, len(h.slack.Posts()))
	}
	// No channel for the incident and no SLACK_NOTIFY_CHANNEL: skipped, nothing posted.
	h2 := newHarness(t, func(c *Config) {})
	if sent, err := h2.app.Notifier().Send(ctx, m); err != nil || sent.MessageID != "" || len(h2.slack.Posts()) != 0 {
		t.Fatalf("send without a channel = %+v, %v; posts %d", sent, err, len(h2.slack.Posts()))
	}
	// With SLACK_NOTIFY_CHANNEL it goes there; a channel Slack does not know is permanent.
	h3 := newHarness(t, func(c *Config) { c.NotifyChannel = "CNOTIFY" })
	if sent, err := h3.app.Notifier().Send(ctx, m); err != nil || sent.Channel != "CNOTIFY" {
		t.Fatalf("send to the notify channel = %+v, %v", sent, err)
	}
	h4 := newHarness(t, func(c *Config) { c.NotifyChannel = "CNOTIFY" })
	h4.app.cfg.BotToken = "xoxb-revoked"
	h4.app.api = slack.New("xoxb-revoked", slack.OptionAPIURL(h4.slack.URL()))
	if _, err := h4.app.Notifier().Send(ctx, m); !notify.IsPermanent(err) {
		t.Fatalf("send with a revoked token = %v, want permanent", err)
	}
}

// TestTwoProcessesOneCard: serve and worker both refresh cards (the card syncer
// and the notifier transport); racing first posts leave one card, not two.
func TestTwoProcessesOneCard(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if _, err := h.db.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey("INC-20260301-001"), Kind: incident.SlackRefChannel, IncidentID: "INC-20260301-001", Channel: "CINC1"}); err != nil {
		t.Fatal(err)
	}
	other, err := New(h.app.cfg, h.app.deps) // a second process on the same store
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, a := range []*App{h.app, other, h.app, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.RefreshCard(ctx, "INC-20260301-001"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	card, err := h.db.GetSlackRef(ctx, incident.SlackCardKey("INC-20260301-001"))
	if err != nil {
		t.Fatal(err)
	}
	if posts := h.slack.Posts(); len(posts) != 1 || posts[0].TS != card.TS {
		t.Fatalf("posts = %+v (deleted %d), want the one recorded card %s", posts, h.slack.Deleted(), card.TS)
	}
	if pins := h.slack.Pins(); len(pins) != 1 || pins[0].TS != card.TS {
		t.Fatalf("pins = %+v", pins)
	}
}
