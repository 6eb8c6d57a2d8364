package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchRendersSavedOutput: irflow bench --input checks a saved go test
// -bench output against the targets of the packages it holds: a met target
// exits 0, an unmet one exits 1 naming it, and the JSON file holds the same.
func TestBenchRendersSavedOutput(t *testing.T) {
	const head = "goos: linux\ngoarch: amd64\npkg: irflow/internal/service\ncpu: Test CPU\n"
	for _, tc := range []struct {
		name, p50 string
		code      int
		result    string
	}{
		{"met", "8.5", exitOK, "pass"},
		{"not met", "75", exitFailure, "fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := writeFile(t, "bench.txt", head+"BenchmarkClosedIncidentReads/show-2 \t 1\t 812345 ns/op\t "+tc.p50+" p50_ms\t 12.25 p95_ms\nPASS\n")
			out := filepath.Join(t.TempDir(), "bench.json")
			code, stdout, stderr := runCLI(t, "bench", "--input", in, "--out", out)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, "service.BenchmarkClosedIncidentReads/show") || !strings.Contains(stdout, "< 50") || !strings.Contains(stdout, tc.result) {
				t.Errorf("table:\n%s", stdout)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var res struct {
				OK      bool `json:"ok"`
				Machine struct {
					CPU string `json:"cpu"`
				} `json:"machine"`
			}
			if err := json.Unmarshal(b, &res); err != nil || res.OK != (tc.code == exitOK) || res.Machine.CPU != "Test CPU" {
				t.Errorf("JSON %v: %s", err, b)
			}
		})
	}
	if code, _, stderr := runCLI(t, "bench", "--bench", "("); code != exitInvalid {
		t.Errorf("a bad --bench: exit %d %s", code, stderr)
	}
}
