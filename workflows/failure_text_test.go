package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"irflow/activities"
	"irflow/internal/containment"
	"irflow/internal/facts"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// TestFailedStepShowsRootCauseOnce: a step refused by Zendesk (404, not retried)
// and a step that met 5xx until its retries ran out each record Zendesk's answer
// once, with its request id, and none of the SDK's wrapping ("activity error
// (type: ...", "retryable: ...") that made one show line 3 KB long (issue 14).
func TestFailedStepShowsRootCauseOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		user   int64
		faults zdsim.Faults
		want   string
	}{
		{"404 refused", 999_999_999, zdsim.Faults{}, "404 RecordNotFound"},
		{"5xx until the retries ran out", 0, zdsim.Faults{Rate5xx: 1}, "suspend_user on user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := zdsim.New(zdsim.Options{FrozenClock: true})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			f := sim.Facts()
			client, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
				MaxRetries: -1, RequestsPerMinute: 1_000_000})
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.SetFaults(tc.faults); err != nil {
				t.Fatal(err)
			}
			user := tc.user
			if user == 0 {
				user = f.CompromisedUserID
			}
			env := newTestEnv()
			env.RegisterActivity(&activities.ContainmentActivities{Zendesk: client})
			env.RegisterWorkflow(containmentHarness)
			env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 24*time.Hour)
			env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}},
				facts.Document{Version: 1, Zendesk: facts.ZendeskScope{Users: []int64{user}}})
			r := harnessResult(t, env)
			st := r.Containment.Steps[0]
			if st.Status != StepFailed || len(st.Errors) != 1 {
				t.Fatalf("step: %s %q", st.Status, st.Errors)
			}
			msg := st.Errors[0]
			for _, bad := range []string{"activity error", "(type:", "retryable:", "scheduledEventID"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error shows the SDK's wrapping %q: %s", bad, msg)
				}
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
			ids := regexp.MustCompile(`request_id=\S+`).FindAllString(msg, -1)
			if len(ids) != 1 {
				t.Errorf("error names %d request ids, want exactly 1: %s", len(ids), msg)
			}
			if n := strings.Count(msg, "zendesk PUT"); n > 1 {
				t.Errorf("Zendesk's answer repeated %d times: %s", n, msg)
			}
		})
	}
}

// TestFailureTextUnwrapsOnce: the shapes a failure takes on its way to the
// workflow (an activity's classified error whose cause repeats its message, a
// child workflow's fmt wrapping around that, timeouts) reduce to the root cause
// said once, with the request id.
func TestFailureTextUnwrapsOnce(t *testing.T) {
	ze := errors.New("zendesk PUT /api/v2/users/7.json: 500 InternalError request_id=req-1")
	wrapped := fmt.Errorf("suspend_user on user 7: %w", ze)
	classified := temporal.NewApplicationErrorWithCause(wrapped.Error(), "ZendeskRetryable", wrapped)
	child := fmt.Errorf("collect access_logs evidence: %w", classified)
	asApp := temporal.NewApplicationErrorWithCause(child.Error(), "*fmt.wrapError", classified)
	noID := temporal.NewApplicationErrorWithCause("step suspend failed", "X",
		temporal.NewApplicationError("zendesk GET /x: 503 request_id=req-2", "Y"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"plain", ze, ze.Error()},
		{"classified", classified, "suspend_user on user 7: zendesk PUT /api/v2/users/7.json: 500 InternalError request_id=req-1"},
		{"child wrapping", asApp, "collect access_logs evidence: suspend_user on user 7: zendesk PUT /api/v2/users/7.json: 500 InternalError request_id=req-1"},
		{"request id from the cause", noID, "step suspend failed (request_id=req-2)"},
		{"timeout", temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, classified), "timed out (heartbeat): last error: suspend_user on user 7: zendesk PUT /api/v2/users/7.json: 500 InternalError request_id=req-1"},
		{"cancelled", temporal.NewCanceledError(), "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := failureText(tc.err); got != tc.want {
				t.Errorf("failureText:\n got %s\nwant %s\n(chain: %s)", got, tc.want, tc.err)
			}
		})
	}
}

// TestFailedUndoShowsRootCauseOnce: an undo that met 5xx until its retries ran
// out is reported by the rollback with Zendesk's answer once, not the SDK chain.
func TestFailedUndoShowsRootCauseOnce(t *testing.T) {
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := sim.Facts()
	client, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
		MaxRetries: -1, RequestsPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv()
	env.RegisterActivity(&activities.ContainmentActivities{Zendesk: client})
	env.RegisterWorkflow(containmentHarness)
	var rollback *outcome
	env.RegisterDelayedCallback(func() {
		if err := sim.SetFaults(zdsim.Faults{Rate5xx: 1}); err != nil {
			t.Error(err)
		}
		rollback = update(env, UpdateRollback, RollbackRequest{Actor: "carol"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(signalClose, nil) }, 48*time.Hour)
	env.ExecuteWorkflow(containmentHarness, []containment.Step{{ID: "suspend", Action: containment.SuspendUser}},
		facts.Document{Version: 1, Zendesk: facts.ZendeskScope{Users: []int64{f.CompromisedUserID}}})
	harnessResult(t, env)
	wantAccepted(t, rollback)
	rr, _ := rollback.result.(RollbackResult)
	if len(rr.Failed) != 1 {
		t.Fatalf("rollback: %+v", rr)
	}
	msg := rr.Failed[0]
	if strings.Contains(msg, "activity error") || strings.Contains(msg, "(type:") || len(requestIDPattern.FindAllString(msg, -1)) != 1 {
		t.Fatalf("undo failure not said once with its request id: %s", msg)
	}
}
