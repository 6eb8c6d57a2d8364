package activities_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"irflow/activities"
	"irflow/internal/incident"
	"irflow/internal/mail"
	"irflow/internal/mail/mailtest"
	"irflow/internal/sqlite"
)

// TestSendNoticeBatchAfterACrash: recipients a crashed attempt claimed and never
// recorded are marked failed with their outcome unknown and are not sent again;
// everyone else queued is sent once, bad addresses failing alone.
func TestSendNoticeBatchAfterACrash(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	sink, err := mailtest.Start(mailtest.Options{Reject: func(rcpt string) string {
		if strings.HasPrefix(rcpt, "gone") {
			return "no such mailbox"
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	m, err := mail.New(mail.Config{Host: sink.Host(), Port: sink.Port(), TLS: mail.TLSNone, From: "privacy@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const inc, ob = "INC-20261201-001", "us-ca-1798-82-individuals"
	var rs []incident.NoticeRecipient
	for i := range 10 {
		rs = append(rs, incident.NoticeRecipient{Address: fmt.Sprintf("p%d@example.net", i), Key: fmt.Sprintf("k/p%d", i)})
	}
	rs = append(rs, incident.NoticeRecipient{Address: "gone@example.net", Key: "k/gone"}, incident.NoticeRecipient{Address: "no address", Key: "k/bad"})
	if _, err := store.AddRecipients(ctx, inc, ob, rs); err != nil {
		t.Fatal(err)
	}
	// A worker claimed the first three and died before recording anything.
	if _, err := store.ClaimRecipients(ctx, inc, ob, 3); err != nil {
		t.Fatal(err)
	}

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(&activities.NoticeActivities{Store: store, Mailer: m})
	in := activities.SendNoticeBatchInput{IncidentID: inc, ObligationID: ob, Subject: "Notice of Data Breach", Text: "## What Happened\nA breach.\n", TextSHA256: "abc", Limit: 5, RatePerSecond: 1000}
	for {
		v, err := env.ExecuteActivity("SendNoticeBatch", in)
		if err != nil {
			t.Fatal(err)
		}
		var res activities.SendNoticeBatchResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		if res.Claimed == 0 {
			break
		}
	}
	counts, _ := store.RecipientCounts(ctx, inc, ob)
	if counts[incident.RecipientSent] != 7 || counts[incident.RecipientFailed] != 4 || counts[incident.RecipientBounced] != 1 {
		t.Errorf("counts %v, want 7 sent, 4 failed (3 unknown, 1 invalid), 1 bounced", counts)
	}
	got := sink.Received()
	for i := range 10 {
		addr := fmt.Sprintf("p%d@example.net", i)
		want := 1
		if i < 3 {
			want = 0 // in flight when the worker died: never sent twice, so not resent
		}
		if got[addr] != want {
			t.Errorf("%s received %d, want %d", addr, got[addr], want)
		}
	}
	failed, _ := store.Recipients(ctx, incident.RecipientFilter{IncidentID: inc, ObligationID: ob, State: incident.RecipientFailed})
	for _, r := range failed[:3] {
		if !strings.Contains(r.Error, "outcome unknown") || !strings.Contains(r.Error, mail.MessageID(r.Key, "privacy@example.com")) {
			t.Errorf("recipient %s: %q", r.Address, r.Error)
		}
	}
	// The HTML alternative and the approval's hash travel with each message.
	msg := sink.Messages()[0]
	if msg.Header("X-Irflow-Notice-Sha256") != "abc" || !strings.Contains(string(msg.Data), "<h2>What Happened</h2>") {
		t.Errorf("message:\n%s", msg.Data)
	}
}
