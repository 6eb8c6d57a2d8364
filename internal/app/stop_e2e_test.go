package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestCtrlCStopsTheWorkerBeforeTheServer: irflow dev, sent SIGINT (Ctrl-C) while
// an incident's workflow and clocks are live, stops its worker, then the
// embedded Temporal server: irflow's log says so in that order, neither log holds
// a failed poll, and the process exits 0 (issue 14).
func TestCtrlCStopsTheWorkerBeforeTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs irflow dev")
	}
	t.Parallel()
	bin := irflowBinary(t)
	sim := startSimProcess(t, bin)
	dir := t.TempDir()
	run := startDevRun(t, bin, dir, sim)
	var decl struct{ ID string }
	if code := run.api(t, http.MethodPost, "/api/incidents", map[string]any{
		"playbook": "credential-compromise", "title": "Agent account taken over",
		"facts": map[string]any{"version": 1, "zendesk": map[string]any{"users": []int64{sim.UserID}}},
	}, &decl); code != http.StatusCreated {
		t.Fatalf("declare: status %d", code)
	}
	run.until(t, decl.ID, 30*time.Second, "waiting for approval", func(st incident.State) bool {
		return stepStatus(st, "suspend-accounts") == "awaiting_approval"
	})
	if err := run.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("irflow dev after Ctrl-C: %v\n%s", err, run.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("irflow dev did not stop within 60 s of Ctrl-C")
	}
	irflowLog, err := os.ReadFile(filepath.Join(dir, "irflow.log"))
	if err != nil {
		t.Fatal(err)
	}
	temporalLog, _ := os.ReadFile(filepath.Join(dir, "temporal.log"))
	s := string(irflowLog)
	w, stopped, server := strings.Index(s, "Stopping the worker"), strings.Index(s, "Stopped Worker"), strings.Index(s, "Stopping the embedded Temporal server")
	if w < 0 || stopped < 0 || server < 0 || !(w < stopped && stopped < server) {
		t.Errorf("irflow's log does not stop the worker before the server (worker %d, stopped %d, server %d):\n%s", w, stopped, server, s)
	}
	for name, l := range map[string]string{"irflow.log": s, "temporal.log": string(temporalLog)} {
		if n := strings.Count(l, "Failed to poll"); n > 0 {
			t.Errorf("%s holds %d failed polls after Ctrl-C:\n%s", name, n, l)
		}
	}
}
