package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLogNotifier(t *testing.T) {
	var buf bytes.Buffer
	n := LogNotifier{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	due := time.Date(2026, 3, 9, 16, 0, 0, 0, time.UTC)
	err := n.Notify(context.Background(), Notice{Key: "k1", IncidentID: "inc-1", ObligationID: "eu-gdpr-33-sa", Rule: "eu-gdpr-33-sa", Kind: KindOverdue, Text: "overdue", DueAt: &due, At: due.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{`"level":"WARN"`, `"msg":"overdue"`, `"notice_key":"k1"`, `"incident_id":"inc-1"`, `"obligation_id":"eu-gdpr-33-sa"`, `"due_at":"2026-03-09T16:00:00Z"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log %s lacks %s", out, want)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("channel_not_found")
	err := fmt.Errorf("post: %w", Permanent(base))
	if !IsPermanent(err) || !errors.Is(err, base) {
		t.Errorf("IsPermanent %v, Is %v", IsPermanent(err), errors.Is(err, base))
	}
	if IsPermanent(base) || Permanent(nil) != nil {
		t.Error("unmarked error reported permanent, or Permanent(nil) not nil")
	}
}
