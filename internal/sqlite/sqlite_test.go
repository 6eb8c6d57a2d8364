package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/sqlite"
)

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestSaveIncidentIsIdempotentAndOrdered(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "irflow.db")
	db := openDB(t, path)
	at := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "t",
		Playbook: "credential-compromise", Phase: incident.PhaseTriage, DeclaredAt: at, UpdatedAt: at}
	e1 := incident.TimelineEntry{Seq: 1, At: at, Actor: "alice", Kind: incident.KindDeclared, Text: "declared"}
	e2 := incident.TimelineEntry{Seq: 2, At: at.Add(time.Minute), Actor: "irflow", Kind: incident.KindPhase, Text: "Phase triage"}

	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: sum, StateJSON: `{"v":1}`, Version: 1, Entries: []incident.TimelineEntry{e1}}); err != nil {
		t.Fatal(err)
	}
	// A retried write of version 1 plus a newer one: no duplicate entry.
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: sum, StateJSON: `{"v":1}`, Version: 1, Entries: []incident.TimelineEntry{e1}}); err != nil {
		t.Fatal(err)
	}
	closed := sum
	closed.Phase = incident.PhaseClosed
	closed.CloseReason = "done"
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: closed, StateJSON: `{"v":2}`, Version: 2, Entries: []incident.TimelineEntry{e2}}); err != nil {
		t.Fatal(err)
	}
	// A late, older write must not move the incident backwards.
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: sum, StateJSON: `{"v":1}`, Version: 1, Entries: nil}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetIncident(ctx, sum.ID)
	state := got.StateJSON
	if err != nil {
		t.Fatal(err)
	}
	if got.Phase != incident.PhaseClosed || got.CloseReason != "done" || state != `{"v":2}` {
		t.Errorf("incident = %+v state %s, want closed with reason done and state v2", got, state)
	}
	tl, err := db.Timeline(ctx, sum.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 2 || tl[0].Seq != 1 || tl[1].Seq != 2 || tl[1].Text != "Phase triage" || !tl[0].At.Equal(at) {
		t.Errorf("timeline = %+v, want entries 1 and 2 once each", tl)
	}

	// Reopening the same file applies no migration twice and keeps the data.
	_ = db.Close()
	db2 := openDB(t, path)
	if _, err := db2.GetIncident(ctx, sum.ID); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func TestListIncidentsFilters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	base := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	for i, p := range []incident.Phase{incident.PhaseContainment, incident.PhaseClosed, incident.PhaseNotification} {
		id := incident.FormatID(base, i+1)
		s := incident.Summary{ID: id, WorkflowID: "incident-" + id, Title: []string{"Maya takeover", "phishing", "token leak"}[i],
			Playbook: "credential-compromise", Phase: p, DeclaredAt: base.Add(time.Duration(i) * time.Hour), UpdatedAt: base}
		if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: s, StateJSON: "{}", Version: 1, Entries: nil}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    incident.ListFilter
		want []string
	}{
		{"all newest first", incident.ListFilter{}, []string{"INC-20260306-003", "INC-20260306-002", "INC-20260306-001"}},
		{"open", incident.ListFilter{Open: true}, []string{"INC-20260306-003", "INC-20260306-001"}},
		{"phase", incident.ListFilter{Phase: "closed"}, []string{"INC-20260306-002"}},
		{"query", incident.ListFilter{Query: "maya"}, []string{"INC-20260306-001"}},
		{"limit", incident.ListFilter{Limit: 1}, []string{"INC-20260306-003"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.ListIncidents(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("ids = %v, want %v", ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("ids = %v, want %v", ids, tt.want)
				}
			}
		})
	}
}

func TestEvidenceManifests(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	if _, err := db.LatestEvidenceManifest(ctx, "INC-20260306-001"); err == nil {
		t.Fatal("no manifest recorded, want an error")
	} else {
		var e *incident.Error
		if !errors.As(err, &e) || e.Code != incident.ENOTFOUND {
			t.Errorf("error = %v, want ENOTFOUND", err)
		}
	}
	m := incident.EvidenceManifest{IncidentID: "INC-20260306-001", ManifestPath: "/x/manifest.json", SHA256: "ab12", Files: 3, Records: 10}
	for range 2 { // a retried activity records it once
		if err := db.SaveEvidenceManifest(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.LatestEvidenceManifest(ctx, m.IncidentID)
	if err != nil || got.SHA256 != "ab12" || got.Records != 10 {
		t.Errorf("manifest = %+v, %v", got, err)
	}
}

func TestGetUnknownIncident(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	_, err := db.GetIncident(context.Background(), "INC-20260306-999")
	var e *incident.Error
	if !errors.As(err, &e) || e.Code != incident.ENOTFOUND {
		t.Errorf("error = %v, want ENOTFOUND", err)
	}
}

func TestOpenExistingNeverCreates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "irflow.db")
	_, err := sqlite.OpenExisting(ctx, path)
	if !errors.Is(err, sqlite.ErrNoStore) || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenExisting on a missing file: %v, want ErrNoStore naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenExisting created %s (stat: %v)", path, err)
	}
	_ = openDB(t, path).Close()
	db, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		t.Fatalf("OpenExisting on a store Open created: %v", err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ListIncidents(ctx, incident.ListFilter{}); err != nil {
		t.Errorf("list from the existing store: %v", err)
	}
}
