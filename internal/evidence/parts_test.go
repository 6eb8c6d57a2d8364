package evidence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"irflow/internal/evidence"
)

// lockedFolder is a Folder whose objects carry an Object Lock retention, the way
// an S3 bucket with Object Lock reports one, and whose locks a test can change as
// an account allowed to bypass governance could.
type lockedFolder struct {
	evidence.Folder
	mu    sync.Mutex
	locks map[string]*evidence.Retention
	until time.Time
}

func (l *lockedFolder) Put(ctx context.Context, key string, content io.ReadSeeker) (evidence.ObjectInfo, error) {
	info, err := l.Folder.Put(ctx, key, content)
	if err != nil {
		return l.with(info), err
	}
	l.mu.Lock()
	l.locks[key] = &evidence.Retention{Mode: evidence.RetentionGovernance, Until: l.until}
	l.mu.Unlock()
	return l.with(info), nil
}

func (l *lockedFolder) Stat(ctx context.Context, key string) (evidence.ObjectInfo, error) {
	info, err := l.Folder.Stat(ctx, key)
	return l.with(info), err
}

func (l *lockedFolder) Open(ctx context.Context, key string) (io.ReadCloser, evidence.ObjectInfo, error) {
	rc, info, err := l.Folder.Open(ctx, key)
	return rc, l.with(info), err
}

func (l *lockedFolder) with(info evidence.ObjectInfo) evidence.ObjectInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.locks[info.Key]; r != nil {
		c := *r
		info.Retention = &c
	}
	return info
}

func writeParts(t *testing.T, objs evidence.Objects, at evidence.Committed, recs ...string) evidence.Committed {
	t.Helper()
	w, err := evidence.OpenParts(t.Context(), objs, "INC-1", "users", at, evidence.IDUpdatedKey)
	if err != nil {
		t.Fatal(err)
	}
	w.MinPartBytes = 1 // a part per record: several parts from few records
	for _, r := range recs {
		if _, err := w.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPartsResumeOnAnotherWriter: a second writer (another worker) resumes from the
// committed parts alone, keeps deduplicating against them, and ignores a part a
// crashed attempt wrote after its last commit; the assembled file is today's
// layout and verifies both as a folder and as objects.
func TestPartsResumeOnAnotherWriter(t *testing.T) {
	dir := t.TempDir()
	objs := evidence.Folder{Dir: dir}
	c := writeParts(t, objs, evidence.Committed{}, `{"id":1,"updated_at":"a"}`, `{"id":2,"updated_at":"a"}`)
	if c.Records != 2 || len(c.Parts) != 2 {
		t.Fatalf("committed %+v", c)
	}
	// A crashed attempt wrote one more part that it never committed.
	orphan := writeParts(t, objs, c, `{"id":9,"updated_at":"z"}`)
	if len(orphan.Parts) != 3 {
		t.Fatalf("orphan attempt: %+v", orphan)
	}
	// Another worker resumes from c: a repeated record is dropped, a new one kept.
	c = writeParts(t, objs, c, `{"id":2,"updated_at":"a"}`, `{"id":2,"updated_at":"b"}`)
	if c.Records != 3 || len(c.Parts) != 3 || c.Parts[2].Key == orphan.Parts[2].Key {
		t.Fatalf("resumed: %+v", c)
	}
	f, err := evidence.AssembleSource(t.Context(), objs, "INC-1", "users.ndjson", c.Parts)
	if err != nil {
		t.Fatal(err)
	}
	if f.Records != 3 || f.LineHashes == nil {
		t.Fatalf("assembled %+v", f)
	}
	// Assembling again (a retried manifest step) finds the same objects.
	if g, err := evidence.AssembleSource(t.Context(), objs, "INC-1", "users.ndjson", c.Parts); err != nil || g.SHA256 != f.SHA256 {
		t.Fatalf("assemble again: %+v %v", g, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "INC-1", "users.ndjson"))
	if err != nil || string(b) != `{"id":1,"updated_at":"a"}`+"\n"+`{"id":2,"updated_at":"a"}`+"\n"+`{"id":2,"updated_at":"b"}`+"\n" {
		t.Fatalf("users.ndjson = %q, %v", b, err)
	}
	m := evidence.Manifest{Incident: "INC-1", Status: evidence.StatusComplete,
		Sources: []evidence.Source{{Source: "users", Query: "GET /api/v2/users", Records: 3, Files: []evidence.File{f}}}}
	sum, err := evidence.PutManifest(t.Context(), objs, "INC-1", m)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := evidence.PutManifest(t.Context(), objs, "INC-1", m); err != nil || again != sum {
		t.Fatalf("manifest written again: %s %v", again, err)
	}
	m.Status = evidence.StatusPartial
	if _, err := evidence.PutManifest(t.Context(), objs, "INC-1", m); !errors.Is(err, evidence.ErrExists) {
		t.Fatalf("a different manifest over the written one: %v, want ErrExists", err)
	}
	if rep, err := evidence.VerifyAgainst(filepath.Join(dir, "INC-1"), sum); err != nil || !rep.OK || rep.Records != 3 {
		t.Fatalf("verify folder: %+v %v", rep, err)
	}
	if rep, err := evidence.VerifyObjects(t.Context(), objs, "INC-1", sum); err != nil || !rep.OK || rep.Records != 3 {
		t.Fatalf("verify objects: %+v %v", rep, err)
	}
}

// TestPartsWaitForAPartsWorth: records wait until MinPartBytes are there (Pending
// says so, and the committed state does not move), and Close writes the rest.
func TestPartsWaitForAPartsWorth(t *testing.T) {
	objs := evidence.Folder{Dir: t.TempDir()}
	w, err := evidence.OpenParts(t.Context(), objs, "INC-1", "users", evidence.Committed{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.MinPartBytes = 60
	if _, err := w.Write(json.RawMessage(`{"id":1,"updated_at":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if c, err := w.Flush(); err != nil || len(c.Parts) != 0 || c.Records != 0 || w.Pending() != 1 {
		t.Fatalf("flush below MinPartBytes: %+v %v, pending %d", c, err, w.Pending())
	}
	if _, err := w.Write(json.RawMessage(`{"id":2,"updated_at":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(json.RawMessage(`{"id":3,"updated_at":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if c, err := w.Flush(); err != nil || len(c.Parts) != 1 || c.Records != 3 || w.Pending() != 0 {
		t.Fatalf("flush with a part's worth: %+v %v", c, err)
	}
	if _, err := w.Write(json.RawMessage(`{"id":4,"updated_at":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if c, err := w.Close(); err != nil || len(c.Parts) != 2 || c.Records != 4 {
		t.Fatalf("close: %+v %v", c, err)
	}
}

// TestOpenPartsRefusesAChangedPart: a committed part whose content changed is not
// resumed from.
func TestOpenPartsRefusesAChangedPart(t *testing.T) {
	dir := t.TempDir()
	objs := evidence.Folder{Dir: dir}
	c := writeParts(t, objs, evidence.Committed{}, `{"id":1,"updated_at":"a"}`)
	p := filepath.Join(dir, filepath.FromSlash(c.Parts[0].Key))
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(`{"id":1,"updated_at":"X"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.OpenParts(t.Context(), objs, "INC-1", "users", c, evidence.IDUpdatedKey); !errors.Is(err, evidence.ErrDigest) {
		t.Fatalf("resume from a changed part: %v, want ErrDigest", err)
	}
	c.Records++
	if _, err := evidence.OpenParts(t.Context(), objs, "INC-1", "users", evidence.Committed{Records: 5}, nil); err == nil || !strings.Contains(err.Error(), "committed state says 5 records") {
		t.Fatalf("resume with a wrong count: %v", err)
	}
}

// TestVerifyObjectsReportsTamperingAndRetention: a changed record, an appeared
// object and a retention shortened or removed after collection are each named.
func TestVerifyObjectsReportsTamperingAndRetention(t *testing.T) {
	dir := t.TempDir()
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	objs := &lockedFolder{Folder: evidence.Folder{Dir: dir}, locks: map[string]*evidence.Retention{}, until: until}
	c := writeParts(t, objs, evidence.Committed{}, `{"id":1,"updated_at":"a"}`, `{"id":2,"updated_at":"a"}`)
	f, err := evidence.AssembleSource(t.Context(), objs, "INC-1", "users.ndjson", c.Parts)
	if err != nil {
		t.Fatal(err)
	}
	if f.Retention == nil || !f.Retention.Until.Equal(until) || f.LineHashes.Retention == nil {
		t.Fatalf("the manifest entry does not record the lock: %+v", f)
	}
	sum, err := evidence.PutManifest(t.Context(), objs, "INC-1", evidence.Manifest{Incident: "INC-1",
		Sources: []evidence.Source{{Source: "users", Records: 2, Files: []evidence.File{f}}}})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := evidence.VerifyObjects(t.Context(), objs, "INC-1", sum); err != nil || !rep.OK {
		t.Fatalf("verify untouched: %+v %v", rep, err)
	}
	objs.mu.Lock()
	objs.locks["INC-1/users.ndjson"].Until = until.Add(-23 * time.Hour)
	delete(objs.locks, "INC-1/users.ndjson.linehashes")
	objs.mu.Unlock()
	p := filepath.Join(dir, "INC-1", "users.ndjson")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(`{"id":1,"updated_at":"a"}`+"\n"+`{"id":2,"updated_at":"EDITED"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.Put(t.Context(), "INC-1/extra.ndjson", bytes.NewReader([]byte("{}\n"))); err != nil {
		t.Fatal(err)
	}
	rep, err := evidence.VerifyObjects(t.Context(), objs, "INC-1", sum)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[evidence.ProblemKind]evidence.Problem{}
	for _, p := range rep.Problems {
		kinds[p.Kind] = p
	}
	if rep.OK || kinds[evidence.RetentionShortened].Path != "users.ndjson" || kinds[evidence.RetentionRemoved].Path != "users.ndjson.linehashes" ||
		kinds[evidence.RecordChanged].Line != 2 || kinds[evidence.RecordChanged].RecordID != "2" || kinds[evidence.FileAppeared].Path != "extra.ndjson" {
		t.Fatalf("problems: %+v", rep.Problems)
	}
}
