package slackbot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"irflow/internal/slackbot/slackfake"
)

func nextAck(t *testing.T, f *slackfake.Server) slackfake.Ack {
	t.Helper()
	select {
	case a := <-f.Acks:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no Socket Mode ack within 10 s")
	}
	return slackfake.Ack{}
}

// TestSocketModeSession scripts a Socket Mode connection: a slash command, a
// malformed envelope, a button click and its redelivery go through the same
// handlers as HTTP and are each acknowledged.
func TestSocketModeSession(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AppToken = "xapp-1-test"; c.SigningSecret = "" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.app.RunSocketMode(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("socket mode did not stop")
		}
	})

	h.slack.Envelopes <- map[string]any{"type": "slash_commands", "envelope_id": "env-1", "accepts_response_payload": true,
		"payload": map[string]any{"command": "/incident", "text": "frobnicate", "user_id": "UCAROL", "channel_id": "C1", "trigger_id": "t1"}}
	a := nextAck(t, h.slack)
	var m Message
	if err := json.Unmarshal(a.Payload, &m); a.EnvelopeID != "env-1" || err != nil || !strings.Contains(m.Text, `unknown subcommand "frobnicate"`) {
		t.Fatalf("ack = %s %s (%v)", a.EnvelopeID, a.Payload, err)
	}

	// Malformed: acked (so Slack stops redelivering), nothing done.
	h.slack.Envelopes <- map[string]any{"type": "interactive", "envelope_id": "env-2", "payload": "not an object"}
	if a := nextAck(t, h.slack); a.EnvelopeID != "env-2" {
		t.Fatalf("ack = %+v", a)
	}

	click := map[string]any{"type": "interactive", "envelope_id": "env-3", "payload": map[string]any{
		"type": "block_actions", "trigger_id": "t3", "user": map[string]any{"id": "UCAROL"},
		"channel": map[string]any{"id": "CINC1"}, "container": map[string]any{"type": "message", "message_ts": "1712345678.000100", "channel_id": "CINC1"},
		"actions": []any{map[string]any{"type": "button", "action_id": ActionApprove, "block_id": "step-0", "value": "INC-20260301-001|revoke-tokens"}},
	}}
	h.slack.Envelopes <- click
	if a := nextAck(t, h.slack); a.EnvelopeID != "env-3" {
		t.Fatalf("ack = %+v", a)
	}
	click["envelope_id"], click["retry_attempt"], click["retry_reason"] = "env-3b", 1, "timeout"
	h.slack.Envelopes <- click
	if a := nextAck(t, h.slack); a.EnvelopeID != "env-3b" {
		t.Fatalf("ack = %+v", a)
	}
	eventually(t, "the approval", func() bool { return ephemeralTo(h.slack, "UCAROL", "is recorded") })
	time.Sleep(100 * time.Millisecond)
	if calls := h.svc.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "approve INC-20260301-001 revoke-tokens by carol") {
		t.Fatalf("calls = %q, want one approval", calls)
	}
}
