package main

import (
	"strings"
	"testing"
)

// TestDevRefusesAnExposedTemporal: --temporal beyond loopback is bad input (exit
// 2) saying why, before anything starts: the embedded Temporal server
// authenticates nobody.
func TestDevRefusesAnExposedTemporal(t *testing.T) {
	code, _, stderr := runCLI(t, "dev", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--zendesk-sim", "127.0.0.1:0", "--temporal", "0.0.0.0:7233")
	if code != 2 || !strings.Contains(stderr, "refusing to listen beyond loopback") || !strings.Contains(stderr, "--allow-remote-temporal") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
