package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"irflow/internal/notify"
)

// Error types of the notification activities' non-retryable failures.
const (
	// ErrTypeNoNotifier: the worker was built without a notifier.
	ErrTypeNoNotifier = "NoNotifier"
	// ErrTypeInvalidMessage: the message fails notify.Message.Validate.
	ErrTypeInvalidMessage = "InvalidMessage"
	// ErrTypeNotifyPermanent: the notifier said retrying cannot help. The error's
	// details hold the notify.Sent of the transports that did deliver, if any.
	ErrTypeNotifyPermanent = "NotifyPermanent"
)

// NotifyActivities sends messages about incidents through the notifier the worker was
// built with (the log by default; a notify.Router over Slack and email when configured).
// The worker registers it; activity names are its method names.
type NotifyActivities struct {
	Notifier notify.Notifier
}

// SendReminderInput is one obligation reminder to deliver. Its JSON ({"notice": {...}})
// is recorded in ObligationClock histories, so it keeps the v1 Notice.
type SendReminderInput struct {
	Notice notify.Notice `json:"notice"`
}

// SendReminderResult says the reminder was delivered and how to find it again.
type SendReminderResult struct {
	Key  string      `json:"key"`
	Sent notify.Sent `json:"sent"`
}

// SendReminder delivers one obligation reminder: the v1 activity, kept under its name
// and input because running ObligationClock workflows schedule it. It converts the
// notice with notify.Notice.Message and sends it like SendNotification.
func (a *NotifyActivities) SendReminder(ctx context.Context, in SendReminderInput) (SendReminderResult, error) {
	what := fmt.Sprintf("send reminder %s for obligation %s", in.Notice.Key, in.Notice.ObligationID)
	sent, err := a.send(ctx, what, in.Notice.Message())
	if err != nil {
		return SendReminderResult{}, err
	}
	return SendReminderResult{Key: in.Notice.Key, Sent: sent}, nil
}

// SendNotificationInput is one message to deliver.
type SendNotificationInput struct {
	Message notify.Message `json:"message"`
}

// SendNotificationResult is what delivering the message produced. A workflow keeps
// Sent to update the message in place later (Message.Update).
type SendNotificationResult struct {
	Sent notify.Sent `json:"sent"`
}

// SendNotification delivers one message. An invalid message and an error marked
// notify.Permanent fail the activity for good; any other error is returned as is so
// Temporal retries it. Retries are safe because the message carries a stable key the
// notifier dedupes on (see notify.Notifier).
func (a *NotifyActivities) SendNotification(ctx context.Context, in SendNotificationInput) (SendNotificationResult, error) {
	m := in.Message
	sent, err := a.send(ctx, fmt.Sprintf("send %s message %s", m.Kind, m.Key), m)
	if err != nil {
		return SendNotificationResult{}, err
	}
	return SendNotificationResult{Sent: sent}, nil
}

// send validates m, sends it and classifies the error once for Temporal.
func (a *NotifyActivities) send(ctx context.Context, what string, m notify.Message) (notify.Sent, error) {
	if a.Notifier == nil {
		return notify.Sent{}, temporal.NewNonRetryableApplicationError(what+": no notifier configured", ErrTypeNoNotifier, nil)
	}
	if err := m.Validate(); err != nil {
		return notify.Sent{}, temporal.NewNonRetryableApplicationError(what+": "+err.Error(), ErrTypeInvalidMessage, err)
	}
	sent, err := a.Notifier.Send(ctx, m)
	if err == nil {
		return sent, nil
	}
	err = fmt.Errorf("%s: %w", what, err)
	if !notify.IsPermanent(err) {
		return notify.Sent{}, err
	}
	// Deliveries that succeeded before the permanent failure go in the details, so
	// the workflow can still record them and update those messages later.
	var details []any
	var de *notify.DeliveryError
	if errors.As(err, &de) && len(de.Delivered.Deliveries) > 0 {
		details = append(details, de.Delivered)
	}
	return notify.Sent{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotifyPermanent, errors.Unwrap(err), details...)
}
