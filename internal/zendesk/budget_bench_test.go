package zendesk_test

import (
	"context"
	"math"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"irflow/internal/postgres"
	"irflow/internal/postgres/pgtest"
	"irflow/internal/sqlite"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// BenchmarkSharedBudget runs three workers (three clients, each with its own
// connection to the store and four goroutines calling Zendesk as fast as they are
// let) against one simulated instance that enforces its limit over every second,
// and measures the rate all three together send at. The shared budget holds when
// that rate is within 2% of the budget (the configured limit less the client's 3%
// headroom) and the instance answers no 429: three workers do not send three times
// the limit, nor starve one another. Run it with enough requests for a few seconds
// at the limit:
//
//	IRFLOW_TEST_POSTGRES="$(scripts/test-postgres)" go test ./internal/zendesk -run '^$' -bench SharedBudget -benchtime 1x
func BenchmarkSharedBudget(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "irflow.db")
		benchBudget(b, func() zendesk.SharedBudget {
			db, err := sqlite.Open(context.Background(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return db
		})
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.DSN(b)
		benchBudget(b, func() zendesk.SharedBudget {
			db, err := postgres.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			return db
		})
	})
}

func benchBudget(b *testing.B, open func() zendesk.SharedBudget) {
	const (
		perMinute = 3000 // 50 a second: fast enough for a short run, slow enough to measure
		workers   = 3
		perWorker = 4
		headroom  = 0.03 // the client's rateHeadroom
		// minRequests is 6 s at the budget.
		minRequests = 300
	)
	sim, err := zdsim.New(zdsim.Options{Seed: zdsim.SeedEmpty, FrozenClock: true, RateLimit: perMinute, RateWindow: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	f := sim.Facts()
	clients := make([]*zendesk.Client, workers)
	for i := range clients {
		if clients[i], err = zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
			RequestsPerMinute: perMinute, MaxRetries: -1, Budget: open()}); err != nil {
			b.Fatal(err)
		}
	}
	var (
		left     atomic.Int64
		failures atomic.Int64
		wg       sync.WaitGroup
	)
	// At least minRequests, so that a run with -benchtime 1x (irflow bench) still
	// spends several seconds at the limit.
	n := max(b.N, minRequests)
	left.Store(int64(n))
	b.ResetTimer()
	start := time.Now()
	for _, c := range clients {
		for range perWorker {
			wg.Go(func() {
				for left.Add(-1) >= 0 {
					if _, _, err := c.GetUser(context.Background(), f.AdminUserID); err != nil {
						failures.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	budget := perMinute * (1 - headroom)
	// The first request goes at once; the other N-1 are spaced by the budget.
	rate := float64(n-1) / elapsed.Minutes()
	b.ReportMetric(rate, "req/min")
	b.ReportMetric(100*rate/budget, "%budget")
	// %off is how far the workers together were from the budget, either way:
	// the target is within 2%.
	b.ReportMetric(math.Abs(100-100*rate/budget), "%off")
	b.ReportMetric(float64(sim.Stats().TooManyRequests), "429s")
	if failures.Load() > 0 {
		b.Errorf("%d requests failed", failures.Load())
	}
	if math.Abs(rate/budget-1) > 0.02 {
		b.Errorf("%d workers sent %.0f requests a minute; the shared budget is %.0f (%.1f%%)", workers, rate, budget, 100*rate/budget)
	}
	if n := sim.Stats().TooManyRequests; n > 0 {
		b.Errorf("the instance answered %d 429s", n)
	}
}
