package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"irflow/internal/containment"
	"irflow/internal/evidence"
)

// TestLongActivitiesHeartbeat: containment steps and evidence runs of a new
// execution are scheduled with a heartbeat timeout of seconds, so that a worker
// that dies mid-call is replaced within seconds (issue 17 item 6), and a
// start-to-close timeout that fits a call waiting out Zendesk's 429s. Executions
// recorded before run on with their old options (TestReplayHistories).
func TestLongActivitiesHeartbeat(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]activity.Info{}
	)
	note := func(ctx context.Context, name string) {
		mu.Lock()
		defer mu.Unlock()
		seen[name] = activity.GetInfo(ctx)
	}

	env := newTestEnv()
	env.RegisterWorkflow(containmentHarness)
	env.RegisterActivityWithOptions(func(ctx context.Context, in containment.ApplyInput) (containment.ApplyResult, error) {
		note(ctx, "apply")
		return containment.ApplyResult{StepID: in.StepID, Action: in.Action, Target: in.Target, Changed: true,
			Undo: containment.State{"suspended": false}}, nil
	}, activity.RegisterOptions{Name: containment.ActivityApply})
	env.RegisterActivityWithOptions(func(ctx context.Context, in containment.UndoInput) (containment.UndoResult, error) {
		note(ctx, "undo")
		return containment.UndoResult{StepID: in.Applied.StepID, Target: in.Applied.Target, Changed: true}, nil
	}, activity.RegisterOptions{Name: containment.ActivityUndo})
	var rolledBack *outcome
	env.RegisterDelayedCallback(func() { rolledBack = update(env, UpdateRollback, RollbackRequest{Actor: "alice"}) }, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 2*time.Hour)
	env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}}, incidentFacts)
	harnessResult(t, env)
	wantAccepted(t, rolledBack)

	ev := newTestEnv()
	ev.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
	ev.RegisterActivityWithOptions(func(ctx context.Context, in evidence.CollectInput) (evidence.CollectResult, error) {
		note(ctx, "collect")
		return evidence.CollectResult{Source: in.Source, Done: true}, nil
	}, activity.RegisterOptions{Name: evidence.ActivityCollectSource})
	ev.RegisterActivityWithOptions(func(ctx context.Context, in evidence.WriteManifestInput) (evidence.ManifestResult, error) {
		return evidence.ManifestResult{}, nil
	}, activity.RegisterOptions{Name: evidence.ActivityWriteManifest})
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	ev.ExecuteWorkflow(EvidenceCollection, EvidenceInput{IncidentID: "INC-20260306-001",
		Window: evidence.Window{From: from, To: from.Add(time.Hour)}, Sources: []string{evidence.SourceUsers}})
	if err := ev.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}

	for _, name := range []string{"apply", "undo", "collect"} {
		info, ok := seen[name]
		if !ok {
			t.Fatalf("%s never ran", name)
		}
		if info.HeartbeatTimeout != 10*time.Second {
			t.Errorf("%s: heartbeat timeout %s, want 10s", name, info.HeartbeatTimeout)
		}
		if d := info.Deadline.Sub(info.StartedTime); d < 5*time.Minute {
			t.Errorf("%s: start-to-close %s, too short for a call that waits out 429s", name, d)
		}
	}
}
