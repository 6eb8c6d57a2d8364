package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":{"z":true,"y":null}}`, `{"a":{"y":null,"z":true},"b":1}`},
		{"{ \"id\" : 361234573552 ,\n \"n\": 1.50 }", `{"id":361234573552,"n":1.50}`},
		{`{"html":"<p>a & b</p>"}`, `{"html":"<p>a & b</p>"}`},
		{`[3,1]`, `[3,1]`},
	}
	for _, tt := range tests {
		got, err := Canonical(json.RawMessage(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if _, err := Canonical(json.RawMessage(`{"a":1} {"b":2}`)); err == nil {
		t.Error("two values accepted")
	}
	if got, _ := Canonical(map[string]any{"z": 1, "a": "x"}); string(got) != `{"a":"x","z":1}` {
		t.Errorf("map: %s", got)
	}
}

func writeRecords(t *testing.T, path string, at Committed, key KeyFunc, recs ...string) Committed {
	t.Helper()
	w, err := Open(path, at, key)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := w.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWriterDedupesAndResumes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "users.ndjson")
	c := writeRecords(t, p, Committed{}, IDUpdatedKey,
		`{"id":1,"updated_at":"2026-03-05T00:00:00Z"}`,
		`{"id":2,"updated_at":"2026-03-05T00:00:00Z"}`,
		`{"id":1,"updated_at":"2026-03-05T00:00:00Z"}`, // duplicate on an overlapping page
		`{"id":1,"updated_at":"2026-03-06T00:00:00Z"}`, // a later update is kept
	)
	if c.Records != 3 {
		t.Fatalf("records = %d, want 3", c.Records)
	}
	// A crashed attempt wrote half a page after the committed state.
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":3,"upd`)
	f.Close()
	// The resumed attempt truncates it away and still dedupes against kept records.
	c = writeRecords(t, p, c, IDUpdatedKey,
		`{"id":2,"updated_at":"2026-03-05T00:00:00Z"}`,
		`{"id":3,"updated_at":"2026-03-05T00:00:00Z"}`)
	if c.Records != 4 {
		t.Fatalf("records after resume = %d, want 4", c.Records)
	}
	b, _ := os.ReadFile(p)
	want := `{"id":1,"updated_at":"2026-03-05T00:00:00Z"}
{"id":2,"updated_at":"2026-03-05T00:00:00Z"}
{"id":1,"updated_at":"2026-03-06T00:00:00Z"}
{"id":3,"updated_at":"2026-03-05T00:00:00Z"}
`
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	if c.Bytes != int64(len(want)) {
		t.Fatalf("bytes = %d, want %d", c.Bytes, len(want))
	}
	// Resuming from a state the file cannot satisfy is an error, not silent loss.
	if _, err := Open(p, Committed{Bytes: 10, Records: 5}, nil); err == nil || !strings.Contains(err.Error(), "fewer than the 325 committed") {
		t.Fatalf("bad committed state: %v", err)
	}
	if after, _ := os.ReadFile(p); string(after) != want {
		t.Fatal("a refused resume changed the file")
	}
	if _, err := Open(p, Committed{Bytes: 10, Records: 1}, nil); err == nil || !strings.Contains(err.Error(), "committed state says 1 records in 10 bytes") {
		t.Fatalf("inconsistent committed state: %v", err)
	}
	if after, _ := os.ReadFile(p); string(after) != want {
		t.Fatal("a refused resume cut the file")
	}
}

// collect builds a small evidence folder: two sources, one gap.
func collect(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	writeRecords(t, filepath.Join(dir, "audit_logs.ndjson"), Committed{}, IDKey,
		`{"id":1,"action":"login","ip_address":"203.0.113.7"}`,
		`{"id":2,"action":"exported","ip_address":"203.0.113.7"}`,
		`{"id":3,"action":"update","ip_address":"198.51.100.1"}`)
	writeRecords(t, filepath.Join(dir, "ticket_audits", "666.ndjson"), Committed{}, IDKey,
		`{"id":10,"ticket_id":666}`, `{"id":11,"ticket_id":666}`)
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	to := from.Add(40 * time.Hour)
	var m Manifest
	m.Incident = "INC-1"
	for _, s := range []struct{ name, file string }{{"audit_logs", "audit_logs.ndjson"}, {"ticket_audits", "ticket_audits/666.ndjson"}} {
		f, err := DescribeFile(dir, s.file)
		if err != nil {
			t.Fatal(err)
		}
		m.Sources = append(m.Sources, Source{Source: s.name, Query: "GET /api/v2/" + s.name, Window: Window{from, to},
			CollectedAt: to, Records: f.Records, Files: []File{f}})
	}
	m.Gaps = []Gap{{Source: "access_logs", Reason: "403: access logs need the ADPP add-on"}}
	sum, err := WriteManifest(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestVerifyIntact(t *testing.T) {
	dir, sum := collect(t)
	rep, err := VerifyAgainst(dir, sum)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Problems) != 0 || rep.Files != 2 || rep.Records != 5 || rep.ManifestSHA256 != sum || len(rep.Gaps) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	// Writing the same manifest again yields the same hash (sorted, deterministic).
	m, _, _ := ReadManifest(dir)
	if again, _ := WriteManifest(dir, m); again != sum {
		t.Fatalf("manifest hash not reproducible: %s vs %s", again, sum)
	}
}

func TestVerifyTampering(t *testing.T) {
	type want struct {
		kind ProblemKind
		path string
		line int64
		id   string
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   []want
	}{
		{"record edited", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "audit_logs.ndjson"), `"ip_address":"198.51.100.1"`, `"ip_address":"10.0.0.1"`)
		}, []want{{FileChanged, "audit_logs.ndjson", 0, ""}, {RecordChanged, "audit_logs.ndjson", 3, "3"}}},
		{"record deleted", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "audit_logs.ndjson"), `{"action":"exported","id":2,"ip_address":"203.0.113.7"}`+"\n", "")
		}, []want{{FileChanged, "audit_logs.ndjson", 0, ""}, {RecordVanished, "audit_logs.ndjson", 2, ""}}},
		{"record appended", func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, "ticket_audits", "666.ndjson"), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(`{"id":12,"ticket_id":666}` + "\n")
			f.Close()
		}, []want{{FileChanged, "ticket_audits/666.ndjson", 0, ""}, {RecordAppeared, "ticket_audits/666.ndjson", 3, "12"}}},
		{"file deleted", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "ticket_audits", "666.ndjson"))
		}, []want{{FileVanished, "ticket_audits/666.ndjson", 0, ""}}},
		{"file added", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "planted.ndjson"), []byte("{}\n"), 0o600)
		}, []want{{FileAppeared, "planted.ndjson", 0, ""}}},
		{"manifest edited", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, ManifestName), `"INC-1"`, `"INC-2"`)
		}, []want{{ManifestChanged, ManifestName, 0, ""}, {ManifestChanged, ManifestName, 0, ""}}},
		{"line hashes edited too", func(t *testing.T, dir string) {
			replaceInFile(t, filepath.Join(dir, "audit_logs.ndjson"), `"id":1,`, `"id":9,`)
			os.WriteFile(filepath.Join(dir, "audit_logs.ndjson"+LineHashSuffix), []byte("x\n"), 0o600)
		}, []want{{FileChanged, "audit_logs.ndjson" + LineHashSuffix, 0, ""}, {FileChanged, "audit_logs.ndjson", 0, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, sum := collect(t)
			tt.tamper(t, dir)
			rep, err := VerifyAgainst(dir, sum)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK {
				t.Fatal("tampering not detected")
			}
			if len(rep.Problems) != len(tt.want) {
				t.Fatalf("problems = %+v, want %d", rep.Problems, len(tt.want))
			}
			for i, w := range tt.want {
				p := rep.Problems[i]
				if p.Kind != w.kind || p.Path != w.path || p.Line != w.line || p.RecordID != w.id {
					t.Errorf("problem %d = %+v, want %+v", i, p, w)
				}
			}
		})
	}
}

func TestVerifyRejectsEscapingPathAndMissingManifest(t *testing.T) {
	dir := t.TempDir()
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "read manifest") {
		t.Fatalf("missing manifest: %v", err)
	}
	m := Manifest{Incident: "INC-1", Sources: []Source{{Source: "x", Records: 0, Files: []File{{Path: "../../etc/passwd"}}}}}
	if _, err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Problems[0].Kind != ManifestInconsistent {
		t.Fatalf("escaping path: %+v", rep)
	}
}

func TestHashFileCountsLines(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]int64{"": 0, "a\n": 1, "a\nb": 2, "a\nb\n": 2} {
		p := filepath.Join(dir, "f")
		os.WriteFile(p, []byte(content), 0o600)
		_, size, lines, err := HashFile(p)
		if err != nil || lines != want || size != int64(len(content)) {
			t.Errorf("%q: lines %d size %d err %v", content, lines, size, err)
		}
	}
}

func replaceInFile(t *testing.T, p, old, new string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q:\n%s", p, old, b)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// hostileFolder is a collected folder whose manifest the test rewrites: edit
// changes the manifest's first file entry before it is written again.
func hostileFolder(t *testing.T, edit func(dir string, f *File)) string {
	t.Helper()
	dir, _ := collect(t)
	m, _, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(dir, &m.Sources[0].Files[0])
	if _, err := WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir
}

// verifyWithin runs VerifyContext and fails the test if it does not return within
// limit: a folder must never hang the verifier.
func verifyWithin(t *testing.T, ctx context.Context, dir string, limit time.Duration) (Report, error) {
	t.Helper()
	type result struct {
		rep Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := VerifyContext(ctx, dir, "")
		done <- result{rep, err}
	}()
	select {
	case r := <-done:
		return r.rep, r.err
	case <-time.After(limit):
		t.Fatalf("verify of %s still running after %s", dir, limit)
		return Report{}, nil
	}
}

func hasProblem(rep Report, kind ProblemKind, path string) bool {
	for _, p := range rep.Problems {
		if p.Kind == kind && p.Path == path {
			return true
		}
	}
	return false
}

// TestVerifyTrustsNothingInTheFolder: issue 17's probes. A line-hash path that
// leaves the folder (a crafted manifest hashed /etc/passwd), a symbolic link (to a
// file outside with the right hash, or to /dev/zero) and a FIFO named by the
// manifest are problems, never read; none of them hangs the verifier.
func TestVerifyTrustsNothingInTheFolder(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	outsideSum, _, _, _ := HashFile(outside)

	tests := []struct {
		name string
		edit func(t *testing.T, dir string, f *File)
		kind ProblemKind
		path string
	}{
		{"line-hash path leaves the folder", func(t *testing.T, dir string, f *File) {
			rel, _ := filepath.Rel(dir, outside)
			f.LineHashes = &HashedFile{Path: filepath.ToSlash(rel), SHA256: outsideSum}
		}, ManifestInconsistent, ""},
		{"data file is a link to a file outside", func(t *testing.T, dir string, f *File) {
			p := filepath.Join(dir, f.Path)
			moved := filepath.Join(t.TempDir(), "moved")
			if err := os.Rename(p, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, p); err != nil {
				t.Fatal(err)
			}
		}, FileRefused, "audit_logs.ndjson"},
		{"line-hash file is a link to /dev/zero", func(t *testing.T, dir string, f *File) {
			p := filepath.Join(dir, f.LineHashes.Path)
			os.Remove(p)
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}, FileRefused, "audit_logs.ndjson" + LineHashSuffix},
		{"data file is a FIFO", func(t *testing.T, dir string, f *File) {
			p := filepath.Join(dir, f.Path)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
		}, FileRefused, "audit_logs.ndjson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileFolder(t, func(dir string, f *File) { tt.edit(t, dir, f) })
			rep, err := verifyWithin(t, context.Background(), dir, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.path
			if want == "" {
				rel, _ := filepath.Rel(dir, outside)
				want = filepath.ToSlash(rel)
			}
			if rep.OK || !hasProblem(rep, tt.kind, want) {
				t.Fatalf("report %+v, want a %s problem on %s", rep.Problems, tt.kind, want)
			}
		})
	}
}

// TestVerifyHonoursCancellation: a huge evidence file (20 GiB, sparse) is hashed
// until the context ends, and not a moment longer: the CLI's SIGTERM stops it.
func TestVerifyHonoursCancellation(t *testing.T) {
	dir := hostileFolder(t, func(dir string, f *File) {
		if err := os.Truncate(filepath.Join(dir, f.Path), 20<<30); err != nil {
			t.Skipf("sparse file: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := verifyWithin(t, ctx, dir, 10*time.Second)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("verify returned %v, want the context's error", err)
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("verify took %s to notice the cancellation", took)
	}
}

// TestVerifyBoundsTheManifest: a manifest too large to be one is refused before it
// is read.
func TestVerifyBoundsTheManifest(t *testing.T) {
	dir, _ := collect(t)
	if err := os.Truncate(filepath.Join(dir, ManifestName), 1<<30); err != nil {
		t.Skipf("sparse file: %v", err)
	}
	if _, err := verifyWithin(t, context.Background(), dir, 10*time.Second); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("verify of a 1 GiB manifest: %v, want it refused", err)
	}
}
