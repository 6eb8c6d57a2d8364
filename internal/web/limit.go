package web

import (
	"sync"
	"time"
)

// loginLimiter slows password guessing down. Failed sign-ins are counted per user
// name and per client address; after FreeFailures, each further failure locks
// that key for a delay that doubles up to MaxDelay, and a sign-in attempted while
// locked is refused without checking the password (so it cannot be used to guess
// either). A success clears the user name's count. Counts are forgotten after
// Forget without failures.
type loginLimiter struct {
	FreeFailures int
	BaseDelay    time.Duration
	MaxDelay     time.Duration
	Forget       time.Duration
	now          func() time.Time

	mu   sync.Mutex
	keys map[string]*failures
}

type failures struct {
	count int
	last  time.Time
	until time.Time
}

func newLoginLimiter(now func() time.Time, free int) *loginLimiter {
	return &loginLimiter{FreeFailures: free, BaseDelay: 2 * time.Second, MaxDelay: 5 * time.Minute, Forget: 30 * time.Minute,
		now: now, keys: map[string]*failures{}}
}

// wait returns how long the keys are still locked; 0 when the attempt may go on.
func (l *loginLimiter) wait(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var longest time.Duration
	for _, k := range keys {
		if f, ok := l.keys[k]; ok {
			if d := f.until.Sub(now); d > longest {
				longest = d
			}
		}
	}
	return longest
}

// fail records a failed attempt on each key and returns the longest lock it set.
func (l *loginLimiter) fail(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweep(now)
	var longest time.Duration
	for _, k := range keys {
		f, ok := l.keys[k]
		if !ok {
			f = &failures{}
			l.keys[k] = f
		}
		f.count++
		f.last = now
		if over := f.count - l.FreeFailures; over > 0 {
			d := l.BaseDelay
			for i := 1; i < over && d < l.MaxDelay; i++ {
				d *= 2
			}
			d = min(d, l.MaxDelay)
			f.until = now.Add(d)
			longest = max(longest, d)
		}
	}
	return longest
}

// succeed clears a key's failures.
func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

// sweep forgets keys without a failure for Forget and no lock running, so the map
// cannot grow without bound under a spray of names.
func (l *loginLimiter) sweep(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.last) > l.Forget && now.After(f.until) {
			delete(l.keys, k)
		}
	}
}
