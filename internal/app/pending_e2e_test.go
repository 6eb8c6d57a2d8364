package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/internal/zdsim"
)

// TestStartRollbackAnswersWhenAccepted: on the embedded server, StartRollback
// returns as soon as Temporal accepted the rollback, while its undo still waits on a
// slow Zendesk (the simulator delays every request), so a chat transport can answer
// within its 3 s; Get then delivers the result. A second rollback, rejected by the
// validator while the first runs, is refused by StartRollback itself.
func TestStartRollbackAnswersWhenAccepted(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	sim := d.ZendeskSim
	maya := sim.Facts().CompromisedUserID
	mayaKey := zdsim.KindUser + "/" + fmt.Sprint(maya)

	decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "slow rollback",
		Facts: &facts.Document{Version: facts.Version, Zendesk: facts.ZendeskScope{Users: []int64{maya}}}, Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	id := decl.ID
	waitState(t, d.Service, id, 10*time.Second, "the first step to wait for approval", func(s incident.State) bool {
		return len(s.Steps) > 0 && s.Steps[0].Status == incident.StepAwaitingApproval
	})
	if _, err := d.Service.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: "suspend-accounts", Actor: "bob"}); err != nil {
		t.Fatalf("approve: %v", err)
	}
	waitState(t, d.Service, id, 20*time.Second, "suspend-accounts to finish", func(s incident.State) bool {
		return s.Steps[0].Status == incident.StepDone
	})
	if n := mutations(sim, mayaKey); n != 1 {
		t.Fatalf("Maya's account changed %d times after the suspension, want 1", n)
	}

	// Every Zendesk request now takes 4 s: the undo cannot finish before StartRollback
	// returns, unless StartRollback waited for it.
	if err := sim.SetFaults(zdsim.Faults{Latency: 4 * time.Second}); err != nil {
		t.Fatal(err)
	}
	p, err := d.Service.StartRollback(ctx, id, incident.RollbackRequest{Actor: "carol", Reason: "false alarm"})
	if err != nil {
		t.Fatalf("start rollback: %v", err)
	}
	if n := mutations(sim, mayaKey); n != 1 {
		t.Errorf("StartRollback returned after the undo changed Maya's account (%d changes): it waited for the result", n)
	}
	st, err := d.Service.Show(ctx, id)
	if err != nil {
		t.Fatalf("show during the rollback: %v", err)
	}
	if st.Rollback == nil || st.Rollback.Complete {
		t.Errorf("rollback record right after StartRollback: %+v, want one in progress", st.Rollback)
	}
	_, err = d.Service.StartRollback(ctx, id, incident.RollbackRequest{Actor: "dave"})
	wantCode(t, "a second rollback while the first runs", err, incident.ECONFLICT, "a rollback is already running")

	res, err := p.Get(ctx)
	if err != nil {
		t.Fatalf("rollback result: %v", err)
	}
	if len(res.Undone) != 1 || res.Undone[0].Action != "unsuspend_user" || len(res.Failed) != 0 {
		t.Errorf("rollback result %+v, want Maya unsuspended", res)
	}
	if n := mutations(sim, mayaKey); n != 2 {
		t.Errorf("Maya's account changed %d times after the rollback, want 2", n)
	}
	// Get can be called again, and answers the same.
	if again, err := p.Get(ctx); err != nil || len(again.Undone) != 1 {
		t.Errorf("second Get: %+v %v", again, err)
	}
}

func mutations(sim *zdsim.Server, key string) int {
	for _, m := range sim.AllMutations() {
		if m.Kind+"/"+m.ID == key {
			return m.Count
		}
	}
	return 0
}
