package app_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"irflow/internal/app"
	"irflow/internal/notify"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
	"irflow/workflows"
)

// recordingNotifier notes how late each reminder arrived after its scheduled instant.
type recordingNotifier struct {
	mu    sync.Mutex
	late  []time.Duration
	seen  map[string]bool
	dupes int
}

func (n *recordingNotifier) Send(_ context.Context, m notify.Message) (notify.Sent, error) {
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	sent := notify.Sent{Transport: "recording", MessageID: m.Key, At: now}
	if n.seen[m.Key] {
		n.dupes++
		return sent, nil
	}
	n.seen[m.Key] = true
	n.late = append(n.late, now.Sub(m.At))
	return sent, nil
}

func (n *recordingNotifier) snapshot() ([]time.Duration, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Duration(nil), n.late...), n.dupes
}

// BenchmarkObligationClocks1000 is issue 5's target: 1,000 concurrent obligation
// clocks on the embedded dev server started in under 30 s, each reminder firing
// within 2 s of its instant. Each clock is due 60 to 79 s after its trigger with
// reminders at half time, 10 s before and at due: 3,000 reminders spread over about
// 50 s. Run: go test ./internal/app -run '^$' -bench ObligationClocks1000 -benchtime 1x
func BenchmarkObligationClocks1000(b *testing.B) {
	const clocks = 1000
	for i := 0; i < b.N; i++ {
		rec := &recordingNotifier{seen: map[string]bool{}}
		cfg := devConfig(b, b.TempDir())
		cfg.Notifier = rec
		d, err := app.StartDev(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		yes := true
		trigger := time.Now().Add(5 * time.Second).UTC().Truncate(time.Second)
		inputs := make([]workflows.ObligationClockInput, clocks)
		for c := range inputs {
			due := trigger.Add(time.Duration(60+c%20) * time.Second)
			inputs[c] = workflows.ObligationClockInput{
				IncidentID: "INC-20260101-001",
				Obligation: obligations.Obligation{
					ID: fmt.Sprintf("bench-%04d", c), Rule: "eu-gdpr-33-sa", Trigger: "aware_at",
					TriggerAt: &trigger, DueAt: &due, Applicable: true, Status: obligations.StatusOpen,
				},
				Spec: obligations.Spec{
					Deadline: fmt.Sprintf("PT%dS", 60+c%20), TimeZone: "UTC",
					Reminders: regimes.Reminders{Half: &yes, Before: []string{"PT10S"}, AtDue: &yes, OverdueEvery: "P1D"},
				},
			}
		}
		b.ResetTimer()
		began := time.Now()
		var wg sync.WaitGroup
		var failed atomic.Int64
		sem := make(chan struct{}, 32)
		for c := range inputs {
			wg.Add(1)
			sem <- struct{}{}
			go func(in workflows.ObligationClockInput) {
				defer wg.Done()
				defer func() { <-sem }()
				_, err := d.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
					ID: workflows.ObligationClockWorkflowID(in.IncidentID, in.Obligation.ID), TaskQueue: workflows.TaskQueue,
				}, workflows.ObligationClock, in)
				if err != nil {
					failed.Add(1)
				}
			}(inputs[c])
		}
		wg.Wait()
		startAll := time.Since(began)
		if failed.Load() > 0 {
			b.Fatalf("%d clocks failed to start", failed.Load())
		}
		// Wait for every reminder (3 per clock) or give up 30 s after the last is due.
		deadline := trigger.Add(79*time.Second + 30*time.Second)
		for time.Now().Before(deadline) {
			if late, _ := rec.snapshot(); len(late) >= 3*clocks {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		b.StopTimer()
		late, dupes := rec.snapshot()
		d.Stop()

		sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
		over := 0
		for _, l := range late {
			if l > 2*time.Second {
				over++
			}
		}
		pct := func(p float64) float64 {
			if len(late) == 0 {
				return 0
			}
			return late[int(p*float64(len(late)-1))].Seconds() * 1000
		}
		b.ReportMetric(startAll.Seconds(), "start_1000_s")
		b.ReportMetric(float64(len(late)), "reminders")
		b.ReportMetric(float64(3*clocks-len(late)), "missing")
		b.ReportMetric(float64(dupes), "duplicates")
		b.ReportMetric(pct(0.5), "late_p50_ms")
		b.ReportMetric(pct(0.99), "late_p99_ms")
		b.ReportMetric(pct(1), "late_max_ms")
		b.ReportMetric(float64(over), "over_2s")
	}
}
