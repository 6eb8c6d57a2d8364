package activities

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"irflow/internal/evidence"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"irflow/internal/containment"
	"irflow/internal/zendesk"
)

// Error types of non-retryable activity failures, for workflows and the UI to tell
// apart "Zendesk refused" from "the step itself is wrong".
const (
	ErrTypeZendeskRejected = "ZendeskRejected"
	ErrTypeInvalidStep     = "InvalidContainmentStep"
)

// ContainmentActivities acts on the subscriber's Zendesk instance for containment
// steps (SRM-VI.S.1). Every action reads the target's state first and does nothing
// when it is already in the wanted state, so a retry after a mutation that Zendesk
// applied but whose answer was lost changes nothing (STYLE rule 4).
type ContainmentActivities struct {
	Zendesk *zendesk.Client
	// Temporal, when set, is the worker's client: the state marked before a
	// mutation reaches Temporal before the mutation is sent (see record). Tests
	// run without it.
	Temporal client.Client
	// Now stamps results; nil means time.Now.
	Now func() time.Time
	// EvidenceDir is the evidence root: before a step deletes or revokes, what it
	// destroys is kept in BeforeStateDir(EvidenceDir, incident). Empty: not kept,
	// and each such step records that as a gap.
	EvidenceDir string
	// Objects, when set, keeps the before-state in evidence storage instead (under
	// <incident>.before/), where every worker and server reaches it: S3 when
	// IRFLOW_EVIDENCE names a bucket.
	Objects evidence.Objects
}

func (a *ContainmentActivities) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// ApplyContainment applies one containment action to one target and reports the
// target's state before and after, the Zendesk request ids and what undo needs.
// Zendesk 4xx answers fail without retry; 5xx, 429 and timeouts are retried.
func (a *ContainmentActivities) ApplyContainment(ctx context.Context, in containment.ApplyInput) (containment.ApplyResult, error) {
	ctx, p := startPulse(ctx, a.Temporal)
	defer p.Stop()
	if err := containment.ValidateStep(in.Action, in.Params); err != nil {
		return containment.ApplyResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("step %s: %v", in.StepID, err), ErrTypeInvalidStep, err)
	}
	r := &containment.ApplyResult{StepID: in.StepID, Action: in.Action, Target: in.Target, IdempotencyKey: in.IdempotencyKey}
	t := in.Target
	var err error
	switch in.Action {
	case containment.SuspendUser, containment.UnsuspendUser:
		var rr result
		rr, err = a.setSuspended(ctx, in.IdempotencyKey, t.ID, in.Action == containment.SuspendUser)
		rr.into(r)
	case containment.RevokeSessions:
		err = a.revokeSessions(ctx, in.IdempotencyKey, t.ID, r)
	case containment.RevokeAPIToken:
		err = a.revokeAPIToken(ctx, in.IdempotencyKey, t.ID, r)
	case containment.RevokeOAuthTokens:
		err = a.revokeOAuthTokens(ctx, in.IdempotencyKey, t, r)
	case containment.RotateOAuthClientSecret:
		err = a.rotateClientSecret(ctx, t.ID, in.IdempotencyKey, r)
	case containment.DisableApp, containment.EnableApp:
		var rr result
		rr, err = a.setAppEnabled(ctx, in.IdempotencyKey, t.ID, in.Action == containment.EnableApp)
		rr.into(r)
	case containment.DeactivateWebhook, containment.ReactivateWebhook:
		want := zendesk.WebhookInactive
		if in.Action == containment.ReactivateWebhook {
			want = zendesk.WebhookActive
		}
		var rr result
		rr, err = a.setWebhookStatus(ctx, in.IdempotencyKey, t.WebhookID, want)
		rr.into(r)
	case containment.DeactivateTarget, containment.ReactivateTarget:
		var rr result
		rr, err = a.setTargetActive(ctx, in.IdempotencyKey, t.ID, in.Action == containment.ReactivateTarget)
		rr.into(r)
	case containment.DowngradeRole:
		role, ok := containment.String(in.Params, "role")
		if !ok {
			role = zendesk.RoleEndUser
		}
		custom, hasCustom := containment.Int(in.Params, "custom_role_id")
		var rr result
		rr, err = a.setRole(ctx, in.IdempotencyKey, t.ID, role, custom, hasCustom, true)
		rr.into(r)
	case containment.RestoreRole:
		role, _ := containment.String(in.Params, "role")
		custom, hasCustom := containment.Int(in.Params, "custom_role_id")
		var rr result
		rr, err = a.setRole(ctx, in.IdempotencyKey, t.ID, role, custom, hasCustom, false)
		rr.into(r)
	case containment.MakeCommentPrivate:
		err = a.makeCommentPrivate(ctx, in.IdempotencyKey, t.TicketID, t.ID, r)
	case containment.RedactComment:
		text, _ := containment.String(in.Params, "text")
		err = a.redactComment(ctx, in.IdempotencyKey, t.TicketID, t.ID, text, r)
	case containment.SetRandomPassword:
		err = a.setRandomPassword(ctx, t.ID, in.IdempotencyKey, r)
	default:
		// ValidateStep knows the action but this switch does not: a programming error.
		return containment.ApplyResult{}, temporal.NewNonRetryableApplicationError(
			"no activity implements containment action "+in.Action, ErrTypeInvalidStep, nil)
	}
	if err != nil {
		return containment.ApplyResult{}, classify(fmt.Errorf("%s on %s: %w", in.Action, t, err))
	}
	r.At = a.now()
	activity.GetLogger(ctx).Info("containment applied", "action", in.Action, "target", t.String(),
		"changed", r.Changed, "request_ids", strings.Join(r.RequestIDs, ","), "idempotency_key", in.IdempotencyKey)
	return *r, nil
}

// UndoContainment reverses one applied action by restoring the state it recorded
// (previous suspension, role, app, webhook or target status). It is idempotent in
// the same way: a target already back in its previous state is left alone.
func (a *ContainmentActivities) UndoContainment(ctx context.Context, in containment.UndoInput) (containment.UndoResult, error) {
	ctx, p := startPulse(ctx, a.Temporal)
	defer p.Stop()
	ap := in.Applied
	act, ok := containment.Lookup(ap.Action)
	if !ok || !act.Reversible {
		return containment.UndoResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("step %s: %s cannot be undone", ap.StepID, ap.Action), ErrTypeInvalidStep, nil)
	}
	var (
		rr  result
		err error
	)
	u, t := ap.Undo, ap.Target
	switch ap.Action {
	case containment.SuspendUser, containment.UnsuspendUser:
		var prev bool
		if prev, err = undoBool(u, "suspended"); err == nil {
			rr, err = a.setSuspended(ctx, in.IdempotencyKey, t.ID, prev)
		}
	case containment.DisableApp, containment.EnableApp:
		var prev bool
		if prev, err = undoBool(u, "enabled"); err == nil {
			rr, err = a.setAppEnabled(ctx, in.IdempotencyKey, t.ID, prev)
		}
	case containment.DeactivateWebhook, containment.ReactivateWebhook:
		prev, ok := u["status"].(string)
		if !ok {
			err = errors.New("undo state has no previous webhook status")
		} else {
			rr, err = a.setWebhookStatus(ctx, in.IdempotencyKey, t.WebhookID, prev)
		}
	case containment.DeactivateTarget, containment.ReactivateTarget:
		var prev bool
		if prev, err = undoBool(u, "active"); err == nil {
			rr, err = a.setTargetActive(ctx, in.IdempotencyKey, t.ID, prev)
		}
	case containment.DowngradeRole, containment.RestoreRole:
		prev, ok := u["role"].(string)
		if !ok {
			err = errors.New("undo state has no previous role")
		} else {
			custom, hasCustom := containment.Int(u, "custom_role_id")
			rr, err = a.setRole(ctx, in.IdempotencyKey, t.ID, prev, custom, hasCustom, false)
		}
	default:
		err = fmt.Errorf("no undo implemented for %s", ap.Action)
	}
	if err != nil {
		return containment.UndoResult{}, classify(fmt.Errorf("undo %s on %s: %w", ap.Action, t, err))
	}
	res := containment.UndoResult{StepID: ap.StepID, Action: act.Undo, Target: t, Changed: rr.changed,
		Before: rr.before, After: rr.after, RequestIDs: rr.requestIDs, At: a.now(), Note: rr.note,
		IdempotencyKey: in.IdempotencyKey}
	activity.GetLogger(ctx).Info("containment undone", "action", res.Action, "target", t.String(),
		"changed", res.Changed, "request_ids", strings.Join(res.RequestIDs, ","))
	return res, nil
}

// result is what a state-setting helper did; apply and undo both use it.
type result struct {
	changed    bool
	before     containment.State
	after      containment.State
	undo       containment.State
	requestIDs []string
	note       string
}

func (rr result) into(r *containment.ApplyResult) {
	r.Changed, r.Before, r.After, r.Undo, r.RequestIDs, r.Note = rr.changed, rr.before, rr.after, rr.undo, rr.requestIDs, rr.note
}

func (rr *result) req(m zendesk.Meta) {
	if m.RequestID != "" {
		rr.requestIDs = append(rr.requestIDs, m.RequestID)
	}
}

func addReq(r *containment.ApplyResult, m zendesk.Meta) {
	if m.RequestID != "" {
		r.RequestIDs = append(r.RequestIDs, m.RequestID)
	}
}

func undoBool(u containment.State, key string) (bool, error) {
	v, ok := u[key].(bool)
	if !ok {
		return false, fmt.Errorf("undo state has no previous %s", key)
	}
	return v, nil
}

func (a *ContainmentActivities) setSuspended(ctx context.Context, key string, id int64, want bool) (result, error) {
	var rr result
	u, m, err := a.Zendesk.GetUser(ctx, id)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.before = containment.State{"suspended": u.Suspended}
	if rr.recovered(ctx, key, func(s containment.State) bool { return s["suspended"] == want }) {
		return rr, nil
	}
	if u.Suspended == want {
		rr.after, rr.note = rr.before, fmt.Sprintf("user already has suspended=%t", want)
		return rr, nil
	}
	markBefore(ctx, key, rr.before)
	u2, m, err := a.Zendesk.SuspendUser(ctx, id, want)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.changed = true
	rr.after = containment.State{"suspended": u2.Suspended}
	rr.undo = containment.State{"suspended": u.Suspended}
	return rr, nil
}

func (a *ContainmentActivities) revokeSessions(ctx context.Context, key string, userID int64, r *containment.ApplyResult) error {
	var ids []int64
	err := zendesk.ListAll(ctx, a.Zendesk.ListUserSessions(userID, zendesk.ListOptions{}), func(p *zendesk.Page[zendesk.Session]) error {
		if p.RequestID != "" {
			r.RequestIDs = append(r.RequestIDs, p.RequestID)
		}
		for _, s := range p.Items {
			ids = append(ids, s.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Before = containment.State{"sessions": len(ids), "session_ids": ids}
	if recoveredApply(ctx, key, r, len(ids) == 0) {
		return nil
	}
	if len(ids) == 0 {
		r.After, r.Note = containment.State{"sessions": 0}, "user has no sessions"
		return nil
	}
	markBefore(ctx, key, r.Before)
	m, err := a.Zendesk.DeleteUserSessions(ctx, userID)
	addReq(r, m)
	if err != nil {
		return err
	}
	r.Changed = true
	r.After = containment.State{"sessions": 0}
	return nil
}

// apiTokenMetadata describes an API token for the record: never token or
// visible_token, which are the secret (reference A4).
func apiTokenMetadata(t *zendesk.APIToken) containment.State {
	s := containment.State{"exists": true, "id": t.ID, "description": t.Description, "active": t.Active,
		"user_id": t.UserID, "created_at": t.CreatedAt, "updated_at": t.UpdatedAt}
	if t.AssignedUserID != nil {
		s["assigned_user_id"] = *t.AssignedUserID
	}
	if t.LastUsed != nil {
		s["last_used"] = *t.LastUsed
	}
	return s
}

func (a *ContainmentActivities) revokeAPIToken(ctx context.Context, key string, id int64, r *containment.ApplyResult) error {
	tok, m, err := a.Zendesk.GetAPIToken(ctx, id)
	addReq(r, m)
	if zendesk.IsNotFound(err) {
		r.Before = containment.State{"exists": false}
		if recoveredApply(ctx, key, r, true) {
			return nil
		}
		r.Before, r.After, r.Note = containment.State{"exists": false}, containment.State{"exists": false}, "token does not exist (already revoked)"
		return nil
	}
	if err != nil {
		return err
	}
	r.Before = apiTokenMetadata(tok)
	markBefore(ctx, key, r.Before)
	m, err = a.Zendesk.DeleteAPIToken(ctx, id)
	addReq(r, m)
	if err != nil && !zendesk.IsNotFound(err) {
		return err
	}
	r.Changed = true
	r.After = containment.State{"exists": false}
	return nil
}

func oauthTokenMetadata(t zendesk.OAuthToken) map[string]any {
	// The 10-character token prefix Zendesk returns is part of the secret: not kept.
	s := map[string]any{"id": t.ID, "client_id": t.ClientID, "user_id": t.UserID, "scopes": t.Scopes, "created_at": t.CreatedAt}
	if t.UsedAt != nil {
		s["used_at"] = *t.UsedAt
	}
	return s
}

// oauthTokensOf lists the OAuth tokens a revoke_oauth_tokens target names: one
// token (none when it is gone), a user's or a client's, adding request ids to r.
func (a *ContainmentActivities) oauthTokensOf(ctx context.Context, t containment.Target, r *containment.ApplyResult) ([]zendesk.OAuthToken, error) {
	var tokens []zendesk.OAuthToken
	switch t.Kind {
	case containment.KindOAuthToken:
		tok, m, err := a.Zendesk.GetOAuthToken(ctx, t.ID)
		addReq(r, m)
		if err != nil && !zendesk.IsNotFound(err) {
			return nil, err
		}
		if err == nil {
			tokens = append(tokens, *tok)
		}
	case containment.KindUser, containment.KindOAuthClient:
		f := zendesk.OAuthTokenFilter{All: true}
		if t.Kind == containment.KindOAuthClient {
			f.ClientID = t.ID
		}
		err := zendesk.ListAll(ctx, a.Zendesk.ListOAuthTokens(f, zendesk.ListOptions{}), func(p *zendesk.Page[zendesk.OAuthToken]) error {
			if p.RequestID != "" {
				r.RequestIDs = append(r.RequestIDs, p.RequestID)
			}
			for _, tok := range p.Items {
				if t.Kind == containment.KindUser && tok.UserID != t.ID {
					continue
				}
				if t.Kind == containment.KindOAuthClient && tok.ClientID != t.ID {
					continue
				}
				tokens = append(tokens, tok)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	default:
		return nil, temporal.NewNonRetryableApplicationError("revoke_oauth_tokens cannot target a "+string(t.Kind), ErrTypeInvalidStep, nil)
	}
	return tokens, nil
}

func (a *ContainmentActivities) revokeOAuthTokens(ctx context.Context, key string, t containment.Target, r *containment.ApplyResult) error {
	tokens, err := a.oauthTokensOf(ctx, t, r)
	if err != nil {
		return err
	}
	meta := make([]map[string]any, len(tokens))
	for i, tok := range tokens {
		meta[i] = oauthTokenMetadata(tok)
	}
	r.Before = containment.State{"tokens": meta}
	if recoveredApply(ctx, key, r, len(tokens) == 0) {
		return nil
	}
	if len(tokens) == 0 {
		r.After, r.Note = containment.State{"tokens": []any{}}, "no OAuth tokens to revoke"
		return nil
	}
	markBefore(ctx, key, r.Before)
	for _, tok := range tokens {
		m, err := a.Zendesk.DeleteOAuthToken(ctx, tok.ID)
		addReq(r, m)
		if err != nil && !zendesk.IsNotFound(err) {
			return err
		}
	}
	r.Changed = true
	r.After = containment.State{"tokens": []any{}}
	return nil
}

// mutationMarker is heartbeated just before every mutation, with the target's state
// as read before it. Zendesk may apply a mutation and still fail to answer (a 5xx or
// a timeout after the change): the retried attempt then finds the target already in
// the wanted state. The marker lets it tell "already so before the incident" (a
// no-op, nothing to undo) from "changed by my earlier attempt" (a change, with the
// true previous state for undo), so rollback undoes exactly what irflow did.
type mutationMarker struct {
	Key    string            `json:"key"`
	Before containment.State `json:"before"`
	// Fingerprint identifies the target's version for mutations whose effect cannot
	// be read back (a new secret or password): if it moved, the mutation landed.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// earlierAttempt returns the marker an earlier attempt of this activity heartbeated
// for key, if any.
func earlierAttempt(ctx context.Context, key string) (mutationMarker, bool) {
	if key == "" || !activity.HasHeartbeatDetails(ctx) {
		return mutationMarker{}, false
	}
	var m mutationMarker
	if err := activity.GetHeartbeatDetails(ctx, &m); err != nil || m.Key != key {
		return mutationMarker{}, false
	}
	return m, true
}

// recovered reports whether the target is in the wanted state because an earlier
// attempt changed it: the marker's before-state was not the wanted one.
func (rr *result) recovered(ctx context.Context, key string, wanted func(containment.State) bool) bool {
	m, ok := earlierAttempt(ctx, key)
	if !ok || m.Before == nil || wanted(m.Before) || !wanted(rr.before) {
		return false
	}
	rr.changed = true
	rr.after = rr.before
	rr.before = m.Before
	rr.undo = m.Before
	rr.note = "applied by an earlier attempt whose answer was lost"
	return true
}

// recoveredApply is recovered for the irreversible actions: done reports whether the
// target is now in the wanted state; if an earlier attempt's marker exists, that
// attempt made the change and the result says so, with the state it saw before.
func recoveredApply(ctx context.Context, key string, r *containment.ApplyResult, done bool) bool {
	m, ok := earlierAttempt(ctx, key)
	if !ok || !done || m.Before == nil {
		return false
	}
	r.Changed, r.After, r.Before = true, r.Before, m.Before
	r.Note = "applied by an earlier attempt whose answer was lost"
	return true
}

func markBefore(ctx context.Context, key string, before containment.State) {
	if key != "" {
		record(ctx, mutationMarker{Key: key, Before: before}, true)
	}
}

func appliedByEarlierAttempt(ctx context.Context, key, fingerprint string) bool {
	m, ok := earlierAttempt(ctx, key)
	return ok && m.Fingerprint != "" && m.Fingerprint != fingerprint
}

func (a *ContainmentActivities) rotateClientSecret(ctx context.Context, id int64, key string, r *containment.ApplyResult) error {
	cl, m, err := a.Zendesk.GetOAuthClient(ctx, id)
	addReq(r, m)
	if err != nil {
		return err
	}
	fp := cl.UpdatedAt.UTC().Format(time.RFC3339Nano)
	r.Before = containment.State{"id": cl.ID, "identifier": cl.Identifier, "name": cl.Name, "updated_at": cl.UpdatedAt}
	if appliedByEarlierAttempt(ctx, key, fp) {
		r.Changed, r.After, r.Note = true, r.Before, "secret rotated by an earlier attempt whose answer was lost"
		return nil
	}
	record(ctx, mutationMarker{Key: key, Fingerprint: fp}, true)
	cl2, m, err := a.Zendesk.GenerateOAuthClientSecret(ctx, id)
	addReq(r, m)
	if err != nil {
		return err
	}
	// cl2.Secret is the new secret: it goes nowhere, not even to the result.
	r.Changed = true
	r.After = containment.State{"id": cl2.ID, "identifier": cl2.Identifier, "updated_at": cl2.UpdatedAt, "secret_rotated": true}
	return nil
}

func (a *ContainmentActivities) setAppEnabled(ctx context.Context, key string, id int64, want bool) (result, error) {
	var rr result
	app, m, err := a.Zendesk.GetAppInstallation(ctx, id)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.before = containment.State{"enabled": app.Enabled, "app_id": app.AppID, "name": app.Name()}
	if rr.recovered(ctx, key, func(s containment.State) bool { return s["enabled"] == want }) {
		return rr, nil
	}
	if app.Enabled == want {
		rr.after, rr.note = rr.before, fmt.Sprintf("app installation already has enabled=%t", want)
		return rr, nil
	}
	markBefore(ctx, key, rr.before)
	app2, m, err := a.Zendesk.SetAppInstallationEnabled(ctx, id, want)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.changed = true
	rr.after = containment.State{"enabled": app2.Enabled, "app_id": app2.AppID, "name": app2.Name()}
	rr.undo = rr.before
	return rr, nil
}

func (a *ContainmentActivities) setWebhookStatus(ctx context.Context, key, id, want string) (result, error) {
	var rr result
	wh, m, err := a.Zendesk.GetWebhook(ctx, id)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.before = containment.State{"status": wh.Status, "name": wh.Name, "endpoint": wh.Endpoint}
	if rr.recovered(ctx, key, func(s containment.State) bool { return s["status"] == want }) {
		return rr, nil
	}
	if wh.Status == want {
		rr.after, rr.note = rr.before, "webhook already "+want
		return rr, nil
	}
	markBefore(ctx, key, rr.before)
	m, err = a.Zendesk.SetWebhookStatus(ctx, id, want)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.changed = true
	rr.after = containment.State{"status": want, "name": wh.Name, "endpoint": wh.Endpoint}
	rr.undo = rr.before
	return rr, nil
}

func (a *ContainmentActivities) setTargetActive(ctx context.Context, key string, id int64, want bool) (result, error) {
	var rr result
	// The client has no single-target GET; targets are few, so list and find.
	var found *zendesk.Target
	err := zendesk.ListAll(ctx, a.Zendesk.ListTargets(zendesk.ListOptions{}), func(p *zendesk.Page[zendesk.Target]) error {
		if p.RequestID != "" {
			rr.requestIDs = append(rr.requestIDs, p.RequestID)
		}
		for i := range p.Items {
			if p.Items[i].ID == id {
				found = &p.Items[i]
			}
		}
		return nil
	})
	if err != nil {
		return rr, err
	}
	if found == nil {
		return rr, temporal.NewNonRetryableApplicationError(fmt.Sprintf("target %d does not exist", id), ErrTypeZendeskRejected, nil)
	}
	rr.before = containment.State{"active": found.Active, "title": found.Title, "type": found.Type}
	if rr.recovered(ctx, key, func(s containment.State) bool { return s["active"] == want }) {
		return rr, nil
	}
	if found.Active == want {
		rr.after, rr.note = rr.before, fmt.Sprintf("target already has active=%t", want)
		return rr, nil
	}
	markBefore(ctx, key, rr.before)
	t2, m, err := a.Zendesk.SetTargetActive(ctx, id, want)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.changed = true
	rr.after = containment.State{"active": t2.Active, "title": t2.Title, "type": t2.Type}
	rr.undo = rr.before
	return rr, nil
}

var roleRank = map[string]int{zendesk.RoleEndUser: 0, zendesk.RoleAgent: 1, zendesk.RoleAdmin: 2}

func roleState(u *zendesk.User) containment.State {
	s := containment.State{"role": u.Role}
	if u.CustomRoleID != nil {
		s["custom_role_id"] = *u.CustomRoleID
	}
	return s
}

// setRole sets a user's role (and custom role). With downgradeOnly it never raises a
// role: downgrading an end-user "to agent" would be an escalation, so it is a no-op.
func (a *ContainmentActivities) setRole(ctx context.Context, key string, id int64, role string, custom int64, hasCustom, downgradeOnly bool) (result, error) {
	var rr result
	u, m, err := a.Zendesk.GetUser(ctx, id)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.before = roleState(u)
	wanted := func(s containment.State) bool {
		c, ok := containment.Int(s, "custom_role_id")
		return s["role"] == role && (!hasCustom || (ok && c == custom))
	}
	if rr.recovered(ctx, key, wanted) {
		return rr, nil
	}
	if wanted(rr.before) {
		rr.after, rr.note = rr.before, "user already has role "+role
		return rr, nil
	}
	if downgradeOnly && roleRank[u.Role] < roleRank[role] {
		rr.after, rr.note = rr.before, fmt.Sprintf("user's role %s is already below %s; not raised", u.Role, role)
		return rr, nil
	}
	markBefore(ctx, key, rr.before)
	upd := zendesk.UserUpdate{Role: &role}
	if hasCustom {
		upd.CustomRoleID = &custom
	}
	u2, m, err := a.Zendesk.UpdateUser(ctx, id, upd)
	rr.req(m)
	if err != nil {
		return rr, err
	}
	rr.changed = true
	rr.after = roleState(u2)
	rr.undo = rr.before
	return rr, nil
}

// findComment reads a ticket's comments and returns the one with id.
func (a *ContainmentActivities) findComment(ctx context.Context, ticketID, commentID int64, r *containment.ApplyResult) (*zendesk.Comment, error) {
	var found *zendesk.Comment
	err := zendesk.ListAll(ctx, a.Zendesk.ListTicketComments(ticketID, zendesk.ListOptions{}), func(p *zendesk.Page[zendesk.Comment]) error {
		if p.RequestID != "" {
			r.RequestIDs = append(r.RequestIDs, p.RequestID)
		}
		for i := range p.Items {
			if p.Items[i].ID == commentID {
				c := p.Items[i]
				found = &c
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("ticket %d has no comment %d", ticketID, commentID), ErrTypeZendeskRejected, nil)
	}
	return found, nil
}

func (a *ContainmentActivities) makeCommentPrivate(ctx context.Context, key string, ticketID, commentID int64, r *containment.ApplyResult) error {
	c, err := a.findComment(ctx, ticketID, commentID, r)
	if err != nil {
		return err
	}
	r.Before = containment.State{"public": c.Public}
	if recoveredApply(ctx, key, r, !c.Public) {
		return nil
	}
	if !c.Public {
		r.After, r.Note = r.Before, "comment is already private"
		return nil
	}
	markBefore(ctx, key, r.Before)
	m, err := a.Zendesk.MakeCommentPrivate(ctx, ticketID, commentID)
	addReq(r, m)
	if err != nil {
		return err
	}
	r.Changed = true
	r.After = containment.State{"public": false}
	return nil
}

// redactComment redacts text from a comment with Agent Workspace redaction (the
// preferred API, reference A11), falling back to the legacy string redaction when the
// text is not found verbatim in the HTML body. The text itself is never recorded:
// only its SHA-256, so the record shows what was redacted without repeating it.
func (a *ContainmentActivities) redactComment(ctx context.Context, key string, ticketID, commentID int64, text string, r *containment.ApplyResult) error {
	c, err := a.findComment(ctx, ticketID, commentID, r)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(text))
	textHash := hex.EncodeToString(sum[:])
	occurrences := strings.Count(c.Body, text)
	if n := strings.Count(c.PlainBody, text); n > occurrences {
		occurrences = n
	}
	escaped := html.EscapeString(text)
	inHTML := strings.Count(c.HTMLBody, escaped)
	if inHTML > occurrences {
		occurrences = inHTML
	}
	r.Before = containment.State{"text_sha256": textHash, "occurrences": occurrences}
	if recoveredApply(ctx, key, r, occurrences == 0) {
		return nil
	}
	if occurrences == 0 {
		r.After, r.Note = r.Before, "text not found in the comment (already redacted)"
		return nil
	}
	markBefore(ctx, key, r.Before)
	var m zendesk.Meta
	if inHTML > 0 {
		_, m, err = a.Zendesk.RedactComment(ctx, ticketID, commentID,
			strings.ReplaceAll(c.HTMLBody, escaped, "<redact>"+escaped+"</redact>"))
	} else {
		_, m, err = a.Zendesk.RedactCommentText(ctx, ticketID, commentID, text)
	}
	addReq(r, m)
	if err != nil {
		return err
	}
	r.Changed = true
	r.After = containment.State{"text_sha256": textHash, "occurrences": 0}
	return nil
}

// setRandomPassword sets a random 32-byte password nobody knows. Zendesk refuses
// (403/422) unless the account lets admins set passwords; that is recorded as a
// no-op with the reason, not a failure: the setting is the subscriber's choice
// (SRM-I.S.2).
func (a *ContainmentActivities) setRandomPassword(ctx context.Context, id int64, key string, r *containment.ApplyResult) error {
	u, m, err := a.Zendesk.GetUser(ctx, id)
	addReq(r, m)
	if err != nil {
		return err
	}
	fp := u.UpdatedAt.UTC().Format(time.RFC3339Nano)
	r.Before = containment.State{"updated_at": u.UpdatedAt}
	if appliedByEarlierAttempt(ctx, key, fp) {
		r.Changed, r.After, r.Note = true, containment.State{"password_set": true}, "password set by an earlier attempt whose answer was lost"
		return nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("generate password: %w", err)
	}
	record(ctx, mutationMarker{Key: key, Fingerprint: fp}, true)
	m, err = a.Zendesk.SetUserPassword(ctx, id, base64.RawURLEncoding.EncodeToString(b[:])+"!Aa1")
	addReq(r, m)
	var ze *zendesk.Error
	if errors.As(err, &ze) && (ze.StatusCode == http.StatusForbidden || ze.StatusCode == http.StatusUnprocessableEntity) {
		r.After = containment.State{"password_set": false}
		// ze.Error(), not ze.Message: a 422's reason is in its per-field details
		// ("Admins cannot set user passwords on this account"), not its message
		// ("Record validation errors").
		r.Note = "Zendesk refused to set the password (is \"admins can set user passwords\" off?): " + ze.Error()
		return nil
	}
	if err != nil {
		return err
	}
	r.Changed = true
	r.After = containment.State{"password_set": true}
	return nil
}

// classify turns an error into a Temporal activity error: Zendesk 4xx answers (the
// request is wrong or forbidden; repeating it cannot help) are non-retryable; 5xx,
// 429 and transport failures are retried, after Retry-After when Zendesk sent one.
func classify(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err // already classified
	}
	var ze *zendesk.Error
	if errors.As(err, &ze) {
		if !ze.Retryable() {
			return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeZendeskRejected, err)
		}
		if ze.RetryAfter > 0 {
			return temporal.NewApplicationErrorWithOptions(err.Error(), "ZendeskRetryable",
				temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: ze.RetryAfter})
		}
	}
	return err
}
