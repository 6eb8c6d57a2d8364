package workflows

import (
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/evidence"
	"irflow/internal/incident"
	"irflow/internal/notify"
)

// versionEvidenceUnrecorded: evidence whose manifest hash could not be stored is
// shown failed, not collected.
const versionEvidenceUnrecorded = "evidence-unrecorded-hash"

// defaultEvidenceLookback is how far before the declaration the evidence window
// starts when the facts give none: a week covers the usual dwell time of a
// credential-stuffing takeover before anyone notices.
const defaultEvidenceLookback = 7 * 24 * time.Hour

// EvidenceWorkflowID is the id of an incident's evidence collection child.
func EvidenceWorkflowID(incidentID string) string { return "evidence-" + incidentID }

// evidencePlan derives the sources and window from the playbook and the facts.
func (w *incidentImpl) evidencePlan() EvidenceInput {
	seen := map[string]bool{}
	var sources []string
	for _, e := range w.in.Playbook.Evidence {
		if evidence.ValidSource(e.Source) && !seen[e.Source] {
			seen[e.Source] = true
			sources = append(sources, e.Source)
		}
	}
	z := w.state.Facts.Zendesk
	win := evidence.Window{From: w.state.DeclaredAt.Add(-defaultEvidenceLookback), To: w.state.DeclaredAt}
	assumed := true
	if z.Window != nil && z.Window.From != nil {
		win.From, assumed = z.Window.From.UTC(), false
		if z.Window.To != nil {
			win.To = z.Window.To.UTC()
		}
	}
	w.state.Evidence.WindowAssumed = assumed
	return EvidenceInput{
		IncidentID: w.state.ID,
		Window:     win,
		Scope:      evidence.Scope{Users: z.Users, Tickets: z.Tickets, IPAddresses: z.IPAddresses},
		Sources:    sources,
	}
}

// collectEvidence runs the evidence child workflow and records the manifest's hash
// in the timeline and the store: the chain-of-custody anchor `irflow evidence
// verify` checks against.
func (w *incidentImpl) collectEvidence(ctx workflow.Context) {
	defer func() { w.evidenceDone = true }()
	in := w.evidencePlan()
	w.state.Evidence.Sources = in.Sources
	w.state.Evidence.Window = in.Window
	if len(in.Sources) == 0 {
		w.state.Evidence.Status = EvidenceNone
		w.record(ctx, SystemActor, incident.KindEvidence, "No evidence sources: the playbook lists none", nil)
		return
	}
	w.state.Evidence.Status = EvidenceCollecting
	how := "from the facts' zendesk.window"
	if w.state.Evidence.WindowAssumed {
		how = "assumed: no zendesk.window in the facts, so the week before declaration"
	}
	w.record(ctx, SystemActor, incident.KindEvidence, fmt.Sprintf("Collecting evidence from %d sources for %s to %s (%s)",
		len(in.Sources), in.Window.From.Format(time.RFC3339), in.Window.To.Format(time.RFC3339), how), in.Sources)

	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: EvidenceWorkflowID(w.state.ID),
		TaskQueue:  TaskQueue,
		// Evidence already being written must not be cut off if the incident is
		// cancelled: the collection finishes and its manifest is still written.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
	})
	var res EvidenceResult
	if err := workflow.ExecuteChildWorkflow(cctx, WorkflowEvidenceCollection, in).Get(ctx, &res); err != nil {
		msg := failureMessage(ctx, "evidence collection", err, err.Error())
		w.state.Evidence.Status = EvidenceFailed
		w.state.Evidence.Error = msg
		w.record(ctx, SystemActor, incident.KindEvidence, "Evidence collection failed: "+msg, nil)
		return
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second},
	})
	if err := workflow.ExecuteActivity(actx, a.RecordEvidenceManifest, activities.RecordEvidenceInput{
		IncidentID: w.state.ID, ManifestPath: res.ManifestPath, SHA256: res.ManifestSHA256,
		Files: res.Files, Records: res.Records, Gaps: len(res.Gaps),
	}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Recording the evidence manifest hash failed", "error", err)
		if workflow.GetVersion(ctx, versionEvidenceUnrecorded, workflow.DefaultVersion, 1) == 1 {
			// Without its hash in the store the manifest has no custody anchor outside
			// the folder: say so instead of showing "collected". The timeline keeps
			// the hash, so a responder can still check the folder by hand.
			ev := &w.state.Evidence
			ev.Status, ev.ManifestPath, ev.ManifestSHA256 = EvidenceFailed, res.ManifestPath, res.ManifestSHA256
			ev.Files, ev.Records, ev.Gaps = res.Files, res.Records, res.Gaps
			ev.Completeness, ev.FailedSources = res.Status, res.Failed
			ev.Error = "the manifest was written but its hash could not be recorded in the store: " + err.Error()
			w.record(ctx, SystemActor, incident.KindEvidence, fmt.Sprintf("Evidence collected (%d records in %d files; manifest %s sha256 %s) but its hash was not recorded in the store: %v",
				res.Records, res.Files, res.ManifestPath, res.ManifestSHA256, err), res.Gaps)
			return
		}
	}
	// The state says "collected" only once the hash is in the store and the
	// timeline, so nobody reads a collected status without its custody record.
	ev := &w.state.Evidence
	ev.Status, ev.ManifestPath, ev.ManifestSHA256 = EvidenceCollected, res.ManifestPath, res.ManifestSHA256
	ev.Files, ev.Records, ev.Gaps = res.Files, res.Records, res.Gaps
	// Query output only (no command): replay is unaffected.
	ev.Completeness, ev.FailedSources = res.Status, res.Failed

	text := fmt.Sprintf("Evidence collected: %d records in %d files; manifest %s sha256 %s",
		res.Records, res.Files, res.ManifestPath, res.ManifestSHA256)
	if len(res.Gaps) > 0 {
		text += fmt.Sprintf("; %d gap(s) recorded", len(res.Gaps))
	}
	if res.Status == evidence.StatusPartial {
		text += "; PARTIAL: failed sources " + strings.Join(res.Failed, ", ")
	}
	if res.RequestedWindow != nil {
		text += fmt.Sprintf("; window clamped to end %s (Zendesk's exports refuse the last minute)", res.Window.To.Format(time.RFC3339))
	}
	e := w.record(ctx, SystemActor, incident.KindEvidence, text, res.Gaps)
	w.announce(ctx, e, notify.KindEvidenceCollected, "responder", "legal")
}
