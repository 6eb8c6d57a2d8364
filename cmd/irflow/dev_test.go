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

// TestDevRefusesAnExposedMailSink: the mail sink keeps whatever it is sent in the
// data folder, so --mail-sink beyond loopback is bad input, refused before start.
func TestDevRefusesAnExposedMailSink(t *testing.T) {
	code, _, stderr := runCLI(t, "dev", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--zendesk-sim", "127.0.0.1:0", "--mail-sink", "0.0.0.0:1025")
	if code != 2 || !strings.Contains(stderr, "--mail-sink 0.0.0.0:1025") || !strings.Contains(stderr, "listen on 127.0.0.1") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
