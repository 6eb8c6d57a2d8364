// Package bench reads the output of `go test -bench`, checks every figure
// against the performance targets the issues set, and renders one table and one
// JSON document: `irflow bench` and `make bench`, so that every performance claim
// in the README can be rerun with one command. It does no I/O of its own beyond
// the writers it is given.
package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Target is one performance claim: a benchmark's figure in Unit compared with
// Value. Benchmark is a full benchmark name ("BenchmarkDeclareToShow",
// "BenchmarkClosedIncidentReads/show") or a name followed by "/*", which applies
// to each of its sub-benchmarks.
type Target struct {
	Package   string  `json:"package"`
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Op        string  `json:"op"` // "<", "<=", ">=", ">" or "=="
	Value     float64 `json:"value"`
	// Source says whose claim it is (the issue, and what it asks).
	Source string `json:"source"`
}

// String renders the target as "< 200 median_ms".
func (t Target) String() string {
	return fmt.Sprintf("%s %s", t.Op, formatFigure(t.Value))
}

func (t Target) matches(pkg, name string) bool {
	if t.Package != pkg {
		return false
	}
	if base, ok := strings.CutSuffix(t.Benchmark, "/*"); ok {
		return strings.HasPrefix(name, base+"/")
	}
	return t.Benchmark == name
}

// Met reports whether v meets the target.
func (t Target) Met(v float64) bool {
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">=":
		return v >= t.Value
	case ">":
		return v > t.Value
	case "==":
		return v == t.Value
	}
	return false
}

// Figure is one number a benchmark reported (ns/op, or a b.ReportMetric unit).
type Figure struct {
	Package   string  `json:"package"`
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Value     float64 `json:"value"`
	// Target is the claim this figure is checked against, if any.
	Target *Target `json:"target,omitempty"`
	// Status is "pass", "fail", "none" (no target) or "missing" (a target whose
	// benchmark did not run or did not report the unit).
	Status string `json:"status"`
}

// Result is what one run produced, as the JSON file holds it.
type Result struct {
	Machine Machine  `json:"machine"`
	Command string   `json:"command"`
	Figures []Figure `json:"figures"`
	// Failed lists benchmarks that failed outright (b.Fatal), by package.
	Failed []string `json:"failed,omitempty"`
}

// Machine says where the figures came from.
type Machine struct {
	GOOS    string `json:"goos"`
	GOARCH  string `json:"goarch"`
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Go      string `json:"go"`
	Started string `json:"started"`
}

// OK reports whether every target was met and no benchmark failed.
func (r Result) OK() bool {
	if len(r.Failed) > 0 {
		return false
	}
	for _, f := range r.Figures {
		if f.Status == "fail" || f.Status == "missing" {
			return false
		}
	}
	return true
}

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-(\d+))?\s+(\d+)\s+(.*)$`)
	failLine  = regexp.MustCompile(`^--- FAIL: (Benchmark\S+)`)
)

// Parse reads `go test -bench` output (several packages in a row, as `go test
// ./a ./b` prints them) and returns every figure, checked against targets, with a
// "missing" row for each target nothing reported. The machine's cpu line is
// taken from the output.
func Parse(r io.Reader, targets []Target) (Result, error) {
	var res Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		case strings.HasPrefix(line, "cpu: "):
			res.Machine.CPU = strings.TrimPrefix(line, "cpu: ")
			continue
		}
		if m := failLine.FindStringSubmatch(line); m != nil {
			res.Failed = append(res.Failed, pkg+"."+m[1])
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[4])
		if len(fields)%2 != 0 {
			continue // a log line that happens to start like a result
		}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return Result{}, fmt.Errorf("bench output: %q: figure %q is not a number", line, fields[i])
			}
			res.Figures = append(res.Figures, Figure{Package: pkg, Benchmark: m[1], Unit: fields[i+1], Value: v})
		}
	}
	if err := sc.Err(); err != nil {
		return Result{}, fmt.Errorf("read bench output: %w", err)
	}
	res.Figures = check(res.Figures, targets)
	return res, nil
}

// check attaches each figure's target and adds a missing row per target that
// matched nothing.
func check(figs []Figure, targets []Target) []Figure {
	used := make([]bool, len(targets))
	for i := range figs {
		figs[i].Status = "none"
		for k, t := range targets {
			if t.Unit == figs[i].Unit && t.matches(figs[i].Package, figs[i].Benchmark) {
				t := t
				figs[i].Target = &t
				used[k] = true
				if t.Met(figs[i].Value) {
					figs[i].Status = "pass"
				} else {
					figs[i].Status = "fail"
				}
				break
			}
		}
	}
	for k, t := range targets {
		if !used[k] {
			t := t
			figs = append(figs, Figure{Package: t.Package, Benchmark: t.Benchmark, Unit: t.Unit, Value: math.NaN(), Target: &t, Status: "missing"})
		}
	}
	return figs
}

// Filter keeps the targets of the packages and benchmarks that ran, so that a
// run limited with -bench or to some packages does not report the others as
// missing. ran holds package import paths; benchRE, when not nil, is the -bench
// expression.
func Filter(targets []Target, ran []string, benchRE *regexp.Regexp) []Target {
	var out []Target
	for _, t := range targets {
		in := false
		for _, p := range ran {
			if p == t.Package {
				in = true
			}
		}
		top, _, _ := strings.Cut(t.Benchmark, "/")
		if in && (benchRE == nil || benchRE.MatchString(top)) {
			out = append(out, t)
		}
	}
	return out
}

// WriteTable prints one row per figure: benchmark, figure, unit, target,
// pass/fail. Figures without a target are listed too (status "-"), so the table
// is every number the run produced.
func WriteTable(w io.Writer, r Result) error {
	figs := append([]Figure(nil), r.Figures...)
	sort.SliceStable(figs, func(i, j int) bool {
		if figs[i].Package != figs[j].Package {
			return figs[i].Package < figs[j].Package
		}
		return figs[i].Benchmark < figs[j].Benchmark
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BENCHMARK\tFIGURE\tUNIT\tTARGET\tRESULT")
	for _, f := range figs {
		target, status := "-", "-"
		if f.Target != nil {
			target, status = f.Target.String(), f.Status
		}
		fig := formatFigure(f.Value)
		if math.IsNaN(f.Value) {
			fig = "-"
		}
		fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\t%s\n", path.Base(f.Package), f.Benchmark, fig, f.Unit, target, status)
	}
	for _, name := range r.Failed {
		fmt.Fprintf(tw, "%s\t-\t-\t-\tfailed\n", name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Machine.CPU != "" {
		_, err := fmt.Fprintf(w, "machine: %s, %d cores, %s/%s, %s\n", r.Machine.CPU, r.Machine.Cores, r.Machine.GOOS, r.Machine.GOARCH, r.Machine.Go)
		return err
	}
	return nil
}

// WriteJSON writes the result as indented JSON. A missing figure's value, which
// JSON cannot hold as NaN, is written as null.
func WriteJSON(w io.Writer, r Result) error {
	type figure struct {
		Figure
		Value *float64 `json:"value"`
	}
	out := struct {
		Result
		Figures []figure `json:"figures"`
		OK      bool     `json:"ok"`
	}{Result: r, OK: r.OK()}
	for _, f := range r.Figures {
		g := figure{Figure: f}
		if !math.IsNaN(f.Value) {
			v := f.Value
			g.Value = &v
		}
		out.Figures = append(out.Figures, g)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func formatFigure(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}
