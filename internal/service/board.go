package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"irflow/internal/evidence"
	"irflow/internal/incident"
	"irflow/internal/report"
)

// Deadlines lists the obligation clocks across every incident that match f, by due
// date (clocks without one last), each with its status and time left as of now and
// its incident's summary: legal's deadline board. It reads the store only, so it
// answers for clocks whose incidents closed long ago.
func (s *Service) Deadlines(ctx context.Context, f incident.ObligationFilter) ([]incident.Deadline, error) {
	if err := s.authorizeRead(ctx, ""); err != nil {
		return nil, err
	}
	store, err := s.store()
	if err != nil {
		return nil, err
	}
	rows, err := store.Obligations(ctx, f)
	if err != nil {
		return nil, err
	}
	summaries, err := store.ListIncidents(ctx, incident.ListFilter{})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]incident.Summary, len(summaries))
	for _, sm := range summaries {
		byID[sm.ID] = sm
	}
	now := s.now()
	out := make([]incident.Deadline, 0, len(rows))
	for _, r := range rows {
		sm, ok := byID[r.IncidentID]
		if !ok {
			sm = incident.Summary{ID: r.IncidentID}
		}
		out = append(out, incident.Deadline{ObligationRecord: r, View: r.Clock.View(now), Incident: sm})
	}
	return out, nil
}

// SavedStates returns the state each incident matching f last saved in the store,
// newest declared first, without timelines: the breach register's rows (GDPR
// Art. 33(5) documents every breach, notifiable or not). It never asks Temporal,
// so it is as quick for a thousand incidents as for one.
func (s *Service) SavedStates(ctx context.Context, f incident.ListFilter) ([]incident.State, error) {
	if err := s.authorizeRead(ctx, ""); err != nil {
		return nil, err
	}
	store, err := s.store()
	if err != nil {
		return nil, err
	}
	list, err := store.ListIncidents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]incident.State, 0, len(list))
	for _, sm := range list {
		rec, err := store.GetIncident(ctx, sm.ID)
		if err != nil {
			return nil, err
		}
		st, err := decodeStored(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Record reads an incident's durable record for its post-incident report: the
// state, whole timeline, clocks and evidence manifest the store holds.
func (s *Service) Record(ctx context.Context, id string, opt report.LoadOptions) (report.Record, error) {
	if err := checkID(id); err != nil {
		return report.Record{}, err
	}
	if err := s.authorizeRead(ctx, id); err != nil {
		return report.Record{}, err
	}
	store, err := s.store()
	if err != nil {
		return report.Record{}, err
	}
	if opt.Now.IsZero() {
		opt.Now = s.now()
	}
	return report.Load(ctx, store, id, opt)
}

// VerifyEvidence recomputes every hash of an incident's evidence against the
// manifest hash the store recorded at collection. It looks for the folder where
// the store recorded the manifest, then in each of dirs (<dir>/<id>). ENOTFOUND
// when the store recorded no manifest or no folder holds it.
func (s *Service) VerifyEvidence(ctx context.Context, id string, dirs []string) (evidence.Report, error) {
	if err := checkID(id); err != nil {
		return evidence.Report{}, err
	}
	if _, err := s.authorize(ctx, incident.ActVerifyEvidence, id, "", ""); err != nil {
		return evidence.Report{}, err
	}
	store, err := s.store()
	if err != nil {
		return evidence.Report{}, err
	}
	m, err := store.LatestEvidenceManifest(ctx, id)
	if hasCode(err, incident.ENOTFOUND) {
		return evidence.Report{}, incident.Errorf(incident.ENOTFOUND, "incident %s has no evidence manifest recorded yet", id)
	}
	if err != nil {
		return evidence.Report{}, err
	}
	var candidates []string
	if m.ManifestPath != "" {
		dir := m.ManifestPath
		if filepath.Base(dir) == evidence.ManifestName {
			dir = filepath.Dir(dir)
		}
		candidates = append(candidates, dir)
	}
	for _, d := range dirs {
		candidates = append(candidates, filepath.Join(d, id))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, evidence.ManifestName)); errors.Is(err, os.ErrNotExist) {
			continue
		}
		rep, err := evidence.VerifyAgainst(dir, m.SHA256)
		if err != nil {
			return rep, fmt.Errorf("verify evidence of %s in %s: %w", id, dir, err)
		}
		return rep, nil
	}
	return evidence.Report{}, incident.Errorf(incident.ENOTFOUND, "the evidence of %s is not in %v", id, candidates)
}
