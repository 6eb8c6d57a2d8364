package notify

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// LogTransport writes messages to a structured log. It is the default transport and
// the one every environment has. It never fails on a valid message and keeps no
// record of keys: a duplicate is one more log line with the same key, which is
// harmless. It cannot edit a line, so an Update is logged as a new line naming the
// message it updates.
type LogTransport struct {
	Logger *slog.Logger
	// Now stamps Sent.At; time.Now when nil.
	Now func() time.Time
}

// LogTransportName is the Sent.Transport of a LogTransport delivery.
const LogTransportName = "log"

// Send logs m at level INFO (WARN when overdue) and returns message id "log:"+m.Key.
// An invalid message is a Permanent error.
func (l LogTransport) Send(ctx context.Context, m Message) (Sent, error) {
	if err := m.Validate(); err != nil {
		return Sent{}, Permanent(err)
	}
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	level := slog.LevelInfo
	if m.Kind == KindOverdue {
		level = slog.LevelWarn
	}
	attrs := []any{"message_key", m.Key, "kind", string(m.Kind), "incident_id", m.IncidentID, "at", m.At}
	if m.ObligationID != "" {
		attrs = append(attrs, "obligation_id", m.ObligationID)
	}
	if m.Rule != "" {
		attrs = append(attrs, "rule", m.Rule)
	}
	if m.Title != "" {
		attrs = append(attrs, "title", m.Title)
	}
	if m.DueAt != nil {
		attrs = append(attrs, "due_at", *m.DueAt)
	}
	if len(m.Recipients) > 0 {
		to := make([]string, len(m.Recipients))
		for i, r := range m.Recipients {
			to[i] = string(r.Kind) + ":" + r.ID
		}
		attrs = append(attrs, "recipients", strings.Join(to, ","))
	}
	if len(m.Fields) > 0 {
		fields := make([]any, len(m.Fields))
		for i, f := range m.Fields {
			fields[i] = slog.String(f.Label, f.Value)
		}
		attrs = append(attrs, slog.Group("fields", fields...))
	}
	if m.Update != nil && m.Update.MessageID != "" {
		attrs = append(attrs, "updates", m.Update.MessageID)
	}
	logger.Log(ctx, level, m.Text, attrs...)
	return Sent{Transport: LogTransportName, MessageID: "log:" + m.Key, At: now().UTC()}, nil
}
