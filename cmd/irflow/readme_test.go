package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's walkthrough is a test, so the README cannot drift from the product:
// a newcomer who copies its commands one by one must never meet an error it did not
// predict.
//
// What runs: every fenced block whose info string is "sh walkthrough" (GitHub
// highlights it as sh and shows nothing of the rest), in order, each command with
// bash from the repository's root, against one fresh "irflow dev" built once with
// go build and started on free ports and a temporary data folder. A block marked
// "sh walkthrough needs=temporal" runs only when that program is on PATH.
//
// Inside a block:
//   - A command is a line, with its "\" continuations. A non-zero exit fails the test
//     unless the command's trailing comment predicts it: "# exits 2". With
//     "# exits 2 until ..." the command may exit 2 for a while (evidence still
//     being collected): it is retried for up to a minute until it exits 0.
//   - "# runs until Ctrl-C" in the trailing comment starts the command in the
//     background; it must print a line before the next command runs, and it is
//     stopped with SIGINT at the end of its block and must exit 0.
//   - Comment lines right below a command (no blank line between) are its output:
//     each must appear in what the command printed, runs of spaces matching any
//     spacing and "…" matching anything. Comments after a blank line are prose.
//   - `export` commands carry over to every later command, as in a terminal.
//
// Substitutions, applied to commands and expected output alike: the README's
// incident ids are the ids the product printed (an expected-output line that shows
// an id not seen before binds it); so are its hashes, any word of 12 to 64
// lowercase hex digits with a letter and a digit among them: an expected-output
// line such as "sha256: 5d0c0a1b2c3d…" binds 5d0c0a1b2c3d to the first 12 hex
// digits printed there, and "--sha256 5d0c0a1b2c3d" in a later command is given
// them (a hash used in a command before an output line bound it fails the test,
// as an id does); the addresses 127.0.0.1:8080 and localhost:8080, :7233, :8081
// and :1025 (the mail sink) are the dev stack's, and any other 127.0.0.1 or
// localhost port is a free one; "$PWD/.irflow" and "./.irflow" are the temporary data folder;
// "$PWD/bin" is the folder of the binary the test built, and "go run ./cmd/irflow"
// is that binary. TEMPORAL_ADDRESS and IRFLOW_DATA point at the dev stack too, and
// ZENDESK_* and SMTP_* variables are removed, so the dev stack uses its Zendesk
// simulator and its mail sink (on a free port, keeping mail in <data>/mail): the
// walkthrough never mails anyone.

// walkCommand is one command of a walkthrough block.
type walkCommand struct {
	line       int    // README line where the command starts
	text       string // as bash runs it: continuations joined
	exits      int    // the exit status the README predicts
	until      bool   // "# exits N until ...": retried until it exits 0
	background bool   // "# runs until Ctrl-C"
	expect     []string
}

// walkBlock is one "sh walkthrough" block.
type walkBlock struct {
	line  int
	needs []string
	cmds  []walkCommand
}

var (
	fenceRE    = regexp.MustCompile("^```(\\S*)\\s*(.*)$")
	exitsRE    = regexp.MustCompile(`^exits (\d+)( until\b.*)?`)
	readmeIDRE = regexp.MustCompile(`INC-[0-9]{8}-[0-9]{3,}`)
	// readmeBindRE finds what an expected-output line can bind: an incident id,
	// or a word of hex digits that readmeHash says is a hash.
	readmeBindRE = regexp.MustCompile(`INC-[0-9]{8}-[0-9]{3,}|\b[0-9a-f]{12,64}\b`)
	addrRE       = regexp.MustCompile(`\b(127\.0\.0\.1|localhost):([0-9]{2,5})\b`)
	// expectTokenRE splits an expected-output line into "…", spacing and text.
	expectTokenRE = regexp.MustCompile(`…|\s+|[^\s…]+`)
)

// parseWalkthrough returns the walkthrough blocks of a README, in order.
func parseWalkthrough(readme string) ([]walkBlock, error) {
	var (
		blocks  []walkBlock
		cur     *walkBlock
		last    *walkCommand // the command comment lines would be the output of
		pending []string     // the physical lines of a command continued with "\"
		start   int
	)
	lines := strings.Split(readme, "\n")
	for i, raw := range lines {
		n := i + 1
		if m := fenceRE.FindStringSubmatch(strings.TrimSpace(raw)); m != nil && len(pending) == 0 {
			if cur != nil { // a closing fence
				if m[1] != "" {
					return nil, fmt.Errorf("README.md:%d: a fence opens inside the walkthrough block of line %d", n, cur.line)
				}
				blocks = append(blocks, *cur)
				cur, last = nil, nil
				continue
			}
			fields := strings.Fields(m[2])
			if m[1] == "sh" && len(fields) > 0 && fields[0] == "walkthrough" {
				cur = &walkBlock{line: n}
				for _, f := range fields[1:] {
					if v, ok := strings.CutPrefix(f, "needs="); ok {
						cur.needs = append(cur.needs, strings.Split(v, ",")...)
					} else {
						return nil, fmt.Errorf("README.md:%d: unknown walkthrough option %q", n, f)
					}
				}
				continue
			}
			// Any other fenced block: skip to its closing fence.
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) == "```" {
					lines[j] = "" // consumed here, not read as an opening fence
					break
				}
			}
			continue
		}
		if cur == nil {
			continue
		}
		line := strings.TrimSpace(raw)
		if len(pending) == 0 {
			switch {
			case line == "":
				last = nil
				continue
			case strings.HasPrefix(line, "#"):
				if last != nil {
					last.expect = append(last.expect, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
				}
				continue
			}
			start = n
		}
		if strings.HasSuffix(line, "\\") {
			pending = append(pending, strings.TrimSuffix(line, "\\"))
			continue
		}
		pending = append(pending, line)
		c := walkCommand{line: start, text: strings.Join(pending, " ")}
		pending = nil
		if comment, ok := trailingComment(c.text); ok {
			if m := exitsRE.FindStringSubmatch(comment); m != nil {
				c.exits, _ = strconv.Atoi(m[1])
				c.until = m[2] != ""
			}
			c.background = strings.Contains(comment, "runs until Ctrl-C")
		}
		cur.cmds = append(cur.cmds, c)
		last = &cur.cmds[len(cur.cmds)-1]
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: walkthrough block never closed", cur.line)
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("README.md:%d: command continued past its block", start)
	}
	return blocks, nil
}

// trailingComment returns the text after a " #" outside quotes, trimmed.
func trailingComment(cmd string) (string, bool) {
	var quote rune
	prev := ' '
	for i, r := range cmd {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return strings.TrimSpace(cmd[i+1:]), true
		}
		prev = r
	}
	return "", false
}

// expectRE turns an expected-output line into a pattern: "…" matches anything,
// runs of spaces any spacing, and each incident id or hash not bound yet any id or
// as many hex digits, as a group that binds it.
func expectRE(line string, bound map[string]string) (*regexp.Regexp, []string) {
	var b strings.Builder
	var unbound []string
	for _, tok := range expectTokenRE.FindAllString(strings.TrimSpace(line), -1) {
		switch {
		case tok == "…":
			b.WriteString(".*")
		case strings.TrimSpace(tok) == "":
			b.WriteString(`\s+`)
		default:
			last := 0
			for _, loc := range readmeBindRE.FindAllStringIndex(tok, -1) {
				word := tok[loc[0]:loc[1]]
				isID := readmeIDRE.MatchString(word)
				if !isID && !readmeHash(word) {
					continue
				}
				b.WriteString(regexp.QuoteMeta(tok[last:loc[0]]))
				switch actual, ok := bound[word]; {
				case ok:
					b.WriteString(regexp.QuoteMeta(actual))
				case isID:
					b.WriteString(`(INC-[0-9]{8}-[0-9]{3,})`)
					unbound = append(unbound, word)
				default:
					fmt.Fprintf(&b, `([0-9a-f]{%d})`, len(word))
					unbound = append(unbound, word)
				}
				last = loc[1]
			}
			b.WriteString(regexp.QuoteMeta(tok[last:]))
		}
	}
	return regexp.MustCompile(b.String()), unbound
}

// readmeHash reports whether a word of 12 to 64 hex digits stands for a hash the
// product prints: it mixes letters and digits, as a run of digits (a Zendesk id, a
// timestamp) does not.
func readmeHash(word string) bool {
	return strings.ContainsAny(word, "abcdef") && strings.ContainsAny(word, "0123456789")
}

func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds irflow and runs the README against irflow dev")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s: %v", tool, err)
		}
	}
	began := time.Now()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseWalkthrough(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh walkthrough blocks")
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "irflow"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built irflow in %s", time.Since(began).Round(time.Millisecond))

	data := filepath.Join(tmp, "data")
	env := walkEnv(bin)
	dev := startWalkDev(t, bin, data, env)
	env = append(env, "TEMPORAL_ADDRESS="+dev.temporal, "IRFLOW_DATA="+data)

	subst := []string{
		"go run ./cmd/irflow", "irflow",
		"$PWD/bin", bin,
		"$PWD/.irflow", data,
		"./.irflow", data,
	}
	ports := map[string]string{"8080": dev.http, "7233": dev.temporal, "8081": dev.zendesk, "1025": dev.mail}
	w := &walker{t: t, root: root, env: env, ids: map[string]string{}}
	for _, b := range blocks {
		if missing := missingTools(b.needs); missing != "" {
			t.Logf("README.md:%d: skipped: needs %s, not on PATH", b.line, missing)
			continue
		}
		var background []*exec.Cmd
		for _, c := range b.cmds {
			c.text = addrRE.ReplaceAllStringFunc(strings.NewReplacer(subst...).Replace(c.text), func(a string) string {
				port := a[strings.LastIndexByte(a, ':')+1:]
				if _, ok := ports[port]; !ok {
					ports[port] = freeWalkAddr(t)
				}
				return ports[port]
			})
			if c.background {
				background = append(background, w.start(c))
				continue
			}
			w.run(c)
			if strings.HasPrefix(c.text, "export ") {
				w.exports = append(w.exports, c.text)
			}
		}
		for _, p := range background {
			w.stop(p)
		}
	}
	t.Logf("walkthrough of %d blocks took %s", len(blocks), time.Since(began).Round(time.Millisecond))
}

// walker runs the walkthrough's commands and keeps what carries over between them.
type walker struct {
	t       *testing.T
	root    string
	env     []string
	exports []string
	ids     map[string]string // README incident id or hash → the one the product printed
}

// script is c as bash runs it: the exports so far, then the command.
func (w *walker) script(c walkCommand, asExec bool) (string, error) {
	text := c.text
	for _, word := range readmeBindRE.FindAllString(text, -1) {
		if _, ok := w.ids[word]; ok {
			continue
		}
		switch {
		case readmeIDRE.MatchString(word):
			return "", fmt.Errorf("README.md:%d: %s is used before an output line shows where it comes from (# Declared %s ...)", c.line, word, word)
		case readmeHash(word):
			return "", fmt.Errorf("README.md:%d: %s is used before an output line shows where it comes from (# sha256: %s…)", c.line, word, word)
		}
	}
	for readmeWord, actual := range w.ids {
		text = strings.ReplaceAll(text, readmeWord, actual)
	}
	if asExec {
		text = "exec " + text
	}
	return "set -o pipefail\n" + strings.Join(w.exports, "\n") + "\n" + text, nil
}

func (w *walker) run(c walkCommand) {
	t := w.t
	t.Helper()
	script, err := w.script(c, false)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "bash", "-c", script)
		cmd.Dir, cmd.Env = w.root, w.env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		began := time.Now()
		err := cmd.Run()
		cancel()
		code := 0
		if err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("README.md:%d: %s: %v", c.line, c.text, err)
			}
			code = ee.ExitCode()
		}
		if c.until && code == c.exits && code != 0 && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		want := c.exits
		if c.until {
			want = 0
		}
		t.Logf("README.md:%d: exit %d in %s: %s", c.line, code, time.Since(began).Round(time.Millisecond), c.text)
		if code != want {
			t.Fatalf("README.md:%d: %s\nexit status %d, the README predicts %d\nstdout:\n%s\nstderr:\n%s", c.line, c.text, code, want, stdout.String(), stderr.String())
		}
		w.check(c, stdout.String()+stderr.String())
		return
	}
}

// check finds each expected-output line of c in out, binding incident ids and
// hashes it shows for the first time.
func (w *walker) check(c walkCommand, out string) {
	for _, line := range c.expect {
		re, unbound := expectRE(line, w.ids)
		m := re.FindStringSubmatch(out)
		if m == nil {
			w.t.Fatalf("README.md:%d: %s\nthe README shows this output:\n  %s\nthe command printed:\n%s", c.line, c.text, line, out)
		}
		for i, id := range unbound {
			if prev, ok := w.ids[id]; ok && prev != m[i+1] {
				w.t.Fatalf("README.md:%d: %s stands for both %s and %s", c.line, id, prev, m[i+1])
			}
			w.ids[id] = m[i+1]
		}
	}
}

// start runs a long-lived command (a server) in the background and returns once it
// printed its first line.
func (w *walker) start(c walkCommand) *exec.Cmd {
	t := w.t
	script, err := w.script(c, true)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir, cmd.Env = w.root, w.env
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("README.md:%d: %s: %v", c.line, c.text, err)
	}
	// When the test fails before the block ends, nothing else stops it.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line, ok := <-first:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("README.md:%d: %s exited without printing anything; stderr:\n%s", c.line, c.text, stderr.String())
		}
		t.Logf("README.md:%d: started: %s: %s", c.line, c.text, line)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("README.md:%d: %s printed nothing in 30 s; stderr:\n%s", c.line, c.text, stderr.String())
	}
	return cmd
}

// stop interrupts a background command as Ctrl-C would; it must exit 0.
func (w *walker) stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			w.t.Errorf("%s after Ctrl-C: %v", cmd.Args[len(cmd.Args)-1], err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		w.t.Errorf("%s did not stop on Ctrl-C", cmd.Args[len(cmd.Args)-1])
	}
}

// walkEnv is the environment the walkthrough runs in: this one without settings
// that would point irflow elsewhere, and bin first on PATH.
func walkEnv(bin string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ZENDESK_") || strings.HasPrefix(name, "SMTP_") || strings.HasPrefix(name, "TEMPORAL_") || strings.HasPrefix(name, "IRFLOW_") || name == "PATH" || name == "COLUMNS" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

type walkDev struct{ http, temporal, zendesk, mail string }

// startWalkDev starts "irflow dev" on free ports and data, and stops it when the
// test ends.
func startWalkDev(t *testing.T, bin, data string, env []string) walkDev {
	t.Helper()
	var lastErr string
	// The free ports are picked before dev binds them, so another test can take one
	// in between: then pick others.
	for range 3 {
		d := walkDev{http: freeWalkAddr(t), temporal: freeWalkAddr(t), zendesk: freeWalkAddr(t), mail: freeWalkAddr(t)}
		cmd := exec.Command(filepath.Join(bin, "irflow"), "dev", "--data", data,
			"--http", d.http, "--temporal", d.temporal, "--zendesk-sim", d.zendesk, "--mail-sink", d.mail)
		cmd.Env = env
		var stdout, stderr syncBuffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		deadline := time.After(time.Minute)
	wait:
		for {
			select {
			case <-exited:
				lastErr = stderr.String()
				break wait
			case <-deadline:
				_ = cmd.Process.Kill()
				t.Fatalf("irflow dev not ready in a minute\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			case <-time.After(50 * time.Millisecond):
				if strings.Contains(stdout.String(), "irflow ready") {
					t.Logf("%s", strings.TrimSpace(stdout.String()))
					t.Cleanup(func() {
						_ = cmd.Process.Signal(syscall.SIGINT)
						select {
						case <-exited:
						case <-time.After(15 * time.Second):
							_ = cmd.Process.Kill()
							<-exited
						}
					})
					return d
				}
			}
		}
		if !strings.Contains(lastErr, "in use") {
			break
		}
	}
	t.Fatalf("irflow dev did not start:\n%s", lastErr)
	return walkDev{}
}

func freeWalkAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

func missingTools(tools []string) string {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return tool
		}
	}
	return ""
}
