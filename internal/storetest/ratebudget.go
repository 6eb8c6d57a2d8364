package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"irflow/internal/incident"
)

// RunRateBudget runs the contract of incident.RateBudget. open returns a fresh,
// empty store. The intervals are hours, so the time the test itself takes (well
// under the one-minute tolerance) cannot change an outcome.
func RunRateBudget(t *testing.T, open func(t *testing.T) incident.RateBudget) {
	const tolerance = time.Minute
	// A process's clock reading may be a moment older than the slot it books (it
	// waited for the write lock), so a wait can exceed its slot by that moment.
	near := func(got, want time.Duration) bool { return got < want+tolerance && got > want-tolerance }

	t.Run("SlotsAreSpaced", func(t *testing.T) {
		b := open(t)
		for i := range 3 {
			w, err := b.ReserveRate(t.Context(), "zendesk:acme", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if want := time.Duration(i) * time.Hour; !near(w, want) && !(i == 0 && w <= 0) {
				t.Errorf("slot %d: wait %s, want about %s", i, w, want)
			}
		}
		// Another key is another budget.
		if w, err := b.ReserveRate(t.Context(), "zendesk:other", time.Hour); err != nil || w > 0 {
			t.Errorf("first slot of another key: wait %s, %v", w, err)
		}
	})
	t.Run("PauseHoldsEveryone", func(t *testing.T) {
		b := open(t)
		if err := b.PauseRate(t.Context(), "zendesk:acme", 3*time.Hour); err != nil {
			t.Fatal(err)
		}
		w, err := b.ReserveRate(t.Context(), "zendesk:acme", time.Hour)
		if err != nil || !near(w, 3*time.Hour) {
			t.Fatalf("after a 3h pause: wait %s, %v", w, err)
		}
		// A shorter pause does not give back the slots booked.
		if err := b.PauseRate(t.Context(), "zendesk:acme", time.Minute); err != nil {
			t.Fatal(err)
		}
		if w, err := b.ReserveRate(t.Context(), "zendesk:acme", time.Hour); err != nil || !near(w, 4*time.Hour) {
			t.Fatalf("after a shorter pause: wait %s, %v; want about 4h", w, err)
		}
	})
	t.Run("ConcurrentCallersGetDistinctSlots", func(t *testing.T) {
		b := open(t)
		const n = 12
		waits := make([]time.Duration, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { waits[i], errs[i] = b.ReserveRate(t.Context(), "zendesk:acme", time.Hour) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(waits)
		for i, w := range waits {
			if want := time.Duration(i) * time.Hour; !near(w, want) && !(i == 0 && w <= 0) {
				t.Errorf("slot %d of %d concurrent reservations: wait %s, want about %s (all: %v)", i, n, w, want, waits)
			}
		}
	})
}
