package app_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/mail/mailtest"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestRecordNoticeHistories records the notice workflows' histories for
// workflows/replay_test.go, as TestRecordHistories does for the others:
//
//	notice_history.json         California's resident notice: drafted, edited, approved, sent
//	                            to three people, its obligation marked fulfilled
//	notice_fanout_history.json  that send's fan-out, in batches of two
//
//	IRFLOW_RECORD_HISTORIES=$PWD/workflows/testdata go test ./internal/app -run TestRecordNoticeHistories -count=1 -v
func TestRecordNoticeHistories(t *testing.T) {
	out := os.Getenv(recordEnv)
	if out == "" {
		t.Skip(recordEnv + " is not set: nothing to record")
	}
	if !filepath.IsAbs(out) {
		t.Fatalf("%s=%q: give an absolute path, e.g. $PWD/workflows/testdata", recordEnv, out)
	}
	sink := startSink(t, mailtest.Options{})
	d := startNoticeDev(t, sink)
	svc := d.Service
	ctx := context.Background()
	id := declareDemo(t, svc, "notice recording")
	ob := obligationByRule(t, svc, id, caResidents)
	v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{"measures_taken": "Locked the compromised account."}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = svc.EditNotice(ctx, id, ob, incident.EditNoticeRequest{Text: v.Text + "\nThis notice was edited by legal.\n", Actor: "dana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256, Actor: "lee"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee", BatchSize: 2, Recipients: []incident.NoticeRecipientInput{
		{Address: "ann@example.net"}, {Address: "bob@example.net"}, {Address: "cy@example.net"}}}); err != nil {
		t.Fatal(err)
	}
	waitNotice(t, svc, id, ob, 20*time.Second, "the notice to be sent", func(s service.NoticeStatus) bool { return s.Status == incident.NoticeSent && s.FulfilError == "" })
	for _, c := range []struct{ workflowID, name string }{
		{workflows.NoticeFanOutWorkflowID(id, ob, 1), "notice_fanout"},
		{workflows.NoticeWorkflowID(id, ob), "notice"},
	} {
		waitCompleted(t, d, c.workflowID)
		writeHistory(t, d, c.workflowID, out, c.name)
	}
}
