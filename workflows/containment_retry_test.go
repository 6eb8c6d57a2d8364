package workflows

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/containment"
	"irflow/internal/facts"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

const signalFacts = "facts"

// retryHarness is containmentHarness with the retry_step Update registered, as
// the incident workflow registers it, and facts a signal replaces (set_facts).
func retryHarness(ctx workflow.Context, steps []containment.Step, doc facts.Document) (containmentHarnessResult, error) {
	c := NewContainment("INC-1", steps)
	var timeline []string
	record := func(kind, actor, text string) { timeline = append(timeline, kind+" "+actor+" "+text) }
	if err := c.RegisterHandlers(ctx, func() facts.Document { return doc }, record); err != nil {
		return containmentHarnessResult{}, err
	}
	if err := c.registerRetry(ctx); err != nil {
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
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			workflow.GetSignalChannel(ctx, signalFacts).Receive(ctx, &doc)
		}
	})
	if err := c.Run(ctx, nil, nil); err != nil {
		return containmentHarnessResult{}, err
	}
	if err := workflow.Await(ctx, func() bool { return closed && workflow.AllHandlersFinished(ctx) && !c.running }); err != nil {
		return containmentHarnessResult{}, err
	}
	return containmentHarnessResult{Containment: c, Timeline: timeline}, nil
}

// TestRetryFailedAndNoTargetsSteps: a step that failed on one of its targets (an
// id Zendesk does not know) and a step whose facts list is empty (ending
// no_targets, naming the path, not failed) are retried by a commander after the
// facts are corrected; the target changed before the failure is not acted on
// again, each object is mutated exactly once, and retrying a step that is done,
// or anything after a rollback, is a conflict.
func TestRetryFailedAndNoTargetsSteps(t *testing.T) {
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := sim.Facts()
	client, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
		MaxRetries: -1, RequestsPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv()
	env.RegisterActivity(&activities.ContainmentActivities{Zendesk: client})
	env.RegisterWorkflow(retryHarness)
	const unknownUser = 999_999_999
	steps := []containment.Step{
		{ID: "suspend", Action: containment.SuspendUser},
		{ID: "api", Action: containment.RevokeAPIToken},
	}
	doc := facts.Document{Version: 1, Zendesk: facts.ZendeskScope{Users: []int64{f.CompromisedUserID, unknownUser}}}
	var early, first, second, done, after *outcome
	var mid containmentHarnessResult
	env.RegisterDelayedCallback(func() {
		early = update(env, UpdateRetryStep, RetryStepRequest{Step: "api", Actor: "carol"})
		update(env, UpdateApproveStep, ApproveStepRequest{Step: "api", Actor: "alice"})
	}, time.Second)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow("containment")
		if err == nil {
			err = v.Get(&mid.Containment)
		}
		if err != nil {
			t.Error(err)
		}
		fixed := doc
		fixed.Zendesk = facts.ZendeskScope{Users: []int64{f.CompromisedUserID}, APITokens: []int64{f.RogueAPITokenID}}
		env.SignalWorkflow(signalFacts, fixed)
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		first = update(env, UpdateRetryStep, RetryStepRequest{Step: "suspend", Actor: "carol", Reason: "unknown id removed"})
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		second = update(env, UpdateRetryStep, RetryStepRequest{Step: "api", Actor: "carol"})
	}, 3*time.Hour)
	env.RegisterDelayedCallback(func() {
		done = update(env, UpdateRetryStep, RetryStepRequest{Step: "suspend", Actor: "carol"})
		update(env, UpdateRollback, RollbackRequest{Actor: "carol"})
	}, 4*time.Hour)
	env.RegisterDelayedCallback(func() {
		after = update(env, UpdateRetryStep, RetryStepRequest{Step: "api", Actor: "carol"})
		env.SignalWorkflow(signalClose, nil)
	}, 5*time.Hour)
	env.ExecuteWorkflow(retryHarness, steps, doc)
	r := harnessResult(t, env)

	// Before the retries: failed on the unknown id only; no targets, not failed.
	if len(mid.Containment.Steps) != 2 {
		t.Fatalf("query: %+v", mid)
	}
	if s := mid.Containment.Steps[0]; s.Status != StepFailed || len(s.Results) != 1 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "404") {
		t.Errorf("suspend before the retry: %s results %d errors %q", s.Status, len(s.Results), s.Errors)
	}
	if s := mid.Containment.Steps[1]; s.Status != StepNoTargets || s.MissingFacts != "zendesk.api_tokens" || len(s.Errors) != 0 {
		t.Errorf("api before the retry: %s missing %q errors %q", s.Status, s.MissingFacts, s.Errors)
	}
	wantConflict(t, early, `step "api" is awaiting_approval`)
	wantAccepted(t, first)
	wantAccepted(t, second)
	wantConflict(t, done, `step "suspend" is done`)
	wantConflict(t, after, "rolled back")

	sus, api := r.Containment.Steps[0], r.Containment.Steps[1]
	if sus.Status != StepRolledBack || len(sus.Results) != 1 || len(sus.Retries) != 1 || sus.Retries[0].PriorStatus != StepFailed || sus.Retries[0].Actor != "carol" {
		t.Errorf("suspend: %s results %d retries %+v errors %q", sus.Status, len(sus.Results), sus.Retries, sus.Errors)
	}
	if api.Status != StepDone || len(api.Results) != 1 || !api.Results[0].Changed || len(api.Retries) != 1 || api.Retries[0].MissingFacts != "zendesk.api_tokens" {
		t.Errorf("api: %s results %+v retries %+v errors %q", api.Status, api.Results, api.Retries, api.Errors)
	}
	// Exactly once: the user suspended once (and unsuspended once by the
	// rollback), the token revoked once, the retry's re-read changing nothing.
	if n := sim.Mutations(zdsim.KindUser, fmt.Sprint(f.CompromisedUserID)); n != 2 {
		t.Errorf("user mutated %d times, want 2 (suspend, then the rollback's unsuspend)", n)
	}
	if n := sim.Mutations(zdsim.KindAPIToken, fmt.Sprint(f.RogueAPITokenID)); n != 1 {
		t.Errorf("API token mutated %d times, want 1", n)
	}
	if !strings.Contains(strings.Join(r.Timeline, "\n"), "no targets: facts zendesk.api_tokens is empty") {
		t.Errorf("the timeline does not name the facts path to fill:\n%s", strings.Join(r.Timeline, "\n"))
	}
}

func wantConflict(t *testing.T, o *outcome, want string) {
	t.Helper()
	wantRejected(t, o, want)
	var app *temporal.ApplicationError
	if o != nil && o.rejected != nil && (!errors.As(o.rejected, &app) || app.Type() != ErrTypeConflict) {
		t.Errorf("rejection %v is not a conflict (%s)", o.rejected, ErrTypeConflict)
	}
}
