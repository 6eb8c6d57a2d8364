// Package workflows holds irflow's deterministic workflow code: the incident
// workflow, the id registry and their child workflows. Everything here runs under
// Temporal's replay rules: time comes from workflow.Now, concurrency from workflow.Go,
// and every read or write of the outside world is an activity.
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
	"irflow/internal/triage"
	"irflow/playbooks"
)

// IncidentInput starts an incident. The playbook is passed parsed, with its hash, so
// that editing the file never changes a running incident.
type IncidentInput struct {
	ID             string           `json:"id"`
	Title          string           `json:"title"`
	Playbook       playbooks.Loaded `json:"playbook"`
	Facts          facts.Document   `json:"facts"`
	DeclaredBy     string           `json:"declared_by"`
	IdempotencyKey string           `json:"idempotency_key,omitempty"`
	// PlaybookRefs are the catalogue's playbooks at declaration, for triage to
	// suggest from; carried in the input so that suggestions replay identically.
	PlaybookRefs []triage.PlaybookRef `json:"playbook_refs,omitempty"`
	// Steps are the playbook's containment steps with the catalogue's flags
	// (reversible, approval) frozen at declaration (see FreezeSteps). Empty in
	// incidents declared before they were frozen: those read the catalogue.
	Steps []containment.Step `json:"steps,omitempty"`
	// Authenticated is true when the incident was declared by a verified identity:
	// every Update must then carry one (By), stamped by irflow's service.
	Authenticated bool `json:"authenticated,omitempty"`
	// DeclaredVia is the channel the declarer used.
	DeclaredVia string `json:"declared_via,omitempty"`
	// DeclaredExternalID is the declarer's own id in that channel (the Slack user
	// id of an incident declared in Slack); see incident.Actor.ExternalID.
	DeclaredExternalID string `json:"declared_external_id,omitempty"`
	// Resume carries the incident across continue-as-new; nil on declaration.
	Resume *IncidentResume `json:"resume,omitempty"`
}

// IncidentResume is what a continued incident run starts from. Its timeline stays
// in the store: the new run starts numbering at NextSeq.
type IncidentResume struct {
	State       State        `json:"state"`
	Containment Containment  `json:"containment"`
	Version     int64        `json:"version"`
	NextSeq     int          `json:"next_seq"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Memo        incidentMemo `json:"memo"`
}

// incidentMemo is what the workflow keeps in its Temporal memo, for Temporal's UI.
type incidentMemo struct {
	Phase    string `json:"phase"`
	Severity string `json:"severity"`
	Owner    string `json:"owner"`
}

// DeclaredSteps is the Steps of a new incident's input: the playbook's containment
// steps with the catalogue's flags frozen.
func DeclaredSteps(pb playbooks.Loaded) []containment.Step {
	return FreezeSteps(containmentSteps(pb))
}

// IncidentResult is what a closed incident returns.
type IncidentResult struct {
	ID          string    `json:"id"`
	ClosedAt    time.Time `json:"closed_at"`
	CloseReason string    `json:"close_reason"`
}

// ErrTypeClosed is the application error type of Update rejections made because the
// incident is closed. Callers map it to a conflict: the request was well formed, the
// incident's state refuses it.
const ErrTypeClosed = "IncidentClosed"

// versionNoPhaseAfterClose: an incident closed before triage finished (a close in
// the same workflow task as the declaration) no longer enters the triage or
// containment phase afterwards, which left the stored phase "containment" on a
// closed incident, nor runs containment. Histories closed that early before this
// change replay entering them; the version is asked only once the incident is
// closed.
const versionNoPhaseAfterClose = "no-phase-after-close"

// ErrTypeConflict is the application error type of Update rejections made because
// the state refuses a well-formed request: approving a step that already ran or
// failed, a second rollback, skipping a finished step. Callers map it to a
// conflict (exit status 4, HTTP 409), not to bad input: the same request was
// right a moment earlier (issue 14).
const ErrTypeConflict = "StateConflict"

// conflictf rejects an Update whose request the current state refuses.
func conflictf(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrTypeConflict)
}

// closedError rejects an Update on a closed incident.
func closedError(id, how string) error {
	return temporal.NewApplicationError(fmt.Sprintf("incident %s is %s", id, how), ErrTypeClosed)
}

// maxNoteLength bounds a note so one message cannot bloat the history.
const maxNoteLength = 10000

// a is the nil receiver through which workflow code names activities.
var a *activities.Activities

type incidentImpl struct {
	in    IncidentInput
	state State
	// version increases with every change; the store ignores older writes.
	version int64
	saved   int64
	// unsaved holds timeline entries not yet written to the store.
	unsaved []incident.TimelineEntry
	closed  bool
	// cont runs the playbook's containment steps; its state is part of State.
	cont Containment
	// stopContainment cancels a containment run waiting for approvals (on close).
	stopContainment workflow.CancelFunc
	evidenceDone    bool
	// nextSeq numbers the next timeline entry; updatedAt is the last entry's time.
	nextSeq   int
	updatedAt time.Time
	// lastStateJSON is the state the store last got; an unchanged state is not
	// sent again (a note adds a timeline row, not a copy of the whole state).
	lastStateJSON string
	// memo is the last memo written, so it is upserted only when it changes.
	memo incidentMemo
	// notifications is true when the incident announces its events through the
	// notifier (versionIncidentNotifications); notifying counts those in flight.
	notifications bool
	notifying     int
	// heardAs is each verified actor as they last acted (channel and their id in
	// it), by irflow user id, for the timeline entries recorded in their name.
	heardAs map[string]incident.Actor
}

// Version change ids of the incident workflow.
const (
	// versionIncidentCAN: the incident continues-as-new when the server suggests it.
	versionIncidentCAN = "incident-continue-as-new"
	// versionMemoOnChange: the memo is upserted only when phase, severity or owner change.
	versionMemoOnChange = "incident-memo-on-change"
)

// Incident is the incident workflow: it takes an incident from declaration to close,
// through the phases declared → triage → containment → notification → closed, and
// records every change in its timeline and in the store.
func Incident(ctx workflow.Context, in IncidentInput) (*IncidentResult, error) {
	w := &incidentImpl{in: in}
	if err := w.setup(ctx); err != nil {
		return nil, err
	}
	return w.run(ctx)
}

func (w *incidentImpl) setup(ctx workflow.Context) error {
	info := workflow.GetInfo(ctx)
	w.state = State{
		ID:               w.in.ID,
		WorkflowID:       info.WorkflowExecution.ID,
		Title:            w.in.Title,
		Playbook:         w.in.Playbook.ID,
		PlaybookHash:     w.in.Playbook.Hash,
		Phase:            incident.PhaseDeclared,
		Facts:            w.in.Facts,
		Timeline:         []incident.TimelineEntry{},
		OwnershipHistory: []OwnershipRevision{},
		Obligations:      []IncidentObligation{},
		DeclaredAt:       workflow.Now(ctx).UTC(),
		DeclaredBy:       w.in.DeclaredBy,
	}
	if len(w.in.Steps) > 0 {
		w.cont = newContainmentFrozen(w.in.ID, w.in.Steps)
	} else {
		w.cont = NewContainment(w.in.ID, containmentSteps(w.in.Playbook))
	}
	w.nextSeq = 1
	w.notifications = workflow.GetVersion(ctx, versionIncidentNotifications, workflow.DefaultVersion, 1) == 1
	if r := w.in.Resume; r != nil {
		w.state = r.State
		w.state.Timeline = []incident.TimelineEntry{}
		w.state.TimelineFrom = r.NextSeq
		w.cont.Steps, w.cont.Compensations, w.cont.RolledBack = r.Containment.Steps, r.Containment.Compensations, r.Containment.RolledBack
		w.cont.Relies = r.Containment.Relies
		w.version, w.saved = r.Version, r.Version
		w.nextSeq, w.updatedAt, w.memo = r.NextSeq, r.UpdatedAt, r.Memo
		w.evidenceDone = true
		w.closed = false
	}
	w.heardAs = map[string]incident.Actor{}
	if w.in.DeclaredVia != "" {
		w.heardAs[w.in.DeclaredBy] = incident.Actor{ID: w.in.DeclaredBy, Via: w.in.DeclaredVia, ExternalID: w.in.DeclaredExternalID}
	}
	w.cont.requireBy, w.cont.heardBy, w.cont.declaredBy = w.in.Authenticated, w.heard, w.in.DeclaredBy
	if err := w.cont.RegisterHandlers(ctx, w.currentFacts, w.recordFunc(ctx)); err != nil {
		return err
	}
	if err := w.cont.registerRetry(ctx); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (State, error) { return w.snapshot(), nil }); err != nil {
		return fmt.Errorf("register %s query: %w", StateQuery, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, AddNoteUpdate, w.addNote,
		workflow.UpdateHandlerOptions{Validator: w.validateNote}); err != nil {
		return fmt.Errorf("register %s update: %w", AddNoteUpdate, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, CloseUpdate, w.close,
		workflow.UpdateHandlerOptions{Validator: w.validateClose}); err != nil {
		return fmt.Errorf("register %s update: %w", CloseUpdate, err)
	}
	if err := w.setupTriage(ctx); err != nil {
		return err
	}
	return w.setupObligations(ctx)
}

func (w *incidentImpl) run(ctx workflow.Context) (*IncidentResult, error) {
	// The store writer and the final bookkeeping run on a disconnected context, so a
	// cancelled incident still records how it ended.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if w.in.Resume != nil {
		// A continued run: triage, evidence and containment are behind it.
		workflow.Go(dctx, w.persistLoop)
		return w.awaitClose(ctx, dctx)
	}
	w.record(ctx, w.in.DeclaredBy, incident.KindDeclared,
		fmt.Sprintf("Declared %q with playbook %s (sha256 %s)", w.in.Title, w.in.Playbook.ID, incident.ShortHash(w.in.Playbook.Hash)), nil)
	workflow.Go(dctx, w.persistLoop)

	w.enterPhase(ctx, incident.PhaseTriage)
	w.runTriage(ctx)

	// Evidence is collected alongside containment: the audit trail must be taken
	// before anyone forgets the window, and it does not change Zendesk.
	workflow.Go(ctx, w.collectEvidence)

	if !w.closed || workflow.GetVersion(ctx, versionNoPhaseAfterClose, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		w.enterPhase(ctx, incident.PhaseContainment)
		if err := w.runContainment(ctx); err != nil {
			return nil, err
		}
	}
	if !w.closed {
		w.enterPhase(ctx, incident.PhaseNotification)
	}
	return w.awaitClose(ctx, dctx)
}

// awaitClose waits in the notification phase until the incident is closed, and
// continues-as-new when the server suggests it, so an incident that collects notes
// and clock events for months never reaches the history limit.
func (w *incidentImpl) awaitClose(ctx, dctx workflow.Context) (*IncidentResult, error) {
	canContinue := workflow.GetVersion(ctx, versionIncidentCAN, workflow.DefaultVersion, 1) == 1
	suggested := func() bool {
		return canContinue && workflow.GetInfo(ctx).GetContinueAsNewSuggested() &&
			w.evidenceDone && !w.cont.running && !w.cont.rollingBack
	}
	for !w.closed && canContinue {
		if err := workflow.Await(ctx, func() bool { return w.closed || suggested() }); err != nil {
			break
		}
		if w.closed {
			break
		}
		// Handlers first (an Update in flight must finish in this run), then the
		// store must have everything, since the next run does not carry the timeline.
		if err := workflow.Await(ctx, func() bool {
			return w.closed || (workflow.AllHandlersFinished(ctx) && w.saved == w.version && w.notifying == 0 && !w.cont.running && !w.cont.rollingBack)
		}); err != nil {
			break
		}
		if w.closed {
			break
		}
		return nil, workflow.NewContinueAsNewError(ctx, Incident, w.resumeInput())
	}

	if err := workflow.Await(ctx, func() bool { return w.closed }); err != nil {
		// Cancelled after containment finished: its completed reversible steps are
		// undone all the same (the saga's compensation, STYLE rule 5). Histories
		// cancelled here before this change completed without a rollback.
		if len(w.cont.Compensations) > 0 &&
			workflow.GetVersion(dctx, "rollback-on-cancel-after-containment", workflow.DefaultVersion, 1) == 1 {
			w.rollbackAfterCancel(dctx)
		}
		return w.cancelled(dctx)
	}
	// Let in-flight handlers and evidence collection finish and the store catch up
	// before completing, so the store's last row is the closed incident.
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && w.evidenceDone }); err != nil {
		return w.cancelled(dctx)
	}
	if err := workflow.Await(dctx, func() bool { return w.saved == w.version && w.notifying == 0 }); err != nil {
		return nil, err
	}
	return &IncidentResult{ID: w.state.ID, ClosedAt: *w.state.ClosedAt, CloseReason: w.state.CloseReason}, nil
}

// runContainment runs the playbook's steps, waiting for approvals, until they are all
// done or the incident is closed. When the incident workflow is cancelled, every
// completed reversible step is undone (a saga), on a disconnected context.
func (w *incidentImpl) runContainment(ctx workflow.Context) error {
	if len(w.cont.Steps) == 0 {
		w.skipPhase(ctx, incident.PhaseContainment, "the playbook declares no containment steps")
		return nil
	}
	cctx, cancel := workflow.WithCancel(ctx)
	w.stopContainment = cancel
	err := w.cont.Run(cctx, w.currentFacts, w.recordFunc(ctx))
	w.stopContainment = nil
	if err == nil || w.closed {
		return nil
	}
	// Only a cancellation of the whole workflow gets here.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	w.rollbackAfterCancel(dctx)
	_, cerr := w.cancelled(dctx)
	return cerr
}

// rollbackAfterCancel undoes every completed reversible containment step, unless a
// rollback was already requested. dctx must be disconnected from the cancelled
// workflow context, or the undo activities would be cancelled too.
func (w *incidentImpl) rollbackAfterCancel(dctx workflow.Context) {
	if w.cont.RolledBack != nil {
		return
	}
	if _, err := w.cont.Rollback(dctx, SystemActor, "incident workflow cancelled"); err != nil {
		workflow.GetLogger(dctx).Error("Rollback after cancellation failed", "error", err)
	}
}

// cancelled records a cancellation and returns Temporal's canceled error once the
// store has the final state.
func (w *incidentImpl) cancelled(dctx workflow.Context) (*IncidentResult, error) {
	w.record(dctx, SystemActor, incident.KindClosed, "Incident workflow cancelled", nil)
	_ = workflow.Await(dctx, func() bool { return w.saved == w.version })
	return nil, temporal.NewCanceledError("incident workflow cancelled")
}

// snapshot is the State the query returns and the store saves.
func (w *incidentImpl) snapshot() State {
	s := w.state
	s.Steps = w.cont.Steps
	if s.Steps == nil {
		s.Steps = []StepState{}
	}
	s.Rollback = w.cont.RolledBack
	return s
}

func (w *incidentImpl) currentFacts() facts.Document { return w.state.Facts }

// resumeInput is the next run's input: the same declaration, and the state.
func (w *incidentImpl) resumeInput() IncidentInput {
	next := w.in
	st := w.snapshot()
	st.Timeline = nil
	cont := Containment{IncidentID: w.cont.IncidentID, Steps: w.cont.Steps, Compensations: w.cont.Compensations, Relies: w.cont.Relies, RolledBack: w.cont.RolledBack}
	next.Resume = &IncidentResume{State: st, Containment: cont, Version: w.version, NextSeq: w.nextSeq, UpdatedAt: w.updatedAt, Memo: w.memo}
	return next
}

// recordFunc adapts record to the callback shape the containment runner uses.
func (w *incidentImpl) recordFunc(ctx workflow.Context) func(kind, actor, text string) {
	return func(kind, actor, text string) { w.record(ctx, actor, kind, text, nil) }
}

func (w *incidentImpl) validateNote(ctx workflow.Context, req NoteRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		return closedError(w.state.ID, "closed")
	}
	if strings.TrimSpace(req.Text) == "" {
		return errors.New("note text is empty")
	}
	if len(req.Text) > maxNoteLength {
		return fmt.Errorf("note is %d characters; the limit is %d", len(req.Text), maxNoteLength)
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor is required")
	}
	return nil
}

func (w *incidentImpl) addNote(ctx workflow.Context, req NoteRequest) (incident.TimelineEntry, error) {
	w.heard(req.By)
	return w.record(ctx, req.Actor, incident.KindNote, req.Text, nil), nil
}

func (w *incidentImpl) validateClose(ctx workflow.Context, req CloseRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		return closedError(w.state.ID, "already closed")
	}
	if w.cont.running || w.cont.rollingBack {
		return fmt.Errorf("incident %s has a containment action in flight in Zendesk; close it when the action has finished", w.state.ID)
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor is required")
	}
	if len(req.Reason) > maxNoteLength {
		return fmt.Errorf("reason is %d characters; the limit is %d", len(req.Reason), maxNoteLength)
	}
	return nil
}

func (w *incidentImpl) close(ctx workflow.Context, req CloseRequest) (State, error) {
	w.heard(req.By)
	now := workflow.Now(ctx).UTC()
	w.closed = true
	w.state.ClosedAt = &now
	w.state.CloseReason = req.Reason
	for i := range w.cont.Steps {
		st := &w.cont.Steps[i]
		switch st.Status {
		case StepPending, StepAwaitingApproval, StepApproved:
			st.Status = StepCancelled
			st.SkipReason = "incident closed before this step ran"
		}
	}
	if w.stopContainment != nil {
		w.stopContainment()
	}
	text := "Closed"
	if req.Reason != "" {
		text += ": " + req.Reason
	}
	w.state.Phase = incident.PhaseClosed
	if open := w.openClocks(); len(open) > 0 {
		text += fmt.Sprintf(". %d notification clock(s) keep running after close, because closing the incident does not end a legal duty: %s",
			len(open), strings.Join(open, ", "))
	}
	w.record(ctx, req.Actor, incident.KindClosed, text, nil)
	// The same State the state query returns, steps and rollback included.
	return w.snapshot(), nil
}

func (w *incidentImpl) enterPhase(ctx workflow.Context, p incident.Phase) {
	if w.closed && workflow.GetVersion(ctx, versionNoPhaseAfterClose, workflow.DefaultVersion, 1) != workflow.DefaultVersion {
		return // closed stays closed
	}
	w.state.Phase = p
	w.record(ctx, "irflow", incident.KindPhase, "Phase "+string(p), nil)
}

// skipPhase records honestly that a phase did no work, and why.
func (w *incidentImpl) skipPhase(ctx workflow.Context, p incident.Phase, why string) {
	w.record(ctx, "irflow", incident.KindSkipped, fmt.Sprintf("Phase %s skipped: %s", p, why), nil)
}

// record appends a timeline entry and marks the state for saving. data, when not nil,
// is stored as JSON next to the text.
func (w *incidentImpl) record(ctx workflow.Context, actor, kind, text string, data any) incident.TimelineEntry {
	e := incident.TimelineEntry{
		Seq:   w.nextSeq,
		At:    workflow.Now(ctx).UTC(),
		Actor: actor,
		Kind:  kind,
		Text:  text,
	}
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			e.Data = string(b)
		} else {
			workflow.GetLogger(ctx).Error("Cannot encode timeline data", "kind", kind, "error", err)
		}
	}
	w.nextSeq++
	w.updatedAt = e.At
	if a, ok := w.heardAs[actor]; ok {
		e.Via, e.ExternalID = a.Via, a.ExternalID
	} else if actor == SystemActor {
		e.Via = incident.ViaSystem
	}
	w.state.Timeline = append(w.state.Timeline, e)
	w.unsaved = append(w.unsaved, e)
	w.version++
	w.announce(ctx, e, "")
	return e
}

// changed marks the state for saving without a timeline entry.
func (w *incidentImpl) changed() { w.version++ }

// persistLoop is the single writer to the store: it saves whenever the state changed,
// batching changes made while a save was running. One writer keeps rows in order.
func (w *incidentImpl) persistLoop(ctx workflow.Context) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		// The store is local; keep retrying (a locked database clears) but back off.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 10 * time.Second},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return w.version > w.saved }); err != nil {
			return
		}
		version := w.version
		entries := w.unsaved
		w.unsaved = nil
		// The timeline goes to its own table entry by entry; leaving it out of the
		// state copy keeps each save's size flat instead of growing with the
		// incident's history (it is recorded in the workflow history too).
		snap := w.snapshot()
		snap.Timeline = nil
		stateJSON, err := json.Marshal(snap)
		if err != nil {
			workflow.GetLogger(ctx).Error("Cannot encode incident state", "error", err)
			return
		}
		in := activities.SaveIncidentInput{
			Summary:   w.summary(),
			StateJSON: string(stateJSON),
			Version:   version,
			Entries:   entries,
		}
		if in.StateJSON == w.lastStateJSON {
			// Only timeline rows and the summary changed (a note, a clock event):
			// the store keeps the state it has, and the history does not get a copy.
			in.StateJSON = ""
		}
		if err := workflow.ExecuteActivity(actx, a.SaveIncident, in).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("Saving incident failed", "error", err)
			w.unsaved = append(entries, w.unsaved...)
			continue
		}
		w.saved = version
		w.lastStateJSON = string(stateJSON)
		memo := incidentMemo{Phase: string(w.state.Phase), Severity: w.state.Severity, Owner: string(w.state.Ownership.Owner)}
		if memo == w.memo && workflow.GetVersion(ctx, versionMemoOnChange, workflow.DefaultVersion, 1) == 1 {
			continue
		}
		w.memo = memo
		if err := workflow.UpsertMemo(ctx, map[string]any{
			"phase": memo.Phase, "severity": memo.Severity, "owner": memo.Owner,
		}); err != nil {
			workflow.GetLogger(ctx).Error("Cannot update memo", "error", err)
		}
	}
}

func (w *incidentImpl) summary() incident.Summary {
	s := incident.Summary{
		ID:          w.state.ID,
		WorkflowID:  w.state.WorkflowID,
		Title:       w.state.Title,
		Playbook:    w.state.Playbook,
		Phase:       w.state.Phase,
		DeclaredAt:  w.state.DeclaredAt,
		ClosedAt:    w.state.ClosedAt,
		CloseReason: w.state.CloseReason,
		Severity:    w.state.Severity,
		Owner:       string(w.state.Ownership.Owner),
	}
	s.UpdatedAt = w.updatedAt
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = w.state.DeclaredAt
	}
	return s
}

// containmentSteps converts the playbook's steps to the containment runner's.
func containmentSteps(pb playbooks.Loaded) []containment.Step {
	steps := make([]containment.Step, 0, len(pb.Containment))
	for _, s := range pb.Containment {
		steps = append(steps, containment.Step{ID: s.ID, Action: s.Action, Params: s.Params,
			NeedsApproval: s.NeedsApproval, Reversible: s.Reversible, Approvals: s.Approvals, DistinctApprover: s.DistinctApprover})
	}
	return steps
}
