package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"irflow/internal/incident"
)

// TestStateConflictsExitFour drives the credential-compromise playbook through the
// CLI on the embedded dev stack, with a wrong user id and no API tokens in the
// facts: the approved step fails (exit 1) and says how to retry; approving it
// again, skipping it, and retrying a step that waits for approval are conflicts
// (exit 4); after set-facts a commander's retry runs it (exit 0) with Maya
// suspended once; a step with an empty facts list ends no_targets naming the path
// (exit 1), and runs on retry once the list is filled; after a rollback a second
// rollback, an approval and a retry are conflicts; an unknown incident is 3.
func TestStateConflictsExitFour(t *testing.T) {
	dir := t.TempDir()
	d := startDevStack(t, dir, &syncBuffer{})
	t.Setenv("IRFLOW_DATA", dir)
	t.Setenv("IRFLOW_ACTOR", "carol")
	t.Setenv("IRFLOW_SERVER", "")
	t.Setenv("IRFLOW_TOKEN", "")
	t.Setenv("TEMPORAL_ADDRESS", d.Temporal.FrontendAddr())
	sim := d.ZendeskSim
	f := sim.Facts()
	cli := func(want int, args ...string) (string, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, args...)
		if code != want {
			t.Fatalf("irflow %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout, stderr)
		}
		return stdout, stderr
	}
	factsPath := writeFile(t, "facts.json", `{"version": 1, "cause": {"credentials_used": "password"}, "zendesk": {"users": [999999999]}}`)
	out, _ := cli(exitOK, "incident", "declare", "--playbook", "credential-compromise", "--title", "Maya's account taken over", "--facts", factsPath, "--json")
	var decl struct{ ID string }
	if err := json.Unmarshal([]byte(out), &decl); err != nil || !incident.ValidID(decl.ID) {
		t.Fatalf("declare: %q %v", out, err)
	}
	id := decl.ID

	_, stderr := cli(exitFailure, "incident", "approve", id, "suspend-accounts", "--reason", "takeover confirmed")
	if !strings.Contains(stderr, "404 RecordNotFound") || !strings.Contains(stderr, "irflow incident retry "+id+" suspend-accounts") {
		t.Errorf("a failed step does not say why or how to retry: %s", stderr)
	}
	if strings.Contains(stderr, "activity error") {
		t.Errorf("the error shows the SDK's chain: %s", stderr)
	}
	_, stderr = cli(exitConflict, "incident", "approve", id, "suspend-accounts")
	if !strings.Contains(stderr, "is failed, not waiting for approval") {
		t.Errorf("approving a failed step: %s", stderr)
	}
	cli(exitConflict, "incident", "skip", id, "suspend-accounts")
	cli(exitConflict, "incident", "retry", id, "kill-sessions")
	cli(exitInvalid, "incident", "retry", id, "no-such-step")

	cli(exitOK, "incident", "set-facts", id, "--patch", writeFile(t, "users.json", fmt.Sprintf(`{"zendesk": {"users": [%d]}}`, f.CompromisedUserID)))
	out, _ = cli(exitOK, "incident", "retry", id, "suspend-accounts", "--reason", "wrong id corrected", "--json")
	var st incident.StepState
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Status != incident.StepDone || len(st.Retries) != 1 || st.Retries[0].Actor != "carol" {
		t.Fatalf("retried step: %q %v", out, err)
	}
	if n := sim.Mutations("user", fmt.Sprint(f.CompromisedUserID)); n != 1 {
		t.Errorf("Maya mutated %d times after the retry, want 1", n)
	}

	cli(exitOK, "incident", "skip", id, "kill-sessions")
	cli(exitOK, "incident", "skip", id, "revoke-oauth")
	_, stderr = cli(exitFailure, "incident", "approve", id, "revoke-api-tokens")
	if !strings.Contains(stderr, "has no targets: facts zendesk.api_tokens is empty") {
		t.Errorf("a step without targets: %s", stderr)
	}
	cli(exitOK, "incident", "set-facts", id, "--patch", writeFile(t, "tokens.json", fmt.Sprintf(`{"zendesk": {"api_tokens": [%d]}}`, f.RogueAPITokenID)))
	out, _ = cli(exitOK, "incident", "retry", id, "revoke-api-tokens")
	if !strings.Contains(out, "done") {
		t.Errorf("retry after filling the facts: %s", out)
	}
	if n := sim.Mutations("api_token", fmt.Sprint(f.RogueAPITokenID)); n != 1 {
		t.Errorf("API token mutated %d times, want 1", n)
	}
	cli(exitConflict, "incident", "retry", id, "revoke-api-tokens")

	cli(exitOK, "incident", "rollback", id, "--reason", "drill")
	_, stderr = cli(exitConflict, "incident", "rollback", id)
	if !strings.Contains(stderr, "already rolled back") {
		t.Errorf("second rollback: %s", stderr)
	}
	cli(exitConflict, "incident", "approve", id, "disable-rogue-webhooks")
	cli(exitConflict, "incident", "retry", id, "suspend-accounts")
	cli(exitNotFound, "incident", "show", "INC-20990101-999")
}
