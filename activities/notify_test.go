package activities

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"irflow/internal/notify"
)

// fakeNotifier fails with its scripted errors in order, then succeeds, keeping every
// message it was asked to send.
type fakeNotifier struct {
	name string
	mu   sync.Mutex
	errs []error
	seen []notify.Message
}

func (f *fakeNotifier) Send(_ context.Context, m notify.Message) (notify.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, m)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return notify.Sent{}, err
		}
	}
	return notify.Sent{Transport: f.name, MessageID: f.name + ":" + m.Key, At: time.Date(2026, 3, 8, 4, 0, 0, 0, time.UTC)}, nil
}

func (f *fakeNotifier) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

// newNotifyEnv returns an activity test environment that does not log the failures
// the tests provoke.
func newNotifyEnv() *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	return s.NewTestActivityEnvironment()
}

// recordedReminder is the SendReminder input as ObligationClock histories hold it.
const recordedReminder = `{"notice":{"key":"inc-1/eu-gdpr-33-sa/0/half","incident_id":"inc-1","obligation_id":"eu-gdpr-33-sa",` +
	`"rule":"eu-gdpr-33-sa","kind":"reminder","text":"36h left","due_at":"2026-03-09T16:00:00Z","at":"2026-03-08T04:00:00Z"}}`

// checkErr asserts err contains want and is non-retryable exactly when nonRetryable,
// with the given error type when non-retryable.
func checkErr(t *testing.T, err error, want string, nonRetryable bool, errType string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	var appErr *temporal.ApplicationError
	got := errors.As(err, &appErr) && appErr.NonRetryable()
	if got != nonRetryable {
		t.Fatalf("non-retryable = %v, want %v (%v)", got, nonRetryable, err)
	}
	if nonRetryable && appErr.Type() != errType {
		t.Errorf("error type %s, want %s", appErr.Type(), errType)
	}
}

func TestSendReminder(t *testing.T) {
	var in SendReminderInput
	if err := json.Unmarshal([]byte(recordedReminder), &in); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		notifier     *fakeNotifier // nil: no notifier configured
		input        any
		wantErr      string
		nonRetryable bool
		errType      string
	}{
		{"recorded v1 input is delivered", &fakeNotifier{name: "log"}, json.RawMessage(recordedReminder), "", false, ""},
		{"delivered", &fakeNotifier{name: "log"}, in, "", false, ""},
		{"transient failure is retried", &fakeNotifier{name: "log", errs: []error{errors.New("slack 503")}}, in,
			"send reminder inc-1/eu-gdpr-33-sa/0/half for obligation eu-gdpr-33-sa: slack 503", false, ""},
		{"permanent failure is not", &fakeNotifier{name: "log", errs: []error{notify.Permanent(errors.New("channel_not_found"))}}, in,
			"channel_not_found", true, ErrTypeNotifyPermanent},
		{"no key", &fakeNotifier{name: "log"}, SendReminderInput{Notice: notify.Notice{ObligationID: "x"}}, "key is empty", true, ErrTypeInvalidMessage},
		{"no notifier", nil, in, "no notifier configured", true, ErrTypeNoNotifier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newNotifyEnv()
			a := &NotifyActivities{}
			if tt.notifier != nil {
				a.Notifier = tt.notifier
			}
			env.RegisterActivity(a)
			// By name: running workflows schedule "SendReminder" and nothing else.
			val, err := env.ExecuteActivity("SendReminder", tt.input)
			if tt.wantErr != "" {
				checkErr(t, err, tt.wantErr, tt.nonRetryable, tt.errType)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var res SendReminderResult
			if err := val.Get(&res); err != nil {
				t.Fatal(err)
			}
			if res.Key != in.Notice.Key || res.Sent.MessageID != "log:"+in.Notice.Key {
				t.Errorf("result %+v", res)
			}
			if len(tt.notifier.seen) != 1 {
				t.Fatalf("notifier saw %+v", tt.notifier.seen)
			}
			if m := tt.notifier.seen[0]; m.Key != in.Notice.Key || m.Kind != notify.KindReminder || m.Text != "36h left" || !m.At.Equal(in.Notice.At) {
				t.Errorf("notifier got %+v, want the notice as a message", m)
			}
		})
	}
}

func TestSendNotification(t *testing.T) {
	at := time.Date(2026, 3, 7, 9, 30, 0, 0, time.UTC)
	approval := notify.Message{
		Key: "inc-1/step/3/approval", Kind: notify.KindStepAwaitingApproval, IncidentID: "inc-1",
		Title: "Approve: suspend user 42", Text: "Step 3 suspends Zendesk user 42 and waits for approval.", At: at,
		Recipients: []notify.Recipient{{Kind: notify.RecipientChannel, ID: "ir-bridge"}, {Kind: notify.RecipientRole, ID: "incident_commander"}},
		Fields:     []notify.Field{{Label: "step", Value: "suspend_user"}},
	}
	invalid := approval
	invalid.Recipients = []notify.Recipient{{Kind: notify.RecipientPerson}}

	tests := []struct {
		name  string
		fails map[string][]error // scripted errors of the "slack" and "email" transports
		msg   notify.Message
		// attempts is the expected outcome of each execution: "ok", "retry" or "stop".
		attempts      []string
		wantErr       string
		errType       string
		wantCalls     map[string]int
		wantDelivered []string // transports in the last attempt's Sent (or the stop error's details)
	}{
		{"fan-out", nil, approval, []string{"ok"}, "", "", map[string]int{"slack": 1, "email": 1}, []string{"slack", "email"}},
		{"transient failure is retried; the retry skips the transport that delivered",
			map[string][]error{"email": {errors.New("421 try later")}}, approval, []string{"retry", "ok"},
			"", "", map[string]int{"slack": 1, "email": 2}, []string{"slack", "email"}},
		{"permanent failure stops, with what was delivered in the details",
			map[string][]error{"email": {notify.Permanent(errors.New("550 no such user"))}}, approval, []string{"stop"},
			"550 no such user", ErrTypeNotifyPermanent, map[string]int{"slack": 1, "email": 1}, []string{"slack"}},
		{"invalid message stops before any transport", nil, invalid, []string{"stop"},
			"recipients[0].id", ErrTypeInvalidMessage, map[string]int{"slack": 0, "email": 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slack := &fakeNotifier{name: "slack", errs: tt.fails["slack"]}
			email := &fakeNotifier{name: "email", errs: tt.fails["email"]}
			router, err := notify.NewRouter(map[string]notify.Notifier{"slack": slack, "email": email},
				notify.Route{Transports: []string{"slack", "email"}})
			if err != nil {
				t.Fatal(err)
			}
			env := newNotifyEnv()
			env.RegisterActivity(&NotifyActivities{Notifier: router})
			var last notify.Sent
			for i, want := range tt.attempts {
				val, err := env.ExecuteActivity("SendNotification", SendNotificationInput{Message: tt.msg})
				switch want {
				case "ok":
					if err != nil {
						t.Fatalf("attempt %d: %v", i+1, err)
					}
					var res SendNotificationResult
					if err := val.Get(&res); err != nil {
						t.Fatal(err)
					}
					last = res.Sent
				case "retry":
					var appErr *temporal.ApplicationError
					if err == nil || errors.As(err, &appErr) && appErr.NonRetryable() {
						t.Fatalf("attempt %d: %v, want a retryable error", i+1, err)
					}
				case "stop":
					checkErr(t, err, tt.wantErr, true, tt.errType)
					var appErr *temporal.ApplicationError
					if errors.As(err, &appErr) && appErr.HasDetails() {
						if err := appErr.Details(&last); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if slack.calls() != tt.wantCalls["slack"] || email.calls() != tt.wantCalls["email"] {
				t.Errorf("slack called %d, email %d times, want %v", slack.calls(), email.calls(), tt.wantCalls)
			}
			var delivered []string
			for _, d := range last.Deliveries {
				delivered = append(delivered, d.Transport)
				if d.MessageID != d.Transport+":"+tt.msg.Key {
					t.Errorf("delivery %+v lost its message id", d)
				}
			}
			if strings.Join(delivered, ",") != strings.Join(tt.wantDelivered, ",") {
				t.Errorf("delivered by %v, want %v", delivered, tt.wantDelivered)
			}
		})
	}
}
