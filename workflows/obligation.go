package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/incident"
	"irflow/internal/notify"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// Message names of the obligation clock, next to the code that handles them.
const (
	// MarkFulfilledUpdate records that the notice was given. An Update, not a Signal,
	// because the responder must hear back when it is rejected (late without reasons).
	MarkFulfilledUpdate = "mark_fulfilled"
	// SetTriggerUpdate moves the clock's trigger instant (legal decides awareness was
	// earlier or later) and re-arms the clock.
	SetTriggerUpdate = "set_trigger"
	// PauseUpdate stops the clock for a law-enforcement delay, with reason and expiry.
	PauseUpdate = "pause"
	// ResumeUpdate restarts a paused clock; the deadline moves by the time paused.
	ResumeUpdate = "resume"
	// WaiveUpdate closes the clock without a notice (e.g. risk assessed unlikely).
	WaiveUpdate = "waive"
	// ClockQuery returns the clock's state with the time left.
	ClockQuery = "clock"

	// ObligationEventSignal is sent to the parent (incident) workflow after every
	// reminder and state change, so the incident timeline records it.
	ObligationEventSignal = "obligation_event"
	// PredecessorFulfilledSignal tells a chained clock that the obligation it runs
	// from was fulfilled (the parent forwards the predecessor's fulfilled event;
	// workflows cannot send each other Updates).
	PredecessorFulfilledSignal = "predecessor_fulfilled"
	// RearmSignal is set_trigger sent by the parent after set_facts moved a trigger.
	RearmSignal = "rearm"
	// RetireSignal tells the clock that recomputed facts no longer require it.
	RetireSignal = "retire"
	// AssessedSignal tells the clock that recomputed facts changed whether its
	// obligation needs assessment (Assessment): an answered question, or a new one.
	AssessedSignal = "assessed"
)

// ObligationClockWorkflowID is the id of the clock of obligationID in incidentID, so
// the CLI and the parent can address a clock directly.
func ObligationClockWorkflowID(incidentID, obligationID string) string {
	return incidentID + "/obligation/" + obligationID
}

// ObligationClockInput starts one obligation clock.
type ObligationClockInput struct {
	IncidentID string                 `json:"incident_id"`
	Obligation obligations.Obligation `json:"obligation"`
	// Spec is the obligation's deadline rule (Obligation.Spec does not travel in
	// JSON); NewObligationClockInput copies it.
	Spec obligations.Spec `json:"spec"`
	// Authenticated is true when the incident was declared by a verified identity:
	// the clock's Updates then need one too.
	Authenticated bool `json:"authenticated,omitempty"`
	// State carries the clock across continue-as-new; nil on first start.
	State *ClockState `json:"state,omitempty"`
}

// NewObligationClockInput builds the input of the clock for o, computed by
// obligations.Compute.
func NewObligationClockInput(incidentID string, o obligations.Obligation) ObligationClockInput {
	in := ObligationClockInput{IncidentID: incidentID, Obligation: o}
	if o.Spec != nil {
		in.Spec = *o.Spec
	}
	return in
}

// PredecessorFulfilled is the payload of the predecessor_fulfilled signal.
type PredecessorFulfilled struct {
	ObligationID string    `json:"obligation_id"`
	At           time.Time `json:"at"`
}

// RetireRequest is the payload of the retire signal.
type RetireRequest struct {
	Reason string `json:"reason"`
}

// ObligationClockResult is how the clock ended.
type ObligationClockResult struct {
	ObligationID  string            `json:"obligation_id"`
	Status        string            `json:"status"`
	DueAt         *time.Time        `json:"due_at"`
	Fulfilment    *Fulfilment       `json:"fulfilment,omitempty"`
	Waiver        *Waiver           `json:"waiver,omitempty"`
	RemindersSent []SentReminder    `json:"reminders_sent"`
	History       []ObligationEvent `json:"history"`
}

// clock is the running workflow's state and its collaborators.
type clock struct {
	ctx workflow.Context
	st  *ClockState
	// signalling counts events sent to the parent and not yet delivered.
	signalling int
	// version changes on every mutation, waking the timer loop.
	version int
	// rows is true when the clock writes its store row (versionClockRows); saved is
	// the last revision the store has.
	rows  bool
	saved int64
	// in is the clock's input; heardAs is each verified actor as they last
	// acted (channel and their id in it), by irflow user id.
	in      ObligationClockInput
	heardAs map[string]incident.Actor
}

// heard remembers the channel a verified actor acted through and their id in it.
func (c *clock) heard(by *incident.Actor) {
	if by != nil {
		c.heardAs[by.ID] = *by
	}
}

// ObligationClock runs the deadline clock of one notification obligation as a child
// of the incident workflow: durable timers fire reminders (by default at half time,
// 24 h, 4 h and 1 h before, at due, then daily while overdue), and Updates record
// fulfilment, move the trigger, pause for law enforcement, or waive. It ends when the
// obligation is fulfilled, waived or retired.
func ObligationClock(ctx workflow.Context, in ObligationClockInput) (*ObligationClockResult, error) {
	c := &clock{ctx: ctx, in: in, heardAs: map[string]incident.Actor{}}
	fresh := in.State == nil
	if fresh {
		o := in.Obligation
		if o.ID == "" {
			return nil, temporal.NewNonRetryableApplicationError("obligation clock: obligation id is empty", "BadInput", nil)
		}
		c.st = &ClockState{
			IncidentID: in.IncidentID, Obligation: o, Spec: in.Spec,
			TriggerAt: o.TriggerAt, DueAt: o.DueAt, BackstopAt: in.Spec.BackstopAt,
			ArmedAt: workflow.Now(ctx), Sent: map[string]bool{},
		}
		c.st.Refresh(workflow.Now(ctx))
	} else {
		c.st = in.State
	}
	if c.st.Sent == nil {
		c.st.Sent = map[string]bool{}
	}
	// Handlers first, before anything can block: an Update that arrives with the
	// first workflow task must find its handler.
	if err := c.registerHandlers(); err != nil {
		return nil, err
	}
	c.listenSignals()
	// Clocks started by this release write their row to the store on every change
	// and signal their dependants themselves; clocks already running keep their old
	// behaviour until they continue-as-new.
	if workflow.GetVersion(ctx, versionClockRows, workflow.DefaultVersion, 1) == 1 {
		c.rows = true
		workflow.Go(ctx, c.persistLoop)
	}
	// Clocks started by this release collapse the reminders that fell due before
	// they could be sent into one notice (issue 17 item 1); clocks already running
	// keep the old schedule.
	catchup := workflow.GetVersion(ctx, versionReminderCatchup, workflow.DefaultVersion, 1) == 1
	if fresh {
		o := c.st.Obligation
		due := "no fixed deadline: " + o.DueText
		if o.DueAt != nil {
			due = "due " + o.DueAt.UTC().Format(time.RFC3339)
		}
		c.record(EventArmed, "", fmt.Sprintf("clock armed for %s (%s): %s", o.ID, o.Citation, due))
	}
	c.dirty()

	for !c.st.Terminal() {
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Long overdue clocks remind daily without end; keep history bounded. Like
			// completion, continue-as-new waits for events in flight to the parent and
			// for the store to have the last row.
			quiet := func() bool { return workflow.AllHandlersFinished(ctx) }
			if workflow.GetVersion(ctx, versionClockQuietCAN, workflow.DefaultVersion, 1) == 1 {
				quiet = func() bool { return workflow.AllHandlersFinished(ctx) && c.signalling == 0 && c.saved == c.st.Revision }
			}
			if err := workflow.Await(ctx, quiet); err != nil {
				return nil, err
			}
			next := in
			next.State = c.st
			return nil, workflow.NewContinueAsNewError(ctx, ObligationClock, next)
		}
		seen := c.version
		changed := func() bool { return c.version != seen }
		now := workflow.Now(ctx)

		if p := c.st.Paused; p != nil {
			expired, err := c.wait(p.Until.Sub(now), changed)
			if err != nil {
				return nil, err
			}
			if expired {
				c.resume(ResumeRequest{Reason: "law-enforcement delay expired", Actor: "irflow"})
			}
			continue
		}
		if c.st.TriggerAt == nil || c.st.DueAt == nil {
			// No clock to run yet (awaiting a trigger or predecessor), or none at all
			// ("without undue delay"): wait for an update or signal.
			if err := workflow.Await(ctx, changed); err != nil {
				return nil, err
			}
			continue
		}
		r, ok, err := c.nextReminder(catchup, now)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("obligation clock: "+err.Error(), "BadReminders", err)
		}
		if !ok {
			if err := workflow.Await(ctx, changed); err != nil {
				return nil, err
			}
			continue
		}
		fired, err := c.wait(r.At.Sub(now), changed)
		if err != nil {
			return nil, err
		}
		if fired {
			c.remind(r, catchup)
		}
	}
	// The clocks chained to this one start from its fulfilment: tell them directly,
	// so a chain works after the incident workflow has ended (closing an incident
	// never ends a legal duty).
	if c.rows && c.st.Fulfilment != nil {
		c.signalDependants()
	}
	// A signal still in flight is dropped by the server once this workflow closes, so
	// the parent would never hear of the fulfilment: wait for deliveries too, and for
	// the store to have the final row.
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && c.signalling == 0 && c.saved == c.st.Revision
	}); err != nil {
		return nil, err
	}
	st := c.st
	return &ObligationClockResult{
		ObligationID: st.ID(), Status: st.Status, DueAt: st.DueAt, Fulfilment: st.Fulfilment,
		Waiver: st.Waiver, RemindersSent: st.RemindersSent, History: st.History,
	}, nil
}

// nextReminder is the reminder to wait for, or to send now. Clocks from before
// versionReminderCatchup look from the arming with the old arithmetic. Newer ones
// look from the due date when armed after it (so the clock says at once that the
// duty is overdue), or from the last reminder sent, and a reminder already due
// stands for every one before it.
func (c *clock) nextReminder(catchup bool, now time.Time) (obligations.Catchup, bool, error) {
	st := c.st
	sent := func(k string) bool { return st.Sent[k] }
	rem := st.Spec.Reminders.Resolve()
	if !catchup {
		r, ok, err := obligations.NextReminderV0(*st.TriggerAt, *st.DueAt, rem, st.ArmedAt, sent)
		return obligations.Catchup{Reminder: r, Since: r.At}, ok, err
	}
	from := st.ArmedAt
	if st.DueAt.Before(from) && len(st.Sent) == 0 {
		// Armed after its due date and nothing sent since: the reminders from the
		// due date on fell due before the clock ran. (A clock of an older release
		// that continued as new has sent its own since and keeps looking from its
		// arming, so the upgrade sends it no surprise notice.)
		from = *st.DueAt
	}
	if st.RemindFrom != nil && st.RemindFrom.After(from) {
		from = *st.RemindFrom
	}
	return obligations.NextDue(*st.TriggerAt, *st.DueAt, rem, from, now, sent)
}

// wait sleeps for d unless changed becomes true first; it reports whether the full
// time elapsed. This is the updatable-timer idiom: a moved trigger or a pause wakes
// the loop, which re-plans.
func (c *clock) wait(d time.Duration, changed func() bool) (bool, error) {
	if d <= 0 {
		return !changed(), nil
	}
	woke, err := workflow.AwaitWithTimeout(c.ctx, d, changed)
	if err != nil {
		return false, err
	}
	return !woke, nil
}

func (c *clock) bump() {
	c.version++
	c.st.Refresh(workflow.Now(c.ctx))
	c.dirty()
}

// Version change ids of the clock workflow.
const (
	// versionClockRows: the clock writes its store row and signals its dependants.
	versionClockRows = "clock-store-rows"
	// versionClockQuietCAN: continue-as-new waits for parent signals and the store.
	versionClockQuietCAN = "clock-quiet-continue-as-new"
	// versionPredecessorDedupe: a repeated predecessor_fulfilled is ignored.
	versionPredecessorDedupe = "clock-predecessor-dedupe"
	// versionReminderCatchup: overdue steps are counted without overflow, and the
	// reminders that fell due before the clock could send them (a trigger long past,
	// an outage) are one "overdue since" notice (issue 17 item 1).
	versionReminderCatchup = "clock-reminder-catchup"
	// versionRearmDueText: a re-arm from the incident carries the obligation's due
	// text as recomputed with the new trigger, and the clock keeps it, so a clock
	// armed before its trigger was known no longer says "aware_at is not in the
	// facts" once it is. Asked only when the request carries a text.
	versionRearmDueText = "clock-rearm-due-text"
	// versionFulfilledEventAt: the fulfilled event carries the instant the notice
	// was given (issue 10), so the parent chains from it rather than from the
	// instant the fulfilment was recorded.
	versionFulfilledEventAt = "clock-fulfilled-event-at"
)

// dirty marks the clock's row for saving.
func (c *clock) dirty() {
	if c.rows {
		c.st.Revision++
	}
}

// awaitSaved blocks an Update handler until the store has the clock's row as the
// handler left it, so a caller that reads the store next sees its own change.
func (c *clock) awaitSaved(ctx workflow.Context) {
	if !c.rows {
		return
	}
	rev := c.st.Revision
	_ = workflow.Await(ctx, func() bool { return c.saved >= rev })
}

// row is the clock's store row as it stands.
func (c *clock) row() incident.ObligationRecord {
	st := c.st
	o := st.Obligation
	r := incident.ObligationRecord{
		IncidentID: st.IncidentID, ObligationID: o.ID, ClockWorkflowID: workflow.GetInfo(c.ctx).WorkflowExecution.ID,
		Rule: o.Rule, Jurisdiction: o.Jurisdiction, Audience: o.Audience, Verification: o.Verification,
		Status: st.Status, TriggerAt: st.TriggerAt, DueAt: st.DueAt, Revision: st.Revision,
		UpdatedAt: workflow.Now(c.ctx).UTC(), Clock: *st,
	}
	if o.DependsOn != nil {
		r.DependsOn = *o.DependsOn
	}
	if st.Fulfilment != nil {
		at := st.Fulfilment.At
		r.FulfilledAt = &at
	}
	return r
}

// persistLoop is the clock's single writer to the store: it saves the row whenever
// the revision moved, batching changes made while a save ran. It runs on a
// disconnected context so a cancelled clock still records how it ended.
func (c *clock) persistLoop(ctx workflow.Context) {
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 10 * time.Second},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return c.st.Revision > c.saved }); err != nil {
			return
		}
		rev := c.st.Revision
		err := workflow.ExecuteActivity(actx, a.SaveObligation, activities.SaveObligationInput{Record: c.row()}).Get(ctx, nil)
		if err != nil {
			// Only a non-retryable failure gets here; try again later rather than
			// spin, and keep the clock running: its timers matter more than the row.
			workflow.GetLogger(ctx).Error("Saving obligation row failed", "obligation_id", c.st.ID(), "error", err)
			_ = workflow.Sleep(ctx, time.Minute)
			continue
		}
		c.saved = rev
	}
}

// signalDependants tells every running clock chained to this one that it was
// fulfilled, at the instant the notice was given. The store names them; a clock
// that has ended or is gone is logged and skipped.
func (c *clock) signalDependants() {
	ctx := c.ctx
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 10 * time.Second, MaximumAttempts: 20},
	})
	self := workflow.GetInfo(ctx).WorkflowExecution.ID
	var deps activities.ObligationDependantsResult
	err := workflow.ExecuteActivity(actx, a.ObligationDependants, activities.ObligationDependantsInput{
		IncidentID: c.st.IncidentID, ObligationID: c.st.ID(), Self: self,
	}).Get(ctx, &deps)
	if err != nil {
		c.record(EventIgnored, "", fmt.Sprintf("cannot find the clocks chained to %s: %v", c.st.ID(), err))
		c.bump()
		return
	}
	msg := PredecessorFulfilled{ObligationID: c.st.ID(), At: c.st.Fulfilment.At}
	for _, id := range deps.ClockWorkflowIDs {
		if err := workflow.SignalExternalWorkflow(ctx, id, "", PredecessorFulfilledSignal, msg).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("predecessor_fulfilled not delivered", "clock_workflow_id", id, "error", err)
		}
	}
}

// catalogueDelay is the law-enforcement delay provision of rule in the embedded
// catalogue, or nil.
func catalogueDelay(rule string) *regimes.Delay {
	cat, err := loadCatalogue()
	if err != nil {
		return nil
	}
	r, ok := cat.Rule(rule)
	if !ok {
		return nil
	}
	return r.LawEnforcementDelay
}

// record appends an event to the history and tells the parent, if any.
func (c *clock) record(kind, actor, text string) { c.recordEvent(c.event(kind, actor, text)) }

// event is an event of this clock happening now.
func (c *clock) event(kind, actor, text string) ObligationEvent {
	ev := ObligationEvent{ObligationID: c.st.ID(), Kind: kind, At: workflow.Now(c.ctx), Actor: actor, Text: text}
	if a, ok := c.heardAs[actor]; ok {
		ev.Via, ev.ExternalID = a.Via, a.ExternalID
	}
	return ev
}

// recordEvent appends ev to the history and tells the parent, if any.
func (c *clock) recordEvent(ev ObligationEvent) {
	c.st.History = append(c.st.History, ev)
	parent := workflow.GetInfo(c.ctx).ParentWorkflowExecution
	if parent == nil {
		return
	}
	// RunID "" targets the parent's current run, which may have continued-as-new.
	// record is called from Update handlers as well as the main loop, so it must not
	// block on the root context: the delivery is awaited in its own coroutine. A
	// closed incident (the clock outlives it) cannot be signalled; that is logged.
	f := workflow.SignalExternalWorkflow(c.ctx, parent.ID, "", ObligationEventSignal, ev)
	c.signalling++
	workflow.Go(c.ctx, func(ctx workflow.Context) {
		defer func() { c.signalling-- }()
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("obligation event not delivered to the incident workflow",
				"obligation_id", ev.ObligationID, "kind", ev.Kind, "error", err)
		}
	})
}

// remind sends reminder r through the SendReminder activity and records it.
func (c *clock) remind(cu obligations.Catchup, catchup bool) {
	r := cu.Reminder
	st := c.st
	st.Sent[r.Key] = true
	if catchup {
		at := r.At
		st.RemindFrom = &at
	}
	o := st.Obligation
	due := st.DueAt.UTC().Format(time.RFC3339)
	var text string
	switch {
	case catchup && (r.Kind == notify.KindOverdue || (r.Kind == notify.KindDue && workflow.Now(c.ctx).Sub(*st.DueAt) >= time.Minute)):
		// Armed or woken after the due date: say how late, in days when long.
		text = fmt.Sprintf("%s (%s, %s) is overdue since %s (%s late); a late notice must give reasons.", o.ID, o.Title, o.Citation, due, lateness(*st.DueAt, workflow.Now(c.ctx)))
	case r.Kind == notify.KindDue:
		text = fmt.Sprintf("%s (%s, %s) is due now (%s).", o.ID, o.Title, o.Citation, due)
	case r.Kind == notify.KindOverdue:
		text = fmt.Sprintf("%s (%s, %s) is overdue since %s (%s late); a late notice must give reasons.", o.ID, o.Title, o.Citation, due, r.At.Sub(*st.DueAt))
	default:
		text = fmt.Sprintf("%s (%s, %s) is due %s: %s left.", o.ID, o.Title, o.Citation, due, st.DueAt.Sub(r.At))
	}
	if cu.Missed > 0 {
		text += fmt.Sprintf(" This notice stands for %d earlier reminders that fell due from %s, which are not sent.", cu.Missed, cu.Since.UTC().Format(time.RFC3339))
	}
	if o.Verification != "verified" {
		text += " The reference marks this rule " + o.Verification + "."
	}
	notice := notify.Notice{
		// Stable across retries and replays: incident, obligation, arming, reminder.
		Key:        fmt.Sprintf("%s/%s/%d/%s", st.IncidentID, o.ID, st.Arming, r.Key),
		IncidentID: st.IncidentID, ObligationID: o.ID, Rule: o.Rule, Kind: r.Kind, Text: text,
		DueAt: st.DueAt, At: r.At,
	}
	actx := workflow.WithActivityOptions(c.ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 15 * time.Minute, // a reminder later than this is stale
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute},
	})
	var ra *activities.NotifyActivities
	err := workflow.ExecuteActivity(actx, ra.SendReminder, activities.SendReminderInput{Notice: notice}).Get(c.ctx, nil)
	if err != nil {
		// A failed reminder must not stop the clock; the timeline shows the gap.
		c.record(EventReminderFailed, "", fmt.Sprintf("%s reminder %s not delivered: %s", o.ID, r.Key,
			failureMessage(c.ctx, "reminder "+r.Key, err, err.Error())))
		c.bump()
		return
	}
	st.RemindersSent = append(st.RemindersSent, SentReminder{Key: r.Key, Kind: r.Kind, At: r.At, SentAt: workflow.Now(c.ctx), DueAt: st.DueAt, Missed: cu.Missed})
	c.record(r.Kind, "", text)
	c.bump()
}

// rearm recomputes the due date from a new trigger instant and restarts reminders.
func (c *clock) rearm(req SetTriggerRequest) error {
	st := c.st
	old := "unknown"
	if req.Field == st.Spec.BackstopField && req.Field != st.Obligation.Trigger {
		if st.BackstopAt != nil {
			old = st.BackstopAt.UTC().Format(time.RFC3339)
		}
		at := req.At
		st.BackstopAt = &at
	} else {
		if st.TriggerAt != nil {
			old = st.TriggerAt.UTC().Format(time.RFC3339)
		}
		at := req.At
		st.TriggerAt = &at
	}
	if st.TriggerAt != nil {
		due, err := c.computeDue(*st.TriggerAt)
		if err != nil {
			return err
		}
		st.DueAt = due
	}
	if req.DueText != "" && workflow.GetVersion(c.ctx, versionRearmDueText, workflow.DefaultVersion, 1) == 1 {
		st.Obligation.DueText = req.DueText
	}
	st.Sent = map[string]bool{}
	st.RemindFrom = nil // only clocks of versionReminderCatchup set it
	st.Arming++
	st.ArmedAt = workflow.Now(c.ctx)
	due := "no fixed deadline"
	if st.DueAt != nil {
		due = "now due " + st.DueAt.UTC().Format(time.RFC3339)
	}
	c.record(EventTriggerMoved, req.Actor, fmt.Sprintf("%s moved from %s to %s (%s); %s", req.Field, old, req.At.UTC().Format(time.RFC3339), req.Reason, due))
	c.bump()
	return nil
}

// computeDue evaluates the deadline rule inside SideEffect: the result depends on
// time-zone data, which can differ between worker hosts, so it is recorded in history
// once rather than recomputed on replay.
func (c *clock) computeDue(trigger time.Time) (*time.Time, error) {
	spec := c.st.Spec
	spec.BackstopAt = c.st.BackstopAt
	type result struct {
		Due *time.Time
		Err string
	}
	var res result
	err := workflow.SideEffect(c.ctx, func(workflow.Context) any {
		d, err := spec.Due(trigger)
		if err != nil {
			return result{Err: err.Error()}
		}
		return result{Due: d}
	}).Get(&res)
	if err != nil {
		return nil, err
	}
	if res.Err != "" {
		return nil, errors.New(res.Err)
	}
	if res.Due != nil && c.st.Extension > 0 {
		d := res.Due.Add(c.st.Extension)
		res.Due = &d
	}
	return res.Due, nil
}

func (c *clock) resume(req ResumeRequest) {
	st := c.st
	paused := workflow.Now(c.ctx).Sub(st.Paused.At)
	st.Extension += paused
	if st.DueAt != nil {
		d := st.DueAt.Add(paused)
		st.DueAt = &d
	}
	st.Paused = nil
	st.ArmedAt = workflow.Now(c.ctx)
	due := "no due date"
	if st.DueAt != nil {
		due = "due moved by " + paused.String() + " to " + st.DueAt.UTC().Format(time.RFC3339)
	}
	c.record(EventResumed, req.Actor, fmt.Sprintf("clock resumed (%s); %s", req.Reason, due))
	c.bump()
}

func (c *clock) registerHandlers() error {
	ctx := c.ctx
	st := func() *ClockState { return c.st }
	// The same view the store's readers compute from a clock's row.
	if err := workflow.SetQueryHandler(ctx, ClockQuery, func() (ClockView, error) {
		return st().View(workflow.Now(ctx)), nil
	}); err != nil {
		return err
	}
	handlers := []struct {
		name    string
		handler any
		valid   any
	}{
		{MarkFulfilledUpdate,
			func(ctx workflow.Context, req MarkFulfilledRequest) (ClockState, error) {
				c.heard(req.By)
				now := workflow.Now(ctx)
				at := req.At
				if at.IsZero() {
					at = now
				}
				c.st.Fulfilment = &Fulfilment{At: at, Actor: req.Actor, Reference: req.Reference, Attachment: req.Attachment, LateReason: req.LateReason, RecordedAt: now}
				c.st.Status = obligations.StatusFulfilled
				text := fmt.Sprintf("%s fulfilled at %s (reference %s)", c.st.ID(), at.UTC().Format(time.RFC3339), req.Reference)
				if req.LateReason != "" {
					text += "; late, because: " + req.LateReason
				}
				ev := c.event(EventFulfilled, req.Actor, text)
				if workflow.GetVersion(ctx, versionFulfilledEventAt, workflow.DefaultVersion, 1) == 1 {
					// The parent starts the chained clocks from this instant, not from
					// the event's At (when the notice was recorded).
					ev.FulfilledAt = &at
				}
				c.recordEvent(ev)
				c.bump()
				c.awaitSaved(ctx)
				return *c.st, nil
			},
			func(ctx workflow.Context, req MarkFulfilledRequest) error {
				if err := checkBy(c.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				return c.st.ValidateMarkFulfilled(req, workflow.Now(ctx))
			}},
		{SetTriggerUpdate,
			func(ctx workflow.Context, req SetTriggerRequest) (ClockState, error) {
				c.heard(req.By)
				if err := c.rearm(req); err != nil {
					return ClockState{}, err
				}
				c.awaitSaved(ctx)
				return *c.st, nil
			},
			func(ctx workflow.Context, req SetTriggerRequest) error {
				if err := checkBy(c.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				return c.st.ValidateSetTrigger(req)
			}},
		{PauseUpdate,
			func(ctx workflow.Context, req PauseRequest) (ClockState, error) {
				c.heard(req.By)
				c.st.Paused = &Pause{Reason: req.Reason, Actor: req.Actor, At: workflow.Now(ctx), Until: req.Until}
				c.record(EventPaused, req.Actor, fmt.Sprintf("clock paused until %s: %s", req.Until.UTC().Format(time.RFC3339), req.Reason))
				c.bump()
				c.awaitSaved(ctx)
				return *c.st, nil
			},
			func(ctx workflow.Context, req PauseRequest) error {
				if err := checkBy(c.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				st := *c.st
				if st.Obligation.LawEnforcementDelay == nil {
					// A clock started before obligations carried their law's delay
					// provision: the catalogue says whether the rule has one. Validators
					// do not run on replay, so this read cannot change a history.
					st.Obligation.LawEnforcementDelay = catalogueDelay(st.Obligation.Rule)
				}
				return st.ValidatePause(req, workflow.Now(ctx))
			}},
		{ResumeUpdate,
			func(ctx workflow.Context, req ResumeRequest) (ClockState, error) {
				c.heard(req.By)
				c.resume(req)
				c.awaitSaved(ctx)
				return *c.st, nil
			},
			func(ctx workflow.Context, req ResumeRequest) error {
				if err := checkBy(c.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				return c.st.ValidateResume(req)
			}},
		{WaiveUpdate,
			func(ctx workflow.Context, req WaiveRequest) (ClockState, error) {
				c.heard(req.By)
				c.st.Waiver = &Waiver{Reason: req.Reason, Actor: req.Actor, At: workflow.Now(ctx)}
				c.st.Status = ClockWaived
				c.record(EventWaived, req.Actor, "obligation waived: "+req.Reason)
				c.bump()
				c.awaitSaved(ctx)
				return *c.st, nil
			},
			func(ctx workflow.Context, req WaiveRequest) error {
				if err := checkBy(c.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				return c.st.ValidateWaive(req)
			}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.valid}); err != nil {
			return fmt.Errorf("register update %s: %w", h.name, err)
		}
	}
	return nil
}

// listenSignals handles the parent's signals. Signals cannot be rejected, so an
// invalid one is recorded as ignored, with the reason, rather than dropped silently.
func (c *clock) listenSignals() {
	ctx := c.ctx
	workflow.Go(ctx, func(ctx workflow.Context) {
		pred := workflow.GetSignalChannel(ctx, PredecessorFulfilledSignal)
		rearm := workflow.GetSignalChannel(ctx, RearmSignal)
		retire := workflow.GetSignalChannel(ctx, RetireSignal)
		// Only incidents from this release send assessed (versionReassess), so no
		// earlier history holds one: handling it needs no version of its own.
		assessed := workflow.GetSignalChannel(ctx, AssessedSignal)
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(pred, func(ch workflow.ReceiveChannel, _ bool) {
				var p PredecessorFulfilled
				ch.Receive(ctx, &p)
				st := c.st
				switch {
				case st.Terminal():
					c.record(EventIgnored, "", "predecessor_fulfilled ignored: obligation already "+st.Status)
				case st.Obligation.DependsOn == nil || *st.Obligation.DependsOn != p.ObligationID:
					c.record(EventIgnored, "", fmt.Sprintf("predecessor_fulfilled ignored: %s does not run from %s", st.ID(), p.ObligationID))
				case st.TriggerAt != nil && st.TriggerAt.Equal(p.At) &&
					workflow.GetVersion(ctx, versionPredecessorDedupe, workflow.DefaultVersion, 1) == 1:
					// Both the fulfilled clock and, while it runs, the incident forward a
					// fulfilment; the clock already runs from this instant.
					return
				default:
					c.record(EventPredecessorFulfilled, "", fmt.Sprintf("%s fulfilled at %s; the clock of %s starts", p.ObligationID, p.At.UTC().Format(time.RFC3339), st.ID()))
					if err := c.rearm(SetTriggerRequest{Field: st.Obligation.Trigger, At: p.At, Reason: p.ObligationID + " fulfilled", Actor: "irflow"}); err != nil {
						c.record(EventIgnored, "", "predecessor_fulfilled: "+err.Error())
					}
				}
				c.bump()
			})
			sel.AddReceive(rearm, func(ch workflow.ReceiveChannel, _ bool) {
				var req SetTriggerRequest
				ch.Receive(ctx, &req)
				if err := c.st.ValidateSetTrigger(req); err != nil {
					c.record(EventIgnored, req.Actor, "rearm ignored: "+err.Error())
					c.bump()
					return
				}
				if err := c.rearm(req); err != nil {
					c.record(EventIgnored, req.Actor, "rearm: "+err.Error())
					c.bump()
				}
			})
			sel.AddReceive(assessed, func(ch workflow.ReceiveChannel, _ bool) {
				var a Assessment
				ch.Receive(ctx, &a)
				if c.st.Terminal() {
					return
				}
				o := &c.st.Obligation
				o.NeedsAssessment, o.Questions, o.Review, o.Reason = a.NeedsAssessment, a.Questions, a.Review, a.Reason
				text := "assessed (" + a.Why + "): " + o.ID + " " + a.Reason
				if a.NeedsAssessment {
					text = "needs assessment (" + a.Why + "): " + strings.Join(a.Questions, ", ") + "; " + a.Reason
				}
				c.record(EventAssessed, a.Actor, text)
				c.bump()
			})
			sel.AddReceive(retire, func(ch workflow.ReceiveChannel, _ bool) {
				var req RetireRequest
				ch.Receive(ctx, &req)
				if c.st.Terminal() {
					return
				}
				c.st.Status = ClockRetired
				c.st.RetiredReason = req.Reason
				c.record(EventRetired, "", "clock retired: "+req.Reason)
				c.bump()
			})
			sel.Select(ctx)
		}
	})
}

// lateness is how long after due now is: hours under two days, whole days beyond.
func lateness(due, now time.Time) string {
	if d := now.Sub(due); d < 48*time.Hour {
		return d.Truncate(time.Second).String()
	}
	return fmt.Sprintf("%d days", (now.Unix()-due.Unix())/86400)
}
