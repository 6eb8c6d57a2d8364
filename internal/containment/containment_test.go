package containment

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
)

func TestCatalogueIsConsistent(t *testing.T) {
	want := []string{"suspend_user", "unsuspend_user", "revoke_sessions", "revoke_api_token",
		"revoke_oauth_tokens", "rotate_oauth_client_secret", "disable_app", "enable_app",
		"deactivate_webhook", "reactivate_webhook", "deactivate_target", "downgrade_role",
		"restore_role", "make_comment_private", "redact_comment", "set_random_password"}
	for _, name := range want {
		if _, ok := Lookup(name); !ok {
			t.Errorf("issue action %s missing from the catalogue", name)
		}
	}
	seen := map[string]bool{}
	for _, a := range catalogue {
		if seen[a.Name] {
			t.Errorf("%s: duplicate", a.Name)
		}
		seen[a.Name] = true
		if a.Description == "" || len(a.SRM) == 0 {
			t.Errorf("%s: needs a description and an SRM clause", a.Name)
		}
		for _, c := range a.SRM {
			if !strings.HasPrefix(c, "SRM-") {
				t.Errorf("%s: SRM clause %q", a.Name, c)
			}
		}
		if a.Reversible {
			u, ok := Lookup(a.Undo)
			if !ok {
				t.Errorf("%s: undo %q is not an action", a.Name, a.Undo)
			} else if u.Undo != a.Name {
				t.Errorf("%s: undo %s does not undo back (%s)", a.Name, a.Undo, u.Undo)
			}
			if a.Irreversibility != "" {
				t.Errorf("%s: reversible but says what is lost", a.Name)
			}
		} else if a.Undo != "" || a.Irreversibility == "" {
			t.Errorf("%s: irreversible needs no undo and an irreversibility note", a.Name)
		}
		for _, p := range a.Params {
			if p.Facts != "" && len(factsTargets(p, facts.ZendeskScope{
				Users: []int64{1}, APITokens: []int64{1}, OAuthTokens: []int64{1}, OAuthClients: []int64{1},
				AppInstallations: []int64{1}, Webhooks: []string{"w"}})) != 1 {
				t.Errorf("%s.%s: facts field %s is not resolved", a.Name, p.Name, p.Facts)
			}
		}
	}
}

func TestRequiresApproval(t *testing.T) {
	tests := map[string]bool{
		SuspendUser: false, UnsuspendUser: false, DisableApp: false, DeactivateWebhook: false,
		DowngradeRole: false, RestoreRole: false, DeactivateTarget: false,
		RevokeAPIToken: true, RedactComment: true, RevokeSessions: true, RevokeOAuthTokens: true,
		RotateOAuthClientSecret: true, MakeCommentPrivate: true, SetRandomPassword: true,
		"no_such_action": true,
	}
	for action, want := range tests {
		if got := RequiresApproval(action); got != want {
			t.Errorf("RequiresApproval(%s) = %v, want %v", action, got, want)
		}
	}
}

func TestValidateStep(t *testing.T) {
	tests := []struct {
		name    string
		action  string
		params  map[string]any
		wantErr string // substring; empty means valid
	}{
		{"no params uses facts", SuspendUser, nil, ""},
		{"explicit int user", SuspendUser, map[string]any{"user_id": 35436}, ""},
		{"float64 from JSON", SuspendUser, map[string]any{"user_id": float64(35436)}, ""},
		{"json.Number", SuspendUser, map[string]any{"user_id": json.Number("35436")}, ""},
		{"unknown action lists known", "nuke_account", nil, "unknown containment action \"nuke_account\" (known: deactivate_target,"},
		{"unknown param", SuspendUser, map[string]any{"user": 1}, "params.user: unknown parameter for suspend_user (allowed: user_id)"},
		{"string id", SuspendUser, map[string]any{"user_id": "35436"}, "params.user_id: want an integer, got string \"35436\""},
		{"fractional id", SuspendUser, map[string]any{"user_id": 1.5}, "params.user_id: want an integer, got 1.5"},
		{"negative id", RevokeAPIToken, map[string]any{"token_id": -3}, "params.token_id: want a positive Zendesk id, got -3"},
		{"webhook id must be string", DeactivateWebhook, map[string]any{"webhook_id": 12}, "params.webhook_id: want a string, got int"},
		{"webhook id string", DeactivateWebhook, map[string]any{"webhook_id": "01GZ"}, ""},
		{"target required", DeactivateTarget, nil, "params.target_id: required by deactivate_target"},
		{"redact missing two", RedactComment, map[string]any{"ticket_id": 1}, "params.comment_id: required by redact_comment\nparams.text: required by redact_comment"},
		{"redact ok", RedactComment, map[string]any{"ticket_id": 1, "comment_id": 2, "text": "4111"}, ""},
		{"role enum", DowngradeRole, map[string]any{"role": "admin"}, "params.role: \"admin\" is not one of end-user, agent"},
		{"restore role required", RestoreRole, map[string]any{"user_id": 1}, "params.role: required by restore_role"},
		{"empty string", RedactComment, map[string]any{"ticket_id": 1, "comment_id": 2, "text": ""}, "params.text: must not be empty"},
		{"oauth by client", RevokeOAuthTokens, map[string]any{"client_id": 9}, ""},
		{"oauth two kinds", RevokeOAuthTokens, map[string]any{"client_id": 9, "user_id": 3}, "revoke_oauth_tokens takes one of token_id, user_id, client_id, got user_id and client_id"},
		{"oauth of contradicts", RevokeOAuthTokens, map[string]any{"of": "user", "client_id": 9}, "params.of: \"user\" contradicts params.client_id"},
		{"oauth of bad", RevokeOAuthTokens, map[string]any{"of": "app"}, "params.of: \"app\" is not one of token, user, client"},
		{"null param", SuspendUser, map[string]any{"user_id": nil}, "params.user_id: want an integer, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateStep(tt.action, tt.params)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidateStepDefIrreversibleNeedsApproval(t *testing.T) {
	err := ValidateStepDef(Step{ID: "kill-token", Action: RevokeAPIToken})
	if err == nil || !strings.Contains(err.Error(), `step "kill-token": needs_approval: revoke_api_token is irreversible`) {
		t.Fatalf("got %v", err)
	}
	if err := ValidateStepDef(Step{ID: "kill-token", Action: RevokeAPIToken, NeedsApproval: true}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateStepDef(Step{ID: "s", Action: SuspendUser}); err != nil {
		t.Fatal(err)
	}
}

func TestTargets(t *testing.T) {
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	doc := facts.Document{Version: 1, Zendesk: facts.ZendeskScope{
		Users: []int64{35436, 35437, 35436}, APITokens: []int64{201}, OAuthTokens: []int64{7},
		OAuthClients: []int64{70}, Webhooks: []string{"01HW", "01HX"}, Window: &facts.Window{From: &from},
	}}
	tests := []struct {
		name    string
		step    Step
		doc     facts.Document
		want    []Target
		wantErr string
	}{
		{"users from facts, deduped", Step{ID: "s", Action: SuspendUser}, doc,
			[]Target{{Kind: KindUser, ID: 35436}, {Kind: KindUser, ID: 35437}}, ""},
		{"explicit user wins", Step{ID: "s", Action: SuspendUser, Params: map[string]any{"user_id": 9}}, doc,
			[]Target{{Kind: KindUser, ID: 9}}, ""},
		{"api tokens", Step{ID: "t", Action: RevokeAPIToken}, doc, []Target{{Kind: KindAPIToken, ID: 201}}, ""},
		{"oauth default tokens", Step{ID: "o", Action: RevokeOAuthTokens}, doc, []Target{{Kind: KindOAuthToken, ID: 7}}, ""},
		{"oauth of client", Step{ID: "o", Action: RevokeOAuthTokens, Params: map[string]any{"of": "client"}}, doc,
			[]Target{{Kind: KindOAuthClient, ID: 70}}, ""},
		{"oauth of user", Step{ID: "o", Action: RevokeOAuthTokens, Params: map[string]any{"of": "user"}}, doc,
			[]Target{{Kind: KindUser, ID: 35436}, {Kind: KindUser, ID: 35437}}, ""},
		{"webhooks", Step{ID: "w", Action: DeactivateWebhook}, doc,
			[]Target{{Kind: KindWebhook, WebhookID: "01HW"}, {Kind: KindWebhook, WebhookID: "01HX"}}, ""},
		{"comment carries ticket", Step{ID: "c", Action: MakeCommentPrivate, Params: map[string]any{"ticket_id": 666, "comment_id": 5}}, doc,
			[]Target{{Kind: KindComment, ID: 5, TicketID: 666}}, ""},
		{"target explicit", Step{ID: "x", Action: DeactivateTarget, Params: map[string]any{"target_id": 3}}, doc,
			[]Target{{Kind: KindTarget, ID: 3}}, ""},
		{"empty facts", Step{ID: "a", Action: DisableApp}, doc, nil,
			`step "a": disable_app has no target: params.installation_id is not set and facts zendesk.app_installations is empty`},
		{"invalid step", Step{ID: "b", Action: "bogus"}, doc, nil, `step "b": unknown containment action "bogus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Targets(tt.step, tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTargetStringAndKey(t *testing.T) {
	tests := []struct {
		t        Target
		str, key string
	}{
		{Target{Kind: KindUser, ID: 1}, "user 1", "user:1"},
		{Target{Kind: KindAppInstallation, ID: 2}, "app installation 2", "app_installation:2"},
		{Target{Kind: KindWebhook, WebhookID: "01H"}, "webhook 01H", "webhook:01H"},
		{Target{Kind: KindComment, ID: 5, TicketID: 6}, "comment 5 on ticket 6", "comment:6:5"},
	}
	for _, tt := range tests {
		if tt.t.String() != tt.str || tt.t.Key() != tt.key {
			t.Errorf("%+v: got %q %q", tt.t, tt.t.String(), tt.t.Key())
		}
	}
}

func TestDescribeNamesEveryAction(t *testing.T) {
	d := Describe()
	for _, n := range Names() {
		if !strings.Contains(d, "`"+n+"`") {
			t.Errorf("Describe misses %s", n)
		}
	}
	if !strings.Contains(d, "params.user_id or facts zendesk.users") {
		t.Error("Describe does not say where targets come from")
	}
}

func TestIntParam(t *testing.T) {
	p := map[string]any{"a": 3, "b": float64(4), "c": "x"}
	if n, ok := Int(p, "a"); !ok || n != 3 {
		t.Error("a")
	}
	if n, ok := Int(p, "b"); !ok || n != 4 {
		t.Error("b")
	}
	if _, ok := Int(p, "c"); ok {
		t.Error("c")
	}
	if _, ok := Int(p, "d"); ok {
		t.Error("d")
	}
}
