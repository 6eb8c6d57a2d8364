// Package notify delivers notices about incident obligations (reminders that a
// regulator or individual notice is coming due, is due, or is overdue) to people.
// Slack and email implementations plug in behind Notifier; LogNotifier writes to the
// structured log until they do.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Kinds of notice.
const (
	// KindReminder: the deadline is approaching (half the time gone, 24 h, 4 h, 1 h).
	KindReminder = "reminder"
	// KindDue: the deadline is now.
	KindDue = "due"
	// KindOverdue: the deadline has passed and the obligation is still open.
	KindOverdue = "overdue"
)

// Notice is one message about one obligation of one incident.
type Notice struct {
	// Key is unique per notice and stable across retries and workflow replays; a
	// notifier uses it to drop duplicates.
	Key          string     `json:"key"`
	IncidentID   string     `json:"incident_id"`
	ObligationID string     `json:"obligation_id"`
	Rule         string     `json:"rule"`
	Kind         string     `json:"kind"`
	Text         string     `json:"text"`
	DueAt        *time.Time `json:"due_at"`
	// At is when the notice was scheduled to go out (the reminder instant).
	At time.Time `json:"at"`
}

// Notifier delivers notices.
//
// Retry semantics: Notify is called from a Temporal activity, which retries it with
// backoff when it returns an error. A notifier must therefore be idempotent on
// Notice.Key (a retried or replayed call must not post twice), return a plain error
// for transient failures (timeouts, 5xx, 429) so the call is retried, and wrap
// permanent failures (bad channel, rejected address) with Permanent so they are not.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// LogNotifier writes notices to a structured log. It never fails, so it is always
// idempotent enough: a duplicate is one more log line with the same key.
type LogNotifier struct {
	Logger *slog.Logger
}

// Notify logs n at level INFO (WARN when overdue).
func (l LogNotifier) Notify(ctx context.Context, n Notice) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	level := slog.LevelInfo
	if n.Kind == KindOverdue {
		level = slog.LevelWarn
	}
	attrs := []any{
		"notice_key", n.Key, "incident_id", n.IncidentID, "obligation_id", n.ObligationID,
		"rule", n.Rule, "kind", n.Kind, "at", n.At,
	}
	if n.DueAt != nil {
		attrs = append(attrs, "due_at", *n.DueAt)
	}
	logger.Log(ctx, level, n.Text, attrs...)
	return nil
}
