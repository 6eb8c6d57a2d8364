package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/evidence"
)

// writeEvidence collects a tiny evidence folder for incident id under data.
func writeEvidence(t *testing.T, data, id string) (dir, sum string) {
	t.Helper()
	dir = filepath.Join(data, "evidence", id)
	w, err := evidence.Open(filepath.Join(dir, "audit_logs.ndjson"), evidence.Committed{}, evidence.IDKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{`{"id":1,"ip_address":"203.0.113.7"}`, `{"id":2,"ip_address":"203.0.113.7"}`} {
		if _, err := w.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := evidence.DescribeFile(dir, "audit_logs.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)
	sum, err = evidence.WriteManifest(dir, evidence.Manifest{Incident: id, Sources: []evidence.Source{{
		Source: "audit_logs", Query: "GET /api/v2/audit_logs", Window: evidence.Window{From: now.Add(-time.Hour), To: now},
		CollectedAt: now, Records: f.Records, Files: []evidence.File{f}}}})
	if err != nil {
		t.Fatal(err)
	}
	return dir, sum
}

func TestEvidenceVerifyCLI(t *testing.T) {
	data := t.TempDir()
	dir, sum := writeEvidence(t, data, "INC-1")

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"evidence", "verify", "INC-1", "--data", data}, &out, &errOut); code != 0 {
		t.Fatalf("intact evidence: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "OK") || !strings.Contains(out.String(), sum) {
		t.Fatalf("output: %s", out.String())
	}

	// Tamper with one record: exit 1, and the file, line and record are named.
	p := filepath.Join(dir, "audit_logs.ndjson")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(b, []byte(`"id":2,"ip_address":"203.0.113.7"`), []byte(`"id":2,"ip_address":"10.9.9.9"`), 1), 0o600)

	out.Reset()
	errOut.Reset()
	code := run(context.Background(), []string{"evidence", "verify", dir, "--json"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("tampered evidence: exit %d, want 1", code)
	}
	var rep evidence.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not a report: %v\n%s", err, out.String())
	}
	if rep.OK || len(rep.Problems) != 2 || rep.Problems[1].Kind != evidence.RecordChanged ||
		rep.Problems[1].Path != "audit_logs.ndjson" || rep.Problems[1].Line != 2 || rep.Problems[1].RecordID != "2" {
		t.Fatalf("report: %+v", rep.Problems)
	}
	if !strings.Contains(errOut.String(), "does not match its manifest") {
		t.Fatalf("stderr: %s", errOut.String())
	}

	out.Reset()
	run(context.Background(), []string{"evidence", "verify", "INC-1", "--data", data}, &out, &errOut)
	if !strings.Contains(out.String(), "record_changed audit_logs.ndjson:2 (id 2)") {
		t.Fatalf("text output does not name the record: %s", out.String())
	}

	// A wrong recorded manifest hash is a mismatch too.
	if code := run(context.Background(), []string{"evidence", "verify", "INC-1", "--data", data, "--manifest-sha256", strings.Repeat("0", 64)}, &out, &errOut); code != 1 {
		t.Fatalf("wrong manifest hash: exit %d", code)
	}
}

func TestEvidenceVerifyNothingToVerify(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"evidence", "verify", "INC-404", "--data", t.TempDir()}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "INC-404") {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	empty := t.TempDir()
	code = run(context.Background(), []string{"evidence", "verify", empty}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "read manifest") {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
}

// TestEvidenceVerifyFindsTheFolder: an incident id is looked up where the running
// configuration keeps evidence: the worker's IRFLOW_EVIDENCE (or --evidence), the
// folder the store recorded at collection, then <data>/evidence.
func TestEvidenceVerifyFindsTheFolder(t *testing.T) {
	const id = "INC-20260306-001"
	root := t.TempDir()
	writeEvidence(t, root, id) // the worker's evidence folder is root/evidence
	evidenceRoot := filepath.Join(root, "evidence")

	t.Setenv("IRFLOW_EVIDENCE", evidenceRoot)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"evidence", "verify", id, "--data", t.TempDir()}, &out, &errOut); code != 0 {
		t.Fatalf("IRFLOW_EVIDENCE: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	t.Setenv("IRFLOW_EVIDENCE", "")
	out.Reset()
	if code := run(context.Background(), []string{"evidence", "verify", id, "--data", t.TempDir(), "--evidence", evidenceRoot}, &out, &errOut); code != 0 {
		t.Fatalf("--evidence: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	data := t.TempDir()
	recorded := filepath.Join(evidenceRoot, id, "manifest.json")
	for _, tc := range []struct {
		name, evidence, recorded, want string
	}{
		{"the recorded manifest's folder", "", recorded, filepath.Join(evidenceRoot, id)},
		{"the evidence folder first", evidenceRoot, "/gone/manifest.json", filepath.Join(evidenceRoot, id)},
		{"a recorded folder that is gone falls back to data", "", "/gone/" + id + "/manifest.json", ""},
	} {
		got, tried := resolveEvidenceDir(id, data, tc.evidence, tc.recorded)
		if got != tc.want {
			t.Errorf("%s: %q (tried %v), want %q", tc.name, got, tried, tc.want)
		}
		if got == "" && (len(tried) != 2 || tried[1] != filepath.Join(data, "evidence", id)) {
			t.Errorf("%s: tried %v, want the recorded folder then <data>/evidence/<id>", tc.name, tried)
		}
	}
}

// TestEvidenceVerifyHostileFolder: issue 17's probes through the CLI. A manifest
// naming a link to /dev/zero is a mismatch reported at once (exit 1), with a hostile
// file name printed escaped; a huge file stops being hashed when the command's
// context ends (SIGTERM or Ctrl-C), exit 1.
func TestEvidenceVerifyHostileFolder(t *testing.T) {
	data := t.TempDir()
	dir, _ := writeEvidence(t, data, "INC-1")
	m, _, err := evidence.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := "zero\x1b[2J.ndjson"
	if err := os.Symlink("/dev/zero", filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	m.Sources[0].Files = append(m.Sources[0].Files, evidence.File{Path: name, Bytes: 1, Records: 0})
	if _, err := evidence.WriteManifest(dir, m); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), []string{"evidence", "verify", dir}, &out, &errOut) }()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(out.String(), `file_refused zero\u001b[2J.ndjson`) || strings.Contains(out.String(), "\x1b") {
			t.Fatalf("exit %d, output:\n%s%s", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("verify of a folder with a link to /dev/zero hangs")
	}

	// A 20 GiB file (sparse) and a context that ends: the command stops.
	big, _ := writeEvidence(t, t.TempDir(), "INC-2")
	if err := os.Truncate(filepath.Join(big, "audit_logs.ndjson"), 20<<30); err != nil {
		t.Skipf("sparse file: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out.Reset()
	errOut.Reset()
	began := time.Now()
	go func() { done <- run(ctx, []string{"evidence", "verify", big}, &out, &errOut) }()
	select {
	case code := <-done:
		if code != 1 || !strings.Contains(errOut.String(), "interrupted") || time.Since(began) > 3*time.Second {
			t.Fatalf("exit %d after %s, stderr %s", code, time.Since(began), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("verify ignores the end of its context")
	}
}
