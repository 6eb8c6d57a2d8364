package workflows

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// regDeclare sends the declare Update and stores the answer or the rejection.
func regDeclare(env *testsuite.TestWorkflowEnvironment, key string, got *[]DeclareResponse, rejected *[]error) {
	env.UpdateWorkflow(DeclareUpdate, "", &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { *rejected = append(*rejected, err) },
		OnComplete: func(v interface{}, err error) {
			if err == nil {
				*got = append(*got, v.(DeclareResponse))
			}
		},
	}, DeclareRequest{IdempotencyKey: key})
}

func TestRegistryAllocatesDailySequencesAndHonoursKeys(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Registry)
	env.SetStartTime(time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC))
	var got []DeclareResponse
	var rejected []error
	env.RegisterDelayedCallback(func() {
		regDeclare(env, "", &got, &rejected)
		regDeclare(env, "pagerduty-Q1", &got, &rejected)
		regDeclare(env, "pagerduty-Q1", &got, &rejected) // a retry: same incident
		regDeclare(env, string(make([]byte, 201)), &got, &rejected)
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		regDeclare(env, "", &got, &rejected) // the next UTC day starts at 001 again
		regDeclare(env, "pagerduty-Q1", &got, &rejected)
	}, 2*time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 3*time.Hour)
	env.ExecuteWorkflow(Registry, RegistryState{})

	want := []DeclareResponse{
		{ID: "INC-20260306-001"},
		{ID: "INC-20260306-002"},
		{ID: "INC-20260306-002", Existing: true},
		{ID: "INC-20260307-001"},
		{ID: "INC-20260306-002", Existing: true},
	}
	if len(got) != len(want) {
		t.Fatalf("answers = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(rejected) != 1 {
		t.Errorf("rejections = %v, want the over-long key rejected", rejected)
	}
}

func TestPruneRegistryKeepsTodayAndRecentKeys(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	st := RegistryState{
		Counters: map[string]int{"20260308": 4, "20260309": 2, "20260310": 7},
		Keys: map[string]RegistryKey{
			"old":    {ID: "INC-20260301-001", At: now.Add(-8 * 24 * time.Hour)},
			"recent": {ID: "INC-20260309-002", At: now.Add(-24 * time.Hour)},
		},
	}
	pruneRegistry(&st, now)
	if _, ok := st.Counters["20260308"]; ok || st.Counters["20260309"] != 2 || st.Counters["20260310"] != 7 {
		t.Errorf("counters = %v, want yesterday and today only", st.Counters)
	}
	if _, ok := st.Keys["old"]; ok {
		t.Error("a key past its retention was kept")
	}
	if _, ok := st.Keys["recent"]; !ok {
		t.Error("a recent key was dropped")
	}
}

// TestRegistryContinuesAsNewWithItsState: the counters survive the rollover, so an
// id is never handed out twice.
func TestRegistryContinuesAsNewWithItsState(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Registry)
	env.SetStartTime(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
	var got []DeclareResponse
	var rejected []error
	env.RegisterDelayedCallback(func() {
		for range registryMaxUpdates {
			regDeclare(env, "", &got, &rejected)
		}
	}, time.Minute)
	env.ExecuteWorkflow(Registry, RegistryState{})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new after %d declares", err, registryMaxUpdates)
	}
	if len(got) != registryMaxUpdates || got[len(got)-1].ID != "INC-20260306-1000" {
		t.Fatalf("%d answers, last %+v", len(got), got[len(got)-1])
	}
	var next RegistryState
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Counters["20260306"] != registryMaxUpdates {
		t.Errorf("carried counters = %v, want 20260306: %d", next.Counters, registryMaxUpdates)
	}
}

// TestRegistryBatchAllocatesInOrderAndHonoursKeys: one declare_batch Update
// allocates consecutive ids in the order of its requests, a key repeated inside the
// batch or after it returns the first incident with what that declare recorded,
// and the single declare Update continues the same sequence.
func TestRegistryBatchAllocatesInOrderAndHonoursKeys(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Registry)
	env.SetStartTime(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
	var (
		batches  []DeclareBatchResponse
		got      []DeclareResponse
		rejected []error
	)
	batch := func(reqs ...DeclareRequest) {
		env.UpdateWorkflow(DeclareBatchUpdate, "", &testsuite.TestUpdateCallback{
			OnAccept: func() {},
			OnReject: func(err error) { rejected = append(rejected, err) },
			OnComplete: func(v interface{}, err error) {
				if err == nil {
					batches = append(batches, v.(DeclareBatchResponse))
				}
			},
		}, DeclareBatchRequest{Declares: reqs})
	}
	env.RegisterDelayedCallback(func() {
		regDeclare(env, "", &got, &rejected)
		batch(DeclareRequest{IdempotencyKey: "pd-1", Request: "aa"},
			DeclareRequest{},
			DeclareRequest{IdempotencyKey: "pd-1", Request: "bb"})
		batch(DeclareRequest{IdempotencyKey: "pd-1"}, DeclareRequest{IdempotencyKey: "pd-2"})
		batch()                                                                          // empty: rejected
		batch(DeclareRequest{IdempotencyKey: string(make([]byte, maxIdempotencyKey+1))}) // rejected
		regDeclare(env, "", &got, &rejected)
	}, time.Minute)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Hour)
	env.ExecuteWorkflow(Registry, RegistryState{})

	pd1 := DeclareResponse{ID: "INC-20260306-002", Existing: true, Request: "aa"}
	want := []DeclareBatchResponse{
		{Results: []DeclareResponse{{ID: "INC-20260306-002"}, {ID: "INC-20260306-003"}, pd1}},
		{Results: []DeclareResponse{pd1, {ID: "INC-20260306-004"}}},
	}
	if len(batches) != len(want) {
		t.Fatalf("batch answers = %+v, want %+v", batches, want)
	}
	for i := range want {
		if len(batches[i].Results) != len(want[i].Results) {
			t.Fatalf("batch %d = %+v, want %+v", i, batches[i], want[i])
		}
		for j := range want[i].Results {
			if batches[i].Results[j] != want[i].Results[j] {
				t.Errorf("batch %d answer %d = %+v, want %+v", i, j, batches[i].Results[j], want[i].Results[j])
			}
		}
	}
	if len(got) != 2 || got[0].ID != "INC-20260306-001" || got[1].ID != "INC-20260306-005" {
		t.Errorf("single declares = %+v, want 001 and 005", got)
	}
	if len(rejected) != 2 {
		t.Errorf("rejections = %v, want the empty batch and the over-long key", rejected)
	}
}
