package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"irflow/internal/containment"
	"irflow/internal/evidence"
)

func snapshotIn(t *testing.T, a *ContainmentActivities, in SnapshotInput) SnapshotResult {
	t.Helper()
	env := newActivityEnv(a)
	v, err := env.ExecuteActivity(a.SnapshotBeforeState, in)
	if err != nil {
		t.Fatalf("snapshot %s: %v", in.Target, err)
	}
	var r SnapshotResult
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSnapshotBeforeState is issue 17 item 4 on the activity side: before a step
// deletes a user's sessions or revokes a token, what it destroys is written once to
// the incident's before-state folder with its SHA-256 (never a secret), and an
// object already gone is a gap, never an empty file.
func TestSnapshotBeforeState(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	dir := t.TempDir()
	a := &ContainmentActivities{Zendesk: c, EvidenceDir: dir}
	user := containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID}
	sessions := SnapshotInput{IncidentID: "INC-20260306-001", StepID: "kill-sessions", Action: containment.RevokeSessions, Target: user}

	r := snapshotIn(t, a, sessions)
	if r.Gap != "" || r.Records < len(f.AttackerSessionIDs) || r.Path != "INC-20260306-001.before/kill-sessions-user-"+strings.TrimPrefix(user.Key(), "user:")+".ndjson" {
		t.Fatalf("sessions snapshot %+v", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.Path)))
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r.SHA256 || bytes.Count(data, []byte("\n")) != r.Records {
		t.Errorf("file sha256 %x and %d lines, recorded %s and %d", sum, bytes.Count(data, []byte("\n")), r.SHA256, r.Records)
	}
	// Read back through the evidence package: the recorded digest checks.
	rc, _, err := evidence.Folder{Dir: BeforeStateDir(dir, "INC-20260306-001")}.Open(context.Background(), strings.TrimPrefix(r.Path, "INC-20260306-001.before/"))
	if err != nil {
		t.Fatal(err)
	}
	_ = rc.Close()
	// A retried attempt finds the snapshot written and keeps it.
	if r2 := snapshotIn(t, a, sessions); r2 != r {
		t.Errorf("retry: %+v, want %+v", r2, r)
	}

	// The step ran; a second incident's snapshot of the same user finds nothing.
	if _, err := c.DeleteUserSessions(t.Context(), f.CompromisedUserID); err != nil {
		t.Fatal(err)
	}
	gone := sessions
	gone.IncidentID = "INC-20260306-002"
	if r := snapshotIn(t, a, gone); r.Gap == "" || r.Path != "" || !strings.Contains(r.Gap, "gone before they could be kept") {
		t.Errorf("sessions already gone: %+v, want a gap", r)
	}
	if _, err := os.Stat(BeforeStateDir(dir, "INC-20260306-002")); err == nil {
		t.Errorf("a gap left a folder (or an empty file) behind")
	}

	// An API token: its metadata, never the secret; gone, a gap.
	tok := SnapshotInput{IncidentID: "INC-20260306-001", StepID: "revoke-api-tokens", Action: containment.RevokeAPIToken,
		Target: containment.Target{Kind: containment.KindAPIToken, ID: f.RogueAPITokenID}}
	r = snapshotIn(t, a, tok)
	data, _ = os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.Path)))
	if r.Records != 1 || bytes.Contains(data, []byte(f.RogueAPITokenValue)) || !bytes.Contains(data, []byte(`"description"`)) {
		t.Errorf("API token snapshot %+v: %s", r, data)
	}
	if _, err := c.DeleteAPIToken(t.Context(), f.RogueAPITokenID); err != nil {
		t.Fatal(err)
	}
	tok.StepID = "again"
	if r := snapshotIn(t, a, tok); !strings.Contains(r.Gap, "was gone before it could be kept") {
		t.Errorf("API token gone: %+v", r)
	}

	// Without an evidence folder: a gap that says so.
	if r := snapshotIn(t, &ContainmentActivities{Zendesk: c}, sessions); !strings.Contains(r.Gap, "no evidence folder") {
		t.Errorf("no folder: %+v", r)
	}
}

// TestSnapshotBeforeStateInObjects: with evidence storage set (S3 in production), the
// before-state is written there under <incident>.before/, at the path the result
// names, once.
func TestSnapshotBeforeStateInObjects(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	objs := evidence.Folder{Dir: t.TempDir()}
	a := &ContainmentActivities{Zendesk: c, Objects: objs}
	in := SnapshotInput{IncidentID: "INC-20260306-001", StepID: "kill-sessions", Action: containment.RevokeSessions,
		Target: containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID}}
	r := snapshotIn(t, a, in)
	if r.Gap != "" || r.Records == 0 || !strings.HasPrefix(r.Path, "INC-20260306-001.before/") {
		t.Fatalf("snapshot %+v", r)
	}
	info, err := objs.Stat(context.Background(), r.Path)
	if err != nil || info.SHA256 != r.SHA256 {
		t.Fatalf("object %s: %+v %v; result says sha256 %s", r.Path, info, err, r.SHA256)
	}
	if again := snapshotIn(t, a, in); again.SHA256 != r.SHA256 || again.Path != r.Path {
		t.Errorf("retried snapshot %+v, first %+v", again, r)
	}
}
