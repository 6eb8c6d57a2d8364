package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/notify"
	"irflow/internal/ownership"
	"irflow/playbooks"
)

func TestReactionBecomesNoteOnce(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	if _, err := h.db.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey("INC-20260301-002"), Kind: incident.SlackRefChannel, IncidentID: "INC-20260301-002", Channel: "CINC2"}); err != nil {
		t.Fatal(err)
	}
	ts := h.slack.SeedMessage("CINC2", "the attacker's IP is in the VPN range")
	event := func(id, reaction, channel string) string {
		return fmt.Sprintf(`{"type":"event_callback","event_id":%q,"team_id":"T1","event":{"type":"reaction_added","user":"URITA","reaction":%q,"item":{"type":"message","channel":%q,"ts":%q},"event_ts":"1.1"}}`, id, reaction, channel, ts)
	}
	for _, body := range []string{
		event("Ev1", "memo", "CINC2"),
		event("Ev1", "memo", "CINC2"),     // Slack's redelivery of the same event
		event("Ev2", "thumbsup", "CINC2"), // another reaction: nothing
		event("Ev3", "memo", "COTHER"),    // not an incident channel: nothing
	} {
		if resp := h.signed(t, "/slack/events", "application/json", body, 0); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	eventually(t, "the note", func() bool { return len(h.svc.Calls()) > 0 })
	time.Sleep(100 * time.Millisecond)
	calls := h.svc.Calls()
	if len(calls) != 1 || !strings.Contains(calls[0], "note INC-20260301-002 From Slack (<@U0HUMAN>") ||
		!strings.Contains(calls[0], "VPN range by rita") || !strings.HasSuffix(calls[0], "by rita (Rita Responder) via slack URITA") {
		t.Fatalf("calls = %q, want one note by rita", calls)
	}
}

func TestMentions(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.CommanderGroup, c.LegalGroup = "SCMD", "SLEGAL" })
	due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		kind notify.Kind
		at   time.Time
		want string
	}{
		{notify.KindStepAwaitingApproval, due, "<!subteam^SCMD> "},
		{notify.KindReminder, due.Add(-36 * time.Hour), ""},              // half the time gone
		{notify.KindReminder, due.Add(-24 * time.Hour), ""},              // 24 h before
		{notify.KindReminder, due.Add(-4 * time.Hour), ""},               // 4 h before
		{notify.KindReminder, due.Add(-time.Hour), "<!subteam^SLEGAL> "}, // the last reminder
		{notify.KindDue, due, "<!subteam^SLEGAL> "},
		{notify.KindOverdue, due.Add(time.Hour), "<!subteam^SLEGAL> "},
		{notify.KindPhaseChanged, due, ""},
	}
	for _, tc := range cases {
		m := notify.Message{Kind: tc.kind, At: tc.at, DueAt: &due}
		if got := h.app.mention(m); got != tc.want {
			t.Errorf("%s at %s: mention %q, want %q", tc.kind, due.Sub(tc.at), got, tc.want)
		}
	}
}

func TestObligationMessagesReachLegal(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LegalChannel, c.LegalGroup = "CLEGAL", "SLEGAL" })
	ctx := context.Background()
	if _, err := h.db.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey("INC-20260301-003"), Kind: incident.SlackRefChannel, IncidentID: "INC-20260301-003", Channel: "CINC3"}); err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-time.Minute)
	m := notify.Message{Key: "clock/eu-gdpr-33-sa/overdue", Kind: notify.KindOverdue, IncidentID: "INC-20260301-003", ObligationID: "eu-gdpr-33-sa",
		Title: "GDPR Art. 33 notice to the supervisory authority", Text: "overdue", DueAt: &due, At: time.Now()}
	if _, err := h.app.Notifier().Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range h.slack.Posts() {
		if strings.Contains(p.Text, "overdue") {
			got[p.Channel] = p.Text
		}
	}
	if len(got) != 2 || !strings.HasPrefix(got["CLEGAL"], "<!subteam^SLEGAL>") || !strings.HasPrefix(got["CINC3"], "<!subteam^SLEGAL>") {
		t.Fatalf("overdue posts = %v, want the incident and legal channels, mentioning legal", got)
	}
}

func TestParseFacts(t *testing.T) {
	sel := func(v string) slack.BlockAction {
		return slack.BlockAction{SelectedOption: slack.OptionBlockObject{Value: v}}
	}
	in := func(v string) slack.BlockAction { return slack.BlockAction{Value: v} }
	current := facts.Document{Version: facts.Version, Summary: "kept", DataCategories: []string{"contact"}}
	patch, err := ParseFacts(map[string]map[string]slack.BlockAction{
		"q:cause.credentials_used": {"q:cause.credentials_used": sel("api_token")},
		"q:cause.mfa_enforced":     {"q:cause.mfa_enforced": sel("false")},
		"q:timeline.aware_at":      {"q:timeline.aware_at": in("2026-03-01T09:00:00+01:00")},
		"q:cause.integration.kind": {"q:cause.integration.kind": in("")},
		fieldPatch:                 {fieldPatch: in(`{"risk":"high"}`)},
	}, current)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := facts.Merge(current, patch)
	if err != nil {
		t.Fatalf("merge %s: %v", patch, err)
	}
	if merged.Cause.CredentialsUsed != "api_token" || merged.Cause.MFAEnforced == nil || *merged.Cause.MFAEnforced ||
		merged.Risk != "high" || merged.Summary != "kept" || merged.Timeline.AwareAt == nil || !merged.Timeline.AwareAt.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) {
		raw, _ := json.Marshal(merged)
		t.Fatalf("merged facts %s (patch %s)", raw, patch)
	}
	for _, tc := range []struct {
		vals  map[string]map[string]slack.BlockAction
		block string
	}{
		{map[string]map[string]slack.BlockAction{"q:cause.credentials_used": {"q:cause.credentials_used": sel("carrier_pigeon")}}, "q:cause.credentials_used"},
		{map[string]map[string]slack.BlockAction{"q:timeline.aware_at": {"q:timeline.aware_at": in("yesterday")}}, "q:timeline.aware_at"},
		{map[string]map[string]slack.BlockAction{fieldPatch: {fieldPatch: in(`["not","an","object"]`)}}, fieldPatch},
		{map[string]map[string]slack.BlockAction{fieldPatch: {fieldPatch: in("\xff")}}, fieldPatch},
		{map[string]map[string]slack.BlockAction{}, fieldPatch},
	} {
		_, err := ParseFacts(tc.vals, current)
		fe, ok := err.(FormErrors)
		if !ok || fe[tc.block] == "" {
			t.Errorf("%v: error %v, want one under %s", tc.vals, err, tc.block)
		}
	}
}

func TestOpenQuestionsAndFactsModal(t *testing.T) {
	var st incident.State
	st.ID = "INC-20260301-001"
	st.Ownership.OpenQuestions = []ownership.Question{{Field: "cause.credentials_used", Question: "Which credentials were used?"}}
	var gdpr, ca incident.IncidentObligation
	gdpr.Title, gdpr.Jurisdiction, gdpr.Applicable, gdpr.Trigger, gdpr.TriggerAssumed = "GDPR Art. 33", "EU", true, "aware_at", true
	ca.Title, ca.Jurisdiction, ca.Applicable, ca.NeedsAssessment = "California notice", "US-CA", true, true
	ca.Questions = []string{"data_categories", "cause.credentials_used", "affected.individuals"}
	st.Obligations = []incident.IncidentObligation{gdpr, ca}
	var fields []string
	for _, q := range OpenQuestions(st) {
		fields = append(fields, q.Field)
	}
	if got := strings.Join(fields, ","); got != "cause.credentials_used,timeline.aware_at,data_categories,affected.individuals" {
		t.Fatalf("open questions %s", got)
	}
	view := FactsModal(st)
	var ids []string
	for _, b := range view.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	// affected.individuals is not one fact a field can set: the patch field serves.
	if got := strings.Join(ids, ","); got != "q:cause.credentials_used,q:timeline.aware_at,q:data_categories,patch" {
		t.Fatalf("facts modal inputs %s", got)
	}
}

func TestStatusCard(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 30, 45, 0, time.UTC)
	due := now.Add(26*time.Hour + 15*time.Minute)
	var st incident.State
	st.ID, st.Title, st.Phase, st.Severity, st.Playbook, st.DeclaredBy = "INC-20260301-001", "Token <leak> & more", incident.PhaseContainment, "SEV2", "credential-compromise", "rita"
	st.Ownership.Owner, st.Ownership.Confidence, st.Ownership.Clauses, st.Ownership.Rationale = "subscriber", "probable", []string{"SRM-VI.S.i"}, "credentials_used: password"
	st.Steps = make([]incident.StepState, 3)
	for i, id := range []string{"suspend-accounts", "kill-sessions", "reset-password"} {
		st.Steps[i].Step.ID, st.Steps[i].Step.Action = id, "act"
	}
	st.Steps[0].Status, st.Steps[0].ApprovedBy = incident.StepDone, "carol"
	st.Steps[1].Status = incident.StepAwaitingApproval
	st.Steps[2].Status = incident.StepPending
	var ob incident.ObligationView
	ob.Title, ob.Jurisdiction, ob.Audience, ob.Applicable, ob.Status, ob.DueAt = "GDPR Art. 33", "EU", "authority", true, "open", &due
	raw, _ := json.Marshal(StatusCard(st, []incident.ObligationView{ob}, now))
	card := string(raw)
	for _, want := range []string{
		`INC-20260301-001 · Token \u003cleak\u003e \u0026 more`, // the header is plain text
		`*Phase*\ncontainment`, `SEV2`, `SRM-VI.S.i`, `approved by carol`,
		`"action_id":"irflow_approve","value":"INC-20260301-001|kill-sessions"`,
		`"action_id":"irflow_skip","value":"INC-20260301-001|reset-password"`,
		`1d 2h left (due 2026-03-03 12:45 UTC)`, `"confirm":`, `"action_id":"irflow_close"`,
		`Updated 2026-03-02 10:30 UTC`,
	} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %s", want)
		}
	}
	if strings.Contains(card, `irflow_approve","value":"INC-20260301-001|reset-password"`) || strings.Contains(card, `|suspend-accounts"`) {
		t.Errorf("a pending or done step offers approval: %s", card)
	}
	// The same minute renders the same bytes: the syncer edits only on change.
	again, _ := json.Marshal(StatusCard(st, []incident.ObligationView{ob}, now.Add(10*time.Second)))
	if string(again) != card {
		t.Error("the card changed within the minute")
	}
	closedAt := now
	st.Phase, st.ClosedAt, st.CloseReason = incident.PhaseClosed, &closedAt, "contained"
	raw, _ = json.Marshal(StatusCard(st, nil, now))
	if strings.Contains(string(raw), "irflow_close") || !strings.Contains(string(raw), "Closed 2026-03-02 10:30 UTC: contained") {
		t.Errorf("closed card %s", raw)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if _, on, err := ConfigFromEnv(env()); on || err != nil {
		t.Errorf("nothing set: configured %v, %v", on, err)
	}
	for _, tc := range []struct {
		env  func(string) string
		want string
	}{
		{env("SLACK_APP_TOKEN", "xapp-1"), "SLACK_BOT_TOKEN is required"},
		{env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_APP_TOKEN", "xoxb-wrong"), "app-level token"},
		{env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_API_URL", "ftp://x"), "SLACK_API_URL"},
		{env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_RESPONDERS", "U1, #general"), `"#general"`},
	} {
		if _, _, err := ConfigFromEnv(tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
	cfg, on, err := ConfigFromEnv(env("SLACK_BOT_TOKEN", "xoxb-1", "SLACK_API_URL", "http://127.0.0.1:9/api", "SLACK_RESPONDERS", "U1, S2", "SLACK_NOTE_REACTION", ":pushpin:"))
	if err != nil || !on || cfg.APIURL != "http://127.0.0.1:9/api/" || len(cfg.Responders) != 2 || cfg.NoteReaction != "pushpin" || cfg.Receives() || cfg.SocketMode() {
		t.Errorf("config %+v, %v, %v", cfg, on, err)
	}
	cfg, _, _ = ConfigFromEnv(env("SLACK_BOT_TOKEN", "xoxb-1"))
	if cfg.APIURL != DefaultAPIURL || cfg.NoteReaction != "memo" {
		t.Errorf("defaults %+v", cfg)
	}
}

func TestSeenSetWindow(t *testing.T) {
	s := newSeenSet()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		key  string
		at   time.Duration
		want bool
	}{
		{"click", 0, true},
		{"click", time.Second, false},              // the double click
		{"other", time.Second, true},               // another button
		{"click", clickWindow, false},              // still inside the window
		{"click", clickWindow + time.Second, true}, // a deliberate retry later
		{"click", clickWindow + 2*time.Second, false},
	}
	for i, st := range steps {
		if got := s.first(st.key, t0.Add(st.at), clickWindow); got != st.want {
			t.Errorf("step %d (%s at %s): first = %v, want %v", i, st.key, st.at, got, st.want)
		}
	}
}

func TestSuggestPlaybooks(t *testing.T) {
	cat, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ title, first string }{
		{"Leaked API token used against prod", "api-token-leak"},
		{"Phishing link in a ticket reply", "malicious-user-content"},
		{"Maya's account taken over by credential stuffing", "credential-compromise"},
		{"Rogue webhook from a marketplace app", "third-party-integration"},
		{"Agent exported customer lists", "unmonitored-activity"},
		{"", ""},
		{"something odd", ""},
	}
	for _, tc := range cases {
		got := SuggestPlaybooks(tc.title, cat.All())
		first := ""
		if len(got) > 0 {
			first = got[0]
		}
		if first != tc.first {
			t.Errorf("SuggestPlaybooks(%q) = %v, want %q first", tc.title, got, tc.first)
		}
	}
	view := DeclareModal(cat.All(), SuggestPlaybooks("phishing", cat.All()), "phishing", "C1")
	raw, _ := json.Marshal(view)
	if !strings.Contains(string(raw), `"initial_option":{"text":{"type":"plain_text","text":"Phishing or malicious content from users (suggested)"`) {
		t.Errorf("the suggested playbook is not preselected: %s", raw)
	}
}

func TestChannelNameCollisions(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Responders = []string{"UOPS", "SRESP"} })
	h.slack.AddGroup("SRESP", "UA", "UOPS")
	ctx := context.Background()
	// Someone already has the name, and its -2.
	for _, name := range []string{"inc-20260301-1-token-leak", "inc-20260301-1-token-leak-2"} {
		if _, err := h.app.api.CreateConversation(slack.CreateConversationParams{ChannelName: name}); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := h.app.ensureChannel(ctx, "INC-20260301-001", "Token leak", "URITA")
	if err != nil {
		t.Fatal(err)
	}
	if got := h.slack.Channels()["inc-20260301-1-token-leak-3"]; got != ch {
		t.Fatalf("channel %s, channels %v", ch, h.slack.Channels())
	}
	if inv := strings.Join(h.slack.Invited(ch), ","); inv != "URITA,UOPS,UA" {
		t.Errorf("invited %s, want the declarer then the responders, each once", inv)
	}
	// Again (a retried declare): the same channel, no new one.
	again, err := h.app.ensureChannel(ctx, "INC-20260301-001", "Token leak", "URITA")
	if err != nil || again != ch || len(h.slack.Channels()) != 3 {
		t.Fatalf("second ensureChannel = %s, %v; channels %v", again, err, h.slack.Channels())
	}
}
