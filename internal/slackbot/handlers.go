package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
)

// Message is an immediate answer to a slash command: the HTTP response body, or
// the Socket Mode ack payload. Slack shows it to the caller only (ephemeral).
type Message struct {
	ResponseType string `json:"response_type,omitempty"`
	Text         string `json:"text"`
}

func reply(text string) *Message { return &Message{ResponseType: "ephemeral", Text: text} }

var busy = reply(":hourglass: irflow is busy right now; try again in a moment.")

// HandleCommand answers a /incident command at once and queues its work. The
// answer is nil (Slack shows nothing) or a message for the caller. It never
// blocks on Temporal, the store or Slack: the 3 s acknowledgement does not depend
// on them.
func (a *App) HandleCommand(cmd slack.SlashCommand) *Message {
	if cmd.UserID == "" {
		return reply(":warning: the request names no user")
	}
	c, err := ParseCommand(cmd.Text)
	var ue *UsageError
	if errors.As(err, &ue) {
		return reply(":warning: " + ue.Problem + "\n\n" + HelpText)
	}
	if c.Name == CmdHelp {
		return reply(HelpText)
	}
	r := request{user: cmd.UserID, channel: cmd.ChannelID, trigger: cmd.TriggerID, incident: c.Incident}
	var ack *Message
	switch c.Name {
	case CmdDeclare:
		if !a.enqueue("declare modal", func(ctx context.Context) { a.openDeclare(ctx, r, c.Text) }) {
			return busy
		}
		return nil
	case CmdStatus:
		return a.queue("status", r, a.doStatus, nil)
	case CmdDeadlines:
		return a.queue("deadlines", r, a.doDeadlines, nil)
	case CmdFacts:
		return a.queue("facts modal", r, a.openFacts, nil)
	case CmdNote:
		ack = reply(":memo: Adding your note…")
		return a.queue("note", r, func(ctx context.Context, r request) { a.doNote(ctx, r, c.Text) }, ack)
	case CmdApprove:
		ack = reply(fmt.Sprintf(":hourglass_flowing_sand: Approving step `%s`…", c.Step))
		return a.queue("approve", r, func(ctx context.Context, r request) { a.doStep(ctx, r, true, c.Step, c.Text) }, ack)
	case CmdSkip:
		ack = reply(fmt.Sprintf(":hourglass_flowing_sand: Skipping step `%s`…", c.Step))
		return a.queue("skip", r, func(ctx context.Context, r request) { a.doStep(ctx, r, false, c.Step, c.Text) }, ack)
	case CmdClose:
		ack = reply(":hourglass_flowing_sand: Closing the incident…")
		return a.queue("close", r, func(ctx context.Context, r request) { a.doClose(ctx, r, c.Text) }, ack)
	}
	return reply(HelpText)
}

// request is who asked, where, about which incident.
type request struct {
	user, channel, trigger string
	incident               string
}

func (a *App) queue(what string, r request, fn func(context.Context, request), ack *Message) *Message {
	if !a.enqueue(what, func(ctx context.Context) { fn(ctx, r) }) {
		return busy
	}
	return ack
}

// resolve finds the incident a request is about (named, or the channel's) and the
// caller's identity; on failure it tells the caller why and returns false.
func (a *App) resolve(ctx context.Context, r *request, action incident.Action) (context.Context, incident.Identity, bool) {
	if r.incident == "" {
		id, err := a.deps.Refs.SlackChannelIncident(ctx, r.channel)
		if err != nil {
			msg := "this channel is no incident's channel: name the incident, e.g. `/incident status INC-20260301-001`"
			if !isNotFound(err) {
				msg = a.userMessage("finding the channel's incident", err)
			}
			a.ephemeral(ctx, r.channel, r.user, msg)
			return ctx, incident.Identity{}, false
		}
		r.incident = id
	}
	id, err := a.identity(ctx, r.user, action)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("identifying you", err))
		return ctx, incident.Identity{}, false
	}
	return incident.WithIdentity(ctx, id), id, true
}

func (a *App) doStatus(ctx context.Context, r request) {
	ctx, _, ok := a.resolve(ctx, &r, incident.ActView)
	if !ok {
		return
	}
	st, err := a.deps.Service.Show(ctx, r.incident)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("status", err))
		return
	}
	obs, err := a.deps.Service.Obligations(ctx, r.incident, false)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("status", err))
		return
	}
	a.ephemeral(ctx, r.channel, r.user, st.ID+": "+st.Title, StatusCard(st, obs, a.deps.Now())...)
}

func (a *App) doDeadlines(ctx context.Context, r request) {
	ctx, _, ok := a.resolve(ctx, &r, incident.ActView)
	if !ok {
		return
	}
	obs, err := a.deps.Service.Obligations(ctx, r.incident, false)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("deadlines", err))
		return
	}
	text := DeadlinesText(obs, a.deps.Now())
	if text == "" {
		text = "No notification obligation applies to " + r.incident + " on the facts known."
	}
	a.ephemeral(ctx, r.channel, r.user, r.incident+"\n"+text)
}

func (a *App) doNote(ctx context.Context, r request, text string) {
	ctx, id, ok := a.resolve(ctx, &r, incident.ActAddNote)
	if !ok {
		return
	}
	if _, err := a.deps.Service.StartAddNote(ctx, r.incident, incident.NoteRequest{Actor: id.User.ID, Text: text}); err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("note", err))
		return
	}
	a.ephemeral(ctx, r.channel, r.user, ":memo: Note added to "+r.incident+"'s timeline.")
}

func (a *App) doStep(ctx context.Context, r request, approve bool, step, reason string) {
	action, verb := incident.ActSkipStep, "skip"
	if approve {
		action, verb = incident.ActApproveStep, "approval"
	}
	ctx, id, ok := a.resolve(ctx, &r, action)
	if !ok {
		return
	}
	var err error
	var p *service.Pending[incident.StepState]
	if approve {
		p, err = a.deps.Service.StartApproveStep(ctx, r.incident, incident.ApproveStepRequest{Step: step, Actor: id.User.ID, Reason: reason})
	} else {
		p, err = a.deps.Service.StartSkipStep(ctx, r.incident, incident.SkipStepRequest{Step: step, Actor: id.User.ID, Reason: reason})
	}
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage(verb+" of step "+step, err))
		return
	}
	a.ephemeral(ctx, r.channel, r.user, fmt.Sprintf(":white_check_mark: Your %s of `%s` on %s is recorded.", verb, step, r.incident))
	a.kickCard(r.incident)
	if p == nil {
		return
	}
	st, err := p.Get(ctx)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage(verb+" of step "+step, err))
		return
	}
	a.ephemeral(ctx, r.channel, r.user, fmt.Sprintf("Step `%s` on %s is now *%s*.", step, r.incident, st.Status))
	a.kickCard(r.incident)
}

func (a *App) doClose(ctx context.Context, r request, reason string) {
	ctx, id, ok := a.resolve(ctx, &r, incident.ActClose)
	if !ok {
		return
	}
	p, err := a.deps.Service.StartClose(ctx, r.incident, incident.CloseRequest{Actor: id.User.ID, Reason: reason})
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("close", err))
		return
	}
	if p != nil {
		if _, err := p.Get(ctx); err != nil {
			a.ephemeral(ctx, r.channel, r.user, a.userMessage("close", err))
			return
		}
	}
	a.ephemeral(ctx, r.channel, r.user, ":lock: "+r.incident+" is closed. Its obligation clocks keep running until each duty is met.")
	a.kickCard(r.incident)
}

// kickCard refreshes an incident's card soon, off the caller's path.
func (a *App) kickCard(id string) {
	a.enqueue("card "+id, func(ctx context.Context) {
		if err := a.RefreshCard(ctx, id); err != nil {
			a.log.Warn("Status card refresh failed; the syncer retries", "incident_id", id, "error", err)
		}
	})
}

// openDeclare opens the declare modal, after checking the caller may declare (so
// nobody fills a form only to be refused).
func (a *App) openDeclare(ctx context.Context, r request, title string) {
	id, err := a.identity(ctx, r.user, incident.ActDeclare)
	if err == nil && !incident.Allowed(id.User.Roles, incident.ActDeclare) {
		err = incident.Forbidden(id, incident.ActDeclare)
	}
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("declare", err))
		return
	}
	view := DeclareModal(a.deps.Playbooks.All(), SuggestPlaybooks(title, a.deps.Playbooks.All()), title, r.channel)
	if err := a.call(ctx, "views.open declare", func(ctx context.Context) error {
		_, err := a.api.OpenViewContext(ctx, r.trigger, view)
		return err
	}); err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("opening the declare form", err))
	}
}

func (a *App) openFacts(ctx context.Context, r request) {
	ctx, _, ok := a.resolve(ctx, &r, incident.ActSetFacts)
	if !ok {
		return
	}
	st, err := a.deps.Service.Show(ctx, r.incident)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("facts", err))
		return
	}
	view := FactsModal(st)
	view.PrivateMetadata = st.ID + "|" + r.channel
	if err := a.call(ctx, "views.open facts", func(ctx context.Context) error {
		_, err := a.api.OpenViewContext(ctx, r.trigger, view)
		return err
	}); err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("opening the facts form", err))
	}
}

// HandleInteraction answers a button, menu or modal submission at once: nil for
// an empty 200, or a view submission response (form errors). The work is queued.
// Duplicates (a double click, a redelivery) act once.
func (a *App) HandleInteraction(cb slack.InteractionCallback) any {
	now := a.deps.Now()
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			if act == nil {
				continue
			}
			value := act.Value
			if act.SelectedOption.Value != "" {
				value = act.SelectedOption.Value
			}
			key := strings.Join([]string{cb.User.ID, act.ActionID, value, cb.Container.MessageTs}, "|")
			if !a.dedup.first(key, now, clickWindow) {
				a.log.Info("Duplicate Slack click ignored", "slack_user", cb.User.ID, "action_id", act.ActionID, "value", value)
				continue
			}
			if !a.action(cb, act.ActionID, value) {
				return nil
			}
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		if !a.dedup.first("view|"+cb.View.ID+"|"+cb.View.Hash, now, eventWindow) {
			return nil
		}
		switch cb.View.CallbackID {
		case CallbackDeclare:
			return a.submitDeclare(cb)
		case CallbackFacts:
			return a.submitFacts(cb)
		}
	}
	return nil
}

// action starts what a button or menu option asks; false when the queue is full.
func (a *App) action(cb slack.InteractionCallback, actionID, value string) bool {
	r := request{user: cb.User.ID, channel: cb.Channel.ID, trigger: cb.TriggerID}
	if r.channel == "" {
		r.channel = cb.Container.ChannelID
	}
	kind, rest := "", value
	switch actionID {
	case ActionApprove, ActionSkip:
		id, step, ok := strings.Cut(value, "|")
		if !ok || !incident.ValidID(id) || step == "" {
			a.log.Warn("Malformed Slack button value", "action_id", actionID, "value", clip(value, 100))
			return true
		}
		r.incident = id
		return a.queue(actionID, r, func(ctx context.Context, r request) { a.doStep(ctx, r, actionID == ActionApprove, step, "") }, nil) == nil
	case ActionFacts:
		kind = CmdFacts
	case ActionClose:
		kind = CmdClose
	case ActionMore:
		kind, rest, _ = strings.Cut(value, "|")
	default:
		a.log.Warn("Unknown Slack action", "action_id", clip(actionID, 100))
		return true
	}
	if !incident.ValidID(rest) {
		a.log.Warn("Malformed Slack action value", "action_id", actionID, "value", clip(value, 100))
		return true
	}
	r.incident = rest
	var fn func(context.Context, request)
	switch kind {
	case CmdStatus:
		fn = a.doStatus
	case CmdDeadlines:
		fn = a.doDeadlines
	case CmdFacts:
		fn = a.openFacts
	case CmdClose:
		fn = func(ctx context.Context, r request) { a.doClose(ctx, r, "closed from Slack") }
	default:
		a.log.Warn("Unknown Slack menu option", "value", clip(value, 100))
		return true
	}
	return a.queue(kind, r, fn, nil) == nil
}

func (a *App) submitDeclare(cb slack.InteractionCallback) any {
	if cb.View.State == nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldTitle: "the form came back empty"})
	}
	in, err := ParseDeclare(cb.View.State.Values, a.deps.Playbooks)
	var fe FormErrors
	if errors.As(err, &fe) {
		return slack.NewErrorsViewSubmissionResponse(fe)
	}
	r := request{user: cb.User.ID, channel: cb.View.PrivateMetadata}
	key := "slack:" + cb.View.ID
	if !a.enqueue("declare", func(ctx context.Context) { a.doDeclare(ctx, r, in, key) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldTitle: "irflow is busy; submit again in a moment"})
	}
	return nil
}

// doDeclare declares the incident, then makes its channel and card and tells the
// declarer. The idempotency key (the modal's view id) makes a redelivered
// submission find the incident the first one declared.
func (a *App) doDeclare(ctx context.Context, r request, in DeclareInput, key string) {
	id, err := a.identity(ctx, r.user, incident.ActDeclare)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("declare", err))
		return
	}
	ctx = incident.WithIdentity(ctx, id)
	d, err := a.deps.Service.Declare(ctx, service.DeclareRequest{Playbook: in.Playbook, Title: in.Title, Facts: &in.Facts, Actor: id.User.ID, IdempotencyKey: key})
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("declare", err))
		return
	}
	ch, err := a.ensureChannel(ctx, d.ID, in.Title, r.user)
	if err != nil {
		a.log.Error("Incident channel not created", "incident_id", d.ID, "error", err)
		a.ephemeral(ctx, r.channel, r.user, fmt.Sprintf(":rotating_light: Declared *%s*, but its Slack channel could not be created (%s). Use `/incident status %s`.", d.ID, a.userMessage("channel", err), d.ID))
		return
	}
	if err := a.RefreshCard(ctx, d.ID); err != nil {
		a.log.Warn("Status card not posted yet; the syncer retries", "incident_id", d.ID, "error", err)
	}
	a.ephemeral(ctx, r.channel, r.user, fmt.Sprintf(":rotating_light: Declared *%s* (%s). Channel: <#%s>", d.ID, escape(in.Title), ch))
}

func (a *App) submitFacts(cb slack.InteractionCallback) any {
	incID, channel, _ := strings.Cut(cb.View.PrivateMetadata, "|")
	if !incident.ValidID(incID) || cb.View.State == nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldPatch: "this form lost its incident; open it again"})
	}
	// The answers are checked against the facts as they are now, after the ack;
	// a bad answer then comes back as a message rather than under the field.
	r := request{user: cb.User.ID, channel: channel, incident: incID}
	values := cb.View.State.Values
	if _, err := ParseFacts(values, facts.Document{Version: facts.Version}); err != nil {
		var fe FormErrors
		if errors.As(err, &fe) {
			return slack.NewErrorsViewSubmissionResponse(fe)
		}
	}
	if !a.enqueue("facts", func(ctx context.Context) { a.doFacts(ctx, r, values) }) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldPatch: "irflow is busy; submit again in a moment"})
	}
	return nil
}

func (a *App) doFacts(ctx context.Context, r request, values map[string]map[string]slack.BlockAction) {
	ctx, id, ok := a.resolve(ctx, &r, incident.ActSetFacts)
	if !ok {
		return
	}
	st, err := a.deps.Service.Show(ctx, r.incident)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("facts", err))
		return
	}
	patch, err := ParseFacts(values, st.Facts)
	if err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("facts", err))
		return
	}
	if _, err := a.deps.Service.StartSetFacts(ctx, r.incident, incident.SetFactsRequest{Actor: id.User.ID, Patch: patch, Reason: "answered in Slack"}); err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("facts", err))
		return
	}
	a.ephemeral(ctx, r.channel, r.user, ":clipboard: Facts of "+r.incident+" updated; ownership, severity and deadlines are recomputed.")
	a.kickCard(r.incident)
}

// HandleEvent handles an Events API callback: a message in an incident channel
// that gets the note reaction becomes a timeline note by the person who reacted.
// Redelivered events (same event id) act once.
func (a *App) HandleEvent(ev slackevents.EventsAPIEvent, eventID string) {
	if ev.Type != slackevents.CallbackEvent {
		return
	}
	if eventID != "" && !a.dedup.first("event|"+eventID, a.deps.Now(), eventWindow) {
		return
	}
	re, ok := ev.InnerEvent.Data.(*slackevents.ReactionAddedEvent)
	if !ok || re.Reaction != a.cfg.NoteReaction || re.Item.Type != "message" {
		return
	}
	r := request{user: re.User, channel: re.Item.Channel}
	a.enqueue("reaction note", func(ctx context.Context) { a.reactionNote(ctx, r, re.Item.Timestamp) })
}

func (a *App) reactionNote(ctx context.Context, r request, ts string) {
	incID, err := a.deps.Refs.SlackChannelIncident(ctx, r.channel)
	if err != nil {
		return // not an incident channel: the reaction means nothing to irflow
	}
	r.incident = incID
	var msg slack.Message
	err = a.call(ctx, "conversations.history", func(ctx context.Context) error {
		h, err := a.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: r.channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1})
		if err == nil && len(h.Messages) > 0 {
			msg = h.Messages[0]
		}
		return err
	})
	if err != nil || msg.Text == "" {
		a.log.Warn("Reacted message not read", "channel", r.channel, "ts", ts, "error", err)
		return
	}
	text := fmt.Sprintf("From Slack (<@%s>, %s): %s", msg.User, ts, msg.Text)
	if err := CheckText("the message", text); err != nil {
		a.ephemeral(ctx, r.channel, r.user, a.userMessage("note", err))
		return
	}
	a.doNote(ctx, r, text)
}

// decodeInteraction parses an interaction payload, refusing what is not one.
func decodeInteraction(payload []byte) (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return cb, fmt.Errorf("payload is not an interaction: %w", err)
	}
	if cb.Type == "" || cb.User.ID == "" {
		return cb, errors.New("payload has no type or no user")
	}
	return cb, nil
}
