package app_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestTwoIncidentsOnTheSameZendeskObjects is issue 17 item 5 on the embedded
// Temporal with the Zendesk simulator: two incidents both suspend Maya and
// deactivate the rogue webhook. The second records "already contained by" the
// first and registers no undo; show names who holds each object; rolling the first
// back keeps both contained because the second relies on them, and names it; the
// second's rollback, the last one relying, restores them.
func TestTwoIncidentsOnTheSameZendeskObjects(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	sim := d.ZendeskSim
	f := sim.Facts()
	maya := f.CompromisedUserID
	doc := &facts.Document{Version: facts.Version, Zendesk: facts.ZendeskScope{Users: []int64{maya}, Webhooks: []string{f.RogueWebhookID}}}
	reversible := []string{"suspend-accounts", "disable-rogue-webhooks"}

	contain := func(title string) string {
		t.Helper()
		decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: title, Facts: doc, Actor: "alice"})
		if err != nil {
			t.Fatalf("declare %s: %v", title, err)
		}
		id := decl.ID
		st := waitState(t, d.Service, id, 10*time.Second, "containment to wait for approval", func(s workflows.State) bool {
			return len(s.Steps) > 0 && s.Steps[0].Status == workflows.StepAwaitingApproval
		})
		for _, s := range st.Steps {
			var err error
			if slices.Contains(reversible, s.Step.ID) {
				_, err = d.Service.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: s.Step.ID, Actor: "bob", Reason: "takeover"})
			} else {
				_, err = d.Service.SkipStep(ctx, id, incident.SkipStepRequest{Step: s.Step.ID, Actor: "bob", Reason: "not in this test"})
			}
			if err != nil {
				t.Fatalf("%s: approve or skip %s: %v", id, s.Step.ID, err)
			}
		}
		waitState(t, d.Service, id, 20*time.Second, "the reversible steps to finish", func(s workflows.State) bool {
			for _, step := range s.Steps {
				if slices.Contains(reversible, step.Step.ID) && step.Status != workflows.StepDone {
					return false
				}
			}
			return true
		})
		return id
	}
	contained := func(when string, want bool) {
		t.Helper()
		snap := sim.Snapshot()
		suspended, inactive := findUser(t, snap, maya).Suspended, webhookStatus(t, snap, f.RogueWebhookID) == "inactive"
		if suspended != want || inactive != want {
			t.Errorf("%s: Maya suspended %v, rogue webhook inactive %v; want both %v", when, suspended, inactive, want)
		}
	}

	a := contain("takeover seen by the help desk")
	b := contain("takeover seen by security")
	contained("after both contained", true)

	// B relies on A's change: no undo of its own, and the timeline says whose.
	stB, err := d.Service.Show(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !hasEntry(stB.Timeline, workflows.TimelineContainmentApplied, fmt.Sprintf("on user %d: already contained by %s", maya, a)) ||
		!hasEntry(stB.Timeline, workflows.TimelineContainmentApplied, "on webhook "+f.RogueWebhookID+": already contained by "+a) {
		t.Errorf("%s's timeline does not say the objects were already contained by %s", b, a)
	}
	// show lists the leases: A holds both, B relies on them.
	wantLeases := func(st incident.State, holder string, relying []string) {
		t.Helper()
		got := map[string]incident.Lease{}
		for _, l := range st.Leases {
			got[l.Object] = l
		}
		for _, obj := range []string{fmt.Sprintf("user:%d/suspend_user", maya), "webhook:" + f.RogueWebhookID + "/deactivate_webhook"} {
			l, ok := got[obj]
			if !ok || l.IncidentID != holder || !slices.Equal(l.Relying, relying) {
				t.Errorf("%s: lease on %s = %+v, want held by %s, relied on by %v", st.ID, obj, l, holder, relying)
			}
		}
	}
	stA, err := d.Service.Show(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	wantLeases(stA, a, []string{b})
	wantLeases(stB, a, []string{b})

	// Rolling A back keeps what B relies on, and names B.
	rb, err := d.Service.Rollback(ctx, a, incident.RollbackRequest{Actor: "carol", Reason: "help desk false alarm"})
	if err != nil {
		t.Fatalf("rollback %s: %v", a, err)
	}
	if len(rb.Undone) != 0 || len(rb.Kept) != 2 {
		t.Errorf("rollback of %s: %+v, want nothing undone and both kept", a, rb)
	}
	for _, k := range rb.Kept {
		if !strings.Contains(k, b+" still relies on it") {
			t.Errorf("kept %q does not name %s", k, b)
		}
	}
	contained("after the first incident's rollback", true)
	stB, err = d.Service.Show(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	wantLeases(stB, b, nil)
	stA = waitState(t, d.Service, a, 10*time.Second, "the rollback to be recorded", func(s incident.State) bool { return s.Rollback != nil && s.Rollback.Complete })
	for _, s := range stA.Steps {
		if slices.Contains(reversible, s.Step.ID) && s.Status != workflows.StepDone {
			t.Errorf("%s step %s is %s after a rollback that kept it, want done", a, s.Step.ID, s.Status)
		}
	}

	// B is the last to rely on them: its rollback restores them.
	rb, err = d.Service.Rollback(ctx, b, incident.RollbackRequest{Actor: "carol", Reason: "false alarm after all"})
	if err != nil {
		t.Fatalf("rollback %s: %v", b, err)
	}
	if len(rb.Undone) != 2 || len(rb.Kept) != 0 || len(rb.Failed) != 0 {
		t.Errorf("rollback of %s: %+v, want both restored", b, rb)
	}
	contained("after the last incident's rollback", false)
	if ls, err := d.Store.Leases(ctx, b); err != nil || len(ls) != 0 {
		t.Errorf("leases left after both rollbacks: %+v %v", ls, err)
	}
	recordIncidentHistory(t, d, a, "incident_leases")
	recordIncidentHistory(t, d, b, "incident_leases")
}

// recordIncidentHistory writes an incident's history for the replay test when
// IRFLOW_RECORD_HISTORIES names a folder (see TestRecordHistories).
func recordIncidentHistory(t *testing.T, d *app.Dev, id, name string) {
	if dir := os.Getenv(recordEnv); dir != "" {
		writeHistory(t, d, workflows.IncidentWorkflowID(id), dir, name)
	}
}
