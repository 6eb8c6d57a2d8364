package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/mail/mailtest"
	"irflow/internal/service"
)

// BenchmarkNoticeFanOut10k is issue 12's performance target: a notice fanned out to
// 10,000 recipients through the local SMTP server (the in-process go-smtp sink) in
// under 60 s, with the worker restarted half way and no recipient mailed twice.
//
//	go test ./internal/app -run '^$' -bench NoticeFanOut10k -benchtime 1x
//
// Each iteration is one send on a fresh dev stack; the time reported is from the
// send to the last recipient recorded, restart included. It reports seconds and
// messages per second, and fails on any duplicate or missing message.
func BenchmarkNoticeFanOut10k(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sink := startSink(b, mailtest.Options{})
		d := startNoticeDev(b, sink)
		svc := d.Service
		ctx := context.Background()
		id := declareDemo(b, svc, fmt.Sprintf("bench fan-out %d", i))
		ob := obligationByRule(b, svc, id, "us-ca-1798-82-individuals")
		v, err := svc.DraftNotice(ctx, id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{"measures_taken": "Locked the account."}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.ApproveNotice(ctx, id, ob, incident.ApproveNoticeRequest{SHA256: v.TextSHA256, Actor: "lee"}); err != nil {
			b.Fatal(err)
		}
		rs := make([]incident.NoticeRecipientInput, n)
		for j := range rs {
			rs[j] = incident.NoticeRecipientInput{Address: fmt.Sprintf("person-%05d@example.net", j)}
		}
		b.StartTimer()
		start := time.Now()
		if _, err := svc.SendNotice(ctx, id, ob, service.SendNoticeRequest{Actor: "lee", Recipients: rs}); err != nil {
			b.Fatal(err)
		}
		waitNotice(b, svc, id, ob, 60*time.Second, "half the recipients", func(s service.NoticeStatus) bool { return s.Counts[incident.RecipientSent] >= n/2 })
		restartAt := sink.Len()
		if err := d.RestartWorker(); err != nil {
			b.Fatal(err)
		}
		st := waitNotice(b, svc, id, ob, 120*time.Second, "the fan-out to finish", func(s service.NoticeStatus) bool { return s.Status != incident.NoticeSending })
		elapsed := time.Since(start)
		b.StopTimer()

		got := sink.Received()
		dup, missing := 0, 0
		for j := range n {
			switch c := got[fmt.Sprintf("person-%05d@example.net", j)]; {
			case c == 0:
				missing++
			case c > 1:
				dup += c - 1
			}
		}
		if dup > 0 || missing > 0 || st.Status != incident.NoticeSent || st.Counts[incident.RecipientSent] != n {
			b.Fatalf("%d duplicates, %d missing, status %s, counts %v", dup, missing, st.Status, st.Counts)
		}
		b.ReportMetric(elapsed.Seconds(), "s/10k")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(dup), "duplicates")
		b.Logf("10,000 notices in %s (%.0f/s), worker restarted after %d; 0 duplicates", elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), restartAt)
		d.Stop()
	}
}
