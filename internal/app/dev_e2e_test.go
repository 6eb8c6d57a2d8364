package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// credentialFacts is a small facts document for the credential-compromise playbook.
func credentialFacts() *facts.Document {
	mfa := false
	return &facts.Document{
		Version: facts.Version,
		Summary: "Agent account used from an unknown address after a credential-stuffing run",
		Cause:   facts.Cause{CredentialsUsed: "password", WeakCredentials: "yes", MFAEnforced: &mfa},
	}
}

// TestDevEndToEnd starts the embedded Temporal server in-process with the worker,
// declares an incident through the service (the CLI's code path), adds a note, closes
// it, and checks the state query and the store rows; then does the same once through
// the HTTP API, and checks the errors a responder can run into.
func TestDevEndToEnd(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	svc := d.Service

	req := service.DeclareRequest{
		Playbook: "credential-compromise", Title: "Maya's account taken over", Facts: credentialFacts(), Actor: "alice",
		IdempotencyKey: "pagerduty-Q1ABC",
	}
	decl, err := svc.Declare(ctx, req)
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	if !incident.ValidID(decl.ID) || decl.WorkflowID != workflows.IncidentWorkflowID(decl.ID) || decl.Existing {
		t.Fatalf("declared %+v", decl)
	}
	// Idempotency: the same key returns the same incident, marked as existing.
	again, err := svc.Declare(ctx, req)
	if err != nil {
		t.Fatalf("declare with the same idempotency key: %v", err)
	}
	if again.ID != decl.ID || again.WorkflowID != decl.WorkflowID || !again.Existing {
		t.Fatalf("second declare with the same key: %+v, first %+v", again, decl)
	}
	wantPrefix := "INC-" + time.Now().UTC().Format("20060102") + "-"
	if !strings.HasPrefix(decl.ID, wantPrefix) {
		t.Errorf("id %s does not start with %s", decl.ID, wantPrefix)
	}

	// The workflow runs triage, then waits for the first containment approval.
	st := waitState(t, svc, decl.ID, 10*time.Second, "containment waiting for approval", func(s workflows.State) bool {
		return s.Phase == incident.PhaseContainment && len(s.Steps) > 0 && s.Steps[0].Status == workflows.StepAwaitingApproval
	})
	if st.ID != decl.ID || st.WorkflowID != decl.WorkflowID || st.Title != "Maya's account taken over" ||
		st.Playbook != "credential-compromise" || len(st.PlaybookHash) != 64 || st.DeclaredBy != "alice" {
		t.Errorf("state header: id %q workflow %q title %q playbook %q hash %q by %q",
			st.ID, st.WorkflowID, st.Title, st.Playbook, st.PlaybookHash, st.DeclaredBy)
	}
	if !reflect.DeepEqual(st.Facts, *credentialFacts()) {
		t.Errorf("facts: got %+v, want %+v", st.Facts, *credentialFacts())
	}
	if time.Since(st.DeclaredAt) > time.Minute || st.DeclaredAt.After(time.Now()) {
		t.Errorf("declared_at %s is not now", st.DeclaredAt)
	}
	if st.Ownership.Owner == "" || st.Ownership.Source != workflows.OwnershipComputed || len(st.Ownership.Clauses) == 0 {
		t.Errorf("ownership: %+v", st.Ownership)
	}
	if !strings.HasPrefix(st.Severity, "SEV") || st.SeverityReason == "" {
		t.Errorf("severity %q (%q)", st.Severity, st.SeverityReason)
	}
	wantSteps := []string{"suspend-accounts", "kill-sessions", "revoke-oauth", "revoke-api-tokens", "disable-rogue-webhooks", "reset-password"}
	if got := stepIDs(st); !reflect.DeepEqual(got, wantSteps) {
		t.Fatalf("steps %v, want %v", got, wantSteps)
	}
	for _, s := range st.Steps[1:] {
		if s.Status != workflows.StepPending {
			t.Errorf("step %s is %s, want pending", s.Step.ID, s.Status)
		}
	}
	checkTimeline(t, st.Timeline)
	first := st.Timeline[0]
	if first.Kind != incident.KindDeclared || first.Actor != "alice" || !strings.Contains(first.Text, "credential-compromise") {
		t.Errorf("first timeline entry: %+v", first)
	}
	for _, want := range []struct{ kind, text string }{
		{incident.KindPhase, "Phase triage"}, {incident.KindOwnership, "Ownership: "},
		{incident.KindPhase, "Phase containment"}, {workflows.TimelineContainmentWaiting, "step suspend-accounts (suspend_user) waits for approval"},
	} {
		if !hasEntry(st.Timeline, want.kind, want.text) {
			t.Errorf("timeline has no %s entry with %q", want.kind, want.text)
		}
	}

	note, err := svc.AddNote(ctx, decl.ID, incident.NoteRequest{Actor: "bob", Text: "Maya confirms she did not sign in from 203.0.113.7"})
	if err != nil {
		t.Fatalf("add note: %v", err)
	}
	if note.Kind != incident.KindNote || note.Actor != "bob" || note.Seq < 2 || note.At.IsZero() {
		t.Errorf("note entry: %+v", note)
	}
	_, err = svc.AddNote(ctx, decl.ID, incident.NoteRequest{Actor: "bob", Text: "  "})
	wantCode(t, "empty note", err, incident.EINVALID, "note text is empty")

	closed, err := svc.Close(ctx, decl.ID, incident.CloseRequest{Actor: "carol", Reason: "false positive after all: Maya was travelling"})
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	if closed.Phase != incident.PhaseClosed || closed.CloseReason != "false positive after all: Maya was travelling" || closed.ClosedAt == nil {
		t.Errorf("close returned phase %s reason %q closed_at %v", closed.Phase, closed.CloseReason, closed.ClosedAt)
	}
	// A second close is a conflict, whether the workflow is still finishing...
	_, err = svc.Close(ctx, decl.ID, incident.CloseRequest{Actor: "carol", Reason: "again"})
	wantCode(t, "second close while finishing", err, incident.ECONFLICT, decl.ID, "closed")

	res := waitClosed(t, d, decl.ID)
	if res.ID != decl.ID || res.CloseReason != closed.CloseReason || !res.ClosedAt.Equal(*closed.ClosedAt) {
		t.Errorf("workflow result %+v", res)
	}
	// ...or has completed.
	_, err = svc.Close(ctx, decl.ID, incident.CloseRequest{Actor: "carol", Reason: "again"})
	wantCode(t, "second close after completion", err, incident.ECONFLICT, decl.ID, "closed")
	_, err = svc.AddNote(ctx, decl.ID, incident.NoteRequest{Actor: "bob", Text: "late note"})
	wantCode(t, "note on a closed incident", err, incident.ECONFLICT, decl.ID)

	// The state query still answers for a closed incident, and the store holds the same.
	final, err := svc.Show(ctx, decl.ID)
	if err != nil {
		t.Fatalf("state of closed incident: %v", err)
	}
	if final.Phase != incident.PhaseClosed {
		t.Errorf("final phase %s", final.Phase)
	}
	for _, s := range final.Steps {
		if s.Status != workflows.StepCancelled {
			t.Errorf("step %s is %s after close, want cancelled", s.Step.ID, s.Status)
		}
	}
	if !hasEntry(final.Timeline, incident.KindNote, "Maya confirms") ||
		!hasEntry(final.Timeline, incident.KindClosed, "Closed: false positive after all") {
		t.Errorf("final timeline lacks the note or the close: %+v", final.Timeline)
	}
	checkStore(t, d, final)

	_, err = svc.Declare(ctx, service.DeclareRequest{Playbook: "no-such-playbook", Title: "x", Actor: "alice"})
	wantCode(t, "unknown playbook", err, incident.EINVALID, `unknown playbook "no-such-playbook"`, "known:", "credential-compromise", "api-token-leak")
	_, err = svc.Show(ctx, "INC-42")
	wantCode(t, "invalid id", err, incident.EINVALID, `"INC-42" is not an incident id`)
	_, err = svc.Close(ctx, "not-an-id", incident.CloseRequest{Actor: "carol", Reason: ""})
	wantCode(t, "close invalid id", err, incident.EINVALID, "not-an-id")
	_, err = svc.Show(ctx, "INC-19990101-999")
	wantCode(t, "unknown id", err, incident.ENOTFOUND, "INC-19990101-999")
	// Only one incident was ever declared: the repeated declare started nothing.
	list, err := svc.List(ctx, incident.ListFilter{})
	if err != nil || len(list) != 1 || list[0].ID != decl.ID || list[0].Phase != incident.PhaseClosed {
		t.Errorf("incidents in the store: %+v (%v), want only %s, closed", list, err, decl.ID)
	}
}

// TestDevEndToEndHTTP declares, shows, annotates and closes one incident through the
// HTTP API of a dev stack, and checks that errors come back with the right status.
func TestDevEndToEndHTTP(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	var decl service.Declared
	body := map[string]any{"playbook": "api-token-leak", "title": "Rogue API token", "actor": "dana",
		"facts": map[string]any{"summary": "token pasted in a gist", "zendesk": map[string]any{"api_tokens": []int64{12345}}}}
	if code := httpJSON(t, d, "POST", "/api/incidents", body, &decl); code != 201 {
		t.Fatalf("POST /api/incidents: %d %+v", code, decl)
	}
	if !incident.ValidID(decl.ID) {
		t.Fatalf("declared %+v", decl)
	}
	var st workflows.State
	if code := httpJSON(t, d, "GET", "/api/incidents/"+decl.ID, nil, &st); code != 200 {
		t.Fatalf("GET incident: %d", code)
	}
	if st.ID != decl.ID || st.Title != "Rogue API token" || st.Playbook != "api-token-leak" || st.DeclaredBy != app.DevAdmin ||
		st.Facts.Summary != "token pasted in a gist" || !reflect.DeepEqual(st.Facts.Zendesk.APITokens, []int64{12345}) {
		t.Errorf("GET incident: %+v", st)
	}
	checkTimeline(t, st.Timeline)

	var note incident.TimelineEntry
	if code := httpJSON(t, d, "POST", "/api/incidents/"+decl.ID+"/notes", map[string]string{"actor": "dana", "text": "rotated upstream"}, &note); code != 200 {
		t.Fatalf("POST note: %d", code)
	}
	// The body's "actor" is ignored: the token says who acted, and through what.
	if note.Kind != incident.KindNote || note.Text != "rotated upstream" || note.Actor != app.DevAdmin || note.Via != incident.ViaAPI {
		t.Errorf("note: %+v", note)
	}
	var closed workflows.State
	if code := httpJSON(t, d, "POST", "/api/incidents/"+decl.ID+"/close", map[string]string{"actor": "dana", "reason": "token revoked by hand"}, &closed); code != 200 {
		t.Fatalf("POST close: %d", code)
	}
	if closed.Phase != incident.PhaseClosed || closed.CloseReason != "token revoked by hand" {
		t.Errorf("close: phase %s reason %q", closed.Phase, closed.CloseReason)
	}
	waitClosed(t, d, decl.ID)

	var tl []incident.TimelineEntry
	if code := httpJSON(t, d, "GET", "/api/incidents/"+decl.ID+"/timeline", nil, &tl); code != 200 {
		t.Fatalf("GET timeline: %d", code)
	}
	if !hasEntry(tl, incident.KindNote, "rotated upstream") || !hasEntry(tl, incident.KindClosed, "token revoked by hand") {
		t.Errorf("stored timeline over HTTP: %+v", tl)
	}
	var list []incident.Summary
	if code := httpJSON(t, d, "GET", "/api/incidents?phase=closed", nil, &list); code != 200 {
		t.Fatalf("GET incidents: %d", code)
	}
	found := false
	for _, s := range list {
		found = found || (s.ID == decl.ID && s.Phase == incident.PhaseClosed)
	}
	if !found {
		t.Errorf("closed incident %s not in /api/incidents?phase=closed: %+v", decl.ID, list)
	}

	// Errors come back with the status of their code and a message naming the problem.
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code, text   string
	}{
		{"POST", "/api/incidents/" + decl.ID + "/close", map[string]string{"actor": "dana"}, 409, incident.ECONFLICT, "closed"},
		{"GET", "/api/incidents/bogus", nil, 400, incident.EINVALID, `"bogus" is not an incident id`},
		{"GET", "/api/incidents/INC-19990101-999", nil, 404, incident.ENOTFOUND, "INC-19990101-999"},
		{"POST", "/api/incidents", map[string]string{"playbook": "nope", "title": "x", "actor": "dana"}, 400, incident.EINVALID, "known:"},
		{"POST", "/api/incidents", map[string]any{"playbook": "api-token-leak", "title": "x", "actor": "dana", "colour": "red"}, 400, incident.EINVALID, "colour"},
		{"POST", "/api/incidents", map[string]any{"playbook": "api-token-leak", "title": "x", "actor": "dana", "facts": map[string]any{"zendesk": map[string]any{"users": "maya"}}}, 400, incident.EINVALID, "zendesk.users"},
	} {
		var e struct{ Error, Code string }
		if code := httpJSON(t, d, tc.method, tc.path, tc.body, &e); code != tc.status || e.Code != tc.code || !strings.Contains(e.Error, tc.text) {
			t.Errorf("%s %s: %d %+v, want %d %s mentioning %q", tc.method, tc.path, code, e, tc.status, tc.code, tc.text)
		}
	}
}

// checkStore asserts the store's rows match the final state of a closed incident.
func checkStore(t *testing.T, d *app.Dev, final workflows.State) {
	t.Helper()
	ctx := context.Background()
	sum, err := d.Store.GetIncident(ctx, final.ID)
	stateJSON := sum.StateJSON
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	if sum.Phase != incident.PhaseClosed || sum.CloseReason != final.CloseReason || sum.ClosedAt == nil ||
		!sum.ClosedAt.Equal(*final.ClosedAt) || sum.Title != final.Title || sum.Playbook != final.Playbook ||
		sum.WorkflowID != final.WorkflowID || sum.Severity != final.Severity || sum.Owner != string(final.Ownership.Owner) {
		t.Errorf("store summary %+v does not match the final state", sum)
	}
	var stored workflows.State
	if err := json.Unmarshal([]byte(stateJSON), &stored); err != nil {
		t.Fatalf("stored state JSON: %v", err)
	}
	// The stored state leaves the timeline to its own table (checked below), so
	// that each save stays small however long the incident runs.
	if stored.Phase != incident.PhaseClosed || len(stored.Timeline) != 0 || len(stored.Steps) != len(final.Steps) {
		t.Errorf("stored state: phase %s with %d timeline entries and %d steps, want closed with none and %d steps",
			stored.Phase, len(stored.Timeline), len(stored.Steps), len(final.Steps))
	}
	tl, err := d.Store.Timeline(ctx, final.ID)
	if err != nil {
		t.Fatalf("store timeline: %v", err)
	}
	if len(tl) != len(final.Timeline) {
		t.Fatalf("store has %d timeline entries, the state %d", len(tl), len(final.Timeline))
	}
	for i, e := range tl {
		w := final.Timeline[i]
		if e.Seq != w.Seq || !e.At.Equal(w.At) || e.Actor != w.Actor || e.Kind != w.Kind || e.Text != w.Text || e.Data != w.Data {
			t.Errorf("timeline row %d: store %+v, state %+v", i, e, w)
		}
	}
}

// checkTimeline asserts every entry is complete and the sequence has no gap.
func checkTimeline(t *testing.T, tl []incident.TimelineEntry) {
	t.Helper()
	if len(tl) == 0 {
		t.Fatal("empty timeline")
	}
	for i, e := range tl {
		if e.Seq != i+1 || e.At.IsZero() || e.Actor == "" || e.Kind == "" || e.Text == "" {
			t.Errorf("timeline entry %d incomplete: %+v", i, e)
		}
		if i > 0 && e.At.Before(tl[i-1].At) {
			t.Errorf("timeline entry %d at %s is before the previous one (%s)", i, e.At, tl[i-1].At)
		}
	}
}

func hasEntry(tl []incident.TimelineEntry, kind, text string) bool {
	for _, e := range tl {
		if e.Kind == kind && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

func stepIDs(st workflows.State) []string {
	ids := make([]string, len(st.Steps))
	for i, s := range st.Steps {
		ids[i] = s.Step.ID
	}
	return ids
}

// TestDevRestartResumes declares an incident, stops the whole dev stack, starts it
// again on the same folder, and closes the same incident. While the first stack runs,
// a second one on the same folder is refused with app.ErrLocked and does no harm.
func TestDevRestartResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	d1 := startDev(t, dir)
	decl, err := d1.Service.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "Restart drill", Facts: credentialFacts(), Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	if _, err := d1.Service.AddNote(ctx, decl.ID, incident.NoteRequest{Actor: "alice", Text: "before the restart"}); err != nil {
		t.Fatalf("note: %v", err)
	}
	before := waitState(t, d1.Service, decl.ID, 10*time.Second, "awaiting the first approval", func(s workflows.State) bool {
		return s.Phase == incident.PhaseContainment && len(s.Steps) > 0 && s.Steps[0].Status == workflows.StepAwaitingApproval
	})

	// A second stack on the same folder must be refused before it touches anything.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	d2, err := app.StartDev(cctx, devConfig(t, dir))
	cancel()
	if err == nil {
		d2.Stop()
		t.Fatal("a second dev stack started on a folder in use")
	}
	if !errors.Is(err, app.ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second start: %v, want app.ErrLocked naming %s", err, dir)
	}
	// The first stack is unharmed.
	if _, err := d1.Service.AddNote(ctx, decl.ID, incident.NoteRequest{Actor: "alice", Text: "still here after the refused start"}); err != nil {
		t.Fatalf("note after refused start: %v", err)
	}
	d1.Stop()

	d := startDev(t, dir)
	st, err := d.Service.Show(ctx, decl.ID)
	if err != nil {
		t.Fatalf("state after restart: %v", err)
	}
	if st.Phase != incident.PhaseContainment || st.Steps[0].Status != workflows.StepAwaitingApproval ||
		!hasEntry(st.Timeline, incident.KindNote, "still here") || !st.DeclaredAt.Equal(before.DeclaredAt) {
		t.Fatalf("after restart: phase %s, step %s, timeline %+v", st.Phase, st.Steps[0].Status, st.Timeline)
	}
	// The id registry survived the restart: the next incident gets the next number.
	next, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "api-token-leak", Title: "After restart", Actor: "alice"})
	if err != nil {
		t.Fatalf("declare after restart: %v", err)
	}
	if next.ID == decl.ID || next.ID[:len(next.ID)-3] != decl.ID[:len(decl.ID)-3] || next.ID <= decl.ID {
		t.Errorf("id after restart %s, first incident %s", next.ID, decl.ID)
	}

	if _, err := d.Service.Close(ctx, decl.ID, incident.CloseRequest{Actor: "alice", Reason: "drill over"}); err != nil {
		t.Fatalf("close after restart: %v", err)
	}
	res := waitClosed(t, d, decl.ID)
	if res.CloseReason != "drill over" {
		t.Errorf("result %+v", res)
	}
	final, err := d.Service.Show(ctx, decl.ID)
	if err != nil {
		t.Fatalf("final state: %v", err)
	}
	if !hasEntry(final.Timeline, incident.KindNote, "before the restart") {
		t.Errorf("the note from before the restart is gone: %+v", final.Timeline)
	}
	checkTimeline(t, final.Timeline)
	checkStore(t, d, final)
}
