package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"irflow/internal/evidence"
	"irflow/internal/s3/s3test"
)

// TestEvidenceVerifyS3CLI: `irflow evidence verify INCIDENT --evidence s3://...`
// reads the incident's objects with the standard AWS variables, passes intact
// evidence, and fails (exit 1) naming an object whose retention was shortened.
func TestEvidenceVerifyS3CLI(t *testing.T) {
	g := s3test.Start(t)
	bucket := g.Bucket(t, true)
	objs := g.Open(t, bucket, "irflow/", 24*time.Hour, evidence.RetentionGovernance)
	const id = "INC-20260306-001"
	w, err := evidence.OpenParts(t.Context(), objs, id, "audit_logs", evidence.Committed{}, evidence.IDKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{`{"id":1,"ip_address":"203.0.113.7"}`, `{"id":2,"ip_address":"203.0.113.7"}`} {
		if _, err := w.Write(json.RawMessage(r)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := evidence.AssembleSource(t.Context(), objs, id, "audit_logs.ndjson", c.Parts)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := evidence.PutManifest(t.Context(), objs, id, evidence.Manifest{Incident: id, Status: evidence.StatusComplete,
		Sources: []evidence.Source{{Source: "audit_logs", Records: f.Records, Files: []evidence.File{f}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", g.Endpoint)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.RootKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.RootSecret)
	t.Setenv("IRFLOW_STORE", "")
	args := []string{"evidence", "verify", id, "--data", t.TempDir(), "--evidence", "s3://" + bucket + "/irflow"}

	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("intact evidence: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "OK") || !strings.Contains(out.String(), sum) {
		t.Fatalf("output: %s", out.String())
	}

	mode, until := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := g.Admin.PutObjectRetention(t.Context(), bucket, "irflow/"+id+"/audit_logs.ndjson", minio.PutObjectRetentionOptions{
		GovernanceBypass: true, Mode: &mode, RetainUntilDate: &until}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), append(args, "--json"), &out, &errOut); code != 1 {
		t.Fatalf("shortened retention: exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	var rep evidence.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json report: %v\n%s", err, out.String())
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Kind != evidence.RetentionShortened || rep.Problems[0].Path != "audit_logs.ndjson" {
		t.Fatalf("problems: %+v", rep.Problems)
	}
}
