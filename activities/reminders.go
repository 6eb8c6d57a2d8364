package activities

import (
	"context"
	"time"

	"irflow/internal/notify"
)

// ReminderActivities is the v1 reminder activity over a v1 notifier. The worker
// registers NotifyActivities instead, whose SendReminder has the same activity name,
// input and behaviour. This type stays while code outside this package still names
// it: the ObligationClock workflow refers to (*ReminderActivities).SendReminder for
// the activity name, and the workflow tests register it with a v1 recording notifier.
//
// Deprecated: use NotifyActivities and a notify.Notifier.
type ReminderActivities struct {
	Notifier NoticeNotifier
}

// NoticeNotifier is the v1 notifier interface: one Notice, no message id.
//
// Deprecated: implement notify.Notifier.
type NoticeNotifier interface {
	Notify(ctx context.Context, n notify.Notice) error
}

// SendReminder delivers one reminder through the v1 notifier, with the same checks
// and error classification as NotifyActivities.SendReminder.
func (a *ReminderActivities) SendReminder(ctx context.Context, in SendReminderInput) (SendReminderResult, error) {
	na := &NotifyActivities{}
	if a.Notifier != nil {
		na.Notifier = noticeSender{a.Notifier}
	}
	return na.SendReminder(ctx, in)
}

// noticeSender adapts a v1 NoticeNotifier to notify.Notifier.
type noticeSender struct{ n NoticeNotifier }

func (s noticeSender) Send(ctx context.Context, m notify.Message) (notify.Sent, error) {
	err := s.n.Notify(ctx, notify.Notice{
		Key: m.Key, IncidentID: m.IncidentID, ObligationID: m.ObligationID, Rule: m.Rule,
		Kind: string(m.Kind), Text: m.Text, DueAt: m.DueAt, At: m.At,
	})
	if err != nil {
		return notify.Sent{}, err
	}
	return notify.Sent{Transport: "notice", MessageID: m.Key, At: time.Now().UTC()}, nil
}
