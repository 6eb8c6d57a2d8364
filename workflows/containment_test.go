package workflows

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/containment"
	"irflow/internal/facts"
)

// containmentHarnessResult is what the harness workflow returns for assertions.
type containmentHarnessResult struct {
	Containment Containment `json:"containment"`
	Timeline    []string    `json:"timeline"`
}

const signalClose = "close"

// containmentHarness embeds the runner the way the incident workflow will: handlers
// registered first, Run, then stay open for updates until told to close; on
// cancellation it rolls back (the saga's compensation after a cancel).
func containmentHarness(ctx workflow.Context, steps []containment.Step, doc facts.Document) (containmentHarnessResult, error) {
	c := NewContainment("INC-1", steps)
	var timeline []string
	record := func(kind, actor, text string) { timeline = append(timeline, kind+" "+actor+" "+text) }
	if err := c.RegisterHandlers(ctx, func() facts.Document { return doc }, record); err != nil {
		return containmentHarnessResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, "containment", func() (Containment, error) { return c, nil }); err != nil {
		return containmentHarnessResult{}, err
	}
	closed := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, signalClose).Receive(ctx, nil)
		closed = true
	})
	err := c.Run(ctx, nil, nil)
	if err == nil {
		err = workflow.Await(ctx, func() bool { return closed })
	}
	if errors.Is(ctx.Err(), workflow.ErrCanceled) {
		if _, rerr := c.Rollback(ctx, SystemActor, "incident cancelled"); rerr != nil {
			return containmentHarnessResult{}, rerr
		}
		return containmentHarnessResult{Containment: c, Timeline: timeline}, nil
	}
	if err != nil {
		return containmentHarnessResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return containmentHarnessResult{}, err
	}
	return containmentHarnessResult{Containment: c, Timeline: timeline}, nil
}

// fakeActivities records every call in order. noop targets report changed:false.
type fakeActivities struct {
	mu    sync.Mutex
	calls []string
	noop  map[string]bool
}

func (f *fakeActivities) apply(ctx context.Context, in containment.ApplyInput) (containment.ApplyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "apply "+in.Action+" "+in.Target.Key())
	if in.IdempotencyKey == "" || !strings.HasPrefix(in.IdempotencyKey, "INC-1/"+in.StepID+"/") {
		return containment.ApplyResult{}, errors.New("bad idempotency key " + in.IdempotencyKey)
	}
	return containment.ApplyResult{StepID: in.StepID, Action: in.Action, Target: in.Target,
		Changed: !f.noop[in.Target.Key()], Before: containment.State{"x": 1}, After: containment.State{"x": 2},
		RequestIDs: []string{"req-" + in.Target.Key()}, At: activity.GetInfo(ctx).StartedTime, IdempotencyKey: in.IdempotencyKey}, nil
}

func (f *fakeActivities) undo(ctx context.Context, in containment.UndoInput) (containment.UndoResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, _ := containment.Lookup(in.Applied.Action)
	f.calls = append(f.calls, "undo "+a.Undo+" "+in.Applied.Target.Key())
	return containment.UndoResult{StepID: in.Applied.StepID, Action: a.Undo, Target: in.Applied.Target, Changed: true,
		IdempotencyKey: in.IdempotencyKey}, nil
}

func (f *fakeActivities) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func newContainmentEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *fakeActivities) {
	env := newTestEnv()
	f := &fakeActivities{noop: map[string]bool{}}
	env.RegisterActivityWithOptions(f.apply, activity.RegisterOptions{Name: containment.ActivityApply})
	env.RegisterActivityWithOptions(f.undo, activity.RegisterOptions{Name: containment.ActivityUndo})
	env.RegisterWorkflow(containmentHarness)
	return env, f
}

var incidentFacts = facts.Document{Version: 1, Zendesk: facts.ZendeskScope{
	Users: []int64{101, 102}, APITokens: []int64{201}, AppInstallations: []int64{301}, Webhooks: []string{"01HWEBHOOK"},
}}

func queryContainment(t *testing.T, env *testsuite.TestWorkflowEnvironment) Containment {
	t.Helper()
	v, err := env.QueryWorkflow("containment")
	if err != nil {
		t.Fatal(err)
	}
	var c Containment
	if err := v.Get(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// outcome is what came back for one Update; the test environment delivers it after
// the callback that sent the Update returns, so tests check it at the end.
type outcome struct {
	result   any
	rejected error
	failed   error
	done     bool
}

func update(env *testsuite.TestWorkflowEnvironment, name string, arg any) *outcome {
	o := &outcome{}
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { o.rejected, o.done = err, true },
		OnComplete: func(r any, err error) { o.result, o.failed, o.done = r, err, true },
	}, arg)
	return o
}

func wantRejected(t *testing.T, o *outcome, want string) {
	t.Helper()
	if !o.done || o.rejected == nil || !strings.Contains(o.rejected.Error(), want) {
		t.Errorf("rejection = %v (done %v), want %q", o.rejected, o.done, want)
	}
}

func wantAccepted(t *testing.T, o *outcome) {
	t.Helper()
	if !o.done || o.rejected != nil || o.failed != nil {
		t.Errorf("update: done %v, rejected %v, failed %v", o.done, o.rejected, o.failed)
	}
}

func harnessResult(t *testing.T, env *testsuite.TestWorkflowEnvironment) containmentHarnessResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var r containmentHarnessResult
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestContainmentWaitsForApproval(t *testing.T) {
	env, f := newContainmentEnv(t)
	steps := []containment.Step{
		{ID: "suspend", Action: containment.SuspendUser},
		// The playbook forgot needs_approval: irreversible actions need it anyway.
		{ID: "kill-token", Action: containment.RevokeAPIToken},
		{ID: "webhook", Action: containment.DeactivateWebhook},
	}
	var badNope, badActor, badNoApproval, good, second *outcome
	env.RegisterDelayedCallback(func() {
		c := queryContainment(t, env)
		if c.Steps[0].Status != StepDone || c.Steps[1].Status != StepAwaitingApproval || c.Steps[2].Status != StepPending {
			t.Errorf("before approval: %s %s %s", c.Steps[0].Status, c.Steps[1].Status, c.Steps[2].Status)
		}
		if got := f.Calls(); len(got) != 2 {
			t.Errorf("before approval, calls = %v; the irreversible step must not run", got)
		}
		// Validators reject bad approvals with the reason.
		badNope = update(env, UpdateApproveStep, ApproveStepRequest{Step: "nope", Actor: "alice"})
		badActor = update(env, UpdateApproveStep, ApproveStepRequest{Step: "kill-token"})
		badNoApproval = update(env, UpdateApproveStep, ApproveStepRequest{Step: "suspend", Actor: "alice"})
		good = update(env, UpdateApproveStep, ApproveStepRequest{Step: "kill-token", Actor: "alice", Reason: "token leaked on GitHub"})
		second = update(env, UpdateApproveStep, ApproveStepRequest{Step: "kill-token", Actor: "bob"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, steps, incidentFacts)
	r := harnessResult(t, env)

	wantRejected(t, badNope, `unknown step "nope" (steps: suspend, kill-token, webhook)`)
	wantRejected(t, badActor, "actor: required")
	wantRejected(t, badNoApproval, `step "suspend" (suspend_user) does not need approval`)
	wantAccepted(t, good)
	if st, ok := good.result.(StepState); !ok || st.ApprovedBy != "alice" || len(st.Targets) != 1 || st.Targets[0].ID != 201 {
		t.Errorf("approve result: %+v", good.result)
	}
	wantRejected(t, second, `step "kill-token" is running, not waiting for approval`)

	want := []string{"apply suspend_user user:101", "apply suspend_user user:102",
		"apply revoke_api_token api_token:201", "apply deactivate_webhook webhook:01HWEBHOOK"}
	if got := f.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	st := r.Containment.Steps[1]
	if !st.Step.NeedsApproval || st.Step.Reversible || st.Status != StepDone || st.ApprovedBy != "alice" || st.ApprovalReason != "token leaked on GitHub" {
		t.Fatalf("kill-token state: %+v", st)
	}
	// Results go into the timeline with before/after state and the request id.
	joined := strings.Join(r.Timeline, "\n")
	for _, s := range []string{
		"containment_waiting irflow step kill-token (revoke_api_token) waits for approval: revoke_api_token cannot be undone",
		"containment_approved alice approved step kill-token (revoke_api_token) on api token 201: token leaked on GitHub",
		`containment_applied irflow step kill-token: revoke_api_token on api token 201: changed (approved by alice) {"before":{"x":1},"after":{"x":2},"request_ids":["req-api_token:201"]`,
	} {
		if !strings.Contains(joined, s) {
			t.Errorf("timeline lacks %q:\n%s", s, joined)
		}
	}
	// Two suspended users and a webhook are reversible and changed: three compensations.
	if n := len(r.Containment.Compensations); n != 3 {
		t.Fatalf("compensations = %d, want 3", n)
	}
}

func TestContainmentSkip(t *testing.T) {
	env, f := newContainmentEnv(t)
	steps := []containment.Step{
		{ID: "redact", Action: containment.RedactComment, NeedsApproval: true,
			Params: map[string]any{"ticket_id": 666, "comment_id": 5, "text": "hunter2"}},
		{ID: "suspend", Action: containment.SuspendUser, Params: map[string]any{"user_id": 101}},
	}
	var skip, approveSkipped, skipDone *outcome
	env.RegisterDelayedCallback(func() {
		skip = update(env, UpdateSkipStep, SkipStepRequest{Step: "redact", Actor: "bob", Reason: "legal hold"})
		approveSkipped = update(env, UpdateApproveStep, ApproveStepRequest{Step: "redact", Actor: "bob"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		skipDone = update(env, UpdateSkipStep, SkipStepRequest{Step: "suspend", Actor: "bob"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, steps, incidentFacts)
	r := harnessResult(t, env)
	wantAccepted(t, skip)
	wantRejected(t, approveSkipped, `step "redact" is skipped, not waiting for approval`)
	wantRejected(t, skipDone, `step "suspend" is done and can no longer be skipped`)
	if got := f.Calls(); len(got) != 1 || got[0] != "apply suspend_user user:101" {
		t.Fatalf("calls = %v: the skipped step must never run", got)
	}
	if s := r.Containment.Steps[0]; s.Status != StepSkipped || s.SkippedBy != "bob" || s.SkipReason != "legal hold" {
		t.Fatalf("skipped step: %+v", s)
	}
	if !strings.Contains(strings.Join(r.Timeline, "\n"), "containment_skipped bob skipped step redact (redact_comment): legal hold") {
		t.Fatalf("timeline: %v", r.Timeline)
	}
}

func TestContainmentRollbackUndoesInReverseOrder(t *testing.T) {
	env, f := newContainmentEnv(t)
	f.noop["app_installation:301"] = true // already disabled before the incident: not ours to re-enable
	steps := []containment.Step{
		{ID: "suspend", Action: containment.SuspendUser},
		{ID: "app", Action: containment.DisableApp},
		{ID: "role", Action: containment.DowngradeRole, Params: map[string]any{"user_id": 103}},
		{ID: "kill-token", Action: containment.RevokeAPIToken, NeedsApproval: true},
		{ID: "webhook", Action: containment.DeactivateWebhook},
		{ID: "later", Action: containment.DeactivateTarget, NeedsApproval: true, Params: map[string]any{"target_id": 9}},
	}
	env.RegisterDelayedCallback(func() {
		update(env, UpdateApproveStep, ApproveStepRequest{Step: "kill-token", Actor: "alice"})
	}, time.Minute)
	var noActor, rollback, again, approveAfter *outcome
	env.RegisterDelayedCallback(func() {
		noActor = update(env, UpdateRollback, RollbackRequest{})
		rollback = update(env, UpdateRollback, RollbackRequest{Actor: "carol", Reason: "false positive"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		again = update(env, UpdateRollback, RollbackRequest{Actor: "carol"})
		approveAfter = update(env, UpdateApproveStep, ApproveStepRequest{Step: "later", Actor: "alice"})
	}, 90*time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, steps, incidentFacts)
	r := harnessResult(t, env)
	wantRejected(t, noActor, "actor: required")
	wantAccepted(t, rollback)
	rr, _ := rollback.result.(RollbackResult)
	if len(rr.Undone) != 4 || len(rr.Failed) != 0 || len(rr.Kept) != 1 || !strings.Contains(rr.Kept[0], "kill-token") {
		t.Errorf("rollback result: %+v", rr)
	}
	wantRejected(t, again, "already rolled back")
	wantRejected(t, approveAfter, "rolled back")

	want := []string{
		"apply suspend_user user:101", "apply suspend_user user:102", "apply disable_app app_installation:301",
		"apply downgrade_role user:103", "apply revoke_api_token api_token:201", "apply deactivate_webhook webhook:01HWEBHOOK",
		// reverse order; the no-op app step and the irreversible token step are not undone
		"undo reactivate_webhook webhook:01HWEBHOOK", "undo restore_role user:103",
		"undo unsuspend_user user:102", "undo unsuspend_user user:101",
	}
	if got := f.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	statuses := map[string]StepStatus{"suspend": StepRolledBack, "app": StepRolledBack, "role": StepRolledBack,
		"kill-token": StepDone, "webhook": StepRolledBack, "later": StepCancelled}
	for _, s := range r.Containment.Steps {
		if s.Status != statuses[s.Step.ID] {
			t.Errorf("step %s: %s, want %s", s.Step.ID, s.Status, statuses[s.Step.ID])
		}
	}
	if rb := r.Containment.RolledBack; rb == nil || !rb.Complete || rb.Actor != "carol" {
		t.Fatalf("rolled back: %+v", rb)
	}
}

func TestContainmentRollbackAfterCancel(t *testing.T) {
	env, f := newContainmentEnv(t)
	steps := []containment.Step{
		{ID: "suspend", Action: containment.SuspendUser, Params: map[string]any{"user_id": 101}},
		{ID: "sessions", Action: containment.RevokeSessions, NeedsApproval: true},
	}
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(containmentHarness, steps, incidentFacts)
	r := harnessResult(t, env)
	want := []string{"apply suspend_user user:101", "undo unsuspend_user user:101"}
	if got := f.Calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if r.Containment.Steps[1].Status != StepCancelled || r.Containment.Steps[0].Status != StepRolledBack {
		t.Fatalf("states: %s %s", r.Containment.Steps[0].Status, r.Containment.Steps[1].Status)
	}
}

// TestContainmentStepWithoutTargetEndsNoTargets: an empty facts list is not a
// failure in Zendesk: the step ends no_targets naming the path to fill (issue 14).
func TestContainmentStepWithoutTargetEndsNoTargets(t *testing.T) {
	env, f := newContainmentEnv(t)
	steps := []containment.Step{{ID: "app", Action: containment.DisableApp}}
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, time.Hour)
	env.ExecuteWorkflow(containmentHarness, steps, facts.Document{Version: 1})
	r := harnessResult(t, env)
	if len(f.Calls()) != 0 {
		t.Fatal("an activity ran without a target")
	}
	s := r.Containment.Steps[0]
	if s.Status != StepNoTargets || len(s.Errors) != 0 || s.MissingFacts != "zendesk.app_installations" ||
		!strings.Contains(strings.Join(r.Timeline, "\n"), "no targets: facts zendesk.app_installations is empty") {
		t.Fatalf("state: %+v", s)
	}
}

// newTestEnv returns a test environment whose SDK debug logging is discarded.
func newTestEnv() *testsuite.TestWorkflowEnvironment { return newTestEnvWith(newMemLeases()) }

// newTestEnvWith is newTestEnv keeping containment leases in leases, which a test
// can share with "other incidents".
func newTestEnvWith(leases *memLeases) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	// Containment takes leases in the store (versionContainmentLeases).
	env.RegisterActivity(&activities.LeaseActivities{Store: leases})
	return env
}
