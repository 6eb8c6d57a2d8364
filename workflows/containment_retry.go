package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"irflow/internal/incident"
)

// UpdateRetryStep names the Update that runs a failed (or no_targets) containment
// step again.
const UpdateRetryStep = "retry_step"

// TimelineContainmentRetried is the timeline kind of a retry request, and
// TimelineContainmentNoTargets that of a step that found nothing to act on.
const (
	TimelineContainmentRetried   = "containment_retried"
	TimelineContainmentNoTargets = "containment_no_targets"
)

// Version change ids of the containment runner's retry and no-targets outcome.
const (
	// versionRetryStep: the incident workflow accepts retry_step. Executions that
	// began before it never registered the handler, so an old history replays
	// without it.
	versionRetryStep = "containment-retry-step"
	// versionStepNoTargets: a step whose facts list is empty ends no_targets,
	// naming the facts path, instead of failed.
	versionStepNoTargets = "containment-no-targets"
)

// registerRetry registers the retry_step Update in executions from
// versionRetryStep on. It is called once, with the other handlers, at the start of
// each run (a continued run registers it too).
func (c *Containment) registerRetry(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, versionRetryStep, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRetryStep, c.retry,
		workflow.UpdateHandlerOptions{Validator: c.validateRetry}); err != nil {
		return fmt.Errorf("register %s: %w", UpdateRetryStep, err)
	}
	return nil
}

// endNoTargets ends a step that has nothing to act on as no_targets, naming the
// facts path to fill (from versionStepNoTargets on; before, it failed). It
// reports whether it ended the step.
func (c *Containment) endNoTargets(ctx workflow.Context, st *StepState, res resolvedTargets) bool {
	if workflow.GetVersion(ctx, versionStepNoTargets, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	now := workflow.Now(ctx)
	st.Status, st.MissingFacts, st.FinishedAt = StepNoTargets, res.NoTargets, &now
	c.record(TimelineContainmentNoTargets, SystemActor, fmt.Sprintf(
		"step %s (%s): no targets: facts %s is empty; fill it (irflow incident set-facts) and retry the step (irflow incident retry %s %s)",
		st.Step.ID, st.Step.Action, res.NoTargets, c.IncidentID, st.Step.ID))
	return true
}

// validateRetry accepts a retry of a step that failed or found no targets, while
// no step runs and containment was not rolled back. Anything else is a conflict
// with the step's state, not bad input.
func (c *Containment) validateRetry(ctx workflow.Context, req RetryStepRequest) error {
	if err := checkBy(c.requireBy, req.By, req.Actor); err != nil {
		return err
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor: required: a retry is attributed to a person")
	}
	st, err := c.find(req.Step)
	if err != nil {
		return err
	}
	if c.halted() {
		return conflictf("step: containment was rolled back; no step can be retried")
	}
	if st.Status != StepFailed && st.Status != StepNoTargets {
		return conflictf("step: step %q is %s; only a failed step or one without targets can be retried", req.Step, st.Status)
	}
	if c.running || c.rollingBack {
		return conflictf("step: another step is running; retry %q when it has finished", req.Step)
	}
	return nil
}

// retry runs a failed or no_targets step again and returns the step once it is
// running. Idempotency is that of the first run: the step keeps its idempotency
// key, targets already changed keep their results and are not acted on again, and
// each remaining target is tried with the same per-target key, whose
// check-before-act finds a change a lost answer hid. The targets are resolved
// again from the facts as they are now, so a commander who corrected a wrong id
// or filled an empty list (set-facts) retries on the corrected targets; a target
// that was changed before keeps its result and its undo.
func (c *Containment) retry(ctx workflow.Context, req RetryStepRequest) (StepState, error) {
	c.heard(req.By)
	var i int
	for i = range c.Steps {
		if c.Steps[i].Step.ID == req.Step {
			break
		}
	}
	st := &c.Steps[i]
	r := incident.StepRetry{Actor: req.Actor, Reason: req.Reason, At: workflow.Now(ctx),
		PriorStatus: st.Status, PriorErrors: st.Errors, MissingFacts: st.MissingFacts}
	if req.By != nil {
		r.Via, r.ExternalID = req.By.Via, req.By.ExternalID
	}
	st.Retries = append(st.Retries, r)
	st.Errors, st.MissingFacts, st.FinishedAt, st.Targets = nil, "", nil, nil
	// Running from now: a second retry, an approval or a rollback arriving before
	// the goroutine starts sees the step taken.
	st.Status = StepRunning
	c.running = true
	c.record(TimelineContainmentRetried, req.Actor, fmt.Sprintf("retrying step %s (%s), which was %s (attempt %d)%s",
		st.Step.ID, st.Step.Action, r.PriorStatus, len(st.Retries)+1, reasonSuffix(req.Reason)))
	workflow.Go(ctx, func(ctx workflow.Context) { c.runStep(ctx, i) })
	return *st, nil
}
