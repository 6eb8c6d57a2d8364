package storeopen_test

import (
	"strings"
	"testing"

	"irflow/internal/evidence"
	"irflow/internal/storeopen"
)

// TestEvidence: a folder opens as a Folder; a bad s3:// spec or half the AWS
// credentials is refused with the setting named.
func TestEvidence(t *testing.T) {
	dir := t.TempDir()
	objs, err := storeopen.Evidence(t.Context(), dir, func(string) string { return "" })
	if f, ok := objs.(evidence.Folder); err != nil || !ok || f.Dir != dir {
		t.Fatalf("folder: %#v, %v", objs, err)
	}
	for spec, want := range map[string]string{
		"":                     "IRFLOW_EVIDENCE",
		"s3://":                "want s3://BUCKET",
		"s3://bucket/../x":     "prefix",
		"s3://bucket/evidence": "AWS_SECRET_ACCESS_KEY",
	} {
		_, err := storeopen.Evidence(t.Context(), spec, func(k string) string {
			if k == "AWS_ACCESS_KEY_ID" {
				return "AK"
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Evidence(%q): %v, want an error naming %q", spec, err, want)
		}
	}
	if !storeopen.IsObjectStorage(" s3://b/p") || storeopen.IsObjectStorage("./s3") {
		t.Error("IsObjectStorage")
	}
}
