package main

import (
	"net"
	"strings"
	"testing"
)

// TestUnreachableTemporal: with no server, every command that needs one fails with
// exit status 1 and the message that tells the user what to start; never a hang
// (the dial is bounded by app.DialTimeout).
func TestUnreachableTemporal(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	for _, args := range [][]string{
		{"incident", "declare", "--playbook", "credential-compromise", "--title", "t", "--temporal-address", addr},
		{"incident", "list", "--temporal-address", addr},
		{"incident", "show", "INC-20260306-001", "--temporal-address", addr},
		{"obligations", "list", "INC-20260306-001", "--temporal-address", addr},
	} {
		code, _, stderr := runCLI(t, args...)
		want := `cannot reach Temporal at ` + addr + ` (is "irflow dev" running?)`
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%v: exit %d, stderr %q; want 1 and %q", args[:2], code, stderr, want)
		}
	}
}

func TestDeclareBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing playbook", []string{"incident", "declare", "--title", "t"}, 2, `required flag(s) "playbook" not set`},
		{"unknown flag", []string{"incident", "list", "--jsn"}, 2, "unknown flag: --jsn"},
		{"missing argument", []string{"incident", "show"}, 2, "accepts 1 arg(s)"},
		{"facts file missing", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", "t", "--facts", "/nonexistent.json"}, 2, "read facts"},
		{"malformed facts", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", "t",
			"--facts", writeFile(t, "f.json", "{\"version\": 1,\n \"risk\": }")}, 2, "f.json:2:"},
		// Issue 17: over-limit input is bad input, reported before Temporal is dialled.
		{"title over its limit", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", strings.Repeat("x", 150_000)}, 2,
			"title: 150000 characters, the limit is 200"},
		{"escape in the title", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", "a\x1b[2Jb"}, 2,
			"title: a control character"},
		{"summary over its limit", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", "t",
			"--facts", writeFile(t, "big.json", `{"version": 1, "summary": "`+strings.Repeat("x", 320<<10)+`"}`)}, 2, "facts"},
		{"aware_at in year 9999", []string{"incident", "declare", "--playbook", "credential-compromise", "--title", "t",
			"--facts", writeFile(t, "y9999.json", `{"version": 1, "timeline": {"aware_at": "9999-01-01T00:00:00Z"}}`)}, 2, "y9999.json: timeline.aware_at: 9999-01-01T00:00:00Z is more than 24h0m0s in the future"},
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
