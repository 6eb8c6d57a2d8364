package zendesk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Via says how a change was made: {"channel":"web","source":{...}}.
type Via struct {
	Channel string         `json:"channel"`
	Source  map[string]any `json:"source,omitempty"`
}

// Ticket is a Zendesk ticket.
type Ticket struct {
	ID                 int64      `json:"id"`
	URL                string     `json:"url,omitempty"`
	Subject            string     `json:"subject"`
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
	Via                *Via       `json:"via,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	GeneratedTimestamp int64      `json:"generated_timestamp,omitempty"`
	DueAt              *time.Time `json:"due_at"`
}

// Attachment is a file on a comment.
type Attachment struct {
	ID          int64  `json:"id"`
	FileName    string `json:"file_name"`
	ContentURL  string `json:"content_url"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Comment is a ticket comment.
type Comment struct {
	ID          int64          `json:"id"`
	Type        string         `json:"type"`
	AuthorID    int64          `json:"author_id"`
	Body        string         `json:"body"`
	HTMLBody    string         `json:"html_body"`
	PlainBody   string         `json:"plain_body"`
	Public      bool           `json:"public"`
	Attachments []Attachment   `json:"attachments"`
	AuditID     int64          `json:"audit_id,omitempty"`
	Via         *Via           `json:"via,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
}

// AuditSystem is an audit's metadata.system: where the change came from. It is the
// forensic heart of ticket audits (reference B2).
type AuditSystem struct {
	Client    string   `json:"client,omitempty"`
	IPAddress string   `json:"ip_address,omitempty"`
	Location  string   `json:"location,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

// AuditMetadata is an audit's metadata.
type AuditMetadata struct {
	System AuditSystem    `json:"system"`
	Custom map[string]any `json:"custom"`
}

// AuditEvent is one event inside a ticket audit (Comment, Change, Create, ...).
// Value and PreviousValue are strings or lists depending on the field.
type AuditEvent struct {
	ID            int64        `json:"id"`
	Type          string       `json:"type"`
	FieldName     string       `json:"field_name,omitempty"`
	Value         any          `json:"value,omitempty"`
	PreviousValue any          `json:"previous_value,omitempty"`
	Body          string       `json:"body,omitempty"`
	HTMLBody      string       `json:"html_body,omitempty"`
	Public        *bool        `json:"public,omitempty"`
	AuthorID      int64        `json:"author_id,omitempty"`
	Attachments   []Attachment `json:"attachments,omitempty"`
	Via           *Via         `json:"via,omitempty"`
}

// Audit is a ticket audit: who changed what, from where (reference B2).
type Audit struct {
	ID        int64         `json:"id"`
	TicketID  int64         `json:"ticket_id"`
	AuthorID  int64         `json:"author_id"`
	CreatedAt time.Time     `json:"created_at"`
	Via       *Via          `json:"via,omitempty"`
	Metadata  AuditMetadata `json:"metadata"`
	Events    []AuditEvent  `json:"events"`
}

// GetTicket fetches one ticket: GET /api/v2/tickets/{id}.
func (c *Client) GetTicket(ctx context.Context, id int64) (*Ticket, Meta, error) {
	var out struct {
		Ticket *Ticket `json:"ticket"`
	}
	meta, err := c.get(ctx, "/tickets/"+idPath(id), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk ticket %d: %w", id, err)
	}
	if out.Ticket == nil {
		return nil, meta, fmt.Errorf("get zendesk ticket %d: response has no \"ticket\" (request_id=%s)", id, meta.RequestID)
	}
	return out.Ticket, meta, nil
}

// ListTickets lists tickets: GET /api/v2/tickets (cursor by default).
func (c *Client) ListTickets(opts ListOptions) *Pager[Ticket] {
	return newPager[Ticket](c, "tickets", "/tickets", url.Values{}, opts)
}

// ListTicketComments lists a ticket's comments: GET /api/v2/tickets/{id}/comments.
func (c *Client) ListTicketComments(ticketID int64, opts ListOptions) *Pager[Comment] {
	return newPager[Comment](c, "comments", "/tickets/"+idPath(ticketID)+"/comments", url.Values{}, opts)
}

// MakeCommentPrivate turns a public comment into an internal note:
// PUT /api/v2/tickets/{tid}/comments/{cid}/make_private (no body; reference A11).
func (c *Client) MakeCommentPrivate(ctx context.Context, ticketID, commentID int64) (Meta, error) {
	meta, err := c.do(ctx, request{method: http.MethodPut,
		path: "/tickets/" + idPath(ticketID) + "/comments/" + idPath(commentID) + "/make_private"})
	if err != nil {
		return meta, fmt.Errorf("make zendesk comment %d on ticket %d private: %w", commentID, ticketID, err)
	}
	return meta, nil
}

// RedactComment permanently redacts the parts of a comment wrapped in <redact> tags:
// PUT /api/v2/comment_redactions/{comment_id} with {"ticket_id":..,"html_body":".."}
// (Agent Workspace redaction, the preferred API; reference A11).
func (c *Client) RedactComment(ctx context.Context, ticketID, commentID int64, htmlBody string) (*Comment, Meta, error) {
	var out struct {
		Comment *Comment `json:"comment"`
	}
	body := map[string]any{"ticket_id": ticketID, "html_body": htmlBody}
	meta, err := c.do(ctx, request{method: http.MethodPut, path: "/comment_redactions/" + idPath(commentID), body: body, out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("redact zendesk comment %d on ticket %d: %w", commentID, ticketID, err)
	}
	if out.Comment == nil {
		return nil, meta, fmt.Errorf("redact zendesk comment %d on ticket %d: response has no \"comment\" (request_id=%s)", commentID, ticketID, meta.RequestID)
	}
	return out.Comment, meta, nil
}

// RedactCommentText is the legacy string redaction, which Zendesk will deprecate:
// PUT /api/v2/tickets/{tid}/comments/{cid}/redact with {"text":"..."}.
func (c *Client) RedactCommentText(ctx context.Context, ticketID, commentID int64, text string) (*Comment, Meta, error) {
	var out struct {
		Comment *Comment `json:"comment"`
	}
	meta, err := c.do(ctx, request{method: http.MethodPut,
		path: "/tickets/" + idPath(ticketID) + "/comments/" + idPath(commentID) + "/redact",
		body: map[string]string{"text": text}, out: &out})
	if err != nil {
		return nil, meta, fmt.Errorf("redact text in zendesk comment %d on ticket %d: %w", commentID, ticketID, err)
	}
	if out.Comment == nil {
		return nil, meta, fmt.Errorf("redact text in zendesk comment %d on ticket %d: response has no \"comment\" (request_id=%s)", commentID, ticketID, meta.RequestID)
	}
	return out.Comment, meta, nil
}

// ListTicketAudits lists one ticket's audits: GET /api/v2/tickets/{id}/audits. Cursor
// by default; opts.Offset selects the page/per_page form. Works for archived
// tickets.
func (c *Client) ListTicketAudits(ticketID int64, opts ListOptions) *Pager[Audit] {
	return newPager[Audit](c, "audits", "/tickets/"+idPath(ticketID)+"/audits", url.Values{}, opts)
}

// GetTicketAudit fetches one audit: GET /api/v2/tickets/{tid}/audits/{aid}.
func (c *Client) GetTicketAudit(ctx context.Context, ticketID, auditID int64) (*Audit, Meta, error) {
	var out struct {
		Audit *Audit `json:"audit"`
	}
	meta, err := c.get(ctx, "/tickets/"+idPath(ticketID)+"/audits/"+idPath(auditID), nil, &out)
	if err != nil {
		return nil, meta, fmt.Errorf("get zendesk audit %d of ticket %d: %w", auditID, ticketID, err)
	}
	if out.Audit == nil {
		return nil, meta, fmt.Errorf("get zendesk audit %d of ticket %d: response has no \"audit\" (request_id=%s)", auditID, ticketID, meta.RequestID)
	}
	return out.Audit, meta, nil
}
