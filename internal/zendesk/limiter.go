package zendesk

import (
	"context"
	"sync"
	"time"
)

// rateHeadroom is the fraction of the configured per-minute budget the limiter
// leaves unused. Zendesk counts requests when they arrive, not when we send them;
// pacing exactly at the limit lets scheduling and network jitter push one request
// over a window boundary now and then, and each 429 costs a Retry-After pause worth
// far more than 3% of throughput. With 3% headroom a burst has to be delayed by
// 3% of the window (1.8 s of a minute) before the server sees too many.
const rateHeadroom = 0.03

// limiter is a context-aware token bucket in its GCRA form: a burst of one, so the
// requests it admits are spaced at least one interval apart and no window of any
// length ever holds more than its share. pause makes every waiter sleep until a
// deadline, which is how a 429's Retry-After throttles all goroutines sharing the
// client, not only the one that saw it.
type limiter struct {
	// shared, when set, books slots in a budget every process shares (key names
	// it) instead of in tat.
	shared      SharedBudget
	key         string
	mu          sync.Mutex
	interval    time.Duration
	tat         time.Time // theoretical arrival time of the next request
	pausedUntil time.Time
	now         func() time.Time
}

func newLimiter(perMinute int) *limiter {
	if perMinute <= 0 {
		return nil
	}
	effective := float64(perMinute) * (1 - rateHeadroom)
	return &limiter{interval: time.Duration(float64(time.Minute) / effective), now: time.Now}
}

// SharedBudget is a rate budget shared across processes: incident.RateBudget, which
// the SQLite and PostgreSQL stores implement.
type SharedBudget interface {
	// ReserveRate books the next slot of key's budget, spaced interval apart, and
	// returns how long to wait for it.
	ReserveRate(ctx context.Context, key string, interval time.Duration) (time.Duration, error)
	// PauseRate admits nothing of key's budget for d.
	PauseRate(ctx context.Context, key string, d time.Duration) error
}

// share makes l book its slots in b under key.
func (l *limiter) share(b SharedBudget, key string) *limiter {
	if l != nil && b != nil {
		l.shared, l.key = b, key
	}
	return l
}

// reserve books the next slot and returns how long to wait for it.
func (l *limiter) reserve(ctx context.Context) (time.Duration, error) {
	if l.shared != nil {
		return l.shared.ReserveRate(ctx, l.key, l.interval)
	}
	return l.reserveLocal(), nil
}

// reserveLocal books the next slot of this process's budget.
func (l *limiter) reserveLocal() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	at := now
	if l.tat.After(at) {
		at = l.tat
	}
	if l.pausedUntil.After(at) {
		at = l.pausedUntil
	}
	l.tat = at.Add(l.interval)
	return at.Sub(now)
}

// wait blocks until the next slot or until ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	d, err := l.reserve(ctx)
	if err != nil {
		return err
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pause stops the limiter admitting requests before until.
func (l *limiter) pause(until time.Time) {
	if l == nil {
		return
	}
	if l.shared != nil {
		// Best effort: a pause that cannot be recorded leaves the booked slots,
		// and the next 429 tries again.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.shared.PauseRate(ctx, l.key, time.Until(until)); err == nil {
			return
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}
