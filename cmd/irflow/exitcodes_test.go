package main

import (
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestExitStatusTableDocumented: the README's "Exit statuses" table under CLI and
// every command's --help say what the code's one table says.
func TestExitStatusTableDocumented(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "\n### Exit statuses\n")
	cli := strings.Index(readme, "\n## CLI\n")
	next := strings.Index(readme, "\n## HTTP API\n")
	if i < 0 || cli < 0 || !(cli < i && i < next) {
		t.Fatal(`README has no "### Exit statuses" section under "## CLI"`)
	}
	row := regexp.MustCompile(`(?m)^\| (\d+) \| ([^|]+) \| ([^|]+) \|$`)
	rows := row.FindAllStringSubmatch(readme[i:next], -1)
	if len(rows) != len(exitStatuses) {
		t.Fatalf("README lists %d exit statuses, the code %d", len(rows), len(exitStatuses))
	}
	for k, r := range rows {
		want := exitStatuses[k]
		if code, _ := strconv.Atoi(r[1]); code != want.Code || strings.TrimSpace(r[2]) != want.Name || strings.TrimSpace(r[3]) != want.Meaning {
			t.Errorf("README row %q, code says %d %q %q", r[0], want.Code, want.Name, want.Meaning)
		}
	}
	for _, args := range [][]string{{"--help"}, {"incident", "approve", "--help"}, {"incident", "retry", "--help"}, {"zdsim", "--help"}, {"users", "add", "--help"}} {
		code, stdout, _ := runCLI(t, args...)
		if code != exitOK || !strings.Contains(stdout, exitStatusHelp()) {
			t.Errorf("irflow %s: exit %d, the exit status table is missing:\n%s", strings.Join(args, " "), code, stdout)
		}
	}
}

// TestExitStatusPerCode: one command that exits with each status that needs no
// running stack (0, 1, 2, 3, 5, 6; 4 and the conflicts in
// TestStateConflictsExitFour, with a stack).
func TestExitStatusPerCode(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	t.Setenv("IRFLOW_SERVER", "")
	t.Setenv("IRFLOW_TOKEN", "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"success", []string{"users", "list"}, exitOK, ""},
		{"zdsim port in use", []string{"zdsim", "--addr", taken.Addr().String()}, exitFailure, "address already in use"},
		{"dev port in use", []string{"dev", "--data", t.TempDir(), "--http", taken.Addr().String(), "--zendesk-sim", "127.0.0.1:0", "--temporal", freeAddr(t)}, exitFailure, "address already in use"},
		{"invalid", []string{"incident", "list", "--jsn"}, exitInvalid, "unknown flag"},
		{"not found", []string{"users", "roles", "nobody", "--role", "viewer"}, exitNotFound, `no user "nobody"`},
		{"conflict", []string{"users", "add", "admin2", "--role", "viewer"}, exitOK, ""},
		{"conflict again", []string{"users", "add", "admin2", "--role", "viewer"}, exitConflict, "already exists"},
		{"unauthorized", []string{"incident", "list", "--server", "http://" + taken.Addr().String()}, exitUnauthorized, "IRFLOW_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
