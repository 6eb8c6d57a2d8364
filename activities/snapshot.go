package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"irflow/internal/containment"
	"irflow/internal/evidence"
	"irflow/internal/zendesk"
)

// BeforeStateDir is the folder, beside an incident's evidence folder, that holds
// what containment steps are about to delete or revoke: <evidence>/<ID>.before.
// It is not in the evidence folder itself, whose manifest lists exactly what
// collection wrote (evidence verify reports any other file as appeared).
func BeforeStateDir(evidenceDir, incidentID string) string {
	return filepath.Join(evidenceDir, incidentID+".before")
}

// SnapshotInput is SnapshotBeforeState's input: the step about to delete or revoke
// the target's objects.
type SnapshotInput struct {
	IncidentID string             `json:"incident_id"`
	StepID     string             `json:"step_id"`
	Action     string             `json:"action"`
	Target     containment.Target `json:"target"`
}

// SnapshotResult says where the before-state is kept, or why it is not.
type SnapshotResult struct {
	// Path is the snapshot's path relative to the evidence root
	// ("INC-.../before/kill-sessions-user-372003.ndjson"); empty with a Gap.
	Path    string `json:"path,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	Records int    `json:"records"`
	// Gap says why there is no snapshot: the objects were gone before the step (an
	// attacker, or another incident, deleted them first), or no folder is set.
	Gap string `json:"gap,omitempty"`
}

// SnapshotBeforeState reads the objects a destructive step is about to delete or
// revoke (a user's sessions, an API token's metadata, OAuth tokens' metadata) and
// writes them as canonical NDJSON into the incident's before-state folder, once,
// with their SHA-256 recorded by evidence.Folder (issue 17 item 4): volatile
// evidence is kept before containment destroys it. Secrets are never written: API
// and OAuth tokens are recorded by their metadata, as the step's own result is.
// An object already gone is a gap, never an empty file.
func (a *ContainmentActivities) SnapshotBeforeState(ctx context.Context, in SnapshotInput) (SnapshotResult, error) {
	// It runs with the containment steps' short heartbeat timeout: listing a
	// user's sessions can wait out Zendesk's rate limit.
	ctx, p := startPulse(ctx, a.Temporal)
	defer p.Stop()
	if a.EvidenceDir == "" && a.Objects == nil {
		return SnapshotResult{Gap: "no evidence folder is configured: the before-state was not kept"}, nil
	}
	if err := evidence.ValidIncidentID(in.IncidentID); err != nil {
		return SnapshotResult{}, err
	}
	records, gap, err := a.beforeState(ctx, in)
	if err != nil {
		return SnapshotResult{}, fmt.Errorf("snapshot %s before %s: %w", in.Target, in.Action, err)
	}
	if gap != "" {
		return SnapshotResult{Gap: gap}, nil
	}
	var buf bytes.Buffer
	for _, rec := range records {
		b, err := evidence.Canonical(rec)
		if err != nil {
			return SnapshotResult{}, fmt.Errorf("snapshot %s: encode: %w", in.Target, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	key := in.StepID + "-" + strings.NewReplacer(":", "-", "/", "-").Replace(in.Target.Key()) + ".ndjson"
	var folder evidence.Objects = evidence.Folder{Dir: BeforeStateDir(a.EvidenceDir, in.IncidentID)}
	objKey := key
	if a.Objects != nil {
		folder, objKey = a.Objects, in.IncidentID+".before/"+key
	}
	info, err := folder.Put(ctx, objKey, bytes.NewReader(buf.Bytes()))
	if errors.Is(err, evidence.ErrExists) {
		// A retried attempt: the first snapshot stands (written once).
		info, err = folder.Stat(ctx, objKey)
	}
	if err != nil {
		return SnapshotResult{}, fmt.Errorf("snapshot %s: %w", in.Target, err)
	}
	return SnapshotResult{Path: in.IncidentID + ".before/" + key, SHA256: info.SHA256, Records: len(records)}, nil
}

// beforeState reads the records a step is about to destroy, or says why there are
// none.
func (a *ContainmentActivities) beforeState(ctx context.Context, in SnapshotInput) ([]any, string, error) {
	t := in.Target
	var out []any
	switch in.Action {
	case containment.RevokeSessions:
		err := zendesk.ListAll(ctx, a.Zendesk.ListUserSessions(t.ID, zendesk.ListOptions{}), func(p *zendesk.Page[zendesk.Session]) error {
			for _, s := range p.Items {
				out = append(out, s)
			}
			return nil
		})
		if zendesk.IsNotFound(err) {
			return nil, fmt.Sprintf("user %d does not exist: its sessions could not be kept", t.ID), nil
		}
		if err != nil {
			return nil, "", err
		}
		if len(out) == 0 {
			return nil, fmt.Sprintf("user %d had no sessions left when the step ran: they were gone before they could be kept", t.ID), nil
		}
	case containment.RevokeAPIToken:
		tok, _, err := a.Zendesk.GetAPIToken(ctx, t.ID)
		if zendesk.IsNotFound(err) {
			return nil, fmt.Sprintf("API token %d was gone before it could be kept", t.ID), nil
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, apiTokenMetadata(tok))
	case containment.RevokeOAuthTokens:
		var r containment.ApplyResult
		tokens, err := a.oauthTokensOf(ctx, t, &r)
		if err != nil {
			return nil, "", err
		}
		for _, tok := range tokens {
			out = append(out, oauthTokenMetadata(tok))
		}
		if len(out) == 0 {
			return nil, fmt.Sprintf("%s had no OAuth tokens left when the step ran: they were gone before they could be kept", t), nil
		}
	default:
		return nil, "", fmt.Errorf("%s deletes nothing to keep", in.Action)
	}
	return out, "", nil
}
