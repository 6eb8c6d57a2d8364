package zdsim

import (
	"encoding/json"
	"time"
)

// The wire structs below are the simulator's own, written from the reference
// (shared/reference/external-apis.md) rather than shared with internal/zendesk, so a
// wrong JSON tag in the client cannot be mirrored here and hidden by the tests.

type user struct {
	ID                   int64          `json:"id"`
	URL                  string         `json:"url"`
	Name                 string         `json:"name"`
	Email                string         `json:"email"`
	Role                 string         `json:"role"`
	RoleType             *int           `json:"role_type"`
	CustomRoleID         *int64         `json:"custom_role_id"`
	Active               bool           `json:"active"`
	Suspended            bool           `json:"suspended"`
	Verified             bool           `json:"verified"`
	OrganizationID       *int64         `json:"organization_id"`
	DefaultGroupID       *int64         `json:"default_group_id"`
	Phone                *string        `json:"phone"`
	TimeZone             string         `json:"time_zone"`
	IANATimeZone         string         `json:"iana_time_zone"`
	Locale               string         `json:"locale"`
	LocaleID             int            `json:"locale_id"`
	Tags                 []string       `json:"tags"`
	TwoFactorAuthEnabled bool           `json:"two_factor_auth_enabled"`
	RestrictedAgent      bool           `json:"restricted_agent"`
	Moderator            bool           `json:"moderator"`
	OnlyPrivateComments  bool           `json:"only_private_comments"`
	TicketRestriction    *string        `json:"ticket_restriction"`
	Shared               bool           `json:"shared"`
	SharedAgent          bool           `json:"shared_agent"`
	ExternalID           *string        `json:"external_id"`
	Alias                string         `json:"alias"`
	Details              string         `json:"details"`
	Notes                string         `json:"notes"`
	Signature            string         `json:"signature"`
	UserFields           map[string]any `json:"user_fields"`
	CreatedAt            time.Time      `json:"created_at"`
	UpdatedAt            time.Time      `json:"updated_at"`
	LastLoginAt          *time.Time     `json:"last_login_at"`

	password string
	owner    bool
}

type organization struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Name      string    `json:"name"`
	Domains   []string  `json:"domain_names"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type session struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"user_id"`
	URL             string    `json:"url"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	LastSeenAt      time.Time `json:"last_seen_at"`
}

type apiToken struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	UserID       int64      `json:"user_id"`
	Description  string     `json:"description"`
	Active       bool       `json:"active"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	LastUsed     *time.Time `json:"last_used"`
	VisibleToken string     `json:"visible_token"`
	Token        string     `json:"token"`
}

type oauthClient struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Name        string    `json:"name"`
	Identifier  string    `json:"identifier"`
	Kind        string    `json:"kind"`
	Company     string    `json:"company"`
	Description string    `json:"description"`
	UserID      int64     `json:"user_id"`
	RedirectURI []string  `json:"redirect_uri"`
	Secret      string    `json:"secret,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type oauthToken struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	Token        string     `json:"token"` // rendered as the 10-character prefix
	ClientID     int64      `json:"client_id"`
	UserID       int64      `json:"user_id"`
	Scopes       []string   `json:"scopes"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	UsedAt       *time.Time `json:"used_at"`
	RefreshToken *string    `json:"refresh_token"`

	full string
}

type installation struct {
	AppID                     int64          `json:"app_id"`
	Collapsible               bool           `json:"collapsible"`
	CreatedAt                 time.Time      `json:"created_at"`
	Enabled                   bool           `json:"enabled"`
	GroupRestrictions         []int64        `json:"group_restrictions"`
	HasIncompleteSubscription bool           `json:"has_incomplete_subscription"`
	HasUnpaidSubscription     *bool          `json:"has_unpaid_subscription"`
	ID                        int64          `json:"id"`
	Paid                      *bool          `json:"paid"`
	PendingInstallation       bool           `json:"pending_installation"`
	Product                   string         `json:"product"`
	RecurringPayment          bool           `json:"recurring_payment"`
	RoleRestrictions          []int64        `json:"role_restrictions"`
	Servable                  bool           `json:"servable"`
	Settings                  map[string]any `json:"settings"`
	SettingsObjects           []settingObj   `json:"settings_objects"`
	Updated                   string         `json:"updated"`
	UpdatedAt                 time.Time      `json:"updated_at"`
}

type settingObj struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

type webhook struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	Status         string          `json:"status"`
	Endpoint       string          `json:"endpoint"`
	HTTPMethod     string          `json:"http_method"`
	RequestFormat  string          `json:"request_format"`
	Subscriptions  []string        `json:"subscriptions"`
	Authentication json.RawMessage `json:"authentication,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	CreatedBy      string          `json:"created_by"`
	UpdatedAt      time.Time       `json:"updated_at"`
	UpdatedBy      string          `json:"updated_by"`

	seq int64
}

type target struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Type      string    `json:"type"`
	Active    bool      `json:"active"`
	TargetURL string    `json:"target_url,omitempty"`
	Method    string    `json:"method,omitempty"`
	Email     string    `json:"email,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type via struct {
	Channel string         `json:"channel"`
	Source  map[string]any `json:"source"`
}

type ticket struct {
	ID                 int64      `json:"id"`
	URL                string     `json:"url"`
	Subject            string     `json:"subject"`
	RawSubject         string     `json:"raw_subject"`
	Description        string     `json:"description"`
	Status             string     `json:"status"`
	Priority           *string    `json:"priority"`
	Type               *string    `json:"type"`
	RequesterID        int64      `json:"requester_id"`
	SubmitterID        int64      `json:"submitter_id"`
	AssigneeID         *int64     `json:"assignee_id"`
	OrganizationID     *int64     `json:"organization_id"`
	GroupID            *int64     `json:"group_id"`
	Tags               []string   `json:"tags"`
	Via                via        `json:"via"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	GeneratedTimestamp int64      `json:"generated_timestamp"`
	DueAt              *time.Time `json:"due_at"`
}

type comment struct {
	ID          int64          `json:"id"`
	Type        string         `json:"type"`
	AuthorID    int64          `json:"author_id"`
	Body        string         `json:"body"`
	HTMLBody    string         `json:"html_body"`
	PlainBody   string         `json:"plain_body"`
	Public      bool           `json:"public"`
	Attachments []any          `json:"attachments"`
	AuditID     int64          `json:"audit_id"`
	Via         via            `json:"via"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   time.Time      `json:"created_at"`

	ticketID int64
}

type auditSystem struct {
	Client    string   `json:"client,omitempty"`
	IPAddress string   `json:"ip_address,omitempty"`
	Location  string   `json:"location,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

type auditMetadata struct {
	System auditSystem    `json:"system"`
	Custom map[string]any `json:"custom"`
}

// auditEvent is rendered as a map so that Comment and Change events carry only
// their own keys, as Zendesk's do.
type auditEvent map[string]any

type audit struct {
	ID        int64         `json:"id"`
	TicketID  int64         `json:"ticket_id"`
	CreatedAt time.Time     `json:"created_at"`
	AuthorID  int64         `json:"author_id"`
	Via       via           `json:"via"`
	Metadata  auditMetadata `json:"metadata"`
	Events    []auditEvent  `json:"events"`
}

type auditLog struct {
	ID                int64     `json:"id"`
	URL               string    `json:"url"`
	ActorID           int64     `json:"actor_id"`
	ActorName         string    `json:"actor_name"`
	SourceID          int64     `json:"source_id"`
	SourceType        string    `json:"source_type"`
	SourceLabel       string    `json:"source_label"`
	Action            string    `json:"action"`
	ActionLabel       string    `json:"action_label"`
	ChangeDescription string    `json:"change_description"`
	IPAddress         string    `json:"ip_address"`
	CreatedAt         time.Time `json:"created_at"`
}

// accessLog is an access-log entry (reference B4). Its fields are those of the
// access_log.created webhook payload, the only published example of an entry:
// id and user_id are strings there.
type accessLog struct {
	ID                string    `json:"id"`
	Timestamp         time.Time `json:"timestamp"`
	UserID            string    `json:"user_id"`
	IPAddress         string    `json:"ip_address"`
	Method            string    `json:"method"`
	URL               string    `json:"url"`
	Status            int       `json:"status"`
	AuthorizationType string    `json:"authorization_type"`
	Client            string    `json:"client"`
	GraphQL           any       `json:"graphql"`
	Referer           string    `json:"referer"`
	BytesSent         int64     `json:"bytes_sent"`
	Category          string    `json:"category"`
	Summary           string    `json:"summary"`
	OriginService     string    `json:"origin_service"`
}

type securitySettings struct {
	AdminsCanSetUserPasswords bool `json:"admins_can_set_user_passwords"`
}

type customRole struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}
