package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/containment"
	"irflow/internal/facts"
	"irflow/internal/incident"
)

// Update names of the containment runner, next to the code that handles them.
// Approving, skipping and rolling back are Updates, not Signals, because the
// responder needs an answer: a rejected approval (unknown step, already done) must
// come back as an error, not vanish.
const (
	UpdateApproveStep = "approve_step"
	UpdateSkipStep    = "skip_step"
	UpdateRollback    = "rollback"
)

// Timeline entry kinds written by the containment runner through its record function.
const (
	TimelineContainmentWaiting  = "containment_waiting"
	TimelineContainmentApproved = "containment_approved"
	TimelineContainmentSkipped  = "containment_skipped"
	TimelineContainmentApplied  = "containment_applied"
	TimelineContainmentFailed   = "containment_failed"
	TimelineContainmentRollback = "containment_rollback"
	TimelineContainmentUndone   = "containment_undone"
)

// SystemActor is the actor of entries written by irflow itself.
const SystemActor = "irflow"

// Compensation is an undo registered right after a reversible step changed a target.
type Compensation struct {
	Step   int  `json:"step"`   // index in Containment.Steps
	Result int  `json:"result"` // index in that step's Results
	Done   bool `json:"done"`
	// Object is the target's lease (versionContainmentLeases): the incident holds
	// it while the change is its own to undo.
	Object string `json:"object,omitempty"`
	// KeptFor, when set, is the open incident the lease passed to at rollback: the
	// change was not undone because that incident relies on it.
	KeptFor string `json:"kept_for,omitempty"`
}

// Reliance is a target a step found already contained by another incident's
// change (that incident holds the lease): this incident relies on it and registers
// no undo of its own.
type Reliance struct {
	Step   int    `json:"step"`   // index in Containment.Steps
	Result int    `json:"result"` // index in that step's Results
	Object string `json:"object"`
	// Holder is the incident whose change it relies on.
	Holder string `json:"holder"`
	// Done is set when a rollback let go of it; Undone when that rollback undid
	// the change (the lease had passed to this incident and nobody else relied
	// on it).
	Done   bool `json:"done,omitempty"`
	Undone bool `json:"undone,omitempty"`
	// Applied is the change to undo when a rollback's undo failed after the lease
	// was let go, so the next rollback retries it.
	Applied string `json:"applied,omitempty"`
}

// Containment runs a playbook's containment steps inside the incident workflow: in
// playbook order, waiting for approval where needed (always for irreversible
// actions), recording every result in the timeline, and undoing completed reversible
// steps in reverse order on rollback (a saga). Its exported fields are the state that
// lives in the incident workflow and survives continue-as-new.
type Containment struct {
	IncidentID    string          `json:"incident_id"`
	Steps         []StepState     `json:"steps"`
	Compensations []Compensation  `json:"compensations,omitempty"`
	Relies        []Reliance      `json:"relies,omitempty"`
	RolledBack    *RollbackRecord `json:"rolled_back,omitempty"`

	facts       func() facts.Document
	record      func(kind, actor, text string)
	running     bool // a step's activities are in flight
	rollingBack bool // a rollback is undoing steps
	// requireBy rejects Updates without a verified actor; heardBy tells the
	// incident which channel a verified actor used (see incidentImpl.heard).
	requireBy bool
	heardBy   func(*incident.Actor)
	// declaredBy is who declared the incident: a distinct_approver step is not
	// theirs to approve.
	declaredBy string
}

func (c *Containment) heard(by *incident.Actor) {
	if c.heardBy != nil {
		c.heardBy(by)
	}
}

// NewContainment prepares the runner for a playbook's steps. NeedsApproval is forced
// on for every action that cannot be undone, whatever the playbook says, and
// Reversible is taken from the catalogue.
func NewContainment(incidentID string, steps []containment.Step) Containment {
	return newContainmentFrozen(incidentID, FreezeSteps(steps))
}

// newContainmentFrozen starts a runner on steps whose flags are already final.
func newContainmentFrozen(incidentID string, steps []containment.Step) Containment {
	c := Containment{IncidentID: incidentID, Steps: make([]StepState, len(steps))}
	for i, s := range steps {
		c.Steps[i] = StepState{Step: s, Status: StepPending}
	}
	return c
}

// FreezeSteps applies the containment catalogue's flags to a playbook's steps:
// whether each action can be undone, and whether it always needs approval (every
// irreversible one does). The service freezes them into the incident's input at
// declaration, so a later change to the catalogue never changes what a running
// incident asks approval for or undoes.
func FreezeSteps(steps []containment.Step) []containment.Step {
	out := make([]containment.Step, len(steps))
	for i, s := range steps {
		if a, ok := containment.Lookup(s.Action); ok {
			s.Reversible = a.Reversible
		} else {
			s.Reversible = false
		}
		s.NeedsApproval = s.NeedsApproval || containment.RequiresApproval(s.Action)
		out[i] = s
	}
	return out
}

// containmentActivityOptionsV0 are the options of executions started before
// containment activities heartbeated: a crashed worker's attempt was retried only
// when its 2 minutes ran out.
var containmentActivityOptionsV0 = workflow.ActivityOptions{
	StartToCloseTimeout: 2 * time.Minute,
	RetryPolicy:         containmentRetryPolicy,
}

// containmentActivityOptions: an attempt heartbeats every few seconds while it
// runs, so a worker that dies mid-step is noticed within the heartbeat timeout and
// the step resumes on the next worker within seconds of its start (issue 17: 2
// minutes before). Start-to-close is sized to the call, not to crash detection: a
// Zendesk request may wait out 429s and 5xx within the attempt (up to 5 tries of
// 30 s with waits of up to a minute between them), and a step may make several.
var containmentActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    10 * time.Second,
	RetryPolicy:         containmentRetryPolicy,
}

// containmentRetryPolicy: 4xx errors come back non-retryable from the activity,
// so the retry budget is spent only on 5xx, 429, timeouts and lost workers.
var containmentRetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    2 * time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
	MaximumAttempts:    20,
}

// versionContainmentHeartbeat: from version 1 containment activities run with a
// heartbeat timeout.
const versionContainmentHeartbeat = "containment-heartbeat"

// versionContainmentLeases: from version 1 a reversible step takes a lease on each
// Zendesk object before acting on it, and a rollback passes the lease to an open
// incident relying on the change instead of undoing it (issue 17 item 5).
const versionContainmentLeases = "containment-leases"

// versionContainmentSnapshot: from version 1 a step that deletes or revokes keeps
// what it is about to destroy in the evidence first (issue 17 item 4).
const versionContainmentSnapshot = "containment-before-state"

// destroys reports whether an action deletes or revokes objects whose state would
// be lost: sessions, API tokens, OAuth tokens.
func destroys(action string) bool {
	switch action {
	case containment.RevokeSessions, containment.RevokeAPIToken, containment.RevokeOAuthTokens:
		return true
	}
	return false
}

// snapshot keeps t's objects before st destroys them and records where, or the
// gap. A snapshot that fails is a gap too: containment is not held up by evidence.
func (c *Containment) snapshot(actx workflow.Context, st *StepState, t containment.Target) {
	var ca *activities.ContainmentActivities
	var r activities.SnapshotResult
	in := activities.SnapshotInput{IncidentID: c.IncidentID, StepID: st.Step.ID, Action: st.Step.Action, Target: t}
	if err := workflow.ExecuteActivity(actx, ca.SnapshotBeforeState, in).Get(actx, &r); err != nil {
		r = activities.SnapshotResult{Gap: "the before-state could not be read: " + activityFailure(err)}
	}
	bs := BeforeState{Target: t, Path: r.Path, SHA256: r.SHA256, Records: r.Records, Gap: r.Gap}
	st.BeforeState = append(st.BeforeState, bs)
	if bs.Gap != "" {
		c.record(TimelineContainmentApplied, SystemActor, fmt.Sprintf("step %s: before-state of %s not kept (evidence gap): %s", st.Step.ID, t, bs.Gap))
		return
	}
	c.record(TimelineContainmentApplied, SystemActor, fmt.Sprintf("step %s: before-state of %s kept in evidence %s (%d records, sha256 %s)", st.Step.ID, t, bs.Path, bs.Records, bs.SHA256))
}

func hasBeforeState(st *StepState, t containment.Target) bool {
	for _, b := range st.BeforeState {
		if b.Target == t {
			return true
		}
	}
	return false
}

// leasing reports whether this execution takes containment leases.
func leasing(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, versionContainmentLeases, workflow.DefaultVersion, 1) == 1
}

// leaseOptions: the store answers in milliseconds; retry it for a while (a locked
// SQLite file, a PostgreSQL failover) before the step reports the target failed.
var leaseOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 10 * time.Second, MaximumAttempts: 10},
}

var la *activities.LeaseActivities

// containmentOptions returns the activity options of this execution's
// containment steps and undos.
func containmentOptions(ctx workflow.Context) workflow.ActivityOptions {
	if workflow.GetVersion(ctx, versionContainmentHeartbeat, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return containmentActivityOptionsV0
	}
	return containmentActivityOptions
}

// RegisterHandlers registers the approve_step, skip_step and rollback Updates with
// their validators. facts returns the incident's current facts (targets come from its
// zendesk block); record appends a timeline entry.
func (c *Containment) RegisterHandlers(ctx workflow.Context, factsFn func() facts.Document, record func(kind, actor, text string)) error {
	c.bind(factsFn, record)
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApproveStep, c.approve,
		workflow.UpdateHandlerOptions{Validator: c.validateApprove}); err != nil {
		return fmt.Errorf("register %s: %w", UpdateApproveStep, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateSkipStep, c.skip,
		workflow.UpdateHandlerOptions{Validator: c.validateSkip}); err != nil {
		return fmt.Errorf("register %s: %w", UpdateSkipStep, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateRollback,
		func(ctx workflow.Context, req RollbackRequest) (RollbackResult, error) {
			c.heard(req.By)
			return c.Rollback(ctx, req.Actor, req.Reason)
		},
		workflow.UpdateHandlerOptions{Validator: c.validateRollback}); err != nil {
		return fmt.Errorf("register %s: %w", UpdateRollback, err)
	}
	return nil
}

func (c *Containment) bind(factsFn func() facts.Document, record func(kind, actor, text string)) {
	if factsFn != nil {
		c.facts = factsFn
	}
	if record != nil {
		c.record = record
	}
	if c.facts == nil {
		c.facts = func() facts.Document { return facts.Document{} }
	}
	if c.record == nil {
		c.record = func(string, string, string) {}
	}
}

// halted reports whether a rollback was requested: no further step may start.
func (c *Containment) halted() bool { return c.RolledBack != nil }

// Run executes the steps in playbook order and returns when every step has finished,
// was skipped, or was cancelled by a rollback. It resumes correctly from restored
// state: finished steps are not run again and a step that was running is re-run with
// the same idempotency key, so no target is acted on twice. It returns an error only
// when ctx is cancelled while waiting for an approval.
func (c *Containment) Run(ctx workflow.Context, factsFn func() facts.Document, record func(kind, actor, text string)) error {
	c.bind(factsFn, record)
	for i := range c.Steps {
		st := &c.Steps[i]
		if c.halted() {
			if st.Status == StepPending || st.Status == StepAwaitingApproval || st.Status == StepApproved {
				st.Status = StepCancelled
			}
			continue
		}
		switch st.Status {
		case StepDone, StepFailed, StepSkipped, StepCancelled, StepRolledBack, StepNoTargets:
			continue
		}
		if st.Step.NeedsApproval && st.Status != StepApproved && st.Status != StepRunning {
			if st.Status != StepAwaitingApproval {
				st.Status = StepAwaitingApproval
				why := "the playbook asks for approval"
				if !st.Step.Reversible {
					why = st.Step.Action + " cannot be undone"
				}
				c.record(TimelineContainmentWaiting, SystemActor,
					fmt.Sprintf("step %s (%s) waits for approval: %s", st.Step.ID, st.Step.Action, why))
			}
			if err := workflow.Await(ctx, func() bool {
				return st.Status == StepApproved || st.Status == StepSkipped || c.halted()
			}); err != nil {
				return fmt.Errorf("wait for approval of step %s: %w", st.Step.ID, err)
			}
			if st.Status != StepApproved {
				if c.halted() {
					st.Status = StepCancelled
				}
				continue
			}
		}
		c.runStep(ctx, i)
	}
	return nil
}

// runStep applies one step to each of its targets. The activities run on a
// disconnected context: once a Zendesk mutation is under way, cancelling the
// incident must not abandon it half-recorded, or rollback could not undo it.
func (c *Containment) runStep(ctx workflow.Context, i int) {
	st := &c.Steps[i]
	c.running = true
	defer func() { c.running = false }()
	leases := st.Step.Reversible && leasing(ctx)
	snapshots := destroys(st.Step.Action) && workflow.GetVersion(ctx, versionContainmentSnapshot, workflow.DefaultVersion, 1) == 1
	now := workflow.Now(ctx)
	st.Status = StepRunning
	if st.StartedAt == nil {
		st.StartedAt = &now
	}
	if st.IdempotencyKey == "" {
		// One random key per step, fixed in history by SideEffect so a replay or a
		// retry reuses it (STYLE rule 4).
		var key string
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return containment.NewIdempotencyKey() }).Get(&key); err != nil {
			c.failStep(ctx, st, fmt.Sprintf("generate idempotency key: %v", err))
			return
		}
		st.IdempotencyKey = c.IncidentID + "/" + st.Step.ID + "/" + key
	}
	if len(st.Targets) == 0 {
		res := resolveTargets(ctx, st.Step, c.facts())
		if res.NoTargets != "" && c.endNoTargets(ctx, st, res) {
			return
		}
		if res.Error != "" {
			c.failStep(ctx, st, res.Error)
			return
		}
		st.Targets = res.Targets
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := workflow.WithActivityOptions(dctx, containmentOptions(dctx))
	for _, t := range st.Targets {
		if hasResult(st, t) {
			continue // applied before a continue-as-new or a worker restart
		}
		in := containment.ApplyInput{
			IncidentID: c.IncidentID, StepID: st.Step.ID, Action: st.Step.Action, Params: st.Step.Params,
			Target: t, IdempotencyKey: st.IdempotencyKey + "/" + t.Key(),
		}
		// The lease first: of two incidents containing the same object, the one
		// that holds it makes (and may undo) the change; the other relies on it.
		holder := c.IncidentID
		if leases {
			var l incident.Lease
			lin := activities.AcquireLeaseInput{Object: leaseObject(t, st.Step.Action), IncidentID: c.IncidentID, StepID: st.Step.ID, Action: st.Step.Action}
			if err := workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, leaseOptions), la.AcquireContainmentLease, lin).Get(dctx, &l); err != nil {
				msg := fmt.Sprintf("%s: take the lease: %s", t, activityFailure(err))
				st.Errors = append(st.Errors, msg)
				c.record(TimelineContainmentFailed, SystemActor, fmt.Sprintf("step %s failed: %s", st.Step.ID, msg))
				continue
			}
			holder = l.IncidentID
		}
		if snapshots && !hasBeforeState(st, t) {
			c.snapshot(actx, st, t)
		}
		var res containment.ApplyResult
		if err := workflow.ExecuteActivity(actx, containment.ActivityApply, in).Get(actx, &res); err != nil {
			msg := failureMessage(ctx, "containment step "+st.Step.ID, err, activityFailure(err))
			st.Errors = append(st.Errors, msg)
			c.record(TimelineContainmentFailed, SystemActor, fmt.Sprintf("step %s failed: %s", st.Step.ID, msg))
			if leases && holder == c.IncidentID {
				c.letGo(dctx, leaseObject(t, st.Step.Action), "") // nothing of ours to hold
			}
			continue
		}
		if leases && holder != c.IncidentID && !res.Changed {
			// Another incident's change holds the object: rely on it, undo nothing.
			res.Note = strings.TrimSpace("already contained by " + holder + ". " + res.Note)
			st.Results = append(st.Results, res)
			c.Relies = append(c.Relies, Reliance{Step: i, Result: len(st.Results) - 1, Object: leaseObject(t, st.Step.Action), Holder: holder})
			c.record(TimelineContainmentApplied, SystemActor, fmt.Sprintf("step %s: %s on %s: already contained by %s; no undo registered: a rollback of this incident leaves it to %s",
				st.Step.ID, res.Action, res.Target, holder, holder))
			continue
		}
		st.Results = append(st.Results, res)
		// Register the undo right after the change succeeded (STYLE rule 5). A no-op
		// (target already in the wanted state) registers nothing: rollback must not
		// undo a state the incident did not create.
		if st.Step.Reversible && res.Changed {
			comp := Compensation{Step: i, Result: len(st.Results) - 1}
			switch {
			case leases && holder == c.IncidentID:
				comp.Object = leaseObject(t, st.Step.Action)
			case leases:
				// The holder's change was not in place (it failed, or is still on
				// its way): this change and its undo are this incident's own, and it
				// does not rely on the holder.
				c.letGo(dctx, leaseObject(t, st.Step.Action), "")
			}
			c.Compensations = append(c.Compensations, comp)
		} else if leases && holder == c.IncidentID {
			c.letGo(dctx, leaseObject(t, st.Step.Action), "") // already in place before this incident: not ours to hold
		}
		c.record(TimelineContainmentApplied, SystemActor, describeApply(st, res))
	}
	end := workflow.Now(ctx)
	st.FinishedAt = &end
	if len(st.Errors) > 0 {
		st.Status = StepFailed
	} else {
		st.Status = StepDone
	}
}

func (c *Containment) failStep(ctx workflow.Context, st *StepState, msg string) {
	now := workflow.Now(ctx)
	st.Errors = append(st.Errors, msg)
	st.Status = StepFailed
	st.FinishedAt = &now
	c.record(TimelineContainmentFailed, SystemActor, fmt.Sprintf("step %s failed: %s", st.Step.ID, msg))
}

func hasResult(st *StepState, t containment.Target) bool {
	for _, r := range st.Results {
		if r.Target == t {
			return true
		}
	}
	return false
}

// Rollback undoes every compensation not yet undone, newest first, on a disconnected
// context so that it also runs after the incident workflow was cancelled. A failed
// undo is reported and left registered, so a later rollback retries it; the others
// still run. No step starts after a rollback was requested.
func (c *Containment) Rollback(ctx workflow.Context, actor, reason string) (RollbackResult, error) {
	c.bind(nil, nil)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	c.rollingBack = true
	defer func() { c.rollingBack = false }()
	if c.RolledBack == nil {
		c.RolledBack = &RollbackRecord{Actor: actor, Reason: reason, At: workflow.Now(dctx)}
	}
	c.record(TimelineContainmentRollback, actor, "rollback requested"+reasonSuffix(reason))
	// A step in flight registers its compensation when it finishes; wait for it so
	// its change is undone too.
	if err := workflow.Await(dctx, func() bool { return !c.running }); err != nil {
		return RollbackResult{}, fmt.Errorf("wait for the running step: %w", err)
	}
	res := RollbackResult{Undone: []containment.UndoResult{}, Failed: []string{}, Kept: []string{}}
	actx := workflow.WithActivityOptions(dctx, containmentOptions(dctx))
	for k := len(c.Compensations) - 1; k >= 0; k-- {
		comp := &c.Compensations[k]
		if comp.Done {
			continue
		}
		st := &c.Steps[comp.Step]
		applied := st.Results[comp.Result]
		if comp.Object != "" {
			// Never undo a change another open incident relies on: pass it the
			// lease, with the change, and keep the object contained.
			rel, err := c.release(dctx, comp.Object, detailJSON(applied))
			if err != nil {
				msg := fmt.Sprintf("step %s: %s on %s: let go of the lease: %v", st.Step.ID, applied.Action, applied.Target, err)
				res.Failed = append(res.Failed, msg)
				c.record(TimelineContainmentFailed, actor, "rollback "+msg)
				continue
			}
			if other := otherHolder(rel, c.IncidentID); other != "" {
				comp.Done, comp.KeptFor = true, other
				msg := fmt.Sprintf("step %s: %s on %s kept: %s still relies on it (the lease passed to %s)", st.Step.ID, applied.Action, applied.Target, other, other)
				res.Kept = append(res.Kept, msg)
				c.record(TimelineContainmentRollback, actor, "not undone: "+msg)
				continue
			}
		}
		ur, err := c.undo(actx, st, applied)
		if err != nil {
			msg := fmt.Sprintf("step %s: undo %s on %s: %s", st.Step.ID, applied.Action, applied.Target,
				failureMessage(dctx, "undo of step "+st.Step.ID, err, err.Error()))
			res.Failed = append(res.Failed, msg)
			c.record(TimelineContainmentFailed, actor, "rollback "+msg)
			continue
		}
		comp.Done = true
		st.Undone = append(st.Undone, ur)
		res.Undone = append(res.Undone, ur)
		c.record(TimelineContainmentUndone, actor, describeUndo(st, ur))
	}
	c.rollbackRelies(dctx, actx, actor, &res)
	for i := range c.Steps {
		st := &c.Steps[i]
		switch {
		case st.Status == StepPending || st.Status == StepAwaitingApproval || st.Status == StepApproved:
			st.Status = StepCancelled
		case (st.Status == StepDone || st.Status == StepFailed) && len(st.Results) > 0:
			if !st.Step.Reversible {
				res.Kept = append(res.Kept, fmt.Sprintf("step %s (%s cannot be undone)", st.Step.ID, st.Step.Action))
			} else if c.allUndone(i) {
				st.Status = StepRolledBack
			}
		}
	}
	if len(res.Failed) == 0 {
		now := workflow.Now(dctx)
		c.RolledBack.Complete = true
		c.RolledBack.DoneAt = &now
	}
	c.record(TimelineContainmentRollback, actor, fmt.Sprintf("rollback finished: %d undone, %d failed, %d kept",
		len(res.Undone), len(res.Failed), len(res.Kept)))
	return res, nil
}

func (c *Containment) allUndone(step int) bool {
	for _, comp := range c.Compensations {
		if comp.Step == step && (!comp.Done || comp.KeptFor != "") {
			return false
		}
	}
	for _, r := range c.Relies {
		if r.Step == step && !r.Undone {
			return false
		}
	}
	return true
}

// undo runs the undo activity for one applied change.
func (c *Containment) undo(actx workflow.Context, st *StepState, applied containment.ApplyResult) (containment.UndoResult, error) {
	in := containment.UndoInput{IncidentID: c.IncidentID, Applied: applied,
		IdempotencyKey: st.IdempotencyKey + "/undo/" + applied.Target.Key()}
	var ur containment.UndoResult
	err := workflow.ExecuteActivity(actx, containment.ActivityUndo, in).Get(actx, &ur)
	return ur, err
}

// rollbackRelies lets go of the objects this incident relied on. It undoes one only
// when the lease passed to this incident (its holder rolled back) and nobody else
// relies on it; otherwise the change stays, for the incident that holds it.
func (c *Containment) rollbackRelies(dctx, actx workflow.Context, actor string, res *RollbackResult) {
	for k := len(c.Relies) - 1; k >= 0; k-- {
		r := &c.Relies[k]
		if r.Done {
			continue
		}
		st := &c.Steps[r.Step]
		applied := st.Results[r.Result]
		if r.Applied == "" {
			rel, err := c.release(dctx, r.Object, "")
			if err != nil {
				msg := fmt.Sprintf("step %s: %s on %s: let go of the lease: %v", st.Step.ID, applied.Action, applied.Target, err)
				res.Failed = append(res.Failed, msg)
				c.record(TimelineContainmentFailed, actor, "rollback "+msg)
				continue
			}
			if other := otherHolder(rel, c.IncidentID); other != "" {
				r.Done = true
				msg := fmt.Sprintf("step %s: %s on %s kept: %s still relies on it (it holds the lease)", st.Step.ID, applied.Action, applied.Target, other)
				res.Kept = append(res.Kept, msg)
				c.record(TimelineContainmentRollback, actor, "not undone: "+msg)
				continue
			}
			if !rel.Held || rel.Applied == "" {
				// Nobody holds it any more and no change came with it: nothing to undo.
				r.Done = true
				c.record(TimelineContainmentRollback, actor, fmt.Sprintf("step %s: %s on %s: %s's change was already let go; nothing to undo", st.Step.ID, applied.Action, applied.Target, r.Holder))
				continue
			}
			r.Applied = rel.Applied
		}
		// The lease passed to this incident and it is the last: undo the holder's change.
		var theirs containment.ApplyResult
		if err := json.Unmarshal([]byte(r.Applied), &theirs); err != nil {
			msg := fmt.Sprintf("step %s: %s on %s: the change passed with the lease cannot be read: %v", st.Step.ID, applied.Action, applied.Target, err)
			res.Failed = append(res.Failed, msg)
			c.record(TimelineContainmentFailed, actor, "rollback "+msg)
			continue
		}
		ur, err := c.undo(actx, st, theirs)
		if err != nil {
			msg := fmt.Sprintf("step %s: undo %s on %s: %v", st.Step.ID, theirs.Action, theirs.Target, err)
			res.Failed = append(res.Failed, msg)
			c.record(TimelineContainmentFailed, actor, "rollback "+msg)
			continue
		}
		r.Done, r.Undone, r.Applied = true, true, ""
		st.Undone = append(st.Undone, ur)
		res.Undone = append(res.Undone, ur)
		c.record(TimelineContainmentUndone, actor, describeUndo(st, ur)+" (the change "+r.Holder+" made, passed to this incident with its lease)")
	}
}

// release lets this incident go of an object's lease.
func (c *Containment) release(dctx workflow.Context, object, applied string) (incident.LeaseRelease, error) {
	var rel incident.LeaseRelease
	in := activities.ReleaseLeaseInput{Object: object, IncidentID: c.IncidentID, Applied: applied}
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(dctx, leaseOptions), la.ReleaseContainmentLease, in).Get(dctx, &rel)
	if err != nil {
		return rel, errors.New(activityFailure(err))
	}
	return rel, nil
}

// letGo releases a lease the incident took but has no change of its own under. A
// failure is only logged: the lease then names this incident as holding a change
// that is not its own, which a later rollback of it releases.
func (c *Containment) letGo(dctx workflow.Context, object, applied string) {
	if _, err := c.release(dctx, object, applied); err != nil {
		workflow.GetLogger(dctx).Warn("Containment lease not released", "object", object, "error", err)
	}
}

// leaseObject names the lease of one containment of one Zendesk object: the object
// and the action, since a user can be both suspended and downgraded, each by another
// incident, and each undone on its own.
func leaseObject(t containment.Target, action string) string {
	return t.Key() + "/" + action
}

// otherHolder is the incident other than self that holds the lease after a release.
func otherHolder(rel incident.LeaseRelease, self string) string {
	if rel.PassedTo != "" {
		return rel.PassedTo
	}
	if rel.Holder != "" && rel.Holder != self {
		return rel.Holder
	}
	return ""
}

func (c *Containment) find(id string) (*StepState, error) {
	ids := make([]string, len(c.Steps))
	for i := range c.Steps {
		if c.Steps[i].Step.ID == id {
			return &c.Steps[i], nil
		}
		ids[i] = c.Steps[i].Step.ID
	}
	return nil, fmt.Errorf("step: unknown step %q (steps: %s)", id, strings.Join(ids, ", "))
}

func (c *Containment) validateApprove(ctx workflow.Context, req ApproveStepRequest) error {
	if err := checkBy(c.requireBy, req.By, req.Actor); err != nil {
		return err
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor: required: approvals are attributed to a person")
	}
	st, err := c.find(req.Step)
	if err != nil {
		return err
	}
	if c.halted() {
		return conflictf("step: containment was rolled back; no step can be approved")
	}
	if !st.Step.NeedsApproval {
		return fmt.Errorf("step: step %q (%s) does not need approval", req.Step, st.Step.Action)
	}
	if st.Status != StepPending && st.Status != StepAwaitingApproval {
		return conflictf("step: step %q is %s, not waiting for approval", req.Step, st.Status)
	}
	// Separation of duties (the playbook's distinct_approver and approvals).
	if st.Step.DistinctApprover && req.Actor == c.declaredBy {
		return fmt.Errorf("step: %s declared this incident and may not approve step %q (distinct_approver): another person must", req.Actor, req.Step)
	}
	for _, a := range st.Approvals {
		if a.Actor == req.Actor {
			return conflictf("step: %s already approved step %q; it needs %d distinct approvers", req.Actor, req.Step, st.Step.RequiredApprovals())
		}
	}
	return nil
}

func (c *Containment) approve(ctx workflow.Context, req ApproveStepRequest) (StepState, error) {
	c.heard(req.By)
	st, err := c.find(req.Step)
	if err != nil {
		return StepState{}, err
	}
	now := workflow.Now(ctx)
	if need := st.Step.RequiredApprovals(); need > 1 {
		a := incident.Approval{Actor: req.Actor, Reason: req.Reason, At: now}
		if req.By != nil {
			a.Via, a.ExternalID = req.By.Via, req.By.ExternalID
		}
		st.Approvals = append(st.Approvals, a)
		if len(st.Approvals) < need {
			c.record(TimelineContainmentApproved, req.Actor, fmt.Sprintf("approval %d of %d for step %s (%s)%s; waiting for another approver",
				len(st.Approvals), need, st.Step.ID, st.Step.Action, reasonSuffix(req.Reason)))
			return *st, nil
		}
	}
	st.Status = StepApproved
	st.ApprovedBy, st.ApprovalReason, st.ApprovedAt = req.Actor, req.Reason, &now
	// Freeze the targets: the approver approves acting on exactly these objects.
	if len(st.Targets) == 0 {
		if res := resolveTargets(ctx, st.Step, c.facts()); res.Error == "" {
			st.Targets = res.Targets
		}
	}
	c.record(TimelineContainmentApproved, req.Actor, fmt.Sprintf("approved step %s (%s) on %s%s",
		st.Step.ID, st.Step.Action, targetList(st.Targets), reasonSuffix(req.Reason)))
	return *st, nil
}

func (c *Containment) validateSkip(ctx workflow.Context, req SkipStepRequest) error {
	if err := checkBy(c.requireBy, req.By, req.Actor); err != nil {
		return err
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor: required: skips are attributed to a person")
	}
	st, err := c.find(req.Step)
	if err != nil {
		return err
	}
	switch st.Status {
	case StepPending, StepAwaitingApproval, StepApproved:
		return nil
	default:
		return conflictf("step: step %q is %s and can no longer be skipped", req.Step, st.Status)
	}
}

func (c *Containment) skip(ctx workflow.Context, req SkipStepRequest) (StepState, error) {
	c.heard(req.By)
	st, err := c.find(req.Step)
	if err != nil {
		return StepState{}, err
	}
	now := workflow.Now(ctx)
	st.Status = StepSkipped
	st.SkippedBy, st.SkipReason, st.FinishedAt = req.Actor, req.Reason, &now
	c.record(TimelineContainmentSkipped, req.Actor, fmt.Sprintf("skipped step %s (%s)%s",
		st.Step.ID, st.Step.Action, reasonSuffix(req.Reason)))
	return *st, nil
}

func (c *Containment) validateRollback(ctx workflow.Context, req RollbackRequest) error {
	if err := checkBy(c.requireBy, req.By, req.Actor); err != nil {
		return err
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor: required: a rollback is attributed to a person")
	}
	if c.rollingBack {
		return conflictf("rollback: a rollback is already running")
	}
	if c.RolledBack != nil && c.RolledBack.Complete {
		return conflictf("rollback: containment was already rolled back")
	}
	return nil
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

func targetList(ts []containment.Target) string {
	if len(ts) == 0 {
		return "targets resolved when it runs"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.String()
	}
	return strings.Join(s, ", ")
}

// describeApply renders a result for the timeline: a sentence, then the result as
// JSON (before/after state, request ids, time) so the timeline is the full record.
func describeApply(st *StepState, r containment.ApplyResult) string {
	verb := "changed"
	switch {
	case !r.Changed && r.Note != "":
		// Not "already in place": Zendesk may have refused (set_random_password
		// where admins cannot set passwords), and the note says why.
		verb = "nothing changed: " + r.Note
	case !r.Changed:
		verb = "already in place, nothing changed"
	}
	b := detailJSON(struct {
		Before     containment.State `json:"before,omitempty"`
		After      containment.State `json:"after,omitempty"`
		RequestIDs []string          `json:"request_ids,omitempty"`
		At         time.Time         `json:"at"`
		Note       string            `json:"note,omitempty"`
	}{r.Before, r.After, r.RequestIDs, r.At, r.Note})
	by := ""
	if st.ApprovedBy != "" {
		by = " (approved by " + st.ApprovedBy + ")"
	}
	return fmt.Sprintf("step %s: %s on %s: %s%s %s", st.Step.ID, r.Action, r.Target, verb, by, b)
}

func describeUndo(st *StepState, r containment.UndoResult) string {
	verb := "restored"
	if !r.Changed {
		verb = "already restored, nothing changed"
	}
	b := detailJSON(struct {
		Before     containment.State `json:"before,omitempty"`
		After      containment.State `json:"after,omitempty"`
		RequestIDs []string          `json:"request_ids,omitempty"`
		At         time.Time         `json:"at"`
	}{r.Before, r.After, r.RequestIDs, r.At})
	return fmt.Sprintf("step %s undone: %s on %s: %s %s", st.Step.ID, r.Action, r.Target, verb, b)
}

// detailJSON renders result details for a timeline entry. State comes from decoded
// JSON, so encoding cannot fail in practice; if it ever does, the entry says so
// rather than dropping the details silently.
func detailJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, "encode details: "+err.Error())
	}
	return string(b)
}

// activityFailure is the message of an activity's own error, without the layers of
// "activity error (type: ..., scheduledEventID: ...)" the SDK wraps around it: that
// is what a responder reads in the timeline.
func activityFailure(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Message() != "" {
		return app.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "timed out: " + te.Error()
	}
	return err.Error()
}
