package evidence

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

// auditRecord is the size and shape of a Zendesk audit-log record (~400 bytes).
func auditRecord(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":%d,"action":"update","action_label":"Updated","actor_id":372003,`+
		`"actor_name":"Maya Reyes","change_description":"Role changed from Agent to Admin","created_at":"2026-03-02T07:%02d:00Z",`+
		`"ip_address":"203.0.113.7","source_id":372003,"source_label":"Maya Reyes","source_type":"user",`+
		`"url":"https://acme.zendesk.com/api/v2/audit_logs/%d.json"}`, i, i%60, i))
}

// BenchmarkWriteRecords measures canonicalising, hashing and writing evidence records.
func BenchmarkWriteRecords(b *testing.B) {
	w, err := Open(filepath.Join(b.TempDir(), "audit_logs.ndjson"), Committed{}, IDKey)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh id each time so dedupe does not skip the write.
		if _, err := w.Write(auditRecord(i + 1000)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkVerify100k measures verifying a folder holding 100,000 records.
func BenchmarkVerify100k(b *testing.B) {
	dir := b.TempDir()
	w, err := Open(filepath.Join(dir, "audit_logs.ndjson"), Committed{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 100_000; i++ {
		if _, err := w.Write(auditRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f, err := DescribeFile(dir, "audit_logs.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := WriteManifest(dir, Manifest{Incident: "INC-1", Sources: []Source{{Source: "audit_logs", Records: f.Records, Files: []File{f}}}}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(f.Bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := Verify(dir)
		if err != nil || !rep.OK {
			b.Fatal(err, rep.Problems)
		}
	}
}
