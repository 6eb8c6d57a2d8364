package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"irflow/internal/app"
	"irflow/internal/incident"
	"irflow/internal/slackbot"
	"irflow/internal/slackbot/slackfake"
	"irflow/workflows"
)

const e2eSecret = "e2e-signing-secret"

// startSlackDev starts irflow dev with Slack configured against the fake.
func startSlackDev(t *testing.T, fake *slackfake.Server) *app.Dev {
	t.Helper()
	env := map[string]string{
		"SLACK_BOT_TOKEN": fake.Token, "SLACK_SIGNING_SECRET": e2eSecret, "SLACK_API_URL": fake.URL(),
		"SLACK_RESPONDERS": "SRESP", "SLACK_COMMANDER_GROUP": "SCMD",
	}
	return startWithEnv(t, func(k string) string { return env[k] })
}

// startWithEnv starts irflow dev reading getenv, and stops it when the test ends.
func startWithEnv(t testing.TB, getenv func(string) string) *app.Dev {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	for range 3 {
		cfg := devConfig(t, t.TempDir())
		cfg.Getenv = getenv
		var d *app.Dev
		if d, err = app.StartDev(ctx, cfg); err == nil {
			t.Cleanup(d.Stop)
			return d
		}
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	t.Fatalf("start dev stack with slack: %v", err)
	return nil
}

// slackPost sends a request signed as Slack signs it to the dev stack.
func slackPost(t *testing.T, d *app.Dev, path string, form url.Values) *http.Response {
	t.Helper()
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, "http://"+d.HTTPAddr+path, strings.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(slackbot.HeaderTimestamp, ts)
	req.Header.Set(slackbot.HeaderSignature, slackbot.Sign(e2eSecret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d", path, resp.StatusCode)
	}
	return resp
}

func interaction(payload map[string]any) url.Values {
	raw, _ := json.Marshal(payload)
	return url.Values{"payload": {string(raw)}}
}

func click(user, channel, msgTS, actionID, value string) url.Values {
	return interaction(map[string]any{
		"type": "block_actions", "trigger_id": "trig-" + user, "user": map[string]any{"id": user},
		"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": msgTS, "channel_id": channel},
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "step-0", "value": value}},
	})
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * timeout) // a bound against hangs, not a performance assertion
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func ephemeral(f *slackfake.Server, user, substr string) (string, bool) {
	for _, e := range f.Ephemerals() {
		if e.User == user && strings.Contains(e.Text, substr) {
			return e.Text, true
		}
	}
	return "", false
}

// TestSlackEndToEnd drives irflow dev from Slack over signed HTTP requests: a
// responder declares through the modal, which makes a running incident with a
// channel and a pinned card; that responder's approval is refused; a commander's
// double click approves the step once; the card follows the workflow.
func TestSlackEndToEnd(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-e2e")
	t.Cleanup(fake.Stop)
	fake.AddGroup("SRESP", "URESP1", "URESP2")
	fake.AddUser("URITA", "rita@example.com")
	d := startSlackDev(t, fake)
	if got := d.SlackDescription(); got != "http(/slack/commands)" {
		t.Errorf("slack description %q", got)
	}
	ctx := context.Background()
	for _, u := range []incident.User{
		{ID: "carol", Display: "Carol", SlackUserID: "UCAROL", Roles: []incident.Role{incident.RoleCommander}},
		{ID: "rita", Display: "Rita", Email: "rita@example.com", Roles: []incident.Role{incident.RoleResponder}},
	} {
		if err := d.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}

	// /incident declare opens the modal.
	slackPost(t, d, "/slack/commands", url.Values{"command": {"/incident"}, "text": {"declare Maya's account taken over"},
		"user_id": {"URITA"}, "channel_id": {"CGENERAL"}, "trigger_id": {"trig-1"}, "team_id": {"T1"}})
	waitFor(t, "the declare modal", 5*time.Second, func() bool { return len(fake.Views()) == 1 })
	var view slack.ModalViewRequest
	if err := json.Unmarshal(fake.Views()[0], &view); err != nil || view.CallbackID != slackbot.CallbackDeclare {
		t.Fatalf("view %s: %v", fake.Views()[0], err)
	}
	sim := d.ZendeskSim.Facts()
	vals := map[string]map[string]slack.BlockAction{
		"playbook":       {"playbook": {SelectedOption: slack.OptionBlockObject{Value: "credential-compromise"}}},
		"title":          {"title": {Value: "Maya's account taken over"}},
		"summary":        {"summary": {Value: "credential stuffing from " + sim.AttackerIP}},
		"affected":       {"affected": {Value: "DE=12000, US-CA=800"}},
		"categories":     {"categories": {Value: "contact"}},
		"zendesk_users":  {"zendesk_users": {Value: strconv.FormatInt(sim.CompromisedUserID, 10)}},
		"zendesk_tokens": {"zendesk_tokens": {Value: ""}},
	}
	submit := interaction(map[string]any{"type": "view_submission", "user": map[string]any{"id": "URITA"},
		"view": map[string]any{"id": "VDECL1", "hash": "h1", "callback_id": slackbot.CallbackDeclare, "private_metadata": view.PrivateMetadata,
			"state": map[string]any{"values": vals}}})
	slackPost(t, d, "/slack/interactions", submit)
	var declared string
	waitFor(t, "the declaration", 20*time.Second, func() bool { declared, _ = ephemeral(fake, "URITA", "Declared *INC-"); return declared != "" })
	id := regexp.MustCompile(`INC-\d{8}-\d{3,}`).FindString(declared)
	st, err := d.Service.Show(ctx, id)
	if err != nil || st.DeclaredBy != "rita" || st.Timeline[0].Via != incident.ViaSlack || st.Timeline[0].ExternalID != "URITA" {
		t.Fatalf("declared incident %s: %+v, %v; want declared by rita via slack URITA", id, st.Timeline, err)
	}

	// Its channel: named after it, the declarer and the responder group invited,
	// the topic set, the card posted and pinned.
	chanRef, err := d.Store.GetSlackRef(ctx, incident.SlackChannelKey(id))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(id[len(id)-3:])
	wantName := "inc-" + id[4:12] + "-" + strconv.Itoa(n) + "-maya-s-account-taken-over"
	if fake.Channels()[wantName] != chanRef.Channel {
		t.Errorf("channels %v, want %s -> %s", fake.Channels(), wantName, chanRef.Channel)
	}
	if inv := strings.Join(fake.Invited(chanRef.Channel), ","); inv != "URITA,URESP1,URESP2" {
		t.Errorf("invited %s", inv)
	}
	card, err := d.Store.GetSlackRef(ctx, incident.SlackCardKey(id))
	if err != nil {
		t.Fatal(err)
	}
	if pins := fake.Pins(); len(pins) != 1 || pins[0].TS != card.TS || pins[0].Channel != chanRef.Channel {
		t.Errorf("pins %+v, card %+v", pins, card)
	}

	// The card follows the workflow to the first step awaiting approval, with its buttons.
	waitFor(t, "the card to offer approval of suspend-accounts", 10*time.Second, func() bool {
		c, _ := fake.Card(chanRef.Channel, card.TS)
		return strings.Contains(c.Blocks, `"action_id":"irflow_approve"`) && strings.Contains(c.Blocks, id+`|suspend-accounts`)
	})

	// Rita is a responder: her approval is refused, with the role named, and nothing changes.
	slackPost(t, d, "/slack/interactions", click("URITA", chanRef.Channel, card.TS, slackbot.ActionApprove, id+"|suspend-accounts"))
	waitFor(t, "rita's refusal", 10*time.Second, func() bool { _, ok := ephemeral(fake, "URITA", "needs the role commander"); return ok })
	if st, _ := d.Service.Show(ctx, id); st.Steps[0].Status != incident.StepAwaitingApproval {
		t.Fatalf("step after a refused approval: %s", st.Steps[0].Status)
	}

	// Carol double-clicks Approve: one approval, by carol via slack.
	for range 2 {
		slackPost(t, d, "/slack/interactions", click("UCAROL", chanRef.Channel, card.TS, slackbot.ActionApprove, id+"|suspend-accounts"))
	}
	st = waitState(t, d.Service, id, 10*time.Second, "suspend-accounts approved", func(s incident.State) bool {
		return s.Steps[0].ApprovedBy == "carol"
	})
	approvals := 0
	for _, e := range st.Timeline {
		if e.Kind == workflows.TimelineContainmentApproved && strings.Contains(e.Text, "suspend-accounts") {
			approvals++
			if e.Via != incident.ViaSlack || e.Actor != "carol" || e.ExternalID != "UCAROL" {
				t.Errorf("approval entry %+v, want carol via slack UCAROL", e)
			}
		}
	}
	if approvals != 1 {
		t.Errorf("%d approval entries, want 1", approvals)
	}
	for _, e := range fake.Ephemerals() {
		if e.User == "UCAROL" && strings.Contains(e.Text, ":no_entry:") {
			t.Errorf("carol's second click acted: %q", e.Text)
		}
	}
	waitFor(t, "the card to show the approval", 10*time.Second, func() bool {
		c, _ := fake.Card(chanRef.Channel, card.TS)
		return strings.Contains(c.Blocks, "approved by carol")
	})
	// One card, never reposted.
	cards := 0
	for _, p := range fake.Posts() {
		if p.Channel == chanRef.Channel && strings.Contains(p.Blocks, `"type":"header"`) {
			cards++
		}
	}
	if cards != 1 {
		t.Errorf("%d cards posted, want 1", cards)
	}
	checkSlackActorsRecorded(t, d, id)
}

// checkSlackActorsRecorded checks issue 11's "accepted actions are recorded via
// slack with the Slack user id" on the incident of TestSlackEndToEnd: the Slack
// user id is a field of its own (external_id) in the Update the service stamped,
// the store's timeline and state, and the audit log, refusals included; the
// display name is the irflow user's own.
func checkSlackActorsRecorded(t *testing.T, d *app.Dev, id string) {
	t.Helper()
	ctx := context.Background()

	// The Update in the workflow's history, as the service stamped it.
	want := incident.Actor{ID: "carol", Display: "Carol", Via: incident.ViaSlack, ExternalID: "UCAROL"}
	it := d.Client.GetWorkflowHistory(ctx, workflows.IncidentWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var stamped []incident.Actor
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		req := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest()
		if req.GetInput().GetName() != workflows.UpdateApproveStep {
			continue
		}
		var in incident.ApproveStepRequest
		if err := converter.GetDefaultDataConverter().FromPayload(req.GetInput().GetArgs().GetPayloads()[0], &in); err != nil {
			t.Fatal(err)
		}
		if in.By != nil {
			stamped = append(stamped, *in.By)
		}
	}
	if len(stamped) != 1 || stamped[0] != want {
		t.Errorf("approve_step Updates stamped %+v, want one by %+v", stamped, want)
	}

	// The store's timeline (its rows; the stored state leaves the timeline to
	// them): written by the workflow's persistence, so waited for.
	waitFor(t, "the approval in the store", 10*time.Second, func() bool {
		tl, err := d.Store.Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range tl {
			if e.Kind == workflows.TimelineContainmentApproved && e.Actor == "carol" {
				if e.Via != incident.ViaSlack || e.ExternalID != "UCAROL" {
					t.Fatalf("stored approval entry %+v, want via slack UCAROL", e)
				}
				return true
			}
		}
		return false
	})
	if tl, _ := d.Store.Timeline(ctx, id); len(tl) == 0 || tl[0].Kind != incident.KindDeclared || tl[0].ExternalID != "URITA" {
		t.Errorf("stored declaration %+v, want by rita via slack URITA", tl[:min(1, len(tl))])
	}

	// The audit log: rita's declaration and refused approval, carol's approval.
	log, err := d.Store.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if e.IncidentID != id && e.Action != incident.ActDeclare {
			continue
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %t", e.ActorID, e.Via, e.ExternalID, e.Action, e.Allowed))
	}
	for _, w := range []string{
		"rita slack URITA declare true",
		"rita slack URITA approve_step false",
		"carol slack UCAROL approve_step true",
	} {
		if !slices.Contains(got, w) {
			t.Errorf("audit log has no %q: %q", w, got)
		}
	}
}

func nextAck(t *testing.T, f *slackfake.Server, envelope string) slackfake.Ack {
	t.Helper()
	for {
		select {
		case a := <-f.Acks:
			if a.EnvelopeID == envelope {
				return a
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no ack of %s", envelope)
		}
	}
}

// TestSlackSocketModeEndToEnd drives irflow dev over a scripted Socket Mode
// session: declare through the modal to a running incident with a channel and a
// card, then an approval while Slack rate-limits chat.update, after which the
// card converges, still one card.
func TestSlackSocketModeEndToEnd(t *testing.T) {
	t.Parallel()
	fake := slackfake.New("xoxb-sm")
	t.Cleanup(fake.Stop)
	env := map[string]string{"SLACK_BOT_TOKEN": fake.Token, "SLACK_APP_TOKEN": "xapp-1-sm", "SLACK_API_URL": fake.URL()}
	d := startWithEnv(t, func(k string) string { return env[k] })
	if got := d.SlackDescription(); got != "socket-mode" {
		t.Fatalf("slack description %q", got)
	}
	ctx := context.Background()
	for _, u := range []incident.User{
		{ID: "carol", Display: "Carol", SlackUserID: "UCAROL", Roles: []incident.Role{incident.RoleCommander, incident.RoleResponder}},
	} {
		if err := d.Store.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	fake.Envelopes <- map[string]any{"type": "slash_commands", "envelope_id": "e-declare", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/incident", "text": "declare", "user_id": "UCAROL", "channel_id": "CGENERAL", "trigger_id": "trig-sm"}}
	nextAck(t, fake, "e-declare")
	waitFor(t, "the declare modal", 10*time.Second, func() bool { return len(fake.Views()) == 1 })
	vals := map[string]map[string]slack.BlockAction{
		"playbook":      {"playbook": {SelectedOption: slack.OptionBlockObject{Value: "credential-compromise"}}},
		"title":         {"title": {Value: "Token leak"}},
		"zendesk_users": {"zendesk_users": {Value: strconv.FormatInt(d.ZendeskSim.Facts().CompromisedUserID, 10)}},
	}
	fake.Envelopes <- map[string]any{"type": "interactive", "envelope_id": "e-submit", "accepts_response_payload": true,
		"payload": map[string]any{"type": "view_submission", "user": map[string]any{"id": "UCAROL"},
			"view": map[string]any{"id": "VSM1", "hash": "h", "callback_id": slackbot.CallbackDeclare, "private_metadata": "CGENERAL", "state": map[string]any{"values": vals}}}}
	if a := nextAck(t, fake, "e-submit"); len(a.Payload) > 0 && string(a.Payload) != "null" {
		t.Fatalf("the valid form was answered with %s", a.Payload)
	}
	var declared string
	waitFor(t, "the declaration", 20*time.Second, func() bool { declared, _ = ephemeral(fake, "UCAROL", "Declared *INC-"); return declared != "" })
	id := regexp.MustCompile(`INC-\d{8}-\d{3,}`).FindString(declared)
	chanRef, err := d.Store.GetSlackRef(ctx, incident.SlackChannelKey(id))
	if err != nil {
		t.Fatal(err)
	}
	card, err := d.Store.GetSlackRef(ctx, incident.SlackCardKey(id))
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, d.Service, id, 10*time.Second, "a step awaiting approval", func(s incident.State) bool {
		return len(s.Steps) > 0 && s.Steps[0].Status == incident.StepAwaitingApproval
	})

	// Slack rate-limits every edit for a while; the approval still lands, and the
	// card catches up afterwards without being posted again.
	fake.Fail("chat.update", 429, 429, 429, 429, 429, 429)
	fake.Envelopes <- map[string]any{"type": "interactive", "envelope_id": "e-approve", "payload": map[string]any{
		"type": "block_actions", "trigger_id": "t", "user": map[string]any{"id": "UCAROL"},
		"channel": map[string]any{"id": chanRef.Channel}, "container": map[string]any{"type": "message", "message_ts": card.TS, "channel_id": chanRef.Channel},
		"actions": []any{map[string]any{"type": "button", "action_id": slackbot.ActionApprove, "block_id": "step-0", "value": id + "|suspend-accounts"}}}}
	nextAck(t, fake, "e-approve")
	waitState(t, d.Service, id, 10*time.Second, "the approval", func(s incident.State) bool { return s.Steps[0].ApprovedBy == "carol" })
	waitFor(t, "the card to converge after the rate limit", 20*time.Second, func() bool {
		c, _ := fake.Card(chanRef.Channel, card.TS)
		return strings.Contains(c.Blocks, "approved by carol")
	})
	if fake.Calls("chat.update") < 7 {
		t.Errorf("chat.update called %d times; the rate limit was not in the way", fake.Calls("chat.update"))
	}
	cards := 0
	for _, p := range fake.Posts() {
		if p.Channel == chanRef.Channel && strings.Contains(p.Blocks, `"type":"header"`) {
			cards++
		}
	}
	if cards != 1 || len(fake.Pins()) != 1 {
		t.Errorf("%d cards and %d pins, want 1 and 1", cards, len(fake.Pins()))
	}
}
