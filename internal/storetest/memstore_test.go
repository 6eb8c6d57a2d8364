package storetest_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/storetest"
)

// TestMemStore runs the suite against the plainest reading of the contract, a few
// maps behind a mutex, so the suite is checked against something that is not SQLite:
// a test that passes only because of how SQLite behaves would fail here.
func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incident.Store { return &memStore{} })
}

type memStore struct {
	mu          sync.Mutex
	incidents   map[string]incident.StoredIncident
	timelines   map[string]map[int]incident.TimelineEntry
	obligations map[string]incident.ObligationRecord
	manifests   []incident.EvidenceManifest
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (m *memStore) SaveIncident(_ context.Context, in incident.IncidentSave) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.incidents == nil {
		m.incidents, m.timelines = map[string]incident.StoredIncident{}, map[string]map[int]incident.TimelineEntry{}
	}
	sum := in.Summary
	if old, ok := m.incidents[sum.ID]; !ok || in.Version >= old.Version {
		sum.DeclaredAt, sum.UpdatedAt, sum.ClosedAt = sum.DeclaredAt.UTC(), sum.UpdatedAt.UTC(), utc(sum.ClosedAt)
		state := in.StateJSON
		if state == "" {
			state = "{}"
			if ok {
				state = old.StateJSON
			}
		}
		m.incidents[sum.ID] = incident.StoredIncident{Summary: sum, StateJSON: state, Version: in.Version}
	}
	tl := m.timelines[sum.ID]
	if tl == nil {
		tl = map[int]incident.TimelineEntry{}
		m.timelines[sum.ID] = tl
	}
	for _, e := range in.Entries {
		if _, ok := tl[e.Seq]; !ok {
			e.At = e.At.UTC()
			tl[e.Seq] = e
		}
	}
	return nil
}

func (m *memStore) GetIncident(_ context.Context, id string) (incident.StoredIncident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	got, ok := m.incidents[id]
	if !ok {
		return got, incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
	}
	return got, nil
}

func (m *memStore) ListIncidents(_ context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := strings.ToLower(f.Query)
	var out []incident.Summary
	for _, in := range m.incidents {
		s := in.Summary
		if (f.Phase != "" && string(s.Phase) != f.Phase) || (f.Open && s.Phase == incident.PhaseClosed) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(s.ID), q) && !strings.Contains(strings.ToLower(s.Title), q) &&
			!strings.Contains(strings.ToLower(s.Playbook), q) {
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b incident.Summary) int {
		return cmp.Or(b.DeclaredAt.Compare(a.DeclaredAt), cmp.Compare(b.ID, a.ID))
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memStore) Timeline(_ context.Context, id string) ([]incident.TimelineEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []incident.TimelineEntry
	for _, e := range m.timelines[id] {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b incident.TimelineEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (m *memStore) SaveObligation(_ context.Context, o incident.ObligationRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.obligations == nil {
		m.obligations = map[string]incident.ObligationRecord{}
	}
	if old, ok := m.obligations[o.ClockWorkflowID]; ok && o.Revision < old.Revision {
		return nil
	}
	o.TriggerAt, o.DueAt, o.FulfilledAt, o.UpdatedAt = utc(o.TriggerAt), utc(o.DueAt), utc(o.FulfilledAt), o.UpdatedAt.UTC()
	m.obligations[o.ClockWorkflowID] = o
	return nil
}

func (m *memStore) Obligations(_ context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	match := func(want, got string) bool { return want == "" || want == got }
	var out []incident.ObligationRecord
	for _, o := range m.obligations {
		if match(f.IncidentID, o.IncidentID) && match(f.ObligationID, o.ObligationID) && match(f.DependsOn, o.DependsOn) &&
			match(f.Jurisdiction, o.Jurisdiction) && match(f.Audience, o.Audience) && match(f.Rule, o.Rule) &&
			(!f.Open || !slices.Contains([]string{obligations.StatusFulfilled, incident.ClockWaived, incident.ClockRetired}, o.Status)) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b incident.ObligationRecord) int {
		var due int
		switch {
		case a.DueAt == nil && b.DueAt == nil:
		case a.DueAt == nil:
			due = 1
		case b.DueAt == nil:
			due = -1
		default:
			due = a.DueAt.Compare(*b.DueAt)
		}
		return cmp.Or(due, cmp.Compare(a.IncidentID, b.IncidentID), cmp.Compare(a.ObligationID, b.ObligationID),
			cmp.Compare(a.ClockWorkflowID, b.ClockWorkflowID))
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memStore) SaveEvidenceManifest(_ context.Context, em incident.EvidenceManifest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.manifests, func(x incident.EvidenceManifest) bool {
		return x.IncidentID == em.IncidentID && x.SHA256 == em.SHA256
	}) {
		return nil
	}
	em.RecordedAt = time.Now().UTC()
	m.manifests = append(m.manifests, em)
	return nil
}

func (m *memStore) LatestEvidenceManifest(_ context.Context, id string) (incident.EvidenceManifest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, em := range slices.Backward(m.manifests) {
		if em.IncidentID == id {
			return em, nil
		}
	}
	return incident.EvidenceManifest{}, incident.Errorf(incident.ENOTFOUND, "no evidence manifest recorded for %s", id)
}
