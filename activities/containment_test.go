package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"irflow/internal/containment"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

var fixedNow = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

// newSim starts the simulator in-process and a client for it as the account owner.
// In-client retries are off so the tests see every failure the activity sees.
func newSim(t *testing.T) (*zdsim.Sim, *zendesk.Client) {
	t.Helper()
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	f := sim.Facts()
	c, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken, MaxRetries: -1,
		RequestsPerMinute: 1_000_000, IncrementalPerMinute: 1_000_000}) // no client-side pacing in tests
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func applyIn(env *testsuite.TestActivityEnvironment, a *ContainmentActivities, in containment.ApplyInput) (containment.ApplyResult, error) {
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = "INC-1/" + in.StepID + "/k/" + in.Target.Key()
	}
	v, err := env.ExecuteActivity(a.ApplyContainment, in)
	if err != nil {
		return containment.ApplyResult{}, err
	}
	var r containment.ApplyResult
	return r, v.Get(&r)
}

func undoIn(env *testsuite.TestActivityEnvironment, a *ContainmentActivities, applied containment.ApplyResult) (containment.UndoResult, error) {
	v, err := env.ExecuteActivity(a.UndoContainment, containment.UndoInput{IncidentID: "INC-1", Applied: applied, IdempotencyKey: "undo/" + applied.Target.Key()})
	if err != nil {
		return containment.UndoResult{}, err
	}
	var r containment.UndoResult
	return r, v.Get(&r)
}

// newActivityEnv returns an activity test environment with a's activities
// registered and the SDK's debug logging discarded.
func newActivityEnv(a any) *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	return env
}

// TestApplyAndUndoEveryReversibleAction applies each reversible action twice (the
// second is a no-op), then undoes it, against the simulator's state.
func TestApplyAndUndoEveryReversibleAction(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c, Now: func() time.Time { return fixedNow }}
	tests := []struct {
		action       string
		params       map[string]any
		target       containment.Target
		kind, id     string
		before, want containment.State
	}{
		{containment.SuspendUser, nil, containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID},
			zdsim.KindUser, fmt.Sprint(f.CompromisedUserID), containment.State{"suspended": false}, containment.State{"suspended": true}},
		{containment.DisableApp, nil, containment.Target{Kind: containment.KindAppInstallation, ID: f.AppInstallationID},
			zdsim.KindAppInstallation, fmt.Sprint(f.AppInstallationID), nil, nil},
		{containment.DeactivateWebhook, nil, containment.Target{Kind: containment.KindWebhook, WebhookID: f.RogueWebhookID},
			zdsim.KindWebhook, f.RogueWebhookID, nil, nil},
		{containment.DeactivateTarget, map[string]any{"target_id": f.TargetID}, containment.Target{Kind: containment.KindTarget, ID: f.TargetID},
			zdsim.KindTarget, fmt.Sprint(f.TargetID), nil, nil},
		{containment.DowngradeRole, nil, containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID},
			zdsim.KindUser, fmt.Sprint(f.CompromisedUserID), containment.State{"role": f.CompromisedOriginalRole}, containment.State{"role": "end-user"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			env := newActivityEnv(a)
			before := sim.Mutations(tt.kind, tt.id)
			in := containment.ApplyInput{IncidentID: "INC-1", StepID: tt.action, Action: tt.action, Params: tt.params, Target: tt.target}
			r, err := applyIn(env, a, in)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Changed || len(r.RequestIDs) == 0 || !strings.HasPrefix(r.RequestIDs[0], "zdsim-") || !r.At.Equal(fixedNow) || len(r.Undo) == 0 {
				t.Fatalf("first apply: %+v", r)
			}
			if tt.before != nil && fmt.Sprint(r.Before) != fmt.Sprint(tt.before) {
				t.Errorf("before = %v, want %v", r.Before, tt.before)
			}
			if tt.want != nil && fmt.Sprint(r.After) != fmt.Sprint(tt.want) {
				t.Errorf("after = %v, want %v", r.After, tt.want)
			}
			// Applying again checks state first and does nothing.
			r2, err := applyIn(env, a, in)
			if err != nil {
				t.Fatal(err)
			}
			if r2.Changed || r2.Note == "" {
				t.Fatalf("second apply changed something: %+v", r2)
			}
			if n := sim.Mutations(tt.kind, tt.id) - before; n != 1 {
				t.Fatalf("mutations after two applies = %d, want 1", n)
			}
			// Undo restores the recorded state, once.
			u, err := undoIn(env, a, r)
			if err != nil {
				t.Fatal(err)
			}
			act, _ := containment.Lookup(tt.action)
			if !u.Changed || u.Action != act.Undo || fmt.Sprint(u.After) != fmt.Sprint(r.Before) {
				t.Fatalf("undo: %+v (applied before %v)", u, r.Before)
			}
			if u2, err := undoIn(env, a, r); err != nil || u2.Changed {
				t.Fatalf("second undo: %+v %v", u2, err)
			}
			if n := sim.Mutations(tt.kind, tt.id) - before; n != 2 {
				t.Fatalf("mutations after apply and undo = %d, want 2", n)
			}
		})
	}
}

func TestRevokeAPITokenRecordsMetadataNeverTheSecret(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c}
	env := newActivityEnv(a)
	in := containment.ApplyInput{IncidentID: "INC-1", StepID: "tok", Action: containment.RevokeAPIToken,
		Target: containment.Target{Kind: containment.KindAPIToken, ID: f.RogueAPITokenID}}
	r, err := applyIn(env, a, in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), f.RogueAPITokenValue) || strings.Contains(string(b), `"token"`) || strings.Contains(string(b), "visible_token") {
		t.Fatalf("result leaks the token: %s", b)
	}
	for _, k := range []string{"id", "description", "created_at", "user_id"} {
		if _, ok := r.Before[k]; !ok {
			t.Errorf("before lacks %s: %v", k, r.Before)
		}
	}
	if !r.Changed || r.After["exists"] != false {
		t.Fatalf("result: %+v", r)
	}
	r2, err := applyIn(env, a, in)
	if err != nil || r2.Changed || !strings.Contains(r2.Note, "already revoked") {
		t.Fatalf("second revoke: %+v %v", r2, err)
	}
	if n := sim.Mutations(zdsim.KindAPIToken, fmt.Sprint(f.RogueAPITokenID)); n != 1 {
		t.Fatalf("mutations = %d", n)
	}
	// The token no longer authenticates.
	bad, _ := zendesk.New(zendesk.Config{BaseURL: c.BaseURL(), Email: f.AdminEmail, APIToken: f.RogueAPITokenValue, MaxRetries: -1})
	if _, _, err := bad.Me(t.Context()); err == nil {
		t.Fatal("revoked token still authenticates")
	}
}

func TestIrreversibleActionsAgainstSimulator(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c}
	tests := []struct {
		name     string
		in       containment.ApplyInput
		kind, id string
		check    func(t *testing.T, r containment.ApplyResult)
	}{
		{"sessions", containment.ApplyInput{Action: containment.RevokeSessions, Target: containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID}},
			zdsim.KindUserSessions, fmt.Sprint(f.CompromisedUserID), func(t *testing.T, r containment.ApplyResult) {
				if n, _ := containment.Int(r.Before, "sessions"); n < int64(len(f.AttackerSessionIDs)) {
					t.Errorf("before: %v", r.Before)
				}
			}},
		{"oauth by client", containment.ApplyInput{Action: containment.RevokeOAuthTokens, Params: map[string]any{"client_id": f.RogueOAuthClientID},
			Target: containment.Target{Kind: containment.KindOAuthClient, ID: f.RogueOAuthClientID}},
			zdsim.KindOAuthToken, fmt.Sprint(f.RogueOAuthTokenID), func(t *testing.T, r containment.ApplyResult) {
				if b, _ := json.Marshal(r); strings.Contains(string(b), `"token"`) || strings.Contains(string(b), "refresh_token") {
					t.Errorf("token material in result: %s", b)
				}
			}},
		{"comment private", containment.ApplyInput{Action: containment.MakeCommentPrivate,
			Params: map[string]any{"ticket_id": f.PhishingTicketID, "comment_id": f.PhishingCommentID},
			Target: containment.Target{Kind: containment.KindComment, ID: f.PhishingCommentID, TicketID: f.PhishingTicketID}},
			zdsim.KindComment, fmt.Sprint(f.PhishingCommentID), func(t *testing.T, r containment.ApplyResult) {
				if r.Before["public"] != true || r.After["public"] != false {
					t.Errorf("state: %v -> %v", r.Before, r.After)
				}
			}},
		{"redact", containment.ApplyInput{Action: containment.RedactComment,
			Params: map[string]any{"ticket_id": f.PIITicketID, "comment_id": f.PIICommentID, "text": "847564"},
			Target: containment.Target{Kind: containment.KindComment, ID: f.PIICommentID, TicketID: f.PIITicketID}},
			zdsim.KindComment, fmt.Sprint(f.PIICommentID), func(t *testing.T, r containment.ApplyResult) {
				if b, _ := json.Marshal(r); strings.Contains(string(b), "847564") {
					t.Errorf("redacted text kept in the result: %s", b)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newActivityEnv(a)
			tt.in.IncidentID, tt.in.StepID = "INC-1", strings.ReplaceAll(tt.name, " ", "-")
			r, err := applyIn(env, a, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Changed {
				t.Fatalf("not changed: %+v", r)
			}
			tt.check(t, r)
			r2, err := applyIn(env, a, tt.in)
			if err != nil || r2.Changed {
				t.Fatalf("second apply: %+v %v", r2, err)
			}
			if n := sim.Mutations(tt.kind, tt.id); n != 1 {
				t.Fatalf("mutations of %s %s = %d, want 1", tt.kind, tt.id, n)
			}
		})
	}
}

func TestSetRandomPasswordWhereAllowed(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c}
	in := containment.ApplyInput{IncidentID: "INC-1", StepID: "pw", Action: containment.SetRandomPassword,
		Target: containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID}}
	// Off by default, as in Zendesk: recorded as not done, with the reason.
	r, err := applyIn(newActivityEnv(a), a, in)
	if err != nil || r.Changed || r.After["password_set"] != false || !strings.Contains(r.Note, "admins can set user passwords") {
		t.Fatalf("setting off: %+v %v", r, err)
	}
	sim.SetAdminsCanSetUserPasswords(true)
	r, err = applyIn(newActivityEnv(a), a, in)
	if err != nil || !r.Changed || r.After["password_set"] != true {
		t.Fatalf("setting on: %+v %v", r, err)
	}
	if n := sim.Mutations(zdsim.KindUserPassword, fmt.Sprint(f.CompromisedUserID)); n != 1 {
		t.Fatalf("password mutations = %d, want 1", n)
	}
}

func TestErrorClassification(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c}
	// 4xx: the user does not exist. Not retryable.
	_, err := applyIn(newActivityEnv(a), a, containment.ApplyInput{IncidentID: "INC-1", StepID: "s", Action: containment.SuspendUser,
		Target: containment.Target{Kind: containment.KindUser, ID: 987654321}})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != ErrTypeZendeskRejected || !strings.Contains(err.Error(), "404") {
		t.Fatalf("404: %v", err)
	}
	// Invalid step: not retryable.
	_, err = applyIn(newActivityEnv(a), a, containment.ApplyInput{StepID: "s", Action: "nuke"})
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != ErrTypeInvalidStep {
		t.Fatalf("invalid step: %v", err)
	}
	// 5xx after the change was applied: retryable (and the retry finds it done).
	sim.FailAfterApply(zdsim.KindUser, fmt.Sprint(f.CompromisedUserID), 1)
	_, err = applyIn(newActivityEnv(a), a, containment.ApplyInput{IncidentID: "INC-1", StepID: "s", Action: containment.SuspendUser,
		Target: containment.Target{Kind: containment.KindUser, ID: f.CompromisedUserID}})
	if err == nil || (errors.As(err, &appErr) && appErr.NonRetryable()) || !strings.Contains(err.Error(), "500") {
		t.Fatalf("5xx: %v", err)
	}
}

// TestRetryAfterLostAnswerReportsTheChange drives the retry by hand: the first
// attempt's mutation lands but its answer is lost; the retry carries the first
// attempt's heartbeat, so it reports the change (with the true previous state, for
// undo) instead of a no-op.
func TestRetryAfterLostAnswerReportsTheChange(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	a := &ContainmentActivities{Zendesk: c}
	in := containment.ApplyInput{IncidentID: "INC-1", StepID: "wh", Action: containment.DeactivateWebhook, IdempotencyKey: "INC-1/wh/k",
		Target: containment.Target{Kind: containment.KindWebhook, WebhookID: f.RogueWebhookID}}
	sim.FailAfterApply(zdsim.KindWebhook, f.RogueWebhookID, 1)
	env := newActivityEnv(a)
	if _, err := applyIn(env, a, in); err == nil {
		t.Fatal("first attempt succeeded despite the injected failure")
	}
	retry := newActivityEnv(a)
	retry.SetHeartbeatDetails(mutationMarker{Key: in.IdempotencyKey, Before: containment.State{"status": "active"}})
	r, err := applyIn(retry, a, in)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Changed || r.Undo["status"] != "active" || r.After["status"] != "inactive" || !strings.Contains(r.Note, "earlier attempt") {
		t.Fatalf("retry result: %+v", r)
	}
	if n := sim.Mutations(zdsim.KindWebhook, f.RogueWebhookID); n != 1 {
		t.Fatalf("mutations = %d, want 1", n)
	}
}
