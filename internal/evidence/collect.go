package evidence

import (
	"fmt"
	"strings"
	"time"
)

// Evidence sources, in the order the collection workflow runs them. Audit logs come
// first: they are the account-wide record of who did what (SRM-VI.S.ii). Access logs
// follow: they record what was read, which audit logs do not, and Zendesk keeps them
// only 90 days.
const (
	SourceAuditLogs        = "audit_logs"
	SourceAccessLogs       = "access_logs"
	SourceTicketAudits     = "ticket_audits"
	SourceTicketEvents     = "ticket_events"
	SourceUsers            = "users"
	SourceTickets          = "tickets"
	SourceSessions         = "sessions"
	SourceAPITokens        = "api_tokens"
	SourceOAuthTokens      = "oauth_tokens"
	SourceAppInstallations = "app_installations"
	SourceWebhooks         = "webhooks"
)

// Activity names of activities.EvidenceActivities, for workflows that must not
// import the adapter.
const (
	ActivityCollectSource = "CollectSource"
	ActivityWriteManifest = "WriteManifest"
)

// Sources returns every source, in collection order.
func Sources() []string {
	return []string{SourceAuditLogs, SourceAccessLogs, SourceTicketAudits, SourceTicketEvents, SourceUsers, SourceTickets,
		SourceSessions, SourceAPITokens, SourceOAuthTokens, SourceAppInstallations, SourceWebhooks}
}

// ValidSource reports whether name is a known source.
func ValidSource(name string) bool {
	for _, s := range Sources() {
		if s == name {
			return true
		}
	}
	return false
}

// FileName is the NDJSON file of a source inside the incident's evidence folder.
func FileName(source string) string { return source + ".ndjson" }

// ValidIncidentID rejects ids that cannot be a folder name inside the evidence root
// (path separators, "..", empty): the id comes from outside and names a directory.
func ValidIncidentID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || strings.ContainsRune(id, 0) {
		return fmt.Errorf("incident id %q cannot name an evidence folder", id)
	}
	return nil
}

// Scope is what the incident involves, from the facts document's zendesk block.
type Scope struct {
	Users       []int64  `json:"users,omitempty"`
	Tickets     []int64  `json:"tickets,omitempty"`
	IPAddresses []string `json:"ip_addresses,omitempty"`
}

// AuditLogFilter narrows the audit-log query beyond the incident window. Zero fields
// are not sent; the default (window only) is the widest, which evidence wants.
type AuditLogFilter struct {
	ActorID    int64  `json:"actor_id,omitempty"`
	IPAddress  string `json:"ip_address,omitempty"`
	SourceType string `json:"source_type,omitempty"`
	SourceID   int64  `json:"source_id,omitempty"`
}

// Cursor is where a source's collection stands: which item of a per-object source
// (Index into Scope.Tickets or Scope.Users), the URL of the next page (empty: the
// first page of that item), and the dedupe keys a time-based export carries across
// pages.
type Cursor struct {
	Index   int      `json:"index"`
	NextURL string   `json:"next_url,omitempty"`
	Seen    []string `json:"seen,omitempty"`
}

// CollectInput is the input of the CollectSource activity: collect one source for
// the incident window, starting at Cursor with the file at Committed.
type CollectInput struct {
	IncidentID  string         `json:"incident_id"`
	Source      string         `json:"source"`
	Window      Window         `json:"window"`
	Scope       Scope          `json:"scope"`
	AuditFilter AuditLogFilter `json:"audit_filter"`
	Cursor      Cursor         `json:"cursor"`
	Committed   Committed      `json:"committed"`
	// Objects selects the storage layout: true writes each committed page as a part
	// object through the worker's evidence.Objects (any worker resumes from the parts
	// and the cursor); false is the layout of collections started before evidence
	// storage, one file appended to in the worker's local evidence folder.
	Objects bool `json:"objects,omitempty"`
	// PageBudget bounds the pages fetched by one activity run; the workflow calls
	// again (or continues as new) with the returned cursor. 0 means 50.
	PageBudget int `json:"page_budget,omitempty"`
}

// CollectResult is where a CollectSource run stopped.
type CollectResult struct {
	Source string `json:"source"`
	// File is the NDJSON file relative to the incident's evidence folder; empty for
	// a gap.
	File      string    `json:"file,omitempty"`
	Query     string    `json:"query"`
	Done      bool      `json:"done"`
	Cursor    Cursor    `json:"cursor"`
	Committed Committed `json:"committed"`
	Pages     int       `json:"pages"`
	// Duplicates counts records dropped because an overlapping page repeated them.
	Duplicates  int       `json:"duplicates"`
	Gap         *Gap      `json:"gap,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
}

// WriteManifestInput is the input of the WriteManifest activity.
type WriteManifestInput struct {
	IncidentID string          `json:"incident_id"`
	Window     Window          `json:"window"`
	Collected  []CollectResult `json:"collected"`
	// Objects: the sources were collected as part objects (CollectInput.Objects),
	// which WriteManifest assembles into one object per file.
	Objects bool `json:"objects,omitempty"`
	// RequestedWindow is the window asked for when Window had to be clamped to
	// what Zendesk's exports allow.
	RequestedWindow *Window `json:"requested_window,omitempty"`
}

// ManifestResult is the written manifest: where it is and its hash, which the
// workflow records in the store and the timeline.
type ManifestResult struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Files   int    `json:"files"`
	Records int64  `json:"records"`
	Gaps    []Gap  `json:"gaps"`
	// Status is StatusComplete or StatusPartial (empty from workers that predate
	// it); Failed names the sources a partial collection could not finish.
	Status string   `json:"status,omitempty"`
	Failed []string `json:"failed,omitempty"`
}

// Collection statuses of a manifest. A gap for a plan Zendesk does not sell the
// account is a fact about the evidence and leaves a collection complete; a source
// that failed (Zendesk refused the query, or kept failing after every retry) makes
// it partial.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
)
