package workflows

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"irflow/internal/containment"
	"irflow/internal/incident"
)

// memLeases is an in-memory incident.LeaseStore for workflow tests, with the
// contract's semantics (storetest.RunLeases) except that every incident counts as
// open. The stores themselves run the contract.
type memLeases struct {
	mu      sync.Mutex
	leases  map[string]*incident.Lease
	relying map[string][]string
}

func newMemLeases() *memLeases {
	return &memLeases{leases: map[string]*incident.Lease{}, relying: map[string][]string{}}
}

func (m *memLeases) AcquireLease(_ context.Context, l incident.Lease) (incident.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.leases[l.Object]
	if !ok {
		c := l
		m.leases[l.Object] = &c
		cur = &c
	}
	if cur.IncidentID != l.IncidentID && !slices.Contains(m.relying[l.Object], l.IncidentID) {
		m.relying[l.Object] = append(m.relying[l.Object], l.IncidentID)
	}
	out := *cur
	out.Relying = slices.Clone(m.relying[l.Object])
	return out, nil
}

func (m *memLeases) ReleaseLease(_ context.Context, object, id, applied string) (incident.LeaseRelease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	drop := func(who string) {
		m.relying[object] = slices.DeleteFunc(m.relying[object], func(s string) bool { return s == who })
	}
	cur, ok := m.leases[object]
	switch {
	case !ok:
		drop(id)
		return incident.LeaseRelease{}, nil
	case cur.IncidentID != id:
		drop(id)
		return incident.LeaseRelease{Holder: cur.IncidentID}, nil
	}
	if rs := m.relying[object]; len(rs) > 0 {
		next := rs[0]
		drop(next)
		if cur.Applied == "" {
			cur.Applied = applied
		}
		cur.IncidentID = next
		return incident.LeaseRelease{Held: true, PassedTo: next, Holder: next}, nil
	}
	delete(m.leases, object)
	return incident.LeaseRelease{Held: true, Applied: cur.Applied}, nil
}

func (m *memLeases) Leases(_ context.Context, id string) ([]incident.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incident.Lease
	for obj, l := range m.leases {
		if l.IncidentID == id || slices.Contains(m.relying[obj], id) {
			c := *l
			c.Relying = slices.Clone(m.relying[obj])
			out = append(out, c)
		}
	}
	return out, nil
}

// leaseEnv is a containment harness whose leases are shared with the test, which
// plays the other incident (INC-9) directly on the store.
func leaseEnv(leases *memLeases) (*testsuite.TestWorkflowEnvironment, *fakeActivities) {
	env := newTestEnvWith(leases)
	f := &fakeActivities{noop: map[string]bool{}}
	env.RegisterActivityWithOptions(f.apply, activity.RegisterOptions{Name: containment.ActivityApply})
	env.RegisterActivityWithOptions(f.undo, activity.RegisterOptions{Name: containment.ActivityUndo})
	env.RegisterWorkflow(containmentHarness)
	return env, f
}

func rollbackResult(t *testing.T, o *outcome) RollbackResult {
	t.Helper()
	wantAccepted(t, o)
	r, ok := o.result.(RollbackResult)
	if !ok {
		var rr RollbackResult
		if v, ok := o.result.(interface{ Get(any) error }); ok && v.Get(&rr) == nil {
			return rr
		}
		t.Fatalf("rollback result %T", o.result)
	}
	return r
}

// TestContainmentReliesOnAnotherIncidentsChange is issue 17 item 5: user 101 is
// already suspended by INC-9, which holds its lease. This incident's suspend step
// records that, registers no undo for it, and its rollback leaves it suspended,
// naming INC-9; user 102, which it suspended itself, is restored.
func TestContainmentReliesOnAnotherIncidentsChange(t *testing.T) {
	leases := newMemLeases()
	if _, err := leases.AcquireLease(context.Background(), incident.Lease{Object: "user:101/suspend_user", IncidentID: "INC-9", StepID: "suspend", Action: containment.SuspendUser}); err != nil {
		t.Fatal(err)
	}
	env, f := leaseEnv(leases)
	f.noop["user:101"] = true // INC-9's suspension is in place
	var rb *outcome
	env.RegisterDelayedCallback(func() { rb = update(env, UpdateRollback, RollbackRequest{Actor: "alice", Reason: "false positive"}) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}}, incidentFacts)
	r := harnessResult(t, env)
	c := r.Containment
	if len(c.Compensations) != 1 || c.Compensations[0].Object != "user:102/suspend_user" {
		t.Errorf("compensations %+v, want only user 102's", c.Compensations)
	}
	if len(c.Relies) != 1 || c.Relies[0].Object != "user:101/suspend_user" || c.Relies[0].Holder != "INC-9" || c.Relies[0].Undone {
		t.Errorf("relies %+v, want user 101 on INC-9, not undone", c.Relies)
	}
	if !slices.ContainsFunc(r.Timeline, func(e string) bool {
		return strings.Contains(e, "user 101: already contained by INC-9; no undo registered")
	}) {
		t.Errorf("no \"already contained by INC-9\" entry:\n%s", strings.Join(r.Timeline, "\n"))
	}
	res := rollbackResult(t, rb)
	if len(res.Undone) != 1 || res.Undone[0].Target.Key() != "user:102" {
		t.Errorf("undone %+v, want user 102 only", res.Undone)
	}
	if len(res.Kept) != 1 || !strings.Contains(res.Kept[0], "user 101 kept: INC-9 still relies on it") {
		t.Errorf("kept %q", res.Kept)
	}
	if slices.Contains(f.Calls(), "undo unsuspend_user user:101") {
		t.Errorf("the rollback unsuspended user 101, which INC-9 contained: %v", f.Calls())
	}
	if c.Steps[0].Status != StepDone {
		t.Errorf("step status %s, want done: user 101 stays suspended", c.Steps[0].Status)
	}
	if l, _ := leases.Leases(context.Background(), "INC-9"); len(l) != 1 || l[0].IncidentID != "INC-9" {
		t.Errorf("INC-9's lease after the rollback: %+v", l)
	}
}

// TestRollbackKeepsWhatAnotherIncidentReliesOn: this incident suspended both users;
// INC-9 then found user 101 contained and relies on it. Rolling this incident back
// restores user 102 only, says user 101 is kept for INC-9, and passes INC-9 the
// lease with the change, which INC-9's own rollback can then undo.
func TestRollbackKeepsWhatAnotherIncidentReliesOn(t *testing.T) {
	leases := newMemLeases()
	env, f := leaseEnv(leases)
	env.RegisterDelayedCallback(func() {
		if l, _ := leases.AcquireLease(context.Background(), incident.Lease{Object: "user:101/suspend_user", IncidentID: "INC-9"}); l.IncidentID != "INC-1" {
			t.Errorf("INC-9 found user 101's lease held by %q, want INC-1", l.IncidentID)
		}
	}, 30*time.Minute)
	var rb *outcome
	env.RegisterDelayedCallback(func() { rb = update(env, UpdateRollback, RollbackRequest{Actor: "alice"}) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}}, incidentFacts)
	r := harnessResult(t, env)
	res := rollbackResult(t, rb)
	if len(res.Undone) != 1 || res.Undone[0].Target.Key() != "user:102" {
		t.Errorf("undone %+v, want user 102 only", res.Undone)
	}
	if len(res.Kept) != 1 || !strings.Contains(res.Kept[0], "user 101 kept: INC-9 still relies on it (the lease passed to INC-9)") {
		t.Errorf("kept %q", res.Kept)
	}
	if slices.Contains(f.Calls(), "undo unsuspend_user user:101") {
		t.Errorf("user 101 unsuspended while INC-9 relies on it: %v", f.Calls())
	}
	if comp := r.Containment.Compensations[0]; comp.Object != "user:101/suspend_user" || comp.KeptFor != "INC-9" {
		t.Errorf("user 101's compensation %+v", comp)
	}
	// INC-9, the last to rely on it, gets the change to undo.
	rel, _ := leases.ReleaseLease(context.Background(), "user:101/suspend_user", "INC-9", "")
	var applied containment.ApplyResult
	if !rel.Held || json.Unmarshal([]byte(rel.Applied), &applied) != nil || applied.Action != containment.SuspendUser || applied.Target.Key() != "user:101" {
		t.Errorf("INC-9's release: %+v, want INC-1's suspension of user 101", rel)
	}
}

// TestRelyingIncidentUndoesWhenItIsTheLast: INC-9 suspended user 101 and rolled
// back while this incident relied on it, so the lease passed here with INC-9's
// change; this incident's rollback, with nobody else relying, restores user 101.
func TestRelyingIncidentUndoesWhenItIsTheLast(t *testing.T) {
	leases := newMemLeases()
	ctx := context.Background()
	if _, err := leases.AcquireLease(ctx, incident.Lease{Object: "user:101/suspend_user", IncidentID: "INC-9"}); err != nil {
		t.Fatal(err)
	}
	env, f := leaseEnv(leases)
	f.noop["user:101"] = true
	theirs := detailJSON(containment.ApplyResult{StepID: "suspend", Action: containment.SuspendUser,
		Target: containment.Target{Kind: containment.KindUser, ID: 101}, Changed: true, Undo: containment.State{"suspended": false}})
	env.RegisterDelayedCallback(func() {
		if rel, _ := leases.ReleaseLease(ctx, "user:101/suspend_user", "INC-9", theirs); rel.PassedTo != "INC-1" {
			t.Errorf("INC-9's rollback: %+v, want the lease passed to INC-1", rel)
		}
	}, 30*time.Minute)
	var rb *outcome
	env.RegisterDelayedCallback(func() { rb = update(env, UpdateRollback, RollbackRequest{Actor: "alice"}) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}}, incidentFacts)
	r := harnessResult(t, env)
	res := rollbackResult(t, rb)
	if len(res.Undone) != 2 || len(res.Kept) != 0 || len(res.Failed) != 0 {
		t.Errorf("rollback %+v, want both users restored", res)
	}
	if !slices.Contains(f.Calls(), "undo unsuspend_user user:101") {
		t.Errorf("user 101 not restored: %v", f.Calls())
	}
	if st := r.Containment.Steps[0].Status; st != StepRolledBack {
		t.Errorf("step status %s, want rolled_back", st)
	}
	if l, _ := leases.Leases(ctx, "INC-1"); len(l) != 0 {
		t.Errorf("leases left: %+v", l)
	}
}
