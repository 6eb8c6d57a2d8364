package bench

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: irflow/internal/service
cpu: AMD EPYC 7B13
BenchmarkClosedIncidentReads/show-2         	       1	 812345 ns/op	         8.500 p50_ms	        12.25 p95_ms	        30.00 max_ms
BenchmarkClosedIncidentReads/obligations-2  	       1	 412345 ns/op	         3.100 p50_ms	         4.000 p95_ms	         9.000 max_ms
PASS
ok  	irflow/internal/service	3.2s
goos: linux
goarch: amd64
pkg: irflow/internal/app
cpu: AMD EPYC 7B13
    declare_bench_test.go:45: burst 1: 200 declares in 1.6s (125/s), p50 700ms, p99 1.2s
BenchmarkDeclareBurst-2   	       1	1600000000 ns/op	       125.0 declares/s	       700.0 p50_ms	      1200 p99_ms	      1300 max_ms
--- FAIL: BenchmarkHistoryPerNote
    history_e2e_test.go:130: no server
FAIL
exit status 1
FAIL	irflow/internal/app	20.1s
`

// TestParseChecksTargets: figures of several packages are read with their units,
// each checked against its target (met, not met), a target nothing reported is
// missing, a failed benchmark is listed, and the whole run is not OK.
func TestParseChecksTargets(t *testing.T) {
	targets := []Target{
		{Package: "irflow/internal/service", Benchmark: "BenchmarkClosedIncidentReads/show", Unit: "p50_ms", Op: "<", Value: 50},
		{Package: "irflow/internal/app", Benchmark: "BenchmarkDeclareBurst", Unit: "declares/s", Op: ">=", Value: 100},
		{Package: "irflow/internal/app", Benchmark: "BenchmarkDeclareBurst", Unit: "p99_ms", Op: "<", Value: 1000},
		{Package: "irflow/internal/app", Benchmark: "BenchmarkHistoryPerNote", Unit: "history-bytes/note", Op: "<", Value: 2048},
		{Package: "irflow/internal/zendesk", Benchmark: "BenchmarkAuditLogCollection100k/*", Unit: "%limit", Op: ">=", Value: 90},
	}
	res, err := Parse(strings.NewReader(sample), targets)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range res.Figures {
		status[f.Package+" "+f.Benchmark+" "+f.Unit] = f.Status
	}
	for key, want := range map[string]string{
		"irflow/internal/service BenchmarkClosedIncidentReads/show p50_ms":        "pass",
		"irflow/internal/service BenchmarkClosedIncidentReads/show p95_ms":        "none",
		"irflow/internal/service BenchmarkClosedIncidentReads/obligations p50_ms": "none",
		"irflow/internal/app BenchmarkDeclareBurst declares/s":                    "pass",
		"irflow/internal/app BenchmarkDeclareBurst p99_ms":                        "fail",
		"irflow/internal/app BenchmarkHistoryPerNote history-bytes/note":          "missing",
		"irflow/internal/zendesk BenchmarkAuditLogCollection100k/* %limit":        "missing",
	} {
		if status[key] != want {
			t.Errorf("%s: %q, want %q", key, status[key], want)
		}
	}
	if len(res.Failed) != 1 || res.Failed[0] != "irflow/internal/app.BenchmarkHistoryPerNote" {
		t.Errorf("failed benchmarks: %v", res.Failed)
	}
	if res.OK() || res.Machine.CPU != "AMD EPYC 7B13" {
		t.Errorf("OK %v, cpu %q", res.OK(), res.Machine.CPU)
	}

	var table bytes.Buffer
	if err := WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"service.BenchmarkClosedIncidentReads/show", "8.5", "p50_ms", "< 50", "pass",
		"app.BenchmarkDeclareBurst", "1200", "p99_ms", "< 1000", "fail", "missing", "failed",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back struct {
		OK      bool `json:"ok"`
		Figures []struct {
			Benchmark string   `json:"benchmark"`
			Unit      string   `json:"unit"`
			Value     *float64 `json:"value"`
			Status    string   `json:"status"`
			Target    *Target  `json:"target"`
		} `json:"figures"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.OK {
		t.Fatalf("JSON %v ok=%v:\n%s", err, back.OK, js.String())
	}
	for _, f := range back.Figures {
		if (f.Status == "missing") != (f.Value == nil) || (f.Status != "none") != (f.Target != nil) {
			t.Errorf("JSON figure %+v", f)
		}
	}
}

// TestTargetsAreWellFormed: every committed target names a package, a
// benchmark that exists in the source tree, a unit and a known comparison.
func TestTargetsAreWellFormed(t *testing.T) {
	var src bytes.Buffer
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			src.Write(b)
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range Targets {
		top, _, _ := strings.Cut(tg.Benchmark, "/")
		if !strings.Contains(src.String(), "\nfunc "+top+"(b *testing.B)") {
			t.Errorf("target %s: no benchmark %s in the source tree", tg.Benchmark, top)
		}
		if !strings.HasPrefix(tg.Package, "irflow/") || !strings.HasPrefix(tg.Benchmark, "Benchmark") || tg.Unit == "" || tg.Source == "" {
			t.Errorf("target %+v", tg)
		}
		if !tg.Met(tg.Value) && !tg.Met(tg.Value-1) && !tg.Met(tg.Value+1) {
			t.Errorf("target %+v has an unknown comparison %q", tg, tg.Op)
		}
	}
	if got := Filter(Targets, []string{"irflow/internal/app"}, regexp.MustCompile("DeclareBurst")); len(got) != 2 {
		t.Errorf("filter: %+v", got)
	}
	if !math.IsNaN(check([]Figure{}, Targets[:1])[0].Value) {
		t.Error("a missing figure has a value")
	}
}
