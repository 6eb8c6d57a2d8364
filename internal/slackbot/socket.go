package slackbot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode connects to Slack over Socket Mode (SLACK_APP_TOKEN) and serves
// slash commands, interactions and events through the same handlers as HTTP,
// acknowledging each envelope with the handler's answer. No public URL and no
// signature are needed: the WebSocket is authenticated by the app token. It
// returns when ctx ends or the connection fails for good.
func (a *App) RunSocketMode(ctx context.Context) error {
	if !a.cfg.SocketMode() {
		return fmt.Errorf("socket mode: SLACK_APP_TOKEN is not set")
	}
	client := socketmode.New(a.api)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				a.socketEvent(ctx, client, evt)
			}
		}
	}()
	if err := client.RunContext(ctx); err != nil && ctx.Err() == nil {
		return fmt.Errorf("socket mode: %w", err)
	}
	return nil
}

// socketEvent handles one envelope; a malformed one is acked (so Slack does not
// redeliver it) and logged, never a panic.
func (a *App) socketEvent(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	ack := func(payload any) {
		if evt.Request == nil {
			return
		}
		var err error
		if payload == nil {
			err = client.AckCtx(ctx, evt.Request.EnvelopeID, nil)
		} else {
			err = client.AckCtx(ctx, evt.Request.EnvelopeID, payload)
		}
		if err != nil {
			a.log.Warn("Socket Mode ack failed", "envelope_id", evt.Request.EnvelopeID, "error", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || cmd.UserID == "" {
			a.log.Warn("Malformed Socket Mode slash command", "type", fmt.Sprintf("%T", evt.Data))
			ack(nil)
			return
		}
		if m := a.HandleCommand(cmd); m != nil {
			ack(m)
		} else {
			ack(nil)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || cb.User.ID == "" {
			a.log.Warn("Malformed Socket Mode interaction", "type", fmt.Sprintf("%T", evt.Data))
			ack(nil)
			return
		}
		ack(a.HandleInteraction(cb))
	case socketmode.EventTypeEventsAPI:
		ack(nil)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			a.log.Warn("Malformed Socket Mode event", "type", fmt.Sprintf("%T", evt.Data))
			return
		}
		var outer struct {
			EventID string `json:"event_id"`
		}
		if evt.Request != nil {
			_ = json.Unmarshal(evt.Request.Payload, &outer)
		}
		a.HandleEvent(ev, outer.EventID)
	case socketmode.EventTypeConnected:
		a.log.Info("Slack Socket Mode connected")
	case socketmode.EventTypeErrorBadMessage:
		// The client could not parse the envelope, so it has no Request: ack by the
		// envelope id in the raw message, or Slack redelivers it.
		bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
		var env struct {
			EnvelopeID string `json:"envelope_id"`
		}
		if bad != nil {
			_ = json.Unmarshal(bad.Message, &env)
			a.log.Warn("Malformed Socket Mode envelope", "envelope_id", env.EnvelopeID, "error", bad.Cause)
		}
		if env.EnvelopeID != "" {
			if err := client.AckCtx(ctx, env.EnvelopeID, nil); err != nil {
				a.log.Warn("Socket Mode ack failed", "envelope_id", env.EnvelopeID, "error", err)
			}
		}
	}
}
