package incident

import (
	"context"
	"time"
)

// A notice is the text an obligation asks for, drafted from the incident record,
// approved by legal and sent. Its lifecycle lives in a notice workflow (one per
// incident and obligation); the store keeps the read model and the per-recipient
// delivery state, which survives the workflow and a worker crash.

// Limits on notices, besides those of limits.go.
const (
	// MaxNoticeText bounds a notice's text: a letter, not a document.
	MaxNoticeText = 64 << 10
	// MaxNoticeRecipients bounds the recipients one send adds (the list can grow
	// over several sends).
	MaxNoticeRecipients = 50000
)

// Notice statuses.
const (
	NoticeDrafted  = "drafted"
	NoticeApproved = "approved"
	NoticeSending  = "sending"
	NoticeSent     = "sent"
	// NoticeFailed: the send ended with recipients failed or bounced; the obligation
	// is not fulfilled.
	NoticeFailed = "failed"
)

// Recipient delivery states.
const (
	RecipientQueued = "queued"
	// RecipientSending is claimed by a delivery attempt whose outcome is not yet
	// recorded.
	RecipientSending = "sending"
	RecipientSent    = "sent"
	RecipientFailed  = "failed"
	RecipientBounced = "bounced"
)

// RecipientStates lists the states in display order.
var RecipientStates = []string{RecipientQueued, RecipientSending, RecipientSent, RecipientFailed, RecipientBounced}

// Notice is one obligation's notice.
type Notice struct {
	IncidentID   string `json:"incident_id" db:"incident_id"`
	ObligationID string `json:"obligation_id" db:"obligation_id"`
	Rule         string `json:"rule" db:"rule"`
	Template     string `json:"template" db:"template"`
	Status       string `json:"status" db:"status"`
	Subject      string `json:"subject" db:"subject"`
	Text         string `json:"text" db:"text"`
	// TextSHA256 is the hash of Text as it stands.
	TextSHA256 string `json:"text_sha256" db:"text_sha256"`
	// Inputs are the drafter's facts beyond the record (contact point, ...), JSON.
	Inputs    map[string]string `json:"inputs,omitempty" db:"-"`
	DraftedBy string            `json:"drafted_by" db:"drafted_by"`
	DraftedAt time.Time         `json:"drafted_at" db:"drafted_at"`
	EditedBy  string            `json:"edited_by,omitempty" db:"edited_by"`
	// Edits counts the edits since the draft.
	Edits int `json:"edits" db:"edits"`
	// ApprovedText and ApprovedSHA256 are the text legal approved and its hash;
	// what is sent is exactly this text.
	ApprovedText   string     `json:"approved_text,omitempty" db:"approved_text"`
	ApprovedSHA256 string     `json:"approved_sha256,omitempty" db:"approved_sha256"`
	ApprovedBy     string     `json:"approved_by,omitempty" db:"approved_by"`
	ApprovedAt     *time.Time `json:"approved_at,omitempty" db:"approved_at"`
	// Channel is how the notice went out: email or zendesk.
	Channel string `json:"channel,omitempty" db:"channel"`
	// DeliveryRef names the delivery record the obligation's fulfilment points at:
	// "notice:<incident>/<obligation>@<approved sha256 prefix>".
	DeliveryRef string     `json:"delivery_ref,omitempty" db:"delivery_ref"`
	SentAt      *time.Time `json:"sent_at,omitempty" db:"sent_at"`
	// Revision orders saves; the store keeps the highest.
	Revision  int64     `json:"revision" db:"revision"`
	UpdatedAt time.Time `json:"updated_at" db:"updated_at"`
}

// NoticeRecipient is one person or authority a notice goes to, and where its
// delivery stands.
type NoticeRecipient struct {
	IncidentID   string `json:"incident_id" db:"incident_id"`
	ObligationID string `json:"obligation_id" db:"obligation_id"`
	// Seq is the recipient's position in the list, from 1.
	Seq     int64  `json:"seq" db:"seq"`
	Address string `json:"address" db:"address"`
	Name    string `json:"name,omitempty" db:"name"`
	// Key is the idempotency key of this recipient's message: the Message-ID is
	// derived from it.
	Key       string     `json:"key" db:"msg_key"`
	State     string     `json:"state" db:"state"`
	MessageID string     `json:"message_id,omitempty" db:"message_id"`
	Error     string     `json:"error,omitempty" db:"error"`
	Attempts  int        `json:"attempts" db:"attempts"`
	SentAt    *time.Time `json:"sent_at,omitempty" db:"sent_at"`
	UpdatedAt time.Time  `json:"updated_at" db:"updated_at"`
}

// RecipientFilter narrows Recipients. Zero values mean "any".
type RecipientFilter struct {
	IncidentID   string
	ObligationID string
	State        string
	// AfterSeq returns recipients with a higher Seq (paging).
	AfterSeq int64
	Limit    int
}

// RecipientResult is the outcome of one delivery attempt.
type RecipientResult struct {
	Seq       int64     `json:"seq"`
	State     string    `json:"state"`
	MessageID string    `json:"message_id,omitempty"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

// IntakeMessage is one email the intake received, kept whole with its hash whether
// it was recognised or not.
type IntakeMessage struct {
	ID         int64     `json:"id" db:"id"`
	SHA256     string    `json:"sha256" db:"sha256"`
	ReceivedAt time.Time `json:"received_at" db:"received_at"`
	Via        string    `json:"via" db:"via"`
	MailFrom   string    `json:"mail_from,omitempty" db:"mail_from"`
	From       string    `json:"from" db:"from_header"`
	Subject    string    `json:"subject" db:"subject"`
	MessageID  string    `json:"message_id,omitempty" db:"message_id"`
	Size       int       `json:"size" db:"size"`
	// Status is received, malformed, unrecognised, declare_failed or declared.
	Status     string `json:"status" db:"status"`
	Reason     string `json:"reason,omitempty" db:"reason"`
	IncidentID string `json:"incident_id,omitempty" db:"incident_id"`
	Raw        []byte `json:"-" db:"raw"`
}

// Intake statuses.
const (
	IntakeReceived      = "received"
	IntakeMalformed     = "malformed"
	IntakeUnrecognised  = "unrecognised"
	IntakeDeclareFailed = "declare_failed"
	IntakeDeclared      = "declared"
)

// NoticeStore keeps notices, their recipients' delivery state and the intake's
// messages. Like Store, every write is idempotent (activities retry) and safe for
// concurrent use. internal/sqlite and internal/postgres implement it;
// internal/storetest's NoticeSuite is its contract.
type NoticeStore interface {
	// SaveNotice upserts a notice by incident and obligation. A save with a lower
	// Revision than the stored one is ignored; the same Revision replaces it.
	SaveNotice(ctx context.Context, n Notice) error
	// GetNotice returns a notice; ENOTFOUND when none was drafted.
	GetNotice(ctx context.Context, incidentID, obligationID string) (Notice, error)
	// ListNotices returns an incident's notices by obligation id.
	ListNotices(ctx context.Context, incidentID string) ([]Notice, error)

	// AddRecipients appends recipients to a notice's list, queued, numbering them
	// after the last; an address already on the list (case-insensitive) is skipped,
	// so a retried add adds nothing twice. It returns how many were added.
	AddRecipients(ctx context.Context, incidentID, obligationID string, rs []NoticeRecipient) (int, error)
	// ClaimRecipients moves up to limit queued recipients (lowest Seq first) to
	// sending, counts an attempt, and returns them. Two claims never return the same
	// recipient.
	ClaimRecipients(ctx context.Context, incidentID, obligationID string, limit int) ([]NoticeRecipient, error)
	// RecordResults stores delivery outcomes. A recipient already sent stays sent:
	// a late or repeated result never moves it back.
	RecordResults(ctx context.Context, incidentID, obligationID string, rs []RecipientResult) error
	// ReleaseRecipients puts claimed (sending) recipients back to queued, for an
	// attempt that stopped before trying them.
	ReleaseRecipients(ctx context.Context, incidentID, obligationID string, seqs []int64) error
	// Recipients lists recipients matching f by Seq.
	Recipients(ctx context.Context, f RecipientFilter) ([]NoticeRecipient, error)
	// RecipientCounts returns how many recipients of a notice are in each state.
	RecipientCounts(ctx context.Context, incidentID, obligationID string) (map[string]int, error)

	// SaveIntake stores a received message, keyed by its SHA-256: the same bytes
	// received twice return the first record and existing true.
	SaveIntake(ctx context.Context, m IntakeMessage) (IntakeMessage, bool, error)
	// UpdateIntake sets a message's status, reason and incident.
	UpdateIntake(ctx context.Context, id int64, status, reason, incidentID string) error
	// GetIntake returns a message with its raw bytes; ENOTFOUND when none.
	GetIntake(ctx context.Context, id int64) (IntakeMessage, error)
	// ListIntake returns the newest messages first, without raw bytes.
	ListIntake(ctx context.Context, limit int) ([]IntakeMessage, error)
}

// NoticeRecipientInput is one recipient a send names: an email address and a name.
type NoticeRecipientInput struct {
	Address string `json:"address"`
	Name    string `json:"name,omitempty"`
}

// DraftNoticeRequest is the draft_notice Update's argument: a draft rendered from the
// incident record (internal/notices), replacing any earlier draft that was not sent.
type DraftNoticeRequest struct {
	Rule     string            `json:"rule"`
	Template string            `json:"template"`
	Subject  string            `json:"subject"`
	Text     string            `json:"text"`
	Inputs   map[string]string `json:"inputs,omitempty"`
	Actor    string            `json:"actor"`
	By       *Actor            `json:"by,omitempty"`
}

// EditNoticeRequest is the edit_notice Update's argument. An edit withdraws an
// approval: legal approves a text, not a notice.
type EditNoticeRequest struct {
	// Subject, when set, replaces the subject.
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
	Actor   string `json:"actor"`
	By      *Actor `json:"by,omitempty"`
}

// ApproveNoticeRequest is the approve_notice Update's argument. SHA256 is the hash of
// the text the approver read: an approval of a text that changed since is refused.
type ApproveNoticeRequest struct {
	SHA256 string `json:"sha256"`
	Actor  string `json:"actor"`
	By     *Actor `json:"by,omitempty"`
}

// SendNoticeRequest is the send_notice Update's argument. The recipients were added
// to the store's list beforehand (a list of thousands does not belong in a workflow
// history); Recipients is how many the list holds.
type SendNoticeRequest struct {
	Channel    string `json:"channel"`
	Recipients int    `json:"recipients"`
	// Tickets, when set, adds the requesters of these Zendesk tickets to the list
	// before sending (the people whose data the incident's tickets hold).
	Tickets []int64 `json:"tickets,omitempty"`
	// KeyPrefix starts the idempotency key of each recipient the workflow adds.
	KeyPrefix string `json:"key_prefix,omitempty"`
	// RatePerSecond caps messages per second (0: the default).
	RatePerSecond float64 `json:"rate_per_second,omitempty"`
	BatchSize     int     `json:"batch_size,omitempty"`
	Actor         string  `json:"actor"`
	By            *Actor  `json:"by,omitempty"`
}

// Notice channels.
const (
	ChannelEmail = "email"
)

// FanOutProgress is a send's progress, as the fan-out reports it.
type FanOutProgress struct {
	Total   int `json:"total"`
	Queued  int `json:"queued"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
	Bounced int `json:"bounced"`
	// Batches counts the delivery attempts made.
	Batches int `json:"batches"`
	// LastError is the last error that stopped a batch (the SMTP server
	// unreachable, ...); the fan-out retries with back-off and shows it here.
	LastError   string     `json:"last_error,omitempty"`
	RetryAt     *time.Time `json:"retry_at,omitempty"`
	StartedAt   time.Time  `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	PerSecond   float64    `json:"per_second,omitempty"`
	Description string     `json:"description,omitempty"`
}

// Done is how many recipients have a final state.
func (p FanOutProgress) Done() int { return p.Sent + p.Failed + p.Bounced }

// NoticeEvent is one entry of a notice's history.
type NoticeEvent struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"`
	Via   string    `json:"via,omitempty"`
	// ExternalID is the actor's id in the channel Via (see Actor.ExternalID).
	ExternalID string `json:"external_id,omitempty"`
	Kind       string `json:"kind"`
	Text       string `json:"text"`
}

// NoticeView is the notice workflow's `notice` query: the notice, the send's
// progress, and what happened.
type NoticeView struct {
	Notice
	Progress *FanOutProgress `json:"progress,omitempty"`
	// FulfilError says why the obligation could not be marked fulfilled after the
	// send (its clock refused: late without reasons, already waived, ...).
	FulfilError string        `json:"fulfil_error,omitempty"`
	History     []NoticeEvent `json:"history"`
}

// ActorName implements Attributed.
func (r DraftNoticeRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r DraftNoticeRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r EditNoticeRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r EditNoticeRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r ApproveNoticeRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r ApproveNoticeRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r SendNoticeRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r SendNoticeRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// NoticeSummary is a notice as the incident's state shows it: where it stands and
// its delivery's progress, counted by recipient state.
type NoticeSummary struct {
	ObligationID   string         `json:"obligation_id"`
	Status         string         `json:"status"`
	Template       string         `json:"template"`
	TextSHA256     string         `json:"text_sha256"`
	ApprovedSHA256 string         `json:"approved_sha256,omitempty"`
	ApprovedBy     string         `json:"approved_by,omitempty"`
	DeliveryRef    string         `json:"delivery_ref,omitempty"`
	Recipients     map[string]int `json:"recipients,omitempty"`
}
