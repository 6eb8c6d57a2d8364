package incident

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Role is what a user may do. Every action of the service needs one of the roles
// the permission table lists for it.
type Role string

// The roles. They do not nest: a commander who also records legal decisions has
// both roles, so that who may waive a legal duty is always an explicit grant.
const (
	RoleViewer    Role = "viewer"    // reads incidents, timelines, obligations
	RoleResponder Role = "responder" // declares, adds notes, facts and evidence
	RoleCommander Role = "commander" // approves, skips and rolls back containment, closes, decides ownership
	RoleLegal     Role = "legal"     // fulfils, pauses, resumes and waives obligations, moves trigger instants
	RoleAdmin     Role = "admin"     // manages users, tokens and settings
)

// Roles lists every role, in order of the least to the most specialised.
var Roles = []Role{RoleViewer, RoleResponder, RoleCommander, RoleLegal, RoleAdmin}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q is not one of viewer, responder, commander, legal, admin", s)
}

// Action names one thing a person can do through the service. Transports never
// check permissions themselves: the service checks Permissions for every action.
type Action string

// The service's actions.
const (
	ActView              Action = "view"
	ActDeclare           Action = "declare"
	ActAddNote           Action = "add_note"
	ActSetFacts          Action = "set_facts"
	ActVerifyEvidence    Action = "verify_evidence"
	ActApproveStep       Action = "approve_step"
	ActSkipStep          Action = "skip_step"
	ActRetryStep         Action = "retry_step"
	ActRollback          Action = "rollback"
	ActClose             Action = "close"
	ActConfirmOwnership  Action = "confirm_ownership"
	ActOverrideOwnership Action = "override_ownership"
	ActSetTrigger        Action = "set_trigger"
	ActFulfil            Action = "fulfil"
	ActPause             Action = "pause"
	ActResume            Action = "resume"
	ActWaive             Action = "waive"
	ActApproveNotice     Action = "approve_notice"
	ActDraftNotice       Action = "draft_notice"
	ActSendNotice        Action = "send_notice"
	ActIntakeEmail       Action = "intake_email"
	ActManageUsers       Action = "manage_users"
	// ActAuthenticate is not in the permission table: anyone may present a token.
	// The audit log records the refused ones (revoked, unknown, disabled user).
	ActAuthenticate Action = "authenticate"
)

// Permissions is the one permission table: the roles allowed to take each action.
// A test walks every service method and fails when its action has no entry.
var Permissions = map[Action][]Role{
	ActView:              {RoleViewer, RoleResponder, RoleCommander, RoleLegal, RoleAdmin},
	ActDeclare:           {RoleResponder, RoleCommander},
	ActAddNote:           {RoleResponder, RoleCommander, RoleLegal},
	ActSetFacts:          {RoleResponder, RoleCommander},
	ActVerifyEvidence:    {RoleResponder, RoleCommander, RoleLegal},
	ActApproveStep:       {RoleCommander},
	ActSkipStep:          {RoleCommander},
	ActRetryStep:         {RoleCommander},
	ActRollback:          {RoleCommander},
	ActClose:             {RoleCommander},
	ActConfirmOwnership:  {RoleCommander},
	ActOverrideOwnership: {RoleCommander},
	// Moving a legal trigger instant moves deadlines: legal's decision.
	ActSetTrigger:    {RoleLegal},
	ActFulfil:        {RoleLegal},
	ActPause:         {RoleLegal},
	ActResume:        {RoleLegal},
	ActWaive:         {RoleLegal},
	ActApproveNotice: {RoleLegal},
	// Drafting and editing a notice's text commits to nothing: approval does.
	ActDraftNotice: {RoleResponder, RoleCommander, RoleLegal},
	// Sending gives the notice the law asks for, with the approved text only.
	ActSendNotice: {RoleLegal, RoleCommander},
	// A mail forwarder posting what arrived (Zendesk's notices) to the intake.
	ActIntakeEmail: {RoleResponder, RoleCommander, RoleAdmin},
	ActManageUsers: {RoleAdmin},
}

// Allowed reports whether any of roles may take action a.
func Allowed(roles []Role, a Action) bool {
	for _, r := range Permissions[a] {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

// Channels through which a person acts.
const (
	ViaAPI    = "api"
	ViaSlack  = "slack"
	ViaWeb    = "web"
	ViaCLI    = "cli"
	ViaSystem = "system"
)

// Actor is who took an action and through which channel, as verified by the
// transport that authenticated them. The service stamps it into every Update, so
// what a request body says about its author is never trusted.
type Actor struct {
	ID      string `json:"id"`
	Display string `json:"display,omitempty"`
	Via     string `json:"via"`
	// ExternalID is the person's own id in the channel they acted through, as
	// that channel verified it: for Slack the Slack user id (U024BE7LH). Empty
	// for channels whose only user id is irflow's (api, web, cli, system).
	ExternalID string `json:"external_id,omitempty"`
}

// String renders the actor for people: "alice (Alice Martin) via api", "alice
// (Alice Martin) via slack U024BE7LH".
func (a Actor) String() string {
	s := a.ID
	if a.Display != "" && a.Display != a.ID {
		s += " (" + a.Display + ")"
	}
	if a.Via != "" {
		s += " via " + a.Via
		if a.ExternalID != "" {
			s += " " + a.ExternalID
		}
	}
	return s
}

// User is a person who may act on incidents.
type User struct {
	ID          string    `json:"id" db:"id"`
	Display     string    `json:"display" db:"display"`
	Email       string    `json:"email" db:"email"`
	SlackUserID string    `json:"slack_user_id,omitempty" db:"slack_user_id"`
	Roles       []Role    `json:"roles" db:"-"`
	Disabled    bool      `json:"disabled" db:"disabled"`
	CreatedAt   time.Time `json:"created_at" db:"created_at"`
}

// HasRole reports whether the user has role r.
func (u User) HasRole(r Role) bool { return slices.Contains(u.Roles, r) }

// Identity is an authenticated user acting through a channel.
type Identity struct {
	User User
	Via  string
	// ExternalID is the user's id in the channel Via, as the channel verified it
	// (the Slack user id of a signed Slack request); see Actor.ExternalID.
	ExternalID string
}

// Actor is the identity as stamped into an Update.
func (i Identity) Actor() Actor {
	return Actor{ID: i.User.ID, Display: i.User.Display, Via: i.Via, ExternalID: i.ExternalID}
}

type identityKey struct{}

// WithIdentity returns ctx carrying the authenticated identity; transports call it
// once they have verified who sent a request.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity a transport verified, if any.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// APIToken is a user's API token as the store keeps it: never the token itself,
// only its SHA-256.
type APIToken struct {
	ID         string     `json:"id" db:"id"`
	UserID     string     `json:"user_id" db:"user_id"`
	Name       string     `json:"name" db:"name"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" db:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty" db:"revoked_at"`
}

// AuditEntry is one authorization decision: who asked to do what, when, and
// whether it was allowed. Refusals are recorded as carefully as grants.
type AuditEntry struct {
	Seq     int64     `json:"seq" db:"seq"`
	At      time.Time `json:"at" db:"at"`
	ActorID string    `json:"actor_id" db:"actor_id"`
	Via     string    `json:"via" db:"via"`
	// ExternalID is the actor's own id in the channel Via (the Slack user id);
	// empty for channels without one. See Actor.ExternalID.
	ExternalID string `json:"external_id,omitempty" db:"external_id"`
	Action     Action `json:"action" db:"action"`
	IncidentID string `json:"incident_id,omitempty" db:"incident_id"`
	Target     string `json:"target,omitempty" db:"target"`
	Allowed    bool   `json:"allowed" db:"allowed"`
	Reason     string `json:"reason,omitempty" db:"reason"`
}

// UserStore keeps users, their API tokens and the audit log. Like Store, a second
// implementation runs the same contract tests.
type UserStore interface {
	// CreateUser adds a user; ECONFLICT when the id is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns a user by id; ENOTFOUND when there is none.
	GetUser(ctx context.Context, id string) (User, error)
	// ListUsers returns every user, by id.
	ListUsers(ctx context.Context) ([]User, error)
	// UserBySlackID returns the user linked to a Slack user id; ENOTFOUND when
	// none is (or id is empty). Slack maps its users to irflow's with it.
	UserBySlackID(ctx context.Context, slackUserID string) (User, error)
	// UserByEmail returns the user with email, compared without regard to case
	// (ASCII letters at least; the lowest id when several share it); ENOTFOUND when
	// none has it (or email is empty).
	UserByEmail(ctx context.Context, email string) (User, error)
	// SetRoles replaces a user's roles.
	SetRoles(ctx context.Context, id string, roles []Role) error
	// SetDisabled disables or re-enables a user; a disabled user's tokens fail.
	SetDisabled(ctx context.Context, id string, disabled bool) error
	// CreateToken stores a new token's hash for a user.
	CreateToken(ctx context.Context, t APIToken, sha256Hex string) error
	// TokenUser returns the user a token hash belongs to and records its use;
	// EUNAUTHORIZED for an unknown or revoked token or a disabled user. With a
	// refused token the store knows (revoked, or its user disabled), the APIToken
	// is still returned, so that the refusal can be audited under its user.
	TokenUser(ctx context.Context, sha256Hex string) (User, APIToken, error)
	// ListTokens returns a user's tokens, newest first.
	ListTokens(ctx context.Context, userID string) ([]APIToken, error)
	// RevokeToken revokes a token by id; ENOTFOUND when there is none.
	RevokeToken(ctx context.Context, id string) error
	// RecordAudit appends an authorization decision.
	RecordAudit(ctx context.Context, e AuditEntry) error
	// AuditLog returns the last limit decisions, newest first.
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
	// SetPasswordHash stores the hash of a user's web sign-in password (argon2id in
	// the PHC string format; never the password itself); "" removes it, so the
	// user can sign in only through the identity provider. ENOTFOUND for an
	// unknown user.
	SetPasswordHash(ctx context.Context, id, hash string) error
	// PasswordHash returns a user's password hash, "" when none is set; ENOTFOUND
	// for an unknown user.
	PasswordHash(ctx context.Context, id string) (string, error)
}

// Forbidden is the error for an action the identity's roles do not allow; it names
// the roles that would.
func Forbidden(id Identity, a Action) *Error {
	var need []string
	for _, r := range Permissions[a] {
		need = append(need, string(r))
	}
	var have []string
	for _, r := range id.User.Roles {
		have = append(have, string(r))
	}
	if len(have) == 0 {
		have = []string{"no role"}
	}
	return Errorf(EFORBIDDEN, "%s may not %s: it needs the role %s (%s has %s)",
		id.User.ID, a, strings.Join(need, " or "), id.User.ID, strings.Join(have, ", "))
}

// ValidUserID checks a user id: lowercase letters, digits, dot, dash and
// underscore, 1 to 64 characters, so it is safe in logs, URLs and the timeline.
func ValidUserID(id string) error {
	if id == "" || len(id) > 64 {
		return Errorf(EINVALID, "user id %q must be 1 to 64 characters", id)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return Errorf(EINVALID, "user id %q: use lowercase letters, digits, '.', '-' and '_' only", id)
		}
	}
	return nil
}
