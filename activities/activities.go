// Package activities holds irflow's Temporal activities: thin adapters that do the
// I/O the workflows decide on (the store, Zendesk, notifiers). Each takes one input
// struct and returns one result struct, so both can grow without breaking histories.
package activities

import (
	"context"
	"fmt"

	"irflow/internal/incident"
)

// Activities holds the worker-scoped dependencies of every activity.
type Activities struct {
	Store Store
}

// Store is the part of incident.Store the activities write and look up; a
// workflow test's fake implements only this.
type Store interface {
	SaveIncident(ctx context.Context, save incident.IncidentSave) error
	GetIncident(ctx context.Context, id string) (incident.StoredIncident, error)
	SaveEvidenceManifest(ctx context.Context, m incident.EvidenceManifest) error
	SaveObligation(ctx context.Context, o incident.ObligationRecord) error
	Obligations(ctx context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error)
}

// SaveIncidentInput is SaveIncident's input.
type SaveIncidentInput struct {
	Summary   incident.Summary         `json:"summary"`
	StateJSON string                   `json:"state_json"`
	Version   int64                    `json:"version"`
	Entries   []incident.TimelineEntry `json:"entries"`
}

// SaveIncident writes an incident's state change to the store, so that lists and
// searches work without Temporal.
func (a *Activities) SaveIncident(ctx context.Context, in SaveIncidentInput) error {
	if err := a.Store.SaveIncident(ctx, incident.IncidentSave{Summary: in.Summary, StateJSON: in.StateJSON, Version: in.Version, Entries: in.Entries}); err != nil {
		return fmt.Errorf("save incident %s version %d: %w", in.Summary.ID, in.Version, err)
	}
	return nil
}

// RecordEvidenceInput is RecordEvidenceManifest's input.
type RecordEvidenceInput struct {
	IncidentID   string `json:"incident_id"`
	ManifestPath string `json:"manifest_path"`
	SHA256       string `json:"sha256"`
	Files        int    `json:"files"`
	Records      int64  `json:"records"`
	Gaps         int    `json:"gaps"`
}

// RecordEvidenceManifest stores an evidence manifest's SHA-256 in the store, outside
// the evidence folder, as the chain-of-custody anchor.
func (a *Activities) RecordEvidenceManifest(ctx context.Context, in RecordEvidenceInput) error {
	return a.Store.SaveEvidenceManifest(ctx, incident.EvidenceManifest{
		IncidentID: in.IncidentID, ManifestPath: in.ManifestPath, SHA256: in.SHA256,
		Files: in.Files, Records: in.Records, Gaps: in.Gaps,
	})
}
