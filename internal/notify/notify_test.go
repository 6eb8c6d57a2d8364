package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

// valid is a message every check accepts; cases change one field.
func valid() Message {
	due := t0.Add(72 * time.Hour)
	return Message{
		Key: "inc-1/eu-gdpr-33-sa/0/half", Kind: KindReminder, IncidentID: "inc-1",
		ObligationID: "eu-gdpr-33-sa", Rule: "eu-gdpr-33-sa", Text: "36h left", DueAt: &due, At: t0.Add(36 * time.Hour),
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*Message)
		wantField string
	}{
		{"valid reminder", func(*Message) {}, ""},
		{"valid step approval to a channel and a role", func(m *Message) {
			m.Kind, m.ObligationID = KindStepAwaitingApproval, ""
			m.Recipients = []Recipient{{Kind: RecipientChannel, ID: "ir-bridge"}, {Kind: RecipientRole, ID: "incident_commander", Display: "IC"}}
			m.Fields = []Field{{Label: "Step", Value: "suspend_user"}}
		}, ""},
		{"valid update", func(m *Message) { m.Update = &Sent{Transport: "slack", MessageID: "1700000000.000100", Channel: "C1"} }, ""},
		{"valid routed update", func(m *Message) {
			m.Update = &Sent{Transport: RouterName, Deliveries: []Sent{{Transport: "log", MessageID: "log:k"}}}
		}, ""},
		{"no key", func(m *Message) { m.Key = "" }, "key"},
		{"no kind", func(m *Message) { m.Kind = "" }, "kind"},
		{"unknown kind", func(m *Message) { m.Kind = "gossip" }, "kind"},
		{"no incident", func(m *Message) { m.IncidentID = "" }, "incident_id"},
		{"obligation kind without obligation", func(m *Message) { m.Kind, m.ObligationID = KindOverdue, "" }, "obligation_id"},
		{"phase change needs no obligation", func(m *Message) { m.Kind, m.ObligationID = KindPhaseChanged, "" }, ""},
		{"no text", func(m *Message) { m.Text = "" }, "text"},
		{"no instant", func(m *Message) { m.At = time.Time{} }, "at"},
		{"recipient of unknown kind", func(m *Message) {
			m.Recipients = []Recipient{{Kind: RecipientPerson, ID: "alice"}, {Kind: "team", ID: "sec"}}
		}, "recipients[1].kind"},
		{"recipient without id", func(m *Message) { m.Recipients = []Recipient{{Kind: RecipientPerson, Display: "Alice"}} }, "recipients[0].id"},
		{"update of nothing", func(m *Message) { m.Update = &Sent{Transport: "slack"} }, "update"},
		{"field without label", func(m *Message) { m.Fields = []Field{{Label: "Due", Value: "x"}, {Value: "y"}} }, "fields[1].label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.edit(&m)
			err := m.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.wantField {
				t.Fatalf("Validate = %v, want a ValidationError on %s", err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("message %q does not name %s", err, tt.wantField)
			}
		})
	}
}

// TestNoticeJSON pins the v1 Notice's JSON: recorded ObligationClock histories hold it
// as the SendReminder input, and replaying them must decode to the same message.
func TestNoticeJSON(t *testing.T) {
	recorded := `{"key":"inc-1/eu-gdpr-33-sa/0/half","incident_id":"inc-1","obligation_id":"eu-gdpr-33-sa",` +
		`"rule":"eu-gdpr-33-sa","kind":"reminder","text":"36h left","due_at":"2026-03-09T16:00:00Z","at":"2026-03-08T04:00:00Z"}`
	var n Notice
	if err := json.Unmarshal([]byte(recorded), &n); err != nil {
		t.Fatal(err)
	}
	again, err := json.Marshal(n)
	if err != nil || string(again) != recorded {
		t.Fatalf("Notice round trip:\n got %s\nwant %s (%v)", again, recorded, err)
	}
	m := n.Message()
	want := valid()
	if m.Key != want.Key || m.Kind != want.Kind || m.IncidentID != want.IncidentID || m.ObligationID != want.ObligationID ||
		m.Rule != want.Rule || m.Text != want.Text || !m.DueAt.Equal(*want.DueAt) || !m.At.Equal(want.At) {
		t.Errorf("Message() = %+v, want %+v", m, want)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("converted notice invalid: %v", err)
	}
}

func TestLogTransport(t *testing.T) {
	var buf bytes.Buffer
	now := t0.Add(96 * time.Hour)
	l := LogTransport{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Now: func() time.Time { return now }}
	m := valid()
	m.Kind, m.Text, m.Key = KindOverdue, "overdue", "k1"
	m.Recipients = []Recipient{{Kind: RecipientRole, ID: "dpo"}}
	m.Fields = []Field{{Label: "late", Value: "24h"}}
	m.Update = &Sent{Transport: LogTransportName, MessageID: "log:k0"}
	sent, err := l.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Sent{Transport: "log", MessageID: "log:k1", At: now}); fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("Sent %+v, want %+v", sent, want)
	}
	out := buf.String()
	for _, want := range []string{`"level":"WARN"`, `"msg":"overdue"`, `"message_key":"k1"`, `"kind":"overdue"`, `"incident_id":"inc-1"`,
		`"obligation_id":"eu-gdpr-33-sa"`, `"due_at":"2026-03-09T16:00:00Z"`, `"recipients":"role:dpo"`, `"fields":{"late":"24h"}`, `"updates":"log:k0"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}

	buf.Reset()
	if _, err := l.Send(context.Background(), Message{Key: "k2"}); !IsPermanent(err) {
		t.Errorf("invalid message: error %v, want permanent", err)
	}
	if buf.Len() != 0 {
		t.Errorf("invalid message logged: %s", buf.String())
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("channel_not_found")
	transient := errors.New("slack 503")
	perm := fmt.Errorf("post: %w", Permanent(base))
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"marked", perm, true},
		{"unmarked", base, false},
		{"nil", nil, false},
		{"all deliveries permanent", &DeliveryError{Key: "k", Failures: []TransportError{{"slack", perm}, {"email", Permanent(errors.New("550"))}}}, true},
		{"one delivery transient", &DeliveryError{Key: "k", Failures: []TransportError{{"slack", perm}, {"email", transient}}}, false},
		{"wrapped delivery error keeps its classification", fmt.Errorf("send: %w", &DeliveryError{Key: "k", Failures: []TransportError{{"slack", perm}, {"email", transient}}}), false},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("%s: IsPermanent = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !errors.Is(perm, base) || Permanent(nil) != nil {
		t.Error("Permanent hides its cause, or Permanent(nil) is not nil")
	}
	if de := (&DeliveryError{Key: "k", Failures: []TransportError{{"email", transient}}}); !errors.Is(de, transient) {
		t.Error("DeliveryError hides its failures from errors.Is")
	}
}
