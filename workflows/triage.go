package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/ownership"
	"irflow/internal/srm"
)

// Triage message names.
const (
	// SetFactsUpdate merges a JSON merge patch into the facts document. An Update, so
	// the validator can reject invalid facts (naming the field) before anything is
	// recorded, and the caller sees the recomputed ownership.
	SetFactsUpdate = "set_facts"
	// ConfirmOwnershipUpdate records a human confirmation of the computed ownership.
	ConfirmOwnershipUpdate = "confirm_ownership"
	// OverrideOwnershipUpdate records a human decision that replaces the computed one.
	OverrideOwnershipUpdate = "override_ownership"
)

func brief(d ownership.Determination) OwnershipBrief {
	return OwnershipBrief{Owner: d.Owner, Clauses: d.Clauses, Confidence: d.Confidence}
}

func (w *incidentImpl) setupTriage(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, SetFactsUpdate, w.setFacts,
		workflow.UpdateHandlerOptions{Validator: w.validateSetFacts}); err != nil {
		return fmt.Errorf("register %s update: %w", SetFactsUpdate, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ConfirmOwnershipUpdate, w.confirmOwnership,
		workflow.UpdateHandlerOptions{Validator: w.validateConfirm}); err != nil {
		return fmt.Errorf("register %s update: %w", ConfirmOwnershipUpdate, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, OverrideOwnershipUpdate, w.overrideOwnership,
		workflow.UpdateHandlerOptions{Validator: w.validateOverride}); err != nil {
		return fmt.Errorf("register %s update: %w", OverrideOwnershipUpdate, err)
	}
	return nil
}

// runTriage is the triage phase: the first determination and severity, recorded
// with the clauses they rest on.
func (w *incidentImpl) runTriage(ctx workflow.Context) {
	det := determineOwnership(ctx, w.state.Facts)
	w.state.Ownership = OwnershipState{Determination: det, Source: OwnershipComputed}
	w.recordDetermination(ctx, "irflow", det, "initial determination from the declared facts")
	w.assessSeverity(ctx, "irflow", det)
	w.reconcileObligations(ctx, "irflow", "declared facts")
}

func (w *incidentImpl) recordDetermination(ctx workflow.Context, actor string, det ownership.Determination, why string) {
	text := fmt.Sprintf("Ownership: %s (%s; %s). %s", det.Owner, strings.Join(det.Clauses, ", "), det.Confidence, det.Rationale)
	if len(det.OpenQuestions) > 0 {
		text += fmt.Sprintf(" %d open question(s).", len(det.OpenQuestions))
	}
	w.record(ctx, actor, incident.KindOwnership, text, map[string]any{"why": why, "determination": det})
}

// assessSeverity recomputes severity and suggestions, recording a change.
func (w *incidentImpl) assessSeverity(ctx workflow.Context, actor string, det ownership.Determination) {
	res := assess(ctx, w.state.Facts, det, w.in.PlaybookRefs)
	prev := w.state.Severity
	w.state.Severity = string(res.Severity)
	w.state.SeverityReason = res.SeverityReason
	w.state.SuggestedPlaybooks = res.SuggestedPlaybooks
	if prev == w.state.Severity {
		w.changed()
		return
	}
	text := fmt.Sprintf("Severity %s: %s", res.Severity, res.SeverityReason)
	if prev != "" {
		text = fmt.Sprintf("Severity %s → %s: %s", prev, res.Severity, res.SeverityReason)
	}
	w.record(ctx, actor, incident.KindTriage, text, res)
}

func (w *incidentImpl) validateSetFacts(ctx workflow.Context, req SetFactsRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		return closedError(w.state.ID, "closed")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor is required")
	}
	if len(req.Patch) == 0 {
		return errors.New("patch is required (a JSON merge patch on the facts document)")
	}
	merged, err := facts.Merge(w.state.Facts, req.Patch)
	if err != nil {
		return err
	}
	// The bounds set-trigger applies (facts.MaxAhead): validators are not replayed,
	// so reading the clock here needs no version.
	if err := merged.CheckInstants(workflow.Now(ctx)); err != nil {
		return fmt.Errorf("facts patch: %w", err)
	}
	return nil
}

func (w *incidentImpl) setFacts(ctx workflow.Context, req SetFactsRequest) (SetFactsResult, error) {
	w.heard(req.By)
	merged, err := facts.Merge(w.state.Facts, req.Patch)
	if err != nil {
		// The validator ran the same merge on the same state; this cannot happen
		// unless the state changed in between, and then the caller should retry.
		return SetFactsResult{}, err
	}
	w.state.Facts = merged
	text := "Facts updated"
	if req.Reason != "" {
		text += ": " + req.Reason
	}
	w.record(ctx, req.Actor, incident.KindFacts, text, map[string]any{"patch": req.Patch})
	w.reassess(ctx, req.Actor, "facts changed")
	return SetFactsResult{Facts: w.state.Facts, Ownership: w.state.Ownership, Severity: w.state.Severity}, nil
}

// reassess recomputes ownership and severity after the facts changed. A change of
// the computed result is a revision when no human decided; when one did, the human
// decision stands and any disagreement is flagged for a human to resolve.
func (w *incidentImpl) reassess(ctx workflow.Context, actor, why string) {
	det := determineOwnership(ctx, w.state.Facts)
	own := &w.state.Ownership
	if own.Source == OwnershipComputed {
		if diff := ownership.Diff(own.Determination, det); len(diff) > 0 {
			if ownershipRevised(own.Determination, det) {
				w.state.OwnershipHistory = append(w.state.OwnershipHistory, OwnershipRevision{
					At: workflow.Now(ctx).UTC(), Actor: actor, From: brief(own.Determination), To: brief(det),
					Reason: why + " (" + strings.Join(diff, ", ") + ")",
				})
			}
			own.Determination = det
			w.recordDetermination(ctx, actor, det, why)
		}
	} else {
		own.Computed = &det
		disagreement := ""
		if det.Owner != own.Owner {
			disagreement = fmt.Sprintf("the facts now point to owner %s (%s), but %s decided %s: a human must confirm or override",
				det.Owner, strings.Join(det.Clauses, ", "), own.DecidedBy, own.Owner)
		}
		if disagreement != own.Disagreement {
			own.Disagreement = disagreement
			if disagreement != "" {
				w.record(ctx, "irflow", incident.KindDisagreement, "Ownership disagreement: "+disagreement, det)
			} else {
				w.record(ctx, "irflow", incident.KindOwnership, "The recomputed ownership agrees again with the decision in force", nil)
			}
		}
	}
	w.assessSeverity(ctx, actor, w.state.Ownership.Determination)
	w.reconcileObligations(ctx, actor, why)
}

// ownershipRevised reports whether the part of a determination a revision records
// (owner, clauses, confidence) changed; rationale and questions alone do not count.
func ownershipRevised(a, b ownership.Determination) bool {
	return a.Owner != b.Owner || a.Confidence != b.Confidence || !slices.Equal(a.Clauses, b.Clauses)
}

func (w *incidentImpl) validateConfirm(ctx workflow.Context, req ConfirmOwnershipRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		return closedError(w.state.ID, "closed")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("actor is required")
	}
	det := w.state.Ownership.Determination
	if w.state.Ownership.Computed != nil {
		det = *w.state.Ownership.Computed
	}
	if det.Owner == ownership.OwnerUndetermined {
		return errors.New("ownership is undetermined: answer the open questions (set_facts) or use override_ownership with a reason")
	}
	return nil
}

// confirmOwnership adopts the engine's latest determination as a human decision.
func (w *incidentImpl) confirmOwnership(ctx workflow.Context, req ConfirmOwnershipRequest) (OwnershipState, error) {
	w.heard(req.By)
	own := &w.state.Ownership
	prev := own.Determination
	det := prev
	if own.Computed != nil {
		det = *own.Computed
	}
	now := workflow.Now(ctx).UTC()
	*own = OwnershipState{Determination: det, Source: OwnershipConfirmed, DecidedBy: req.Actor, DecidedAt: &now, DecisionReason: req.Reason}
	if ownershipRevised(prev, det) {
		w.state.OwnershipHistory = append(w.state.OwnershipHistory, OwnershipRevision{
			At: now, Actor: req.Actor, From: brief(prev), To: brief(det), Reason: "confirmed the recomputed determination: " + req.Reason,
		})
	}
	text := fmt.Sprintf("%s confirmed ownership: %s (%s)", req.Actor, det.Owner, strings.Join(det.Clauses, ", "))
	if req.Reason != "" {
		text += ": " + req.Reason
	}
	w.record(ctx, req.Actor, incident.KindOwnership, text, nil)
	return *own, nil
}

func (w *incidentImpl) validateOverride(ctx workflow.Context, req OverrideOwnershipRequest) error {
	if err := checkBy(w.in.Authenticated, req.By, req.Actor); err != nil {
		return err
	}
	if w.closed {
		return closedError(w.state.ID, "closed")
	}
	var errs []error
	switch ownership.Owner(req.Owner) {
	case ownership.OwnerSubscriber, ownership.OwnerZendesk, ownership.OwnerShared, ownership.OwnerUndetermined:
	default:
		errs = append(errs, fmt.Errorf("owner: %q is not one of subscriber, zendesk, shared, undetermined", req.Owner))
	}
	for i, c := range req.Clauses {
		if !srm.Valid(c) {
			errs = append(errs, fmt.Errorf("clauses[%d]: %q is not a shared-responsibility clause id", i, c))
		}
	}
	if strings.TrimSpace(req.Actor) == "" {
		errs = append(errs, errors.New("actor is required"))
	}
	if strings.TrimSpace(req.Reason) == "" {
		errs = append(errs, errors.New("reason is required: an override must say why"))
	}
	return errors.Join(errs...)
}

// overrideOwnership records a human decision that replaces the computed owner.
func (w *incidentImpl) overrideOwnership(ctx workflow.Context, req OverrideOwnershipRequest) (OwnershipState, error) {
	w.heard(req.By)
	own := &w.state.Ownership
	prev := own.Determination
	computed := determineOwnership(ctx, w.state.Facts)
	det := computed
	det.Owner = ownership.Owner(req.Owner)
	if len(req.Clauses) > 0 {
		det.Clauses = slices.Clone(req.Clauses)
	}
	det.Rationale = fmt.Sprintf("Decided by %s: %s (the engine's determination: %s)", req.Actor, req.Reason, computed.Rationale)
	det.Confidence = ownership.Confirmed
	if det.Owner == ownership.OwnerUndetermined {
		det.Confidence = ownership.Unknown
	}
	now := workflow.Now(ctx).UTC()
	*own = OwnershipState{Determination: det, Source: OwnershipOverridden, DecidedBy: req.Actor, DecidedAt: &now,
		DecisionReason: req.Reason, Computed: &computed}
	if computed.Owner != det.Owner {
		own.Disagreement = fmt.Sprintf("the facts point to owner %s (%s), but %s decided %s",
			computed.Owner, strings.Join(computed.Clauses, ", "), req.Actor, det.Owner)
	}
	w.state.OwnershipHistory = append(w.state.OwnershipHistory, OwnershipRevision{
		At: now, Actor: req.Actor, From: brief(prev), To: brief(det), Reason: "override: " + req.Reason,
	})
	w.record(ctx, req.Actor, incident.KindOwnership,
		fmt.Sprintf("%s overrode ownership: %s → %s (%s): %s", req.Actor, prev.Owner, det.Owner, strings.Join(det.Clauses, ", "), req.Reason), nil)
	w.assessSeverity(ctx, req.Actor, det)
	return *own, nil
}
