package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"irflow/internal/incident"
)

// LeaseStore is a store with containment leases: the leases' contract needs
// incidents in the store to tell open ones from closed ones.
type LeaseStore interface {
	incident.Store
	incident.LeaseStore
}

// RunLeases runs the containment lease contract (issue 17 item 5) against stores
// made by open.
func RunLeases(t *testing.T, open func(t *testing.T) LeaseStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s LeaseStore)
	}{
		{"FirstHoldsOthersRely", testLeaseFirstHolds},
		{"RollbackPassesToOpenIncident", testLeasePasses},
		{"ClosedIncidentDoesNotKeepIt", testLeaseClosedRelier},
		{"ConcurrentAcquire", testLeaseConcurrent},
	}
	for _, tt := range tests {
		t.Run("Leases/"+tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func acquire(t *testing.T, s incident.LeaseStore, object, id string) incident.Lease {
	t.Helper()
	l, err := s.AcquireLease(t.Context(), incident.Lease{Object: object, IncidentID: id, StepID: "suspend", Action: "suspend_user"})
	if err != nil {
		t.Fatalf("%s acquires %s: %v", id, object, err)
	}
	return l
}

func release(t *testing.T, s incident.LeaseStore, object, id, applied string) incident.LeaseRelease {
	t.Helper()
	r, err := s.ReleaseLease(t.Context(), object, id, applied)
	if err != nil {
		t.Fatalf("%s releases %s: %v", id, object, err)
	}
	return r
}

func leasesOf(t *testing.T, s incident.LeaseStore, id string) map[string]incident.Lease {
	t.Helper()
	ls, err := s.Leases(t.Context(), id)
	if err != nil {
		t.Fatalf("leases of %s: %v", id, err)
	}
	m := map[string]incident.Lease{}
	for _, l := range ls {
		m[l.Object] = l
	}
	return m
}

func testLeaseFirstHolds(t *testing.T, s LeaseStore) {
	a, b := summary(1, base), summary(2, base)
	saveIncident(t, s, a, 1)
	saveIncident(t, s, b, 1)
	if l := acquire(t, s, "user:5", a.ID); l.IncidentID != a.ID || len(l.Relying) != 0 || l.StepID != "suspend" || l.Action != "suspend_user" || l.AcquiredAt.IsZero() {
		t.Fatalf("first acquire: %+v", l)
	}
	for range 2 { // the second time is a retried activity
		if l := acquire(t, s, "user:5", b.ID); l.IncidentID != a.ID || !slices.Equal(l.Relying, []string{b.ID}) {
			t.Fatalf("second incident's acquire: %+v, want held by %s with %s relying", l, a.ID, b.ID)
		}
	}
	if l := acquire(t, s, "user:5", a.ID); l.IncidentID != a.ID || !slices.Equal(l.Relying, []string{b.ID}) {
		t.Errorf("the holder's retried acquire: %+v", l)
	}
	for _, id := range []string{a.ID, b.ID} {
		if l, ok := leasesOf(t, s, id)["user:5"]; !ok || l.IncidentID != a.ID || !slices.Equal(l.Relying, []string{b.ID}) {
			t.Errorf("leases of %s: %+v", id, leasesOf(t, s, id))
		}
	}
	if ls := leasesOf(t, s, "INC-20260306-099"); len(ls) != 0 {
		t.Errorf("an unrelated incident has leases %+v", ls)
	}
}

func testLeasePasses(t *testing.T, s LeaseStore) {
	a, b, c := summary(1, base), summary(2, base), summary(3, base)
	for _, sum := range []incident.Summary{a, b, c} {
		saveIncident(t, s, sum, 1)
	}
	acquire(t, s, "webhook:W1", a.ID)
	acquire(t, s, "webhook:W1", b.ID)
	acquire(t, s, "webhook:W1", c.ID)
	// A rolls back: B relies on the change, so the lease passes to B with A's change.
	r := release(t, s, "webhook:W1", a.ID, `{"action":"deactivate_webhook"}`)
	if !r.Held || r.PassedTo != b.ID || r.Holder != b.ID || r.Applied != "" {
		t.Fatalf("A's release: %+v, want passed to %s", r, b.ID)
	}
	// A retried release finds B holding it.
	if r := release(t, s, "webhook:W1", a.ID, `{"action":"deactivate_webhook"}`); r.Held || r.Holder != b.ID {
		t.Errorf("A's retried release: %+v", r)
	}
	if l := leasesOf(t, s, b.ID)["webhook:W1"]; l.IncidentID != b.ID || !slices.Equal(l.Relying, []string{c.ID}) {
		t.Errorf("after A's release: %+v", l)
	}
	if _, ok := leasesOf(t, s, a.ID)["webhook:W1"]; ok {
		t.Errorf("A still has the lease after releasing it")
	}
	// B passes it on to C, with A's change (B made none).
	if r := release(t, s, "webhook:W1", b.ID, ""); !r.Held || r.PassedTo != c.ID {
		t.Fatalf("B's release: %+v, want passed to %s", r, c.ID)
	}
	// C is the last: it gets A's change to undo.
	if r := release(t, s, "webhook:W1", c.ID, ""); !r.Held || r.PassedTo != "" || r.Holder != "" || r.Applied != `{"action":"deactivate_webhook"}` {
		t.Fatalf("C's release: %+v, want the change to undo", r)
	}
	if ls := leasesOf(t, s, c.ID); len(ls) != 0 {
		t.Errorf("leases left: %+v", ls)
	}
	// The holder that made the change itself and is the only one gets no change
	// back: it holds its own undo.
	acquire(t, s, "user:7", a.ID)
	if r := release(t, s, "user:7", a.ID, `{"x":1}`); !r.Held || r.PassedTo != "" || r.Applied != "" {
		t.Errorf("sole holder's release: %+v", r)
	}
	// One that only relied stops relying, and the holder keeps it.
	acquire(t, s, "user:8", a.ID)
	acquire(t, s, "user:8", b.ID)
	if r := release(t, s, "user:8", b.ID, ""); r.Held || r.Holder != a.ID {
		t.Errorf("relying incident's release: %+v", r)
	}
	if l := leasesOf(t, s, a.ID)["user:8"]; l.IncidentID != a.ID || len(l.Relying) != 0 {
		t.Errorf("after the relying incident let go: %+v", l)
	}
}

func testLeaseClosedRelier(t *testing.T, s LeaseStore) {
	a, b := summary(1, base), summary(2, base)
	saveIncident(t, s, a, 1)
	saveIncident(t, s, b, 1)
	acquire(t, s, "user:5", a.ID)
	acquire(t, s, "user:5", b.ID)
	b.Phase = incident.PhaseClosed
	saveIncident(t, s, b, 2)
	if r := release(t, s, "user:5", a.ID, ""); !r.Held || r.PassedTo != "" || r.Holder != "" {
		t.Errorf("release with only a closed incident relying: %+v, want the lease let go", r)
	}
	if ls := leasesOf(t, s, b.ID); len(ls) != 0 {
		t.Errorf("the closed incident still relies on %+v", ls)
	}
}

func testLeaseConcurrent(t *testing.T, s LeaseStore) {
	const n = 8
	var wg sync.WaitGroup
	holders := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := s.AcquireLease(t.Context(), incident.Lease{Object: "user:9", IncidentID: fmt.Sprintf("INC-20260306-%03d", i+1), StepID: "s", Action: "suspend_user"})
			holders[i], errs[i] = l.IncidentID, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
	}
	for _, h := range holders[1:] {
		if h != holders[0] {
			t.Fatalf("concurrent acquires saw different holders: %v", holders)
		}
	}
	l := leasesOf(t, s, holders[0])["user:9"]
	if len(l.Relying) != n-1 || slices.Contains(l.Relying, holders[0]) {
		t.Errorf("lease %+v, want %d others relying", l, n-1)
	}
}
