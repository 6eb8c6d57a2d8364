package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"irflow/internal/evidence"
	"irflow/internal/incident"
)

// Source is what Load reads: the store's readers.
type Source interface {
	GetIncident(ctx context.Context, id string) (incident.StoredIncident, error)
	Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error)
	Obligations(ctx context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error)
	LatestEvidenceManifest(ctx context.Context, incidentID string) (incident.EvidenceManifest, error)
}

// LoadOptions says where to look for evidence and who generates the report.
type LoadOptions struct {
	// EvidenceDirs are folders holding incidents' evidence folders (<dir>/<ID>),
	// tried after the folder the store recorded the manifest in.
	EvidenceDirs []string
	Now          time.Time
	By           string
}

// Load reads an incident's record from the store: its last saved state, its whole
// timeline, its clocks' rows and its evidence manifest. A manifest that cannot be
// read, or whose SHA-256 differs from the one the store recorded, is reported in
// the evidence section rather than failing the report.
func Load(ctx context.Context, src Source, id string, opt LoadOptions) (Record, error) {
	rec := Record{GeneratedAt: opt.Now, GeneratedBy: opt.By}
	if rec.GeneratedAt.IsZero() {
		rec.GeneratedAt = time.Now()
	}
	stored, err := src.GetIncident(ctx, id)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal([]byte(stored.StateJSON), &rec.State); err != nil {
		return rec, fmt.Errorf("decode stored state of %s: %w", id, err)
	}
	st := &rec.State
	if st.ID == "" { // a save before the state was: the summary is all there is
		st.ID, st.WorkflowID, st.Title, st.Playbook, st.Phase = stored.ID, stored.WorkflowID, stored.Title, stored.Playbook, stored.Phase
		st.DeclaredAt, st.ClosedAt, st.CloseReason, st.Severity = stored.DeclaredAt, stored.ClosedAt, stored.CloseReason, stored.Severity
	}
	if st.Timeline, err = src.Timeline(ctx, id); err != nil {
		return rec, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	if rec.Clocks, err = src.Obligations(ctx, incident.ObligationFilter{IncidentID: id}); err != nil {
		return rec, fmt.Errorf("read obligations of %s: %w", id, err)
	}
	m, err := src.LatestEvidenceManifest(ctx, id)
	var ie *incident.Error
	switch {
	case err == nil:
		rec.ManifestRecorded = &m
	case errors.As(err, &ie) && ie.Code == incident.ENOTFOUND:
	default:
		return rec, fmt.Errorf("read evidence manifest of %s: %w", id, err)
	}
	readManifest(&rec, opt.EvidenceDirs)
	return rec, nil
}

// readManifest finds the incident's manifest where the store recorded it, or in
// one of dirs, and checks it against the recorded hash.
func readManifest(rec *Record, dirs []string) {
	path := rec.State.Evidence.ManifestPath
	want := rec.State.Evidence.ManifestSHA256
	if m := rec.ManifestRecorded; m != nil {
		path, want = m.ManifestPath, m.SHA256
	}
	if path == "" && want == "" {
		return
	}
	var candidates []string
	if path != "" {
		if filepath.Base(path) == evidence.ManifestName {
			path = filepath.Dir(path)
		}
		candidates = append(candidates, path)
	}
	for _, d := range dirs {
		candidates = append(candidates, filepath.Join(d, rec.State.ID))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, evidence.ManifestName)); err != nil {
			continue
		}
		m, raw, err := evidence.ReadManifest(dir)
		if err != nil {
			rec.ManifestProblem = err.Error()
			return
		}
		sum := sha256.Sum256(raw)
		if got := hex.EncodeToString(sum[:]); want != "" && got != want {
			rec.ManifestProblem = fmt.Sprintf("the manifest in %s has SHA-256 %s, not the recorded %s: run irflow evidence verify", dir, got, want)
		}
		rec.Manifest = &m
		return
	}
	rec.ManifestProblem = "the manifest file was not found (looked in " + fmt.Sprint(candidates) + "); the recorded hash is shown"
}
