package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/incident"
)

// startDevStack starts the whole dev stack on dir, logging at debug level into
// logs, and stops it when the test ends.
func startDevStack(t *testing.T, dir string, logs *syncBuffer) *app.Dev {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	// The embedded frontend needs a fixed port: pick a free one, and another if a
	// parallel test took it first.
	for range 3 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		var d *app.Dev
		d, err = app.StartDev(ctx, app.DevConfig{DataDir: dir, HTTPAddr: "127.0.0.1:0", TemporalAddr: addr, ZendeskSimAddr: "127.0.0.1:0",
			Getenv: func(string) string { return "" }, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err == nil {
			t.Cleanup(d.Stop)
			return d
		}
		if !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	t.Fatalf("start dev stack on %s: %v", dir, err)
	return nil
}

// TestIdentityDoneWhen is issue 9's "done when", tried as a new user would, with
// the CLI's own code on the embedded dev stack: the admin adds alice (commander)
// and victor (viewer) and gives them tokens; through the HTTP API (IRFLOW_SERVER,
// IRFLOW_TOKEN) alice approves a step and victor is refused with exit status 5
// naming the role; show attributes the approval to alice via api; a revoked token
// and a disabled user are refused with exit status 6; the audit log holds the
// refusals and the grant; the operator's direct mode is recorded via cli with the
// OS user; and no token appears in the logs or the data folder but as its hash.
func TestIdentityDoneWhen(t *testing.T) {
	dir := t.TempDir()
	logs := &syncBuffer{}
	d := startDevStack(t, dir, logs)
	server := "http://" + d.HTTPAddr
	t.Setenv("IRFLOW_DATA", dir)
	t.Setenv("IRFLOW_ACTOR", "")
	t.Setenv("IRFLOW_SERVER", "")
	t.Setenv("IRFLOW_TOKEN", "")
	t.Setenv("TEMPORAL_ADDRESS", d.Temporal.FrontendAddr())

	var clear []string // every token the test saw in clear, but the admin's
	cli := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != wantCode {
			t.Fatalf("irflow %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, wantCode, stdout, stderr)
		}
		for _, tok := range clear {
			if strings.Contains(stderr, tok) || (args[0] != "users" && strings.Contains(stdout, tok)) {
				t.Errorf("irflow %s prints a token", strings.Join(args, " "))
			}
		}
		return stdout, stderr
	}
	as := func(token string) {
		t.Setenv("IRFLOW_SERVER", server)
		t.Setenv("IRFLOW_TOKEN", token)
	}
	newToken := func(user string) (token, id string) {
		t.Helper()
		out, _ := cli(0, "users", "token", "create", user, "--json")
		var created tokenCreated
		if err := json.Unmarshal([]byte(out), &created); err != nil || created.UserID != user {
			t.Fatalf("token create %s: %q %v", user, out, err)
		}
		clear = append(clear, created.Token)
		return created.Token, created.ID
	}

	// The admin, with file access to the store, adds people while irflow dev runs.
	cli(0, "users", "add", "alice", "--role", "commander", "--display", "Alice Martin")
	cli(0, "users", "add", "victor", "--role", "viewer")
	cli(0, "users", "add", "carol", "--role", "commander")
	tokenOut, _ := cli(0, "users", "token", "create", "alice")
	alice := strings.TrimSpace(tokenOut)
	clear = append(clear, alice)
	victor, _ := newToken("victor")
	carol, _ := newToken("carol")
	stale, staleID := newToken("alice")

	// A responder declares through the API (the dev admin holds that role).
	maya := d.ZendeskSim.Facts().CompromisedUserID
	factsPath := writeFile(t, "facts.json", fmt.Sprintf(`{"version": 1, "cause": {"credentials_used": "password"}, "zendesk": {"users": [%d]}}`, maya))
	as(d.AdminToken)
	out, _ := cli(0, "incident", "declare", "--playbook", "credential-compromise", "--title", "Maya's account taken over", "--facts", factsPath, "--json")
	var decl struct{ ID string }
	if err := json.Unmarshal([]byte(out), &decl); err != nil || !incident.ValidID(decl.ID) {
		t.Fatalf("declare: %q %v", out, err)
	}
	id := decl.ID

	// Everyone with a role may read; wait, as victor, for the step to need approval.
	as(victor)
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := cli(0, "incident", "show", id, "--json")
		var st incident.State
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Steps) > 0 && st.Steps[0].Status == incident.StepAwaitingApproval {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no step waits for approval:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A viewer may not approve: exit 5, the missing role named.
	_, stderr := cli(exitForbidden, "incident", "approve", id, "suspend-accounts")
	for _, want := range []string{"victor may not approve_step", "needs the role commander", "victor has viewer"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("viewer's refusal %q does not say %q", stderr, want)
		}
	}
	// Alice may, whatever --actor says.
	as(alice)
	out, _ = cli(0, "incident", "approve", id, "suspend-accounts", "--reason", "takeover confirmed", "--actor", "mallory")
	if !strings.Contains(out, "Step suspend-accounts (suspend_user) done, approved by alice") {
		t.Errorf("approve: %q", out)
	}
	out, _ = cli(0, "incident", "show", id)
	var approval string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "containment_approved") {
			approval = line
		}
	}
	if !strings.Contains(approval, " alice via api ") || strings.Contains(out, "mallory") {
		t.Errorf("show does not attribute the approval to alice via api:\n%s", out)
	}

	// A revoked token and a disabled user are refused: exit 6.
	cli(0, "users", "token", "revoke", staleID)
	as(stale)
	_, stderr = cli(exitUnauthorized, "incident", "show", id)
	if !strings.Contains(stderr, "API token "+staleID+" was revoked") || !strings.Contains(stderr, "IRFLOW_TOKEN") {
		t.Errorf("revoked token: %q", stderr)
	}
	cli(0, "users", "disable", "carol")
	as(carol)
	_, stderr = cli(exitUnauthorized, "incident", "skip", id, "kill-sessions")
	if !strings.Contains(stderr, "user carol is disabled") {
		t.Errorf("disabled user: %q", stderr)
	}
	as("")
	_, stderr = cli(exitUnauthorized, "incident", "list")
	if !strings.Contains(stderr, "needs an API token in $IRFLOW_TOKEN") {
		t.Errorf("no token: %q", stderr)
	}
	// Obligations go through the API too: victor may list, not waive.
	as(victor)
	cli(0, "obligations", "list", id, "--json")
	cli(exitForbidden, "obligations", "waive", id, "eu-gdpr-33-sa", "--reason", "x")

	// The operator's direct mode (no --server): Temporal and the store, recorded
	// via cli with the OS user.
	t.Setenv("IRFLOW_SERVER", "")
	t.Setenv("IRFLOW_TOKEN", "")
	osUser := defaultActor()
	if u, err := user.Current(); err != nil || u.Username != osUser {
		t.Fatalf("default actor %q, OS user %v %v", osUser, u, err)
	}
	cli(0, "incident", "note", id, "called Maya's manager")
	out, _ = cli(0, "incident", "show", id)
	if !strings.Contains(out, " "+osUser+" via cli ") {
		t.Errorf("the operator's note is not attributed to %s via cli:\n%s", osUser, out)
	}

	// The audit log: the refusals and the grant.
	if text, _ := cli(0, "audit"); !strings.Contains(text, "REFUSED") || !strings.Contains(text, "victor may not approve_step") {
		t.Errorf("audit:\n%s", text)
	}
	out, _ = cli(0, "audit", "--json")
	var log []incident.AuditEntry
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range log {
		decision := "refused"
		if e.Allowed {
			decision = "allowed"
		}
		seen[fmt.Sprintf("%s %s %s %s %s", e.ActorID, e.Via, e.Action, e.IncidentID, decision)]++
	}
	for key, n := range map[string]int{
		"victor api approve_step " + id + " refused":  1,
		"alice api approve_step " + id + " allowed":   1,
		"alice api authenticate  refused":             1, // the revoked token
		"carol api authenticate  refused":             1, // the disabled user
		"victor api waive " + id + " refused":         1,
		"admin api declare  allowed":                  1,
		"alice api approve_step " + id + " refused":   0,
		"mallory api approve_step " + id + " allowed": 0,
	} {
		if seen[key] != n {
			t.Errorf("audit log: %d of %q, want %d", seen[key], key, n)
		}
	}

	// No token in the logs or the data folder (the store keeps hashes), once the
	// stack has stopped and flushed everything.
	d.Stop()
	logText := logs.String()
	if !strings.Contains(logText, "level=") {
		t.Error("the dev stack logged nothing: the check below would prove nothing")
	}
	files := 0
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for i, tok := range clear {
			if bytes.Contains(b, []byte(tok)) {
				t.Errorf("token %d in clear in %s", i, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 || !fileExists(filepath.Join(dir, "irflow.db")) {
		t.Fatalf("nothing to check in %s", dir)
	}
	for i, tok := range clear {
		if strings.Contains(logText, tok) {
			t.Errorf("token %d in the dev stack's log", i)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
