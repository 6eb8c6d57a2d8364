package service

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
	"irflow/workflows"
)

// List returns the incidents the store holds that match f, newest first.
func (s *Service) List(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	if err := s.authorizeRead(ctx, ""); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(f.Query); n > incident.MaxQuery {
		return nil, incident.Errorf(incident.EINVALID, "q: %d characters, the limit is %d", n, incident.MaxQuery)
	}
	store, err := s.store()
	if err != nil {
		return nil, err
	}
	list, err := store.ListIncidents(ctx, f)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []incident.Summary{}
	}
	return list, nil
}

// Timeline returns an incident's timeline from the store, in order.
func (s *Service) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := s.authorizeRead(ctx, id); err != nil {
		return nil, err
	}
	store, err := s.store()
	if err != nil {
		return nil, err
	}
	if _, err := store.GetIncident(ctx, id); err != nil {
		return nil, err
	}
	tl, err := store.Timeline(ctx, id)
	if err != nil {
		return nil, err
	}
	if tl == nil {
		tl = []incident.TimelineEntry{}
	}
	return tl, nil
}

// show returns an incident's state. An open incident answers from its workflow's
// `state` query (live detail: a step running, evidence being collected). A closed
// one answers from the store, and so does one whose workflow Temporal no longer has
// (deleted after the namespace's retention): its last saved state, its timeline,
// and each obligation as its clock last recorded it, since clocks keep running
// after the incident closed.
func (s *Service) show(ctx context.Context, id string) (incident.State, error) {
	if err := checkID(id); err != nil {
		return incident.State{}, err
	}
	if err := s.authorizeRead(ctx, id); err != nil {
		return incident.State{}, err
	}
	store, err := s.store()
	if err != nil {
		return incident.State{}, err
	}
	rec, err := store.GetIncident(ctx, id)
	stored := err == nil
	if err != nil && !hasCode(err, incident.ENOTFOUND) {
		return incident.State{}, err
	}
	var st incident.State
	switch {
	case stored && rec.Phase == incident.PhaseClosed:
		st, err = s.storedState(ctx, store, rec)
	default:
		st, err = s.query(ctx, id)
		switch {
		case err == nil:
			st, err = s.withEarlierTimeline(ctx, store, st)
		case stored && isNotFound(err):
			st, err = s.storedState(ctx, store, rec)
		default:
			return incident.State{}, mapErr("incident "+id, err)
		}
	}
	if err != nil {
		return st, err
	}
	return s.withLeases(ctx, store, st)
}

// withLeases adds the containment leases the incident holds or relies on, from the
// store: which incident holds an object is shared state no one workflow knows
// (another incident's rollback may have passed this one a lease).
func (s *Service) withLeases(ctx context.Context, store incident.Store, st incident.State) (incident.State, error) {
	ls, ok := store.(incident.LeaseStore)
	if !ok {
		return st, nil
	}
	leases, err := ls.Leases(ctx, st.ID)
	if err != nil {
		return st, err
	}
	st.Leases = leases
	return st, nil
}

// withEarlierTimeline completes a live state's timeline from the store: after
// continue-as-new the workflow holds only the entries of its current run
// (TimelineFrom says where they start), and the run saved every earlier one
// before it continued.
func (s *Service) withEarlierTimeline(ctx context.Context, store incident.Store, st incident.State) (incident.State, error) {
	if st.TimelineFrom <= 1 {
		return st, nil
	}
	all, err := store.Timeline(ctx, st.ID)
	if err != nil {
		return st, err
	}
	earlier := make([]incident.TimelineEntry, 0, st.TimelineFrom-1+len(st.Timeline))
	for _, e := range all {
		if e.Seq < st.TimelineFrom {
			earlier = append(earlier, e)
		}
	}
	st.Timeline = append(earlier, st.Timeline...)
	st.TimelineFrom = 0
	return st, nil
}

// query asks an incident's workflow for its state.
func (s *Service) query(ctx context.Context, id string) (incident.State, error) {
	var st incident.State
	v, err := s.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.StateQuery)
	if err != nil {
		return st, err
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode state of %s: %w", id, err)
	}
	return st, nil
}

// storedState builds an incident's State from the store: the state its workflow
// last saved, its timeline, and its obligations overlaid with their clocks' rows,
// which are newer than the incident's last save once it closed.
func (s *Service) storedState(ctx context.Context, store incident.Store, rec incident.StoredIncident) (incident.State, error) {
	st, err := decodeStored(rec)
	if err != nil {
		return st, err
	}
	if st.Timeline, err = store.Timeline(ctx, rec.ID); err != nil {
		return st, err
	}
	if st.Timeline == nil {
		st.Timeline = []incident.TimelineEntry{}
	}
	rows, err := store.Obligations(ctx, incident.ObligationFilter{IncidentID: rec.ID})
	if err != nil {
		return st, err
	}
	overlay(&st, rows, s.now())
	return st, nil
}

// decodeStored is the state an incident's workflow last saved, without timeline.
func decodeStored(rec incident.StoredIncident) (incident.State, error) {
	var st incident.State
	if err := json.Unmarshal([]byte(rec.StateJSON), &st); err != nil {
		return st, fmt.Errorf("decode stored state of %s: %w", rec.ID, err)
	}
	if st.ID == "" { // saved before the state was: the summary is all there is
		st.ID, st.WorkflowID, st.Title, st.Playbook, st.Phase = rec.ID, rec.WorkflowID, rec.Title, rec.Playbook, rec.Phase
		st.DeclaredAt, st.ClosedAt, st.CloseReason, st.Severity = rec.DeclaredAt, rec.ClosedAt, rec.CloseReason, rec.Severity
	}
	return st, nil
}

// overlay updates the state's obligations with their clocks' rows: status, dates
// and last event. An obligation the state lacks (its clock started after the last
// save) is added.
func overlay(st *incident.State, rows []incident.ObligationRecord, now time.Time) {
	byClock := make(map[string]incident.ObligationRecord, len(rows))
	for _, r := range rows {
		byClock[r.ClockWorkflowID] = r
	}
	have := map[string]bool{}
	for i := range st.Obligations {
		o := &st.Obligations[i]
		have[o.ID] = true
		if r, ok := byClock[o.ClockWorkflowID]; ok {
			cv := r.Clock.View(now)
			applyClock(o, r, cv)
		}
	}
	added := false
	for _, r := range rows {
		if !have[r.ObligationID] && r.Clock.Status != incident.ClockRetired {
			st.Obligations = append(st.Obligations, fromRow(r, r.Clock.View(now)))
			have[r.ObligationID], added = true, true
		}
	}
	if added {
		sort.SliceStable(st.Obligations, func(i, j int) bool {
			return obligations.Less(&st.Obligations[i].Obligation, &st.Obligations[j].Obligation)
		})
	}
}

// fromRow is the incident's record of an obligation, rebuilt from its clock's row.
func fromRow(r incident.ObligationRecord, cv incident.ClockView) incident.IncidentObligation {
	o := incident.IncidentObligation{Obligation: cv.Obligation, ClockWorkflowID: r.ClockWorkflowID}
	applyClock(&o, r, cv)
	return o
}

// applyClock sets what the clock decides on the incident's record of its obligation.
func applyClock(o *incident.IncidentObligation, r incident.ObligationRecord, cv incident.ClockView) {
	o.Status = cv.Status
	o.TriggerAt, o.DueAt = cv.TriggerAt, cv.DueAt
	o.FulfilledAt = r.FulfilledAt
	if cv.Fulfilment != nil {
		at := cv.Fulfilment.At
		o.FulfilledAt = &at
	}
	if n := len(cv.History); n > 0 {
		e := cv.History[n-1]
		o.LastEvent = &e
	}
	if cv.Status == incident.ClockRetired && o.Retired == "" {
		o.Retired = cv.RetiredReason
		if o.Retired == "" { // clocks retired before the reason had its own field
			o.Retired = retiredReason(cv.History)
		}
	}
}

// retiredReason is the reason the clock recorded when it was retired.
func retiredReason(history []incident.ObligationEvent) string {
	for i := len(history) - 1; i >= 0; i-- {
		if e := history[i]; e.Kind == incident.EventRetired {
			return strings.TrimPrefix(e.Text, "clock retired: ")
		}
	}
	return "retired"
}

// Obligations lists an incident's notification obligations from the store, one per
// clock (a clock retired by a recomputation and the one that replaced it are two),
// each with the clock's state and the time left as of now. A clock that has not
// written its row (one started before clocks wrote the store) is listed from the
// incident's state, with its live view when it still answers. With all, the
// obligations that do not apply are added with their reasons, computed from the
// incident's facts (the workflow keeps only those with clocks).
func (s *Service) Obligations(ctx context.Context, incidentID string, all bool) ([]incident.ObligationView, error) {
	if err := checkID(incidentID); err != nil {
		return nil, err
	}
	if err := s.authorizeRead(ctx, incidentID); err != nil {
		return nil, err
	}
	store, err := s.store()
	if err != nil {
		return nil, err
	}
	st, err := s.savedState(ctx, store, incidentID)
	if err != nil {
		return nil, err
	}
	rows, err := store.Obligations(ctx, incident.ObligationFilter{IncidentID: incidentID})
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]incident.ObligationView, 0, len(rows)+len(st.Obligations))
	seen := map[string]bool{}
	for _, r := range rows {
		cv := r.Clock.View(now)
		out = append(out, incident.ObligationView{IncidentObligation: fromRow(r, cv), Clock: &cv})
		seen[r.ClockWorkflowID] = true
	}
	for _, o := range st.Obligations {
		if o.ClockWorkflowID == "" || seen[o.ClockWorkflowID] {
			continue
		}
		v := incident.ObligationView{IncidentObligation: o}
		if cv, ok := s.queryClock(ctx, o.ClockWorkflowID); ok {
			v.Clock = &cv
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return obligations.Less(&out[i].Obligation, &out[j].Obligation) })
	if all {
		out = append(out, notApplicable(st, now)...)
	}
	return out, nil
}

// savedState is the state an incident's workflow last saved in the store, without
// timeline; from the workflow when the store has not seen the incident yet
// (declared a moment ago).
func (s *Service) savedState(ctx context.Context, store incident.Store, id string) (incident.State, error) {
	rec, err := store.GetIncident(ctx, id)
	if err == nil {
		return decodeStored(rec)
	}
	if !hasCode(err, incident.ENOTFOUND) {
		return incident.State{}, err
	}
	st, err := s.query(ctx, id)
	if err != nil {
		return incident.State{}, mapErr("incident "+id, err)
	}
	return st, nil
}

// queryClock asks a clock workflow for its view; false when it does not answer.
func (s *Service) queryClock(ctx context.Context, workflowID string) (incident.ClockView, bool) {
	var cv incident.ClockView
	q, err := s.Client.QueryWorkflow(ctx, workflowID, "", workflows.ClockQuery)
	if err != nil {
		return cv, false
	}
	return cv, q.Get(&cv) == nil
}

// notApplicable computes the obligations that do not apply to the incident's facts,
// with the threshold or flag that decided each.
func notApplicable(st incident.State, now time.Time) []incident.ObligationView {
	cat, err := regimes.Load()
	if err != nil {
		return nil
	}
	have := map[string]bool{}
	for _, o := range st.Obligations {
		have[o.ID] = true
	}
	var out []incident.ObligationView
	for _, o := range obligations.ComputeAll(st.Facts, cat, now) {
		if !o.Applicable && !have[o.ID] {
			out = append(out, incident.ObligationView{IncidentObligation: incident.IncidentObligation{Obligation: o}})
		}
	}
	return out
}

// clock returns the workflow id of the clock of obligationID in incidentID: the
// newest of its rows in the store that was not retired. A clock that has ended is a
// conflict, answered without asking Temporal. Without a row (a clock started before
// clocks wrote the store), an open incident's state names the clock.
func (s *Service) clock(ctx context.Context, incidentID, obligationID string) (string, error) {
	store, err := s.store()
	if err != nil {
		return "", err
	}
	rows, err := store.Obligations(ctx, incident.ObligationFilter{IncidentID: incidentID, ObligationID: obligationID})
	if err != nil {
		return "", err
	}
	if r, ok := current(rows); ok {
		if r.Final() {
			return "", incident.Errorf(incident.ECONFLICT, "obligation %s of incident %s is already %s", obligationID, incidentID, r.Clock.Status)
		}
		return r.ClockWorkflowID, nil
	}

	known := map[string]bool{}
	all, err := store.Obligations(ctx, incident.ObligationFilter{IncidentID: incidentID})
	if err != nil {
		return "", err
	}
	for _, r := range all {
		known[r.ObligationID] = true
	}
	st, qerr := s.query(ctx, incidentID)
	switch {
	case qerr == nil && st.Phase != incident.PhaseClosed:
		for _, o := range st.Obligations {
			if o.ID == obligationID && o.ClockWorkflowID != "" && o.Retired == "" {
				return o.ClockWorkflowID, nil
			}
		}
	case qerr == nil:
	case isNotFound(qerr):
		rec, err := store.GetIncident(ctx, incidentID)
		if hasCode(err, incident.ENOTFOUND) {
			return "", incident.Errorf(incident.ENOTFOUND, "incident %s not found", incidentID)
		}
		if err != nil {
			return "", err
		}
		if st, err = decodeStored(rec); err != nil {
			return "", err
		}
	default:
		return "", mapErr("incident "+incidentID, qerr)
	}
	for _, o := range st.Obligations {
		if o.ClockWorkflowID != "" {
			known[o.ID] = true
		}
	}
	ids := make([]string, 0, len(known))
	for id := range known {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	list := "none"
	if len(ids) > 0 {
		list = strings.Join(ids, ", ")
	}
	return "", incident.Errorf(incident.ENOTFOUND, "incident %s has no obligation clock %q (clocks: %s)", incidentID, obligationID, list)
}

// current picks the clock an action on an obligation addresses from its rows: the
// newest not retired (a recomputation that brings an obligation back starts a new
// clock under a new id), else the newest.
func current(rows []incident.ObligationRecord) (incident.ObligationRecord, bool) {
	var best incident.ObligationRecord
	found := false
	for _, r := range rows {
		if !found || newer(r, best) {
			best, found = r, true
		}
	}
	return best, found
}

// newer orders rows for current: not retired first, then the latest written.
func newer(a, b incident.ObligationRecord) bool {
	ar, br := a.Clock.Status == incident.ClockRetired, b.Clock.Status == incident.ClockRetired
	if ar != br {
		return br
	}
	if !a.UpdatedAt.Equal(b.UpdatedAt) {
		return a.UpdatedAt.After(b.UpdatedAt)
	}
	return a.ClockWorkflowID > b.ClockWorkflowID
}
