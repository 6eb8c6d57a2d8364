package main

import (
	"net"
	"strings"
	"testing"
)

// TestClientModeErrors: client mode fails fast and says why: no token (exit 6,
// before any request), a server URL that is not one (exit 2), an unreachable
// server (exit 1, named); the token has no flag, so it cannot end up in `ps`; and
// --server "" returns to operator mode while IRFLOW_SERVER is set.
func TestClientModeErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // nothing listens there now
	t.Setenv("IRFLOW_SERVER", "http://"+addr)
	t.Setenv("IRFLOW_TOKEN", "")
	tests := []struct {
		name  string
		token string
		args  []string
		code  int
		want  string
	}{
		{"no token", "", []string{"incident", "list"}, exitUnauthorized, "needs an API token in $IRFLOW_TOKEN"},
		{"no token, obligations", "", []string{"obligations", "list", "INC-20260306-001"}, exitUnauthorized, "needs an API token in $IRFLOW_TOKEN"},
		{"unreachable", "irf_x", []string{"incident", "show", "INC-20260306-001"}, 1, "cannot reach irflow at http://" + addr},
		{"not a URL", "irf_x", []string{"incident", "list", "--server", "127.0.0.1:8080"}, 2, "give a URL such as http://127.0.0.1:8080"},
		{"no token flag", "irf_x", []string{"incident", "list", "--token", "irf_x"}, 2, "unknown flag: --token"},
		{"operator mode", "irf_x", []string{"incident", "list", "--server", "", "--temporal-address", addr}, 1, "cannot reach Temporal at " + addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("IRFLOW_TOKEN", tt.token)
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}
