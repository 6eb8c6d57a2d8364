// Package containment is the catalogue of containment actions irflow can take in a
// subscriber's Zendesk instance, and the pure rules around them: which parameters a
// playbook step may pass, which objects a step acts on, whether an action can be undone
// and therefore whether it needs a human's approval.
//
// Containment in the subscriber's own instance is the subscriber's duty when the cause
// is access control, monitoring, user content or a chosen integration (SRM-VI.S.1,
// causes SRM-VI.S.i to SRM-VI.S.iv). The package does no I/O: activities act, this
// package decides.
package containment

import (
	"fmt"
	"sort"
	"strings"
)

// ParamType is the type a step parameter must have.
type ParamType string

// Parameter types. Integers accept any integral JSON or YAML number (Zendesk ids are
// below 2^53, so a float64 from a JSON round trip is exact).
const (
	TypeInteger ParamType = "integer"
	TypeString  ParamType = "string"
)

// TargetKind names the kind of Zendesk object an action acts on.
type TargetKind string

// Target kinds, one per kind of Zendesk object containment touches.
const (
	KindUser            TargetKind = "user"
	KindAPIToken        TargetKind = "api_token"
	KindOAuthToken      TargetKind = "oauth_token"
	KindOAuthClient     TargetKind = "oauth_client"
	KindAppInstallation TargetKind = "app_installation"
	KindWebhook         TargetKind = "webhook"
	KindTarget          TargetKind = "target"
	KindComment         TargetKind = "comment"
)

// Action names. They are the contract between playbooks, the workflow and the
// activities: a playbook step's `action` field must be one of these.
const (
	SuspendUser             = "suspend_user"
	UnsuspendUser           = "unsuspend_user"
	RevokeSessions          = "revoke_sessions"
	RevokeAPIToken          = "revoke_api_token"
	RevokeOAuthTokens       = "revoke_oauth_tokens"
	RotateOAuthClientSecret = "rotate_oauth_client_secret"
	DisableApp              = "disable_app"
	EnableApp               = "enable_app"
	DeactivateWebhook       = "deactivate_webhook"
	ReactivateWebhook       = "reactivate_webhook"
	DeactivateTarget        = "deactivate_target"
	ReactivateTarget        = "reactivate_target"
	DowngradeRole           = "downgrade_role"
	RestoreRole             = "restore_role"
	MakeCommentPrivate      = "make_comment_private"
	RedactComment           = "redact_comment"
	SetRandomPassword       = "set_random_password"
)

// ParamSpec describes one parameter of an action.
type ParamSpec struct {
	Name     string    `json:"name"`
	Type     ParamType `json:"type"`
	Required bool      `json:"required"`
	// Enum, when set, lists the only values a string parameter may take.
	Enum []string `json:"enum,omitempty"`
	// Default is the value used when the parameter is absent (documentation; the
	// activities apply it).
	Default any `json:"default,omitempty"`
	// Target is set on parameters that name the object acted on.
	Target TargetKind `json:"target,omitempty"`
	// Facts is the facts-document field the target comes from when the parameter is
	// absent, for example "zendesk.users". Empty: the parameter is the only source.
	Facts string `json:"facts,omitempty"`
	// Of is, for actions that can act on several kinds of object, the value of the
	// action's "of" parameter that selects this target parameter's facts field.
	Of          string `json:"of,omitempty"`
	Description string `json:"description"`
}

// Action describes one containment action: what it does, what it takes, whether it
// can be undone and which clause of the shared responsibility model it serves.
type Action struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Params      []ParamSpec `json:"params"`
	// Reversible is true when Undo restores the state the action changed. An action
	// that is not reversible always needs a human's approval (see RequiresApproval).
	Reversible bool `json:"reversible"`
	// Undo is the action that reverses this one, with the state recorded when this
	// one was applied (for example the previous role). Empty when not reversible.
	Undo string `json:"undo,omitempty"`
	// Irreversibility says, for an action that cannot be undone, what is lost.
	Irreversibility string `json:"irreversibility,omitempty"`
	// SRM lists the shared-responsibility-model clauses the action serves.
	SRM []string `json:"srm"`
}

// userParam is the user_id parameter shared by every action on one user.
func userParam(desc string) ParamSpec {
	return ParamSpec{Name: "user_id", Type: TypeInteger, Target: KindUser, Facts: "zendesk.users", Description: desc}
}

var ticketParam = ParamSpec{Name: "ticket_id", Type: TypeInteger, Required: true,
	Description: "Ticket that holds the comment."}
var commentParam = ParamSpec{Name: "comment_id", Type: TypeInteger, Required: true, Target: KindComment,
	Description: "Ticket comment to act on."}

// catalogue is the one table of containment actions. Every other function in the
// package reads it; adding an action means adding a row here and a case in the
// activities' dispatch.
var catalogue = []Action{
	{
		Name:        SuspendUser,
		Description: "Suspend a Zendesk user so they can no longer sign in or use the API as that user.",
		Params:      []ParamSpec{userParam("User to suspend; default every user in facts zendesk.users.")},
		Reversible:  true, Undo: UnsuspendUser,
		SRM: []string{"SRM-VI.S.i", "SRM-I.S.1"},
	},
	{
		Name:        UnsuspendUser,
		Description: "Lift the suspension of a Zendesk user.",
		Params:      []ParamSpec{userParam("User to unsuspend; default every user in facts zendesk.users.")},
		Reversible:  true, Undo: SuspendUser,
		SRM: []string{"SRM-I.S.1"},
	},
	{
		Name:            RevokeSessions,
		Description:     "Sign a user out everywhere by deleting all of their sessions.",
		Params:          []ParamSpec{userParam("User whose sessions to delete; default every user in facts zendesk.users.")},
		Irreversibility: "deleted sessions cannot be restored; the user has to sign in again",
		SRM:             []string{"SRM-VI.S.i", "SRM-I.S.3"},
	},
	{
		Name:        RevokeAPIToken,
		Description: "Delete an API token. Its metadata (id, description, owner, dates) is recorded, never the token itself.",
		Params: []ParamSpec{{Name: "token_id", Type: TypeInteger, Target: KindAPIToken, Facts: "zendesk.api_tokens",
			Description: "API token to delete; default every token in facts zendesk.api_tokens."}},
		Irreversibility: "a deleted API token cannot be restored; integrations using it need a new token",
		SRM:             []string{"SRM-VI.S.i", "SRM-I.S.5"},
	},
	{
		Name: RevokeOAuthTokens,
		Description: "Revoke OAuth access tokens: one token, every token of a user, or every token issued to an OAuth client. " +
			`Without an explicit id, "of" picks the facts list (default: tokens in zendesk.oauth_tokens).`,
		Params: []ParamSpec{
			{Name: "of", Type: TypeString, Enum: []string{"token", "user", "client"}, Default: "token",
				Description: "Which facts list to take targets from when no id parameter is given."},
			{Name: "token_id", Type: TypeInteger, Target: KindOAuthToken, Facts: "zendesk.oauth_tokens", Of: "token",
				Description: "One OAuth token to revoke."},
			{Name: "user_id", Type: TypeInteger, Target: KindUser, Facts: "zendesk.users", Of: "user",
				Description: "Revoke every OAuth token of this user."},
			{Name: "client_id", Type: TypeInteger, Target: KindOAuthClient, Facts: "zendesk.oauth_clients", Of: "client",
				Description: "Revoke every OAuth token issued to this client."},
		},
		Irreversibility: "revoked tokens cannot be restored; the integration must be authorised again",
		SRM:             []string{"SRM-VI.S.i", "SRM-VI.S.iv", "SRM-I.S.5"},
	},
	{
		Name:        RotateOAuthClientSecret,
		Description: "Generate a new secret for an OAuth client so a leaked client secret stops working. The new secret is never recorded.",
		Params: []ParamSpec{{Name: "client_id", Type: TypeInteger, Target: KindOAuthClient, Facts: "zendesk.oauth_clients",
			Description: "OAuth client; default every client in facts zendesk.oauth_clients."}},
		Irreversibility: "the old secret cannot be restored; the integration must be given the new one",
		SRM:             []string{"SRM-VI.S.iv", "SRM-I.S.5"},
	},
	{
		Name:        DisableApp,
		Description: "Disable an app installation (Marketplace or private app) without uninstalling it.",
		Params: []ParamSpec{{Name: "installation_id", Type: TypeInteger, Target: KindAppInstallation, Facts: "zendesk.app_installations",
			Description: "App installation; default every installation in facts zendesk.app_installations."}},
		Reversible: true, Undo: EnableApp,
		SRM: []string{"SRM-VI.S.iv", "SRM-II.S.2"},
	},
	{
		Name:        EnableApp,
		Description: "Enable an app installation again.",
		Params: []ParamSpec{{Name: "installation_id", Type: TypeInteger, Target: KindAppInstallation, Facts: "zendesk.app_installations",
			Description: "App installation; default every installation in facts zendesk.app_installations."}},
		Reversible: true, Undo: DisableApp,
		SRM: []string{"SRM-II.S.2"},
	},
	{
		Name:        DeactivateWebhook,
		Description: "Set a webhook's status to inactive so it stops sending data out of the instance.",
		Params: []ParamSpec{{Name: "webhook_id", Type: TypeString, Target: KindWebhook, Facts: "zendesk.webhooks",
			Description: "Webhook id (a string); default every webhook in facts zendesk.webhooks."}},
		Reversible: true, Undo: ReactivateWebhook,
		SRM: []string{"SRM-VI.S.iv", "SRM-II.S.1"},
	},
	{
		Name:        ReactivateWebhook,
		Description: "Set a webhook's status back to active.",
		Params: []ParamSpec{{Name: "webhook_id", Type: TypeString, Target: KindWebhook, Facts: "zendesk.webhooks",
			Description: "Webhook id (a string); default every webhook in facts zendesk.webhooks."}},
		Reversible: true, Undo: DeactivateWebhook,
		SRM: []string{"SRM-II.S.1"},
	},
	{
		Name:        DeactivateTarget,
		Description: "Deactivate a legacy HTTP or email target so triggers stop sending to it.",
		Params: []ParamSpec{{Name: "target_id", Type: TypeInteger, Required: true, Target: KindTarget,
			Description: "Target id (the facts document has no targets list, so it is required)."}},
		Reversible: true, Undo: ReactivateTarget,
		SRM: []string{"SRM-VI.S.iv", "SRM-II.S.1"},
	},
	{
		Name:        ReactivateTarget,
		Description: "Activate a legacy target again (the undo of deactivate_target).",
		Params: []ParamSpec{{Name: "target_id", Type: TypeInteger, Required: true, Target: KindTarget,
			Description: "Target id."}},
		Reversible: true, Undo: DeactivateTarget,
		SRM: []string{"SRM-II.S.1"},
	},
	{
		Name:        DowngradeRole,
		Description: "Downgrade an agent or admin to a lesser role; the previous role is recorded so restore_role can put it back.",
		Params: []ParamSpec{
			userParam("User to downgrade; default every user in facts zendesk.users."),
			{Name: "role", Type: TypeString, Enum: []string{"end-user", "agent"}, Default: "end-user",
				Description: "Role to downgrade to."},
			{Name: "custom_role_id", Type: TypeInteger,
				Description: "Enterprise custom role to downgrade to (with role agent)."},
		},
		Reversible: true, Undo: RestoreRole,
		SRM: []string{"SRM-VI.S.i", "SRM-I.S.1"},
	},
	{
		Name: RestoreRole,
		Description: "Put a user's role back. As an undo it uses the role recorded by downgrade_role; " +
			"as a playbook step it sets the given role.",
		Params: []ParamSpec{
			userParam("User; default every user in facts zendesk.users."),
			{Name: "role", Type: TypeString, Required: true, Enum: []string{"end-user", "agent", "admin"},
				Description: "Role to set."},
			{Name: "custom_role_id", Type: TypeInteger, Description: "Enterprise custom role to set."},
		},
		Reversible: true, Undo: DowngradeRole,
		SRM: []string{"SRM-I.S.1"},
	},
	{
		Name: MakeCommentPrivate,
		Description: "Make a public ticket comment private (internal note), for example a phishing link or " +
			"leaked data shown to the requester.",
		Params:          []ParamSpec{ticketParam, commentParam},
		Irreversibility: "Zendesk has no API to make a private comment public again",
		SRM:             []string{"SRM-VI.S.iii", "SRM-IV.S.2"},
	},
	{
		Name:        RedactComment,
		Description: "Permanently redact a string from a ticket comment (credentials or personal data pasted into a ticket).",
		Params: []ParamSpec{ticketParam, commentParam,
			{Name: "text", Type: TypeString, Required: true, Description: "Exact text to redact from the comment."}},
		Irreversibility: "redacted text is destroyed; the original is kept only in the evidence collected before",
		SRM:             []string{"SRM-VI.S.iii", "SRM-III.S.2"},
	},
	{
		Name: SetRandomPassword,
		Description: "Set a long random password the attacker does not know, where the account lets admins set " +
			"passwords (security setting admins_can_set_user_passwords). The password is never recorded.",
		Params:          []ParamSpec{userParam("User; default every user in facts zendesk.users.")},
		Irreversibility: "the previous password cannot be restored; the user resets their password",
		SRM:             []string{"SRM-VI.S.i", "SRM-I.S.2"},
	},
}

var byName = func() map[string]*Action {
	m := make(map[string]*Action, len(catalogue))
	for i := range catalogue {
		m[catalogue[i].Name] = &catalogue[i]
	}
	return m
}()

// Lookup returns the catalogue entry of an action.
func Lookup(action string) (Action, bool) {
	a, ok := byName[action]
	if !ok {
		return Action{}, false
	}
	return *a, true
}

// Names returns every action name, sorted.
func Names() []string {
	names := make([]string, 0, len(catalogue))
	for _, a := range catalogue {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	return names
}

// Actions returns a copy of the whole catalogue, sorted by name.
func Actions() []Action {
	out := make([]Action, len(catalogue))
	copy(out, catalogue)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// RequiresApproval reports whether a step running action must wait for a human's
// approval whatever the playbook says. Every action that cannot be undone does: the
// engine never takes, on its own, a step that rollback could not take back. Unknown
// actions require approval too, so a mistake fails safe.
func RequiresApproval(action string) bool {
	a, ok := byName[action]
	return !ok || !a.Reversible
}

// Describe renders the catalogue as Markdown, for docs and `--help` texts.
func Describe() string {
	var b strings.Builder
	b.WriteString("| action | reversible (undo) | targets | params | SRM |\n|---|---|---|---|---|\n")
	for _, a := range Actions() {
		rev := "no, needs approval"
		if a.Reversible {
			rev = "yes (" + a.Undo + ")"
		}
		var targets, params []string
		for _, p := range a.Params {
			s := p.Name + " " + string(p.Type)
			if p.Required {
				s += ", required"
			}
			if len(p.Enum) > 0 {
				s += " (" + strings.Join(p.Enum, "|") + ")"
			}
			params = append(params, s)
			if p.Target != "" {
				t := "params." + p.Name
				if p.Facts != "" {
					t += " or facts " + p.Facts
				}
				targets = append(targets, t)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", a.Name, rev,
			strings.Join(targets, "; "), strings.Join(params, "; "), strings.Join(a.SRM, ", "))
	}
	b.WriteString("\n")
	for _, a := range Actions() {
		fmt.Fprintf(&b, "- `%s`: %s", a.Name, a.Description)
		if a.Irreversibility != "" {
			fmt.Fprintf(&b, " Irreversible: %s.", a.Irreversibility)
		}
		b.WriteString("\n")
	}
	return b.String()
}
