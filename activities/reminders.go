package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"irflow/internal/notify"
)

// ReminderActivities sends obligation reminders through the notifier of the day
// (the log now; Slack and email when those land). The worker registers it beside Activities.
type ReminderActivities struct {
	Notifier notify.Notifier
}

// SendReminderInput is one reminder to deliver.
type SendReminderInput struct {
	Notice notify.Notice `json:"notice"`
}

// SendReminderResult says the reminder was handed to the notifier.
type SendReminderResult struct {
	Key string `json:"key"`
}

// SendReminder delivers one reminder. Transient notifier errors are returned as is so
// Temporal retries them; errors marked notify.Permanent fail the activity for good.
// Retries are safe because the notice carries a stable key the notifier dedupes on.
func (a *ReminderActivities) SendReminder(ctx context.Context, in SendReminderInput) (SendReminderResult, error) {
	if a.Notifier == nil {
		return SendReminderResult{}, temporal.NewNonRetryableApplicationError("send reminder: no notifier configured", "NoNotifier", nil)
	}
	if in.Notice.Key == "" {
		return SendReminderResult{}, temporal.NewNonRetryableApplicationError("send reminder: notice has no idempotency key", "BadNotice", nil)
	}
	if err := a.Notifier.Notify(ctx, in.Notice); err != nil {
		err = fmt.Errorf("send reminder %s for obligation %s: %w", in.Notice.Key, in.Notice.ObligationID, err)
		if notify.IsPermanent(err) {
			return SendReminderResult{}, temporal.NewNonRetryableApplicationError(err.Error(), "NotifyPermanent", errors.Unwrap(err))
		}
		return SendReminderResult{}, err
	}
	return SendReminderResult{Key: in.Notice.Key}, nil
}
