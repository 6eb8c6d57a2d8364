package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"irflow/internal/auth"
	"irflow/internal/incident"
	"irflow/internal/sqlite"
)

// newStoreDir returns a data folder with an empty store, as irflow serve or the
// worker leaves it before anyone was added.
func newStoreDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openTestStore(t *testing.T, dir string) *sqlite.DB {
	t.Helper()
	store, err := sqlite.OpenExisting(context.Background(), filepath.Join(dir, "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

// TestUsersLifecycle drives every users and audit command on a store without
// users: the first admin, roles, tokens shown once and stored hashed, revocation,
// disabling, and the audit log of each change.
func TestUsersLifecycle(t *testing.T) {
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	t.Setenv("IRFLOW_ACTOR", "ops")
	cli := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}

	out := cli("users", "add", "root", "--role", "admin")
	if !strings.Contains(out, "Added user root (admin)") || !strings.Contains(out, "irflow users token create root") {
		t.Errorf("add: %q", out)
	}
	cli("users", "add", "alice", "--role", "commander,legal", "--role", "commander", "--display", "Alice Martin", "--email", "alice@example.com", "--slack-user", "U1")
	var users []incident.User
	if err := json.Unmarshal([]byte(cli("users", "list", "--json")), &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0].ID != "alice" || users[0].Display != "Alice Martin" || users[0].Email != "alice@example.com" ||
		users[0].SlackUserID != "U1" || roleList(users[0].Roles) != "commander, legal" || users[1].ID != "root" || users[1].Display != "root" {
		t.Fatalf("users: %+v", users)
	}
	if out := cli("users", "list"); !strings.Contains(out, "alice") || !strings.Contains(out, "commander,legal") || !strings.Contains(out, "active") {
		t.Errorf("users list:\n%s", out)
	}

	// The token alone on stdout, once; its hash in the store, which authenticates it.
	code, token, stderr := runCLI(t, "users", "token", "create", "alice", "--name", "laptop")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, auth.TokenPrefix) || strings.Contains(token, "\n") || !strings.Contains(stderr, "shown this once") {
		t.Fatalf("token create: exit %d, stdout %q, stderr %q", code, token, stderr)
	}
	var created tokenCreated
	if err := json.Unmarshal([]byte(cli("users", "token", "create", "alice", "--json")), &created); err != nil {
		t.Fatal(err)
	}
	if created.UserID != "alice" || !strings.HasPrefix(created.ID, "tok_") || !strings.HasPrefix(created.Token, auth.TokenPrefix) {
		t.Errorf("token create --json: %+v", created)
	}
	store := openTestStore(t, dir)
	id, err := auth.Authenticate(context.Background(), store, "Bearer "+token, incident.ViaAPI)
	if err != nil || id.User.ID != "alice" {
		t.Fatalf("the created token does not authenticate alice: %+v %v", id, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(filepath.Join(dir, "irflow.db-wal"))
	if strings.Contains(string(raw)+string(wal), token) {
		t.Error("the store holds the token in clear")
	}

	var toks []incident.APIToken
	if err := json.Unmarshal([]byte(cli("users", "token", "list", "alice", "--json")), &toks); err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0].LastUsedAt == nil && toks[1].LastUsedAt == nil {
		t.Fatalf("tokens: %+v", toks)
	}
	laptop, other := toks[1].ID, toks[0].ID
	if toks[0].Name == "laptop" {
		laptop, other = other, laptop
	}
	if out := cli("users", "token", "list", "alice"); strings.Contains(out, token) || !strings.Contains(out, laptop) {
		t.Errorf("token list shows the token or misses its id:\n%s", out)
	}

	cli("users", "roles", "alice", "--role", "viewer")
	cli("users", "disable", "alice")
	_, err = auth.Authenticate(context.Background(), store, "Bearer "+token, incident.ViaAPI)
	wantIncidentCode(t, "disabled alice's token", err, incident.EUNAUTHORIZED)
	cli("users", "enable", "alice")
	cli("users", "disable", "alice", "--enable")
	if id, err := auth.Authenticate(context.Background(), store, "Bearer "+token, incident.ViaAPI); err != nil || roleList(id.User.Roles) != "viewer" {
		t.Fatalf("re-enabled alice: %+v %v", id, err)
	}
	cli("users", "token", "revoke", laptop)
	cli("users", "token", "revoke", laptop) // again: no change, no error
	_, err = auth.Authenticate(context.Background(), store, "Bearer "+token, incident.ViaAPI)
	wantIncidentCode(t, "revoked token", err, incident.EUNAUTHORIZED)

	// Every change is in the audit log, as the OS user (IRFLOW_ACTOR here) via cli.
	var log []incident.AuditEntry
	if err := json.Unmarshal([]byte(cli("audit", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.ActorID != "ops" || e.Via != incident.ViaCLI || e.Action != incident.ActManageUsers || !e.Allowed {
			t.Errorf("audit entry %+v", e)
		}
		got = append(got, e.Target+": "+e.Reason)
	}
	want := []string{"user root: added with admin", "user alice: added with commander, legal",
		"token " + laptop + ": created for alice", "token " + other + ": created for alice",
		"user alice: roles viewer (were commander, legal)", "user alice: disabled", "user alice: enabled", "user alice: enabled",
		"token " + laptop + ": revoked", "token " + laptop + ": revoked"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log, oldest first:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out := cli("audit", "--limit", "1"); !strings.Contains(out, "manage_users") || !strings.Contains(out, "revoked") || strings.Count(out, "\n") != 2 {
		t.Errorf("audit --limit 1:\n%s", out)
	}
}

// TestUsersErrors: unknown roles and bad input exit 2, unknown users and tokens 3,
// a taken id 4, each with a message that says what to do; a missing store is 1.
func TestUsersErrors(t *testing.T) {
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	if code, _, stderr := runCLI(t, "users", "add", "alice", "--role", "commander"); code != 0 {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown role", []string{"users", "add", "bob", "--role", "boss"}, 2, `role "boss" is not one of viewer, responder, commander, legal, admin`},
		{"no role", []string{"users", "add", "bob"}, 2, "give at least one --role"},
		{"bad id", []string{"users", "add", "Bob Smith", "--role", "viewer"}, 2, "use lowercase letters"},
		{"taken id", []string{"users", "add", "alice", "--role", "viewer"}, 4, "user alice already exists"},
		{"roles of nobody", []string{"users", "roles", "nobody", "--role", "viewer"}, 3, `no user "nobody"`},
		{"unknown role in roles", []string{"users", "roles", "alice", "--role", "root"}, 2, `role "root"`},
		{"disable nobody", []string{"users", "disable", "nobody"}, 3, `no user "nobody"`},
		{"enable nobody", []string{"users", "enable", "nobody"}, 3, `no user "nobody"`},
		{"token for nobody", []string{"users", "token", "create", "nobody"}, 3, `no user "nobody"`},
		{"tokens of nobody", []string{"users", "token", "list", "nobody"}, 3, `no user "nobody"`},
		{"revoke unknown", []string{"users", "token", "revoke", "tok_000000000000"}, 3, `no API token "tok_000000000000"`},
		{"revoke by token", []string{"users", "token", "revoke", "irf_secretsecret"}, 2, "looks like a token, not a token id"},
		{"audit limit", []string{"audit", "--limit", "0"}, 2, "--limit"},
		{"no store", []string{"users", "list", "--data", filepath.Join(dir, "nope")}, 1, "no irflow store at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.want)
			}
			if strings.Contains(stderr, "secretsecret") {
				t.Errorf("the token is echoed: %q", stderr)
			}
		})
	}
}

// TestEveryCommandHasExamples: every users, audit and token command's --help shows
// examples.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, args := range [][]string{{"users"}, {"users", "add"}, {"users", "list"}, {"users", "disable"}, {"users", "enable"},
		{"users", "roles"}, {"users", "token"}, {"users", "token", "create"}, {"users", "token", "list"}, {"users", "token", "revoke"}, {"audit"}} {
		code, stdout, stderr := runCLI(t, append(args, "--help")...)
		if code != 0 || !strings.Contains(stdout, "Examples:\n  irflow ") {
			t.Errorf("%v --help: exit %d, no examples:\n%s%s", args, code, stdout, stderr)
		}
	}
}

func wantIncidentCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if e, ok := err.(interface{ Unwrap() error }); ok {
		err = e.Unwrap()
	}
	ie, ok := err.(*incident.Error)
	if !ok || ie.Code != code {
		t.Fatalf("%s: got %v (%T), want code %s", what, err, err, code)
	}
}
