package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/bench"
)

func init() { register(newBenchCmd) }

func newBenchCmd() *cobra.Command {
	var (
		benchRE, benchtime, out, input, dir string
		asJSON                              bool
	)
	cmd := &cobra.Command{
		Use:   "bench [--bench REGEXP] [--benchtime 1x] [--out bench.json]",
		Short: "Run every committed benchmark and check each figure against its target",
		Long: `Run every committed benchmark (go test -run '^$' -bench ... in each package of the
source tree that has one) and print one table: benchmark, figure, unit, target and
pass or fail, for every figure the benchmarks report (ns/op and their
b.ReportMetric units). The targets are the issues' performance claims
(internal/bench/targets.go); a target whose benchmark reported nothing is "missing".
The same result, with the machine it ran on, is written as JSON to --out.

It needs the source tree and the Go toolchain: run it from the repository (or give
--dir). go test's own output goes to standard error as it runs; the slowest
benchmarks start an embedded Temporal server and take minutes. --input renders a
saved "go test -bench" output instead of running anything.

Exit status 1 when a target is not met, a targeted figure is missing or a
benchmark fails.`,
		Example: `  irflow bench
  irflow bench --bench 'DeclareBurst|ClosedIncidentReads' --benchtime 3x
  go test ./internal/service -run '^$' -bench . | irflow bench --input -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			started := time.Now().UTC()
			re, err := regexp.Compile(benchRE)
			if err != nil {
				return withExit(exitInvalid, fmt.Errorf("--bench %q: %w", benchRE, err))
			}
			var data []byte
			var ran []string
			command := "irflow bench --input " + input
			targets := bench.Targets
			switch input {
			case "":
				if dir == "" {
					if dir, err = moduleRoot(cmd.Context()); err != nil {
						return err
					}
				}
				dirs, err := benchmarkDirs(dir)
				if err != nil {
					return err
				}
				if ran, err = importPaths(cmd.Context(), dir, dirs); err != nil {
					return err
				}
				args := append([]string{"test", "-run", "^$", "-bench", benchRE, "-benchtime", benchtime, "-timeout", "60m"}, dirs...)
				command = "go " + strings.Join(args, " ")
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: running %s (in %s)\n", command, dir)
				var buf bytes.Buffer
				gt := exec.CommandContext(cmd.Context(), "go", args...)
				gt.Dir = dir
				gt.Stdout = io.MultiWriter(&buf, cmd.ErrOrStderr())
				gt.Stderr = cmd.ErrOrStderr()
				runErr := gt.Run()
				var ee *exec.ExitError
				if runErr != nil && !errors.As(runErr, &ee) {
					return fmt.Errorf("run go test: %w", runErr)
				}
				data = buf.Bytes()
			case "-":
				if data, err = io.ReadAll(cmd.InOrStdin()); err != nil {
					return fmt.Errorf("read standard input: %w", err)
				}
			default:
				if data, err = os.ReadFile(input); err != nil {
					return withExit(exitInvalid, fmt.Errorf("--input: %w", err))
				}
			}
			if input != "" {
				// A saved output is checked against the targets of the packages it holds.
				all, err := bench.Parse(bytes.NewReader(data), nil)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("--input: %w", err))
				}
				for _, f := range all.Figures {
					if !slices.Contains(ran, f.Package) {
						ran = append(ran, f.Package)
					}
				}
			}
			targets = bench.Filter(targets, ran, re)
			res, err := bench.Parse(bytes.NewReader(data), targets)
			if err != nil {
				return err
			}
			res.Command = command
			res.Machine.GOOS, res.Machine.GOARCH, res.Machine.Cores = runtime.GOOS, runtime.GOARCH, runtime.NumCPU()
			res.Machine.Go = runtime.Version()
			res.Machine.Started = started.Format(time.RFC3339)
			if out != "" {
				var b bytes.Buffer
				if err := bench.WriteJSON(&b, res); err != nil {
					return err
				}
				if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
			}
			if asJSON {
				if err := bench.WriteJSON(cmd.OutOrStdout(), res); err != nil {
					return err
				}
			} else if err := bench.WriteTable(cmd.OutOrStdout(), res); err != nil {
				return err
			}
			if !res.OK() {
				return withExit(exitFailure, errors.New("a performance target is not met, a targeted figure is missing, or a benchmark failed (see the table)"))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&benchRE, "bench", ".", "run only the benchmarks matching this regular expression (go test -bench)")
	f.StringVar(&benchtime, "benchtime", "1x", "go test -benchtime: iterations (3x) or a duration (2s)")
	f.StringVar(&out, "out", "bench.json", `write the result as JSON to this file ("" for none)`)
	f.StringVar(&input, "input", "", `render this saved "go test -bench" output instead of running ("-" for standard input)`)
	f.StringVar(&dir, "dir", "", "the source tree to run in (default: the Go module containing the current directory)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON instead of the table")
	return cmd
}

// moduleRoot is the folder of the go.mod governing the current directory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("irflow bench needs the Go toolchain and the source tree: go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", withExit(exitInvalid, errors.New("irflow bench runs in irflow's source tree: no go.mod here (give --dir)"))
	}
	return filepath.Dir(mod), nil
}

// benchmarkDirs lists, as ./relative paths, the packages under root with a
// committed benchmark, found rather than listed so a new one is run without
// editing anything.
func benchmarkDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor" || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("\nfunc Benchmark")) {
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			rel = "./" + filepath.ToSlash(rel)
			if !slices.Contains(dirs, rel) {
				dirs = append(dirs, rel)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find benchmarks under %s: %w", root, err)
	}
	slices.Sort(dirs)
	return dirs, nil
}

func importPaths(ctx context.Context, root string, dirs []string) ([]string, error) {
	c := exec.CommandContext(ctx, "go", append([]string{"list"}, dirs...)...)
	c.Dir = root
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("go list the benchmark packages: %w", err)
	}
	return strings.Fields(string(out)), nil
}
