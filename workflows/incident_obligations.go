package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// versionChainFromNoticeGiven: a clock's fulfilled event sets the obligation's
// fulfilled_at, and starts the clocks chained to it, from the instant the notice was
// given (the event's FulfilledAt), not from when it was recorded (issue 10).
const versionChainFromNoticeGiven = "chain-from-notice-given"

// SetIncidentTriggerUpdate moves a facts timeline instant (e.g. aware_at) for the
// whole incident, with a reason: every clock that runs from it is re-armed and the
// change recorded. (The clock workflow's own set_trigger moves one clock.)
const SetIncidentTriggerUpdate = "set_trigger"

var (
	catalogueOnce sync.Once
	catalogue     regimes.Catalogue
	catalogueErr  error
)

// loadCatalogue parses the embedded rules once per process. It is only called inside
// SideEffect, so a catalogue changed by an upgrade never alters a replayed history.
func loadCatalogue() (regimes.Catalogue, error) {
	catalogueOnce.Do(func() { catalogue, catalogueErr = regimes.Load() })
	return catalogue, catalogueErr
}

// computedObligations is what the SideEffect records: every obligation (applicable
// or not) and the clock inputs (which carry the deadline specs JSON drops).
type computedObligations struct {
	// Checked is how many obligations the engine evaluated. The ones that do not
	// apply are not kept: they would make every recomputation's history record
	// (and the state) many times larger; the service recomputes them on demand.
	Checked int                    `json:"checked"`
	Clocks  []ObligationClockInput `json:"clocks"`
	// Dropped are the engine's reasons for the obligations that applied before and
	// no longer do, so a retired clock says why (recorded since versionReassess).
	Dropped map[string]string `json:"dropped,omitempty"`
	Error   string            `json:"error,omitempty"`
}

// versionReassess: a recomputation tells a running clock when whether its
// obligation needs assessment changed (the assessed signal), and a retired clock
// gets the engine's reason the obligation no longer applies (issue 10).
const versionReassess = "obligations-reassess"

func (w *incidentImpl) setupObligations(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, SetIncidentTriggerUpdate, w.setTrigger,
		workflow.UpdateHandlerOptions{Validator: w.validateSetTrigger}); err != nil {
		return fmt.Errorf("register %s update: %w", SetIncidentTriggerUpdate, err)
	}
	events := workflow.GetSignalChannel(ctx, ObligationEventSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev ObligationEvent
			if !events.Receive(ctx, &ev) {
				return
			}
			w.onObligationEvent(ctx, ev)
		}
	})
	return nil
}

// reconcileObligations computes the obligations the facts trigger and makes the
// running clocks match: new ones start, moved triggers re-arm, and clocks no longer
// required retire; each change is recorded with why.
func (w *incidentImpl) reconcileObligations(ctx workflow.Context, actor, why string) {
	var comp computedObligations
	doc := w.state.Facts
	asOf := workflow.Now(ctx).UTC()
	// Fulfilments the clocks reported feed the engine, so chained deadlines (e.g.
	// California's AG notice 15 days after residents were notified) show their dates.
	fulfilled := map[string]time.Time{}
	open := map[string]bool{} // obligations whose clocks run, by id
	for _, o := range w.state.Obligations {
		if o.FulfilledAt != nil {
			fulfilled[o.ID] = *o.FulfilledAt
		}
		if o.Applicable && o.ClockWorkflowID != "" && !o.Final() {
			open[o.ID] = true
		}
	}
	reassess := workflow.GetVersion(ctx, versionReassess, workflow.DefaultVersion, 1) == 1
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		cat, err := loadCatalogue()
		if err != nil {
			return computedObligations{Error: err.Error()}
		}
		all := obligations.Evaluate(doc, cat, asOf, obligations.Options{All: true, Fulfilled: fulfilled})
		out := computedObligations{Checked: len(all)}
		for _, o := range all {
			switch {
			case o.Applicable:
				out.Clocks = append(out.Clocks, NewObligationClockInput(w.state.ID, o))
			case reassess && open[o.ID]:
				if out.Dropped == nil {
					out.Dropped = map[string]string{}
				}
				out.Dropped[o.ID] = o.Reason
			}
		}
		return out
	}).Get(&comp)
	if err == nil && comp.Error != "" {
		err = fmt.Errorf("%s", comp.Error)
	}
	if err != nil {
		w.record(ctx, SystemActor, incident.KindObligation, "Cannot compute notification obligations: "+err.Error(), nil)
		return
	}

	prev := map[string]IncidentObligation{}
	for _, o := range w.state.Obligations {
		prev[o.ID] = o
	}
	next := make([]IncidentObligation, 0, len(comp.Clocks))
	applicable := map[string]bool{}
	var started, rearmed, assessed []string
	for _, in := range comp.Clocks {
		o := in.Obligation
		applicable[o.ID] = true
		io := IncidentObligation{Obligation: o, ClockWorkflowID: ObligationClockWorkflowID(w.state.ID, o.ID)}
		old, had := prev[o.ID]
		switch {
		case !had || old.Retired != "" || !old.Applicable:
			if had && old.ClockWorkflowID != "" && (old.Retired != "" || !old.Applicable) {
				// A retired clock's workflow id is taken; the obligation came back, so
				// it gets a fresh clock under a suffixed id.
				io.ClockWorkflowID = fmt.Sprintf("%s#%d", io.ClockWorkflowID, w.version)
			}
			in.Authenticated = w.in.Authenticated
			w.startClock(ctx, io.ClockWorkflowID, in)
			started = append(started, describeDue(o))
		case o.DependsOn == nil && !sameInstant(old.TriggerAt, o.TriggerAt) && o.TriggerAt != nil:
			io.ClockWorkflowID, io.LastEvent = old.ClockWorkflowID, old.LastEvent
			w.signalClock(ctx, io.ClockWorkflowID, RearmSignal, SetTriggerRequest{
				Field: o.Trigger, At: *o.TriggerAt, Reason: why, Actor: actor, DueText: o.DueText,
			})
			rearmed = append(rearmed, fmt.Sprintf("%s (%s now %s)", o.ID, o.Trigger, o.TriggerAt.Format(time.RFC3339)))
		default:
			io.ClockWorkflowID, io.LastEvent = old.ClockWorkflowID, old.LastEvent
			if old.Status != "" && old.LastEvent != nil {
				io.Status = old.Status // the clock's own report is newer than the engine's view
			}
		}
		if reassess && had && old.Retired == "" && old.Applicable && !old.Final() && assessmentChanged(old.Obligation, o) {
			// The facts answered what the obligation depended on, or reopened it:
			// the clock keeps running and records the new reading.
			w.signalClock(ctx, io.ClockWorkflowID, AssessedSignal, Assessment{
				NeedsAssessment: o.NeedsAssessment, Questions: o.Questions, Review: o.Review, Reason: o.Reason, Why: why, Actor: actor,
			})
			if o.NeedsAssessment {
				assessed = append(assessed, fmt.Sprintf("%s needs assessment: %s", o.ID, strings.Join(o.Questions, ", ")))
			} else {
				assessed = append(assessed, o.ID+" "+o.Reason)
			}
		}
		next = append(next, io)
	}
	var retired []string
	// kept are obligations that had a clock and no longer apply: their record (clock
	// id, retirement reason, fulfilment) stays in the state across later
	// recomputations, and a clock that comes back gets a fresh id because of it.
	for _, id := range sortedKeys(prev) {
		old := prev[id]
		if applicable[id] || old.ClockWorkflowID == "" {
			continue
		}
		if old.Retired != "" || isFinal(old.Status) {
			next = append(next, old)
			continue
		}
		reason := why + ": the recomputed facts no longer trigger this obligation"
		if r, ok := comp.Dropped[id]; ok && reassess {
			reason += " (" + r + ")"
		}
		w.signalClock(ctx, old.ClockWorkflowID, RetireSignal, RetireRequest{Reason: reason})
		old.Retired = reason
		old.Status = ClockRetired
		next = append(next, old)
		retired = append(retired, id)
	}
	sort.SliceStable(next, func(i, j int) bool { return obligations.Less(&next[i].Obligation, &next[j].Obligation) })
	w.state.Obligations = next

	if len(started) > 0 {
		w.record(ctx, actor, incident.KindObligation, fmt.Sprintf("%d notification clock(s) started (%s): %s",
			len(started), why, strings.Join(started, "; ")), nil)
	}
	if len(rearmed) > 0 {
		w.record(ctx, actor, incident.KindObligation, "Clocks re-armed ("+why+"): "+strings.Join(rearmed, "; "), nil)
	}
	if len(retired) > 0 {
		w.record(ctx, actor, incident.KindObligation, "Clocks retired ("+why+"): "+strings.Join(retired, ", "), nil)
	}
	if len(assessed) > 0 {
		w.record(ctx, actor, incident.KindObligation, "Obligations reassessed ("+why+"): "+strings.Join(assessed, "; "), nil)
	}
	if len(started)+len(rearmed)+len(retired) == 0 && len(prev) == 0 {
		w.record(ctx, actor, incident.KindObligation,
			fmt.Sprintf("No notification obligation applies on the declared facts (%d obligations checked); add affected people, data and timeline facts as they are known", comp.Checked), nil)
	}
	w.changed()
}

// startClock starts an obligation's clock as a child workflow. The clock outlives
// the incident (ABANDON): closing the incident operationally does not end a legal
// duty to notify.
func (w *incidentImpl) startClock(ctx workflow.Context, id string, in ObligationClockInput) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		TaskQueue:         TaskQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	f := workflow.ExecuteChildWorkflow(cctx, ObligationClock, in)
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			w.record(ctx, SystemActor, incident.KindObligation, fmt.Sprintf("Clock for %s did not start: %v", in.Obligation.ID, err), nil)
		}
	})
}

func (w *incidentImpl) signalClock(ctx workflow.Context, workflowID, name string, arg any) {
	f := workflow.SignalExternalWorkflow(ctx, workflowID, "", name, arg)
	workflow.Go(ctx, func(ctx workflow.Context) {
		if err := f.Get(ctx, nil); err != nil {
			w.record(ctx, SystemActor, incident.KindObligation, fmt.Sprintf("Signal %s to clock %s failed: %v", name, workflowID, err), nil)
		}
	})
}

// onObligationEvent records a clock's report in the timeline and forwards a
// fulfilment to the clocks chained to it (a workflow cannot send another an Update).
func (w *incidentImpl) onObligationEvent(ctx workflow.Context, ev ObligationEvent) {
	actor := ev.Actor
	if actor == "" {
		actor = SystemActor
	}
	w.record(ctx, actor, incident.KindObligation, fmt.Sprintf("%s: %s", ev.ObligationID, ev.Text), ev)
	// A chained deadline runs from the instant the notice was given, which the clock
	// sends with its fulfilled event; ev.At is when the fulfilment was recorded.
	// Histories from before this version chained from ev.At and replay so.
	given := ev.At
	if ev.Kind == EventFulfilled && ev.FulfilledAt != nil &&
		workflow.GetVersion(ctx, versionChainFromNoticeGiven, workflow.DefaultVersion, 1) == 1 {
		given = *ev.FulfilledAt
	}
	for i := range w.state.Obligations {
		o := &w.state.Obligations[i]
		if o.ID == ev.ObligationID {
			e := ev
			o.LastEvent = &e
			if s := statusAfter(ev.Kind); s != "" {
				o.Status = s
			}
			if ev.Kind == EventFulfilled {
				at := given
				o.FulfilledAt = &at
			}
		}
	}
	if ev.Kind != EventFulfilled {
		return
	}
	// Recompute so that chained obligations show the deadline the fulfilment starts.
	w.reconcileObligations(ctx, actor, ev.ObligationID+" fulfilled")
	for _, o := range w.state.Obligations {
		if o.DependsOn != nil && *o.DependsOn == ev.ObligationID && o.ClockWorkflowID != "" && o.Retired == "" {
			w.signalClock(ctx, o.ClockWorkflowID, PredecessorFulfilledSignal, PredecessorFulfilled{ObligationID: ev.ObligationID, At: given})
		}
	}
}

// statusAfter maps a clock event to the status the incident shows until the next;
// "" keeps the engine's status (an armed clock may still await its trigger or its
// predecessor).
func statusAfter(kind string) string {
	switch kind {
	case EventFulfilled:
		return obligations.StatusFulfilled
	case EventWaived:
		return ClockWaived
	case EventRetired:
		return ClockRetired
	case EventPaused:
		return ClockPaused
	case EventResumed, EventTriggerMoved, EventPredecessorFulfilled:
		return obligations.StatusOpen
	case EventOverdue:
		return obligations.StatusOverdue
	}
	return ""
}

func isFinal(status string) bool { return incident.FinalStatus(status) }

func (w *incidentImpl) validateSetTrigger(ctx workflow.Context, req SetIncidentTriggerRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		// A conflict, not bad input: the request is fine, the incident's state
		// refuses it. Its clocks still run; move one with the clock's own set_trigger.
		return closedError(w.state.ID, "closed; move a running clock's trigger on the clock itself")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return fmt.Errorf("actor is required")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return fmt.Errorf("reason is required: moving a legal trigger must say why")
	}
	if req.At.IsZero() {
		return fmt.Errorf("at is required (RFC 3339 instant)")
	}
	if err := facts.CheckPath("timeline." + req.Field); err != nil || strings.Contains(req.Field, ".") {
		return fmt.Errorf("field: %q is not a facts timeline field (aware_at, discovered_at, determined_at, assessed_at, materiality_determined_at, classified_major_at, ransom_paid_at, zendesk_notice_received_at, ...)", req.Field)
	}
	// The same bounds as a facts document's timeline (facts.CheckInstants).
	if now := workflow.Now(ctx); req.At.After(now.Add(facts.MaxAhead)) {
		return fmt.Errorf("at: %s is more than %s in the future (now %s)", req.At.UTC().Format(time.RFC3339), facts.MaxAhead, now.UTC().Format(time.RFC3339))
	}
	if req.At.Before(facts.EarliestInstant) {
		return fmt.Errorf("at: %s is before %d; give the instant it happened", req.At.UTC().Format(time.RFC3339), facts.EarliestInstant.Year())
	}
	_, err := facts.Merge(w.state.Facts, triggerPatch(req))
	return err
}

// triggerValue is the instant the timeline field holds, or "unset". (facts.Lookup
// covers only the enumerated facts a playbook trigger can test, not timeline
// instants, so it would report every trigger as unset.)
func triggerValue(tl facts.Timeline, field string) string {
	var m map[string]*time.Time
	if b, err := json.Marshal(tl); err == nil && json.Unmarshal(b, &m) == nil {
		if at := m[field]; at != nil {
			return at.UTC().Format(time.RFC3339)
		}
	}
	return "unset"
}

func triggerPatch(req SetIncidentTriggerRequest) []byte {
	return []byte(fmt.Sprintf(`{"timeline":{%q:%q}}`, req.Field, req.At.UTC().Format(time.RFC3339Nano)))
}

// setTrigger moves a timeline instant and re-arms every clock that runs from it.
func (w *incidentImpl) setTrigger(ctx workflow.Context, req SetIncidentTriggerRequest) ([]IncidentObligation, error) {
	w.heard(req.By)
	merged, err := facts.Merge(w.state.Facts, triggerPatch(req))
	if err != nil {
		return nil, err
	}
	old := triggerValue(w.state.Facts.Timeline, req.Field)
	w.state.Facts = merged
	w.record(ctx, req.Actor, incident.KindFacts, fmt.Sprintf("Trigger timeline.%s moved from %s to %s: %s",
		req.Field, old, req.At.UTC().Format(time.RFC3339), req.Reason), req)
	w.reassess(ctx, req.Actor, "timeline."+req.Field+" moved: "+req.Reason)
	return w.state.Obligations, nil
}

// assessmentChanged reports whether a recomputation changed what an applicable
// obligation depends on: whether it needs assessment, the questions, or the notes to
// review.
func assessmentChanged(old, new obligations.Obligation) bool {
	return old.NeedsAssessment != new.NeedsAssessment || !slices.Equal(old.Questions, new.Questions) || !slices.Equal(old.Review, new.Review)
}

func describeDue(o obligations.Obligation) string {
	due := o.DueText
	if o.DueAt != nil {
		due = "due " + o.DueAt.UTC().Format(time.RFC3339)
	} else if due == "" {
		due = "no due date yet"
	}
	v := ""
	if o.Verification != "verified" {
		v = " [" + o.Verification + "]"
	}
	if o.NeedsAssessment {
		v += " (needs assessment: " + strings.Join(o.Questions, ", ") + ")"
	}
	return fmt.Sprintf("%s %s%s", o.ID, due, v)
}

func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// openClocks lists the obligations whose clocks still run.
func (w *incidentImpl) openClocks() []string {
	var ids []string
	for _, o := range w.state.Obligations {
		if o.Applicable && o.ClockWorkflowID != "" && o.Retired == "" && !isFinal(o.Status) {
			ids = append(ids, o.ID)
		}
	}
	return ids
}
