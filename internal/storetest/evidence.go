package storetest

import (
	"fmt"
	"testing"
	"time"

	"irflow/internal/incident"
)

func manifest(n int, sha string) incident.EvidenceManifest {
	inc := incident.FormatID(base, n)
	return incident.EvidenceManifest{
		IncidentID: inc, ManifestPath: "/var/lib/irflow/evidence/" + inc + "/" + sha + "/manifest.json",
		SHA256: sha, Files: len(sha), Records: 1000 + int64(len(sha)), Gaps: 1,
	}
}

func saveManifest(t *testing.T, s incident.Store, m incident.EvidenceManifest) {
	t.Helper()
	if err := s.SaveEvidenceManifest(t.Context(), m); err != nil {
		t.Fatalf("save manifest %s of %s: %v", m.SHA256, m.IncidentID, err)
	}
}

// wantLatest fails unless the latest manifest of want's incident is want, with the
// time the store recorded it.
func wantLatest(t *testing.T, s incident.Store, want incident.EvidenceManifest) {
	t.Helper()
	got, err := s.LatestEvidenceManifest(t.Context(), want.IncidentID)
	if err != nil {
		t.Fatalf("latest manifest of %s: %v", want.IncidentID, err)
	}
	if got.IncidentID != want.IncidentID || got.ManifestPath != want.ManifestPath || got.SHA256 != want.SHA256 ||
		got.Files != want.Files || got.Records != want.Records || got.Gaps != want.Gaps {
		t.Errorf("latest manifest = %+v, want %+v", got, want)
	}
	if got.RecordedAt.IsZero() || got.RecordedAt.Location() != time.UTC {
		t.Errorf("recorded_at = %v, want the store's time of recording, in UTC", got.RecordedAt)
	}
}

func testEvidenceManifestNotFound(t *testing.T, s incident.Store) {
	_, err := s.LatestEvidenceManifest(t.Context(), incident.FormatID(base, 1))
	wantCode(t, err, incident.ENOTFOUND)
	saveManifest(t, s, manifest(1, "ab12"))
	_, err = s.LatestEvidenceManifest(t.Context(), incident.FormatID(base, 2))
	wantCode(t, err, incident.ENOTFOUND)
}

func testEvidenceManifestLatest(t *testing.T, s incident.Store) {
	a, b := manifest(1, "aaaa"), manifest(1, "bbbbbb")
	saveManifest(t, s, a)
	saveManifest(t, s, a) // the activity retried
	wantLatest(t, s, a)

	saveManifest(t, s, b) // collected again
	wantLatest(t, s, b)
	// A's activity retried late: recording a manifest again does not make it the
	// latest, so `evidence verify` keeps checking the folder against b.
	saveManifest(t, s, a)
	wantLatest(t, s, b)

	other := manifest(2, "cc")
	saveManifest(t, s, other)
	wantLatest(t, s, b)
	wantLatest(t, s, other)

	// Saves in quick succession, within one tick of a coarse clock: the last one
	// recorded wins.
	var last incident.EvidenceManifest
	for i := range 5 {
		last = manifest(1, fmt.Sprintf("d%04d", i))
		saveManifest(t, s, last)
	}
	wantLatest(t, s, last)
}
