package facts

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseRoundTrip: whatever bytes arrive as a facts document (a file, stdin, an HTTP
// body), Parse never panics; a document it accepts is valid and survives a
// round trip through JSON unchanged; a refusal names where the problem is. The
// seed corpus is testdata/fuzz/FuzzParseRoundTrip plus the documents below; run longer
// with: go test ./internal/facts -run '^$' -fuzz '^FuzzParseRoundTrip$' -fuzztime 10m
func FuzzParseRoundTrip(f *testing.F) {
	for _, p := range []string{"testdata/contract-example.json", "../../playbooks/examples/demo-takeover.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, `{"version": 2}`, `{"version": 1, "timeline": {"aware_at": "2026-13-01T00:00:00Z"}}`,
		`{"version": 1, "affected": {"individuals": [{"jurisdiction": "DE", "count": -1}]}}`, `{"zendesk": {"users": [1, 1e400]}}`,
		`{"version": 1, "version": 1}`, `[`, `null`, "{\"summary\": \"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("an empty error for %q", data)
			}
			var errs Errors
			if errors.As(err, &errs) {
				for _, e := range errs {
					if e.Msg == "" || !strings.Contains(e.Error(), e.Path) {
						t.Fatalf("a problem that does not say what or where: %#v", e)
					}
				}
			} else if strings.HasPrefix(err.Error(), "decode facts:") {
				t.Fatalf("the schema check let through what the decoder refused (a bug, not bad input): %v", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("Parse accepted a document Validate refuses: %v", err)
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("an accepted document cannot be encoded: %v", err)
		}
		d2, err := Parse(b)
		if err != nil {
			t.Fatalf("an accepted document, encoded, is refused: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(d2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the document:\n%s\n%s", b, b2)
		}
	})
}
