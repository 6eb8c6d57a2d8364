package slackbot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/incident"
)

// Retry bounds for one Web API call: a 429 waits its Retry-After (capped), a 5xx
// or a network error backs off. After the last attempt the error goes to the
// caller: an activity then retries on Temporal's schedule, and the card syncer on
// its next tick.
const (
	callAttempts  = 4
	maxRetryAfter = 10 * time.Second
)

// call runs fn, retrying rate limits and server errors.
func (a *App) call(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	backoff := 200 * time.Millisecond
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || attempt == callAttempts || !Retryable(err) {
			break
		}
		wait := backoff
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait = min(max(rl.RetryAfter, 100*time.Millisecond), maxRetryAfter)
		}
		a.log.Info("Slack call retried", "call", what, "attempt", attempt, "wait", wait, "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("slack %s: %w (after %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
		backoff *= 2
	}
	if err != nil {
		return fmt.Errorf("slack %s: %w", what, err)
	}
	return nil
}

// Retryable reports whether a Web API error may go away on its own: a rate limit,
// a 5xx, a network failure. Slack's {"ok":false,"error":...} answers (bad channel,
// not authed, name taken) do not.
func Retryable(err error) bool {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code == 429 || sc.Code >= 500
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == "ratelimited" || se.Err == "internal_error" || se.Err == "fatal_error" || se.Err == "service_unavailable"
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// A request that never got an answer (refused, reset, timed out) may work next time.
	var ue *url.Error
	return errors.As(err, &ue)
}

// ephemeral tells one user something in a channel only they see. Without a
// channel (a modal opened elsewhere) it goes to the user's direct messages.
func (a *App) ephemeral(ctx context.Context, channel, user, text string, blocks ...slack.Block) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	err := a.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		if channel == "" {
			_, _, err := a.api.PostMessageContext(ctx, user, opts...)
			return err
		}
		_, err := a.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
	if err != nil {
		a.log.Warn("Slack reply not delivered", "slack_user", user, "channel", channel, "error", err)
	}
}

var slugDrop = regexp.MustCompile(`[^a-z0-9]+`)

// ChannelName is the incident channel's name: inc-<yyyymmdd>-<n>-<slug>, within
// Slack's 80 characters, lowercase letters, digits and dashes only.
func ChannelName(incidentID, title string) string {
	date, n := "", ""
	if parts := strings.Split(incidentID, "-"); len(parts) == 3 {
		date, n = parts[1], strings.TrimLeft(parts[2], "0")
	}
	if n == "" {
		n = "0"
	}
	slug := strings.Trim(slugDrop.ReplaceAllString(strings.ToLower(title), "-"), "-")
	name := "inc-" + date + "-" + n
	if slug != "" {
		name += "-" + slug
	}
	if len(name) > 70 { // room for a collision suffix
		name = strings.TrimRight(name[:70], "-")
	}
	return name
}

// ensureChannel returns the incident's channel, creating it once: named by
// ChannelName (with -2, -3, … when the name is taken), the declarer and the
// responders invited, the topic set.
func (a *App) ensureChannel(ctx context.Context, incidentID, title, declarer string) (string, error) {
	if ref, err := a.deps.Refs.GetSlackRef(ctx, incident.SlackChannelKey(incidentID)); err == nil {
		return ref.Channel, nil
	} else if !isNotFound(err) {
		return "", err
	}
	base := ChannelName(incidentID, title)
	var ch *slack.Channel
	for i := 1; ch == nil; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		if i > 20 {
			return "", fmt.Errorf("create channel for %s: names %s to %s are all taken", incidentID, base, name)
		}
		err := a.call(ctx, "conversations.create "+name, func(ctx context.Context) error {
			c, err := a.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name})
			ch = c
			return err
		})
		var se slack.SlackErrorResponse
		if err != nil && errors.As(err, &se) && se.Err == "name_taken" {
			ch = nil
			continue
		}
		if err != nil {
			return "", fmt.Errorf("create channel for %s: %w", incidentID, err)
		}
	}
	ref, err := a.deps.Refs.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey(incidentID), Kind: incident.SlackRefChannel, IncidentID: incidentID, Channel: ch.ID})
	if err != nil {
		return "", fmt.Errorf("record channel of %s: %w", incidentID, err)
	}
	if ref.Channel != ch.ID {
		// Another worker made one first; this one stays empty.
		a.log.Warn("Two channels created for one incident; using the first", "incident_id", incidentID, "kept", ref.Channel, "extra", ch.ID)
		return ref.Channel, nil
	}
	users, err := a.responders(ctx)
	if err != nil {
		a.log.Warn("Slack responders not resolved", "error", err)
	}
	if declarer != "" {
		users = append([]string{declarer}, users...)
	}
	users = dedupeStrings(users)
	if len(users) > 0 {
		if err := a.call(ctx, "conversations.invite", func(ctx context.Context) error {
			_, err := a.api.InviteUsersToConversationContext(ctx, ch.ID, users...)
			return err
		}); err != nil {
			a.log.Warn("Slack invite failed", "channel", ch.ID, "error", err)
		}
	}
	if err := a.call(ctx, "conversations.setTopic", func(ctx context.Context) error {
		_, err := a.api.SetTopicOfConversationContext(ctx, ch.ID, clip(incidentID+" · "+title, 250))
		return err
	}); err != nil {
		a.log.Warn("Slack topic not set", "channel", ch.ID, "error", err)
	}
	return ch.ID, nil
}

// responders resolves SLACK_RESPONDERS to user ids.
func (a *App) responders(ctx context.Context) ([]string, error) {
	var users []string
	var errs []error
	for _, r := range a.cfg.Responders {
		if !strings.HasPrefix(r, "S") {
			users = append(users, r)
			continue
		}
		err := a.call(ctx, "usergroups.users.list "+r, func(ctx context.Context) error {
			members, err := a.api.GetUserGroupMembersContext(ctx, r)
			users = append(users, members...)
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return users, errors.Join(errs...)
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func isNotFound(err error) bool {
	var ie *incident.Error
	return errors.As(err, &ie) && ie.Code == incident.ENOTFOUND
}

func (a *App) cardLock(id string) *sync.Mutex {
	a.cardMu.Lock()
	defer a.cardMu.Unlock()
	m := a.cardLocks[id]
	if m == nil {
		m = &sync.Mutex{}
		a.cardLocks[id] = m
	}
	return m
}

// RefreshCard renders the incident's status card from the service and posts it
// (once, then pinned) or edits it in place. The card's ts is kept in the store, so
// a retry after a failure edits the card it posted and never posts a second one.
// An incident without a channel has no card: nothing to do.
func (a *App) RefreshCard(ctx context.Context, incidentID string) error {
	chRef, err := a.deps.Refs.GetSlackRef(ctx, incident.SlackChannelKey(incidentID))
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	lock := a.cardLock(incidentID)
	lock.Lock()
	defer lock.Unlock()

	st, err := a.deps.Service.Show(ctx, incidentID)
	if err != nil {
		return fmt.Errorf("status card of %s: %w", incidentID, err)
	}
	obs, err := a.deps.Service.Obligations(ctx, incidentID, false)
	if err != nil {
		return fmt.Errorf("status card of %s: obligations: %w", incidentID, err)
	}
	blocks := StatusCard(st, obs, a.deps.Now())
	raw, err := json.Marshal(blocks)
	if err != nil {
		return fmt.Errorf("status card of %s: encode: %w", incidentID, err)
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	text := fmt.Sprintf("%s %s: %s, %s", incidentID, st.Title, st.Phase, orDash(st.Severity))

	a.cardMu.Lock()
	shown := a.cardShown[incidentID]
	a.cardMu.Unlock()
	card, err := a.deps.Refs.GetSlackRef(ctx, incident.SlackCardKey(incidentID))
	switch {
	case err == nil && shown == hash:
		return nil
	case err == nil:
		if err := a.call(ctx, "chat.update card", func(ctx context.Context) error {
			_, _, _, err := a.api.UpdateMessageContext(ctx, card.Channel, card.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
			return err
		}); err != nil {
			return fmt.Errorf("update status card of %s: %w", incidentID, err)
		}
	case isNotFound(err):
		var ts string
		if err := a.call(ctx, "chat.postMessage card", func(ctx context.Context) error {
			_, t, err := a.api.PostMessageContext(ctx, chRef.Channel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
			ts = t
			return err
		}); err != nil {
			return fmt.Errorf("post status card of %s: %w", incidentID, err)
		}
		kept, err := a.deps.Refs.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackCardKey(incidentID), Kind: incident.SlackRefCard, IncidentID: incidentID, Channel: chRef.Channel, TS: ts})
		if err != nil {
			return fmt.Errorf("record status card of %s: %w", incidentID, err)
		}
		if kept.TS != ts {
			// Another process (serve and worker both refresh cards) posted first:
			// take ours back so the channel has one card, and edit theirs next time.
			a.retract(ctx, chRef.Channel, ts)
			return nil
		}
		if err := a.call(ctx, "pins.add", func(ctx context.Context) error {
			return a.api.AddPinContext(ctx, chRef.Channel, slack.NewRefToMessage(chRef.Channel, ts))
		}); err != nil {
			a.log.Warn("Status card not pinned", "incident_id", incidentID, "error", err)
		}
	default:
		return err
	}
	a.cardMu.Lock()
	a.cardShown[incidentID] = hash
	a.cardMu.Unlock()
	return nil
}

// syncCards keeps every card in step with the store: each tick it compares each
// carded incident's stored version (and the minute, for the time left) with what
// it last showed, and refreshes the cards that moved. A failed refresh is tried
// again next tick, so a card converges after a Slack outage.
func (a *App) syncCards(ctx context.Context) {
	t := time.NewTicker(a.cfg.CardInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		refs, err := a.deps.Refs.SlackRefs(ctx, incident.SlackRefCard)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("Card sync: list cards", "error", err)
			}
			continue
		}
		for _, ref := range refs {
			rec, err := a.deps.Store.GetIncident(ctx, ref.IncidentID)
			if err != nil {
				continue
			}
			// The minute too: the time left moves, and a closed incident's obligation
			// clocks keep running. RefreshCard edits only when the card's bytes change
			// (hourly for a deadline days away, each minute in its last day).
			mark := fmt.Sprint(rec.Version) + "@" + a.deps.Now().Truncate(time.Minute).Format(time.RFC3339)
			a.cardMu.Lock()
			same := a.cardSeen[ref.IncidentID] == mark
			a.cardMu.Unlock()
			if same {
				continue
			}
			if err := a.RefreshCard(ctx, ref.IncidentID); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("Card sync: refresh failed; retrying next tick", "incident_id", ref.IncidentID, "error", err)
				}
				continue
			}
			a.cardMu.Lock()
			a.cardSeen[ref.IncidentID] = mark
			a.cardMu.Unlock()
		}
	}
}

// retract deletes a message that lost the race to be recorded, so a concurrent
// post never leaves a duplicate behind.
func (a *App) retract(ctx context.Context, channel, ts string) {
	if err := a.call(ctx, "chat.delete", func(ctx context.Context) error {
		_, _, err := a.api.DeleteMessageContext(ctx, channel, ts)
		return err
	}); err != nil {
		a.log.Warn("Duplicate Slack message not deleted", "channel", channel, "ts", ts, "error", err)
	}
}
