package activities

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"irflow/internal/notify"
)

type fakeNotifier struct {
	err  error
	seen []notify.Notice
}

func (f *fakeNotifier) Notify(_ context.Context, n notify.Notice) error {
	f.seen = append(f.seen, n)
	return f.err
}

func TestSendReminder(t *testing.T) {
	notice := notify.Notice{Key: "inc-1/eu-gdpr-33-sa/0/half", IncidentID: "inc-1", ObligationID: "eu-gdpr-33-sa", Kind: notify.KindReminder, Text: "36h left"}
	tests := []struct {
		name         string
		notifier     notify.Notifier
		notice       notify.Notice
		wantErr      string
		nonRetryable bool
	}{
		{"delivered", &fakeNotifier{}, notice, "", false},
		{"transient failure is retried", &fakeNotifier{err: errors.New("slack 503")}, notice, "send reminder inc-1/eu-gdpr-33-sa/0/half for obligation eu-gdpr-33-sa: slack 503", false},
		{"permanent failure is not", &fakeNotifier{err: notify.Permanent(errors.New("channel_not_found"))}, notice, "channel_not_found", true},
		{"no key", &fakeNotifier{}, notify.Notice{ObligationID: "x"}, "no idempotency key", true},
		{"no notifier", nil, notice, "no notifier configured", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.RegisterActivity(&ReminderActivities{Notifier: tt.notifier})
			val, err := env.ExecuteActivity((&ReminderActivities{}).SendReminder, SendReminderInput{Notice: tt.notice})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				var res SendReminderResult
				if err := val.Get(&res); err != nil || res.Key != tt.notice.Key {
					t.Errorf("result %+v, %v", res, err)
				}
				if f := tt.notifier.(*fakeNotifier); len(f.seen) != 1 || f.seen[0].Key != tt.notice.Key {
					t.Errorf("notifier saw %+v", f.seen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			var appErr *temporal.ApplicationError
			if got := errors.As(err, &appErr) && appErr.NonRetryable(); got != tt.nonRetryable {
				t.Errorf("non-retryable = %v, want %v (%v)", got, tt.nonRetryable, err)
			}
		})
	}
}
