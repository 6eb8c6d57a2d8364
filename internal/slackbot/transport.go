package slackbot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/incident"
	"irflow/internal/notify"
)

// TransportName is the Sent.Transport of the Slack transport's deliveries.
const TransportName = "slack"

// Transport is the Notifier v2 transport that posts to Slack: to the incident's
// channel (or SLACK_NOTIFY_CHANNEL for an incident without one) and, for
// obligation messages, to SLACK_LEGAL_CHANNEL too. A step awaiting approval
// mentions the commander group; an obligation's last reminder, its due and its
// overdue message mention the legal group. After a message in an incident channel
// the status card is refreshed, and a failure there fails the Send so the activity
// retries until the card converges.
//
// Idempotent on Message.Key: each (key, channel) delivery's ts is kept in the
// store before Send returns, and a second Send of the key finds it and posts
// nothing. A 429 or 5xx is retried in place (Retry-After honoured) and then
// returned as a plain error for Temporal to retry; a Slack error that retrying
// cannot fix (channel_not_found, not_in_channel, invalid_auth) is Permanent. A
// message with nowhere to go in Slack (an incident without a channel, no
// SLACK_NOTIFY_CHANNEL) is skipped: its Sent has no MessageID.
type Transport struct{ App *App }

var _ notify.Notifier = Transport{}

// Notifier returns the app's Slack transport.
func (a *App) Notifier() Transport { return Transport{App: a} }

// Send delivers m; see Transport.
func (t Transport) Send(ctx context.Context, m notify.Message) (notify.Sent, error) {
	a := t.App
	if err := m.Validate(); err != nil {
		return notify.Sent{}, notify.Permanent(err)
	}
	channels, incidentChannel, err := a.channelsFor(ctx, m)
	if err != nil {
		return notify.Sent{}, err
	}
	if len(channels) == 0 {
		// An incident declared outside Slack, with no SLACK_NOTIFY_CHANNEL: Slack has
		// no place for it. Not a failure (the router's other transports delivered),
		// so the Sent names no message.
		a.log.Info("Not posted to Slack: the incident has no channel and SLACK_NOTIFY_CHANNEL is not set", "incident_id", m.IncidentID, "message_key", m.Key)
		return notify.Sent{Transport: TransportName, At: a.deps.Now().UTC()}, nil
	}
	text, blocks := a.render(m)
	var out notify.Sent
	for _, ch := range channels {
		sent, err := a.deliver(ctx, m, ch, text, blocks)
		if err != nil {
			return notify.Sent{}, err
		}
		if out.MessageID == "" {
			out = sent
		}
	}
	if incidentChannel != "" {
		if err := a.RefreshCard(ctx, m.IncidentID); err != nil {
			return notify.Sent{}, fmt.Errorf("slack: message %s posted, status card not refreshed: %w", m.Key, err)
		}
	}
	return out, nil
}

// channelsFor returns where m goes, and the incident's own channel if it has one.
func (a *App) channelsFor(ctx context.Context, m notify.Message) ([]string, string, error) {
	var channels []string
	incidentChannel := ""
	ref, err := a.deps.Refs.GetSlackRef(ctx, incident.SlackChannelKey(m.IncidentID))
	switch {
	case err == nil:
		incidentChannel = ref.Channel
		channels = append(channels, ref.Channel)
	case !isNotFound(err):
		return nil, "", fmt.Errorf("slack: channel of %s: %w", m.IncidentID, err)
	case a.cfg.NotifyChannel != "":
		channels = append(channels, a.cfg.NotifyChannel)
	}
	if obligationMessage(m.Kind) && a.cfg.LegalChannel != "" && a.cfg.LegalChannel != incidentChannel {
		channels = append(channels, a.cfg.LegalChannel)
	}
	for _, r := range m.Recipients {
		if r.Kind == notify.RecipientChannel && strings.HasPrefix(r.ID, "C") && !contains(channels, r.ID) {
			channels = append(channels, r.ID)
		}
	}
	return channels, incidentChannel, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func obligationMessage(k notify.Kind) bool {
	switch k {
	case notify.KindReminder, notify.KindDue, notify.KindOverdue, notify.KindObligationDue:
		return true
	}
	return false
}

// LastReminder is how close to the deadline a reminder is the last one (the one-
// hour reminder, with a margin for a late worker): from it on, legal is mentioned.
const LastReminder = 90 * time.Minute

// mention returns who m must reach by name.
func (a *App) mention(m notify.Message) string {
	switch {
	case m.Kind == notify.KindStepAwaitingApproval && a.cfg.CommanderGroup != "":
		return "<!subteam^" + a.cfg.CommanderGroup + "> "
	case a.cfg.LegalGroup == "":
		return ""
	case m.Kind == notify.KindDue, m.Kind == notify.KindOverdue,
		m.Kind == notify.KindReminder && m.DueAt != nil && m.DueAt.Sub(m.At) <= LastReminder:
		return "<!subteam^" + a.cfg.LegalGroup + "> "
	}
	return ""
}

func (a *App) render(m notify.Message) (string, []slack.Block) {
	icon := map[notify.Kind]string{
		notify.KindReminder: ":alarm_clock:", notify.KindDue: ":bangbang:", notify.KindOverdue: ":rotating_light:",
		notify.KindObligationDue: ":scales:", notify.KindStepAwaitingApproval: ":raised_hand:",
		notify.KindPhaseChanged: ":arrow_forward:", notify.KindEvidenceCollected: ":package:", notify.KindIncidentClosed: ":lock:",
	}[m.Kind]
	head := m.Title
	if head == "" {
		head = m.IncidentID
	}
	text := a.mention(m) + icon + " *" + escape(head) + "*\n" + escape(m.Text)
	if m.DueAt != nil {
		text += "\nDue " + m.DueAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(text), nil, nil)}
	if len(m.Fields) > 0 {
		var fs []slack.MixedElement
		for i, f := range m.Fields {
			if i == 10 {
				break
			}
			fs = append(fs, mrkdwn("*"+escape(f.Label)+":* "+escape(f.Value)))
		}
		blocks = append(blocks, slack.NewContextBlock("", fs...))
	}
	// The message's buttons do what /incident does: approve or skip the step it
	// announces, or the menu's status, deadlines and questions.
	var actions []slack.BlockElement
	if m.Kind == notify.KindStepAwaitingApproval {
		if sm := awaitingStep.FindStringSubmatch(m.Text); sm != nil {
			approve, skip := stepButtons(m.IncidentID, sm[1], sm[2])
			actions = append(actions, approve, skip)
		}
	}
	if incident.ValidID(m.IncidentID) && m.Kind != notify.KindIncidentClosed {
		actions = append(actions, moreMenu(m.IncidentID))
	}
	if len(actions) > 0 {
		blocks = append(blocks, slack.NewActionBlock("message-actions", actions...))
	}
	return clip(text, 3000), blocks
}

// awaitingStep reads the step out of the incident workflow's "step ID (ACTION)
// waits for approval" timeline text, which step_awaiting_approval messages carry.
var awaitingStep = regexp.MustCompile(`^step (\S+) \(([a-z_]+)\) waits for approval`)

// deliver posts m to one channel once, or edits the message m.Update names.
func (a *App) deliver(ctx context.Context, m notify.Message, channel, text string, blocks []slack.Block) (notify.Sent, error) {
	key := m.Key + "@" + channel
	if ref, err := a.deps.Refs.GetSlackRef(ctx, key); err == nil {
		return notify.Sent{Transport: TransportName, MessageID: ref.TS, Channel: ref.Channel, At: ref.CreatedAt}, nil
	} else if !isNotFound(err) {
		return notify.Sent{}, fmt.Errorf("slack: look up message %s: %w", key, err)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)}
	var ts string
	var err error
	if prev, ok := a.previous(m, channel); ok {
		err = a.call(ctx, "chat.update", func(ctx context.Context) error {
			_, _, _, err := a.api.UpdateMessageContext(ctx, channel, prev, opts...)
			ts = prev
			return err
		})
	} else {
		err = a.call(ctx, "chat.postMessage", func(ctx context.Context) error {
			_, t, err := a.api.PostMessageContext(ctx, channel, opts...)
			ts = t
			return err
		})
	}
	if err != nil {
		if !Retryable(err) {
			return notify.Sent{}, notify.Permanent(err)
		}
		return notify.Sent{}, err
	}
	ref, err := a.deps.Refs.SaveSlackRef(ctx, incident.SlackRef{Key: key, Kind: incident.SlackRefMessage, IncidentID: m.IncidentID, Channel: channel, TS: ts})
	if err != nil {
		return notify.Sent{}, fmt.Errorf("slack: record message %s: %w", key, err)
	}
	if ref.TS != ts && ref.TS != "" {
		a.retract(ctx, channel, ts) // a concurrent Send of the key posted first
	}
	return notify.Sent{Transport: TransportName, MessageID: ref.TS, Channel: ref.Channel, At: ref.CreatedAt}, nil
}

// previous is the ts of the message m updates in channel, if it was Slack's.
func (a *App) previous(m notify.Message, channel string) (string, bool) {
	if m.Update == nil {
		return "", false
	}
	if d, ok := m.Update.Delivery(TransportName); ok && d.Channel == channel && d.MessageID != "" {
		return d.MessageID, true
	}
	return "", false
}
