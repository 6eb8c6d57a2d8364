package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"irflow/internal/mail/mailtest"
	"irflow/internal/notify"
)

// recordingNotifier counts what the log leg received.
type recordingNotifier struct{ keys []string }

func (r *recordingNotifier) Send(_ context.Context, m notify.Message) (notify.Sent, error) {
	r.keys = append(r.keys, m.Key)
	return notify.Sent{Transport: "log", MessageID: "log:" + m.Key, At: time.Now()}, nil
}

// TestEmailRoute: with SMTP and IRFLOW_NOTIFY_EMAIL set, reminders go to the log and
// by email to the configured addresses, whatever recipients they name; other kinds
// go to the log only; without IRFLOW_NOTIFY_EMAIL nothing is emailed.
func TestEmailRoute(t *testing.T) {
	sink, err := mailtest.Start(mailtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	env := map[string]string{"SMTP_URL": fmt.Sprintf("smtp://%s?tls=none", sink.Addr), "SMTP_FROM": "irflow@example.com",
		EnvNotifyEmail: "legal@example.com, dpo@example.com"}
	getenv := func(k string) string { return env[k] }
	m, err := mailerFromEnv(getenv)
	if err != nil || m == nil {
		t.Fatalf("mailer: %v", err)
	}
	log := &recordingNotifier{}
	n, err := withEmail(log, m, getenv)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(4 * time.Hour)
	msgs := []notify.Message{
		{Key: "r1", Kind: notify.KindReminder, IncidentID: "INC-20261201-001", ObligationID: "eu-gdpr-33-sa", Text: "4 h left", DueAt: &due, At: time.Now(),
			Recipients: []notify.Recipient{{Kind: notify.RecipientRole, ID: "commander"}}},
		{Key: "p1", Kind: notify.KindPhaseChanged, IncidentID: "INC-20261201-001", Text: "containment", At: time.Now()},
	}
	for _, msg := range msgs {
		if _, err := n.Send(context.Background(), msg); err != nil {
			t.Fatalf("send %s: %v", msg.Key, err)
		}
	}
	if len(log.keys) != 2 {
		t.Errorf("log got %v", log.keys)
	}
	got := sink.Received()
	if sink.Len() != 1 || got["legal@example.com"] != 1 || got["dpo@example.com"] != 1 {
		t.Errorf("email: %d messages, %v", sink.Len(), got)
	}

	delete(env, EnvNotifyEmail)
	if n2, err := withEmail(log, m, getenv); err != nil || n2 != notify.Notifier(log) {
		t.Errorf("without IRFLOW_NOTIFY_EMAIL the log alone should be used: %v %v", n2, err)
	}
	env["SMTP_FROM"] = ""
	if _, err := mailerFromEnv(getenv); err == nil {
		t.Error("SMTP without a sender was accepted")
	}
}
