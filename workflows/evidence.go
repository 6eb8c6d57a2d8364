package workflows

import (
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
			AuditFilter: in.AuditFilter, PageBudget: budget}
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
				return nil, fmt.Errorf("collect %s evidence: %w", src, err)
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
		IncidentID: in.IncidentID, Window: in.Window, Collected: in.Collected,
	}).Get(ctx, &m); err != nil {
		return nil, fmt.Errorf("write evidence manifest: %w", err)
	}
	return &EvidenceResult{ManifestPath: m.Path, ManifestSHA256: m.SHA256, Files: m.Files, Records: m.Records,
		Gaps: m.Gaps, Sources: in.Collected}, nil
}
