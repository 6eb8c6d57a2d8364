package workflows

import (
	"errors"
	"go.temporal.io/sdk/workflow"

	"irflow/internal/containment"
	"irflow/internal/facts"
	"irflow/internal/ownership"
	"irflow/internal/triage"
)

// versionRecordedDecisions: ownership, severity and containment targets are
// computed inside SideEffect, so their result is recorded in the history (STYLE
// rule 16). A later change to the rules then never changes what a running incident
// replays: it keeps the decisions it made, and makes new ones with the new rules.
const versionRecordedDecisions = "recorded-decisions"

// recorded returns decide's result, recorded in the history. Incidents that began
// before decisions were recorded keep computing them in workflow code, as their
// histories expect; GetVersion answers the same for the whole run.
func recorded[T any](ctx workflow.Context, decide func() T) T {
	if workflow.GetVersion(ctx, versionRecordedDecisions, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return decide()
	}
	var out T
	if err := workflow.SideEffect(ctx, func(workflow.Context) any { return decide() }).Get(&out); err != nil {
		// Only a payload that cannot be decoded gets here: a programming error that a
		// replay would repeat; the live computation is the best answer left.
		workflow.GetLogger(ctx).Error("Cannot decode a recorded decision", "error", err)
		return decide()
	}
	return out
}

// determineOwnership is ownership.Determine, recorded.
func determineOwnership(ctx workflow.Context, doc facts.Document) ownership.Determination {
	return recorded(ctx, func() ownership.Determination { return ownership.Determine(doc) })
}

// assess is triage.AssessWith, recorded.
func assess(ctx workflow.Context, doc facts.Document, det ownership.Determination, refs []triage.PlaybookRef) triage.Result {
	return recorded(ctx, func() triage.Result { return triage.AssessWith(doc, det, refs) })
}

// resolvedTargets is what containment.Targets answers, in a form SideEffect records.
type resolvedTargets struct {
	Targets []containment.Target `json:"targets"`
	Error   string               `json:"error,omitempty"`
	// NoTargets is the facts path of an empty target list (Error then says so
	// too). Histories recorded before it existed leave it empty.
	NoTargets string `json:"no_targets,omitempty"`
}

// resolveTargets is containment.Targets, recorded.
func resolveTargets(ctx workflow.Context, step containment.Step, doc facts.Document) resolvedTargets {
	return recorded(ctx, func() resolvedTargets {
		t, err := containment.Targets(step, doc)
		if err != nil {
			var none *containment.NoTargetsError
			if errors.As(err, &none) {
				return resolvedTargets{Error: err.Error(), NoTargets: none.Facts}
			}
			return resolvedTargets{Error: err.Error()}
		}
		return resolvedTargets{Targets: t}
	})
}
