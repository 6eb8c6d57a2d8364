package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/internal/evidence"
)

// WorkflowEvidenceCollection is the registered name of the evidence child workflow.
const WorkflowEvidenceCollection = "EvidenceCollection"

// Defaults of EvidenceInput.
const (
	defaultEvidencePageBudget = 50
	// defaultRunsPerExecution bounds the CollectSource runs of one execution before
	// continuing as new, so a large collection's history stays small.
	defaultRunsPerExecution = 200
)

// EvidenceInput starts (or, through continue-as-new, resumes) the collection of an
// incident's evidence.
type EvidenceInput struct {
	IncidentID  string                  `json:"incident_id"`
	Window      evidence.Window         `json:"window"`
	Scope       evidence.Scope          `json:"scope"`
	AuditFilter evidence.AuditLogFilter `json:"audit_filter"`
	// Sources to collect, in order; empty means evidence.Sources().
	Sources []string `json:"sources,omitempty"`
	// PageBudget is the pages per CollectSource run (default 50).
	PageBudget int `json:"page_budget,omitempty"`
	// RunsPerExecution is the CollectSource runs before continue-as-new (default
	// 200); the server's continue-as-new suggestion also triggers it.
	RunsPerExecution int `json:"runs_per_execution,omitempty"`

	// Collected and Current carry progress across continue-as-new: finished
	// sources, and where the source in progress stands.
	Collected []evidence.CollectResult `json:"collected,omitempty"`
	Current   *evidence.CollectResult  `json:"current,omitempty"`
	// Objects carries the storage layout across continue-as-new: set when the
	// collection started in evidence storage (part objects), unset for one that
	// started appending to a worker's local files and must finish that way.
	Objects bool `json:"objects,omitempty"`
	// RequestedWindow is the window asked for, set when Window was clamped to
	// what Zendesk's exports allow.
	RequestedWindow *evidence.Window `json:"requested_window,omitempty"`
}

// EvidenceResult is the finished collection: the manifest and its hash, which the
// incident workflow records in the store and the timeline.
type EvidenceResult struct {
	ManifestPath   string                   `json:"manifest_path"`
	ManifestSHA256 string                   `json:"manifest_sha256"`
	Files          int                      `json:"files"`
	Records        int64                    `json:"records"`
	Gaps           []evidence.Gap           `json:"gaps"`
	Sources        []evidence.CollectResult `json:"sources"`
	// Status is evidence.StatusComplete or StatusPartial (empty from collections
	// that predate it); Failed names the sources that could not be collected.
	Status string   `json:"status,omitempty"`
	Failed []string `json:"failed,omitempty"`
	// Window is the window collected; RequestedWindow the one asked for when it
	// had to be clamped.
	Window          evidence.Window  `json:"window"`
	RequestedWindow *evidence.Window `json:"requested_window,omitempty"`
}

// evidenceActivityOptionsV0 are the options of collections started before the
// heartbeat timeout was shortened: a crashed worker's run was retried after 2
// minutes.
var evidenceActivityOptionsV0 = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Minute,
	HeartbeatTimeout:    2 * time.Minute,
	RetryPolicy:         evidenceRetryPolicy,
}

// evidenceActivityOptions: a CollectSource run fetches up to a page budget of pages
// (10 incremental requests a minute at Zendesk's limit), recording its cursor after
// each and heartbeating every few seconds in between, even while a request waits
// out a 429; the short heartbeat timeout lets a dead worker's run be retried from
// its last page within seconds.
var evidenceActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Minute,
	HeartbeatTimeout:    10 * time.Second,
	RetryPolicy:         evidenceRetryPolicy,
}

var evidenceRetryPolicy = &temporal.RetryPolicy{
	InitialInterval:    2 * time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    2 * time.Minute,
	MaximumAttempts:    30,
}

// versionEvidenceHeartbeat: from version 1 evidence activities have a 10 s
// heartbeat timeout.
const versionEvidenceHeartbeat = "evidence-heartbeat"

// versionEvidenceStorage: from version 1 a new collection writes part objects
// through the worker's evidence storage (so any worker resumes any collection), its
// window is clamped to what Zendesk's exports allow, and a source that fails is
// recorded as a failed gap with Zendesk's answer instead of failing the whole
// collection: the manifest is always written, complete or partial.
const versionEvidenceStorage = "evidence-storage"

// exportLag is how far behind now a window must end: Zendesk's incremental
// exports refuse a start_time within the last minute and leave out changes made in
// it (reference B3). The 10 seconds beyond the minute absorb clock skew between
// the worker and Zendesk.
const exportLag = time.Minute + 10*time.Second

// clampWindow limits w to what the exports allow at now: a window ending in the
// future or within exportLag of now ends exportLag before now, and one that then
// starts after its end becomes empty at that instant. ok reports whether w changed.
func clampWindow(w evidence.Window, now time.Time) (evidence.Window, bool) {
	limit := now.Add(-exportLag).Truncate(time.Second)
	if !w.To.After(limit) {
		return w, false
	}
	c := evidence.Window{From: w.From, To: limit}
	if c.From.After(c.To) {
		c.From = c.To
	}
	return c, true
}

// EvidenceCollection collects every source for the incident window into the
// incident's evidence folder, one source after another, then writes the manifest.
// It continues as new with its cursors when the server suggests it or after
// RunsPerExecution activity runs; the cursors and committed file sizes make the
// resumed run pick up exactly where it stopped, without duplicates.
func EvidenceCollection(ctx workflow.Context, in EvidenceInput) (*EvidenceResult, error) {
	if err := evidence.ValidIncidentID(in.IncidentID); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidEvidenceInput", nil)
	}
	if in.Window.From.IsZero() || in.Window.To.IsZero() || in.Window.To.Before(in.Window.From) {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("window: %s..%s is not a time range (set facts zendesk.window)", in.Window.From, in.Window.To),
			"InvalidEvidenceInput", nil)
	}
	sources := in.Sources
	if len(sources) == 0 {
		sources = evidence.Sources()
	}
	for _, s := range sources {
		if !evidence.ValidSource(s) {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("sources: unknown source %q", s), "InvalidEvidenceInput", nil)
		}
	}
	runsLeft := in.RunsPerExecution
	if runsLeft <= 0 {
		runsLeft = defaultRunsPerExecution
	}
	budget := in.PageBudget
	if budget <= 0 {
		budget = defaultEvidencePageBudget
	}
	opts := evidenceActivityOptions
	if workflow.GetVersion(ctx, versionEvidenceHeartbeat, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		opts = evidenceActivityOptionsV0
	}
	tolerant := workflow.GetVersion(ctx, versionEvidenceStorage, workflow.DefaultVersion, 1) >= 1
	if tolerant && len(in.Collected) == 0 && in.Current == nil {
		// A fresh collection: decided once, then carried across continue-as-new.
		in.Objects = true
		if w, clamped := clampWindow(in.Window, workflow.Now(ctx)); clamped {
			requested := in.Window
			in.Window, in.RequestedWindow = w, &requested
			workflow.GetLogger(ctx).Info("Evidence window clamped to what Zendesk's exports allow",
				"requested_to", requested.To, "to", w.To)
		}
	}
	actx := workflow.WithActivityOptions(ctx, opts)
	done := map[string]bool{}
	for _, c := range in.Collected {
		done[c.Source] = true
	}
	for _, src := range sources {
		if done[src] {
			continue
		}
		req := evidence.CollectInput{IncidentID: in.IncidentID, Source: src, Window: in.Window, Scope: in.Scope,
			AuditFilter: in.AuditFilter, PageBudget: budget, Objects: in.Objects}
		if in.Current != nil && in.Current.Source == src {
			req.Cursor, req.Committed = in.Current.Cursor, in.Current.Committed
		}
		for {
			if runsLeft == 0 || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
				next := in
				next.Current = &evidence.CollectResult{Source: src, Cursor: req.Cursor, Committed: req.Committed}
				return nil, workflow.NewContinueAsNewError(ctx, WorkflowEvidenceCollection, next)
			}
			runsLeft--
			var res evidence.CollectResult
			if err := workflow.ExecuteActivity(actx, evidence.ActivityCollectSource, req).Get(ctx, &res); err != nil {
				if !tolerant || temporal.IsCanceledError(err) {
					return nil, fmt.Errorf("collect %s evidence: %w", src, err)
				}
				// Retries are spent or Zendesk refused the query: the source is a
				// failed gap carrying Zendesk's answer, and collection goes on.
				in.Collected = append(in.Collected, failedSource(ctx, req, err))
				in.Current = nil
				break
			}
			if res.Done {
				in.Collected = append(in.Collected, res)
				in.Current = nil
				break
			}
			req.Cursor, req.Committed = res.Cursor, res.Committed
		}
	}
	var m evidence.ManifestResult
	if err := workflow.ExecuteActivity(actx, evidence.ActivityWriteManifest, evidence.WriteManifestInput{
		IncidentID: in.IncidentID, Window: in.Window, Collected: in.Collected, Objects: in.Objects,
		RequestedWindow: in.RequestedWindow,
	}).Get(ctx, &m); err != nil {
		return nil, fmt.Errorf("write evidence manifest: %w", err)
	}
	return &EvidenceResult{ManifestPath: m.Path, ManifestSHA256: m.SHA256, Files: m.Files, Records: m.Records,
		Gaps: m.Gaps, Sources: in.Collected, Status: m.Status, Failed: m.Failed,
		Window: in.Window, RequestedWindow: in.RequestedWindow}, nil
}

// failedSource records a source whose collection failed: a failed gap with the
// error Zendesk's answer is in, and whatever was committed before it (from the
// failure's details when the activity attached its progress, else from the last
// run), which the manifest still lists.
func failedSource(ctx workflow.Context, req evidence.CollectInput, err error) evidence.CollectResult {
	cursor, committed := req.Cursor, req.Committed
	reason := err.Error()
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		reason = appErr.Error()
		var last evidence.CollectResult
		if appErr.HasDetails() && appErr.Details(&last) == nil && last.Source == req.Source {
			cursor, committed = last.Cursor, last.Committed
		}
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		reason = timeout.Error()
	}
	res := evidence.CollectResult{Source: req.Source, Cursor: cursor, Committed: committed, CollectedAt: workflow.Now(ctx),
		Gap: &evidence.Gap{Source: req.Source, Reason: "collection failed: " + reason, Failed: true}}
	if len(committed.Parts) > 0 {
		res.File = evidence.FileName(req.Source)
	}
	return res
}
