// Package notify delivers messages about an incident to people: reminders that a
// regulator or individual notice is coming due, steps awaiting approval, phase changes,
// evidence collected, the incident closing. A Notifier sends one Message; a Router fans
// one Message out to several named transports (the log today, Slack and email later).
// LogTransport is the default until those land.
package notify

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Kind says what a message is about. Routes match on it.
type Kind string

// Kinds of message. The constants are untyped so that the string fields which
// already carry the first three (obligations.Reminder.Kind, the obligation clock's
// event kinds, recorded workflow histories) keep compiling and keep their values.
const (
	// KindReminder: an obligation's deadline is approaching (half the time gone, 24 h,
	// 4 h, 1 h).
	KindReminder = "reminder"
	// KindDue: an obligation's deadline is now.
	KindDue = "due"
	// KindOverdue: an obligation's deadline has passed and it is still open.
	KindOverdue = "overdue"
	// KindObligationDue: a notification obligation now applies to the incident and
	// its deadline is set (its clock started or its trigger moved). Unlike KindDue it
	// is sent once, at the start, not when the deadline arrives.
	KindObligationDue = "obligation_due"
	// KindStepAwaitingApproval: a playbook step waits for a person to approve it.
	KindStepAwaitingApproval = "step_awaiting_approval"
	// KindPhaseChanged: the incident moved to another phase.
	KindPhaseChanged = "phase_changed"
	// KindEvidenceCollected: an evidence collection finished and its manifest is sealed.
	KindEvidenceCollected = "evidence_collected"
	// KindIncidentClosed: the incident is closed.
	KindIncidentClosed = "incident_closed"
)

// Kinds lists every kind Validate accepts, in a stable order.
var Kinds = []Kind{
	KindReminder, KindDue, KindOverdue, KindObligationDue, KindStepAwaitingApproval,
	KindPhaseChanged, KindEvidenceCollected, KindIncidentClosed,
}

// obligationKinds are the kinds that are about one obligation and must name it.
var obligationKinds = map[Kind]bool{KindReminder: true, KindDue: true, KindOverdue: true, KindObligationDue: true}

// RecipientKind says what a recipient ID names.
type RecipientKind string

// Kinds of recipient.
const (
	// RecipientChannel is a shared place: a Slack channel, a mailing list.
	RecipientChannel RecipientKind = "channel"
	// RecipientPerson is one person.
	RecipientPerson RecipientKind = "person"
	// RecipientRole is a role on the incident (incident commander, DPO); something
	// resolves it to people before or inside the transport.
	RecipientRole RecipientKind = "role"
)

// Recipient is who a message is for. ID is irflow's name for the recipient, not a
// transport's address: a channel key, a person's id in the directory (an email address
// serves), a role name. Each transport maps IDs to its own addresses (a Slack channel
// or user id, an email address) and answers with a Permanent error for a recipient it
// cannot reach.
type Recipient struct {
	Kind RecipientKind `json:"kind"`
	ID   string        `json:"id"`
	// Display is a human name for logs and message text; transports never address by it.
	Display string `json:"display,omitempty"`
}

// Field is one labelled detail of a message (a due date, an approver, a manifest
// hash). A slice, not a map, so transports render fields in the order they were given
// and a workflow records the same bytes on every replay.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Message is one thing to tell people about one incident.
type Message struct {
	// Key is unique per message and stable across activity retries and workflow
	// replays (generated once in the workflow). Notifiers dedupe on it. An update of
	// an earlier message has its own Key.
	Key          string `json:"key"`
	Kind         Kind   `json:"kind"`
	IncidentID   string `json:"incident_id"`
	ObligationID string `json:"obligation_id,omitempty"`
	Rule         string `json:"rule,omitempty"`
	// Title is a one-line summary (an email subject, a Slack header); may be empty.
	Title string `json:"title,omitempty"`
	// Text is the body in plain text.
	Text string `json:"text"`
	// Recipients may be empty: routes by kind then decide where the message goes.
	Recipients []Recipient `json:"recipients,omitempty"`
	DueAt      *time.Time  `json:"due_at,omitempty"`
	// At is when the event happened or the reminder was scheduled to go out.
	At time.Time `json:"at"`
	// Update, when set, is what an earlier Send returned: a transport that can edit
	// messages (Slack chat.update with channel and ts) edits that one in place; one
	// that cannot (the log, email) sends this message as a new one.
	Update *Sent   `json:"update,omitempty"`
	Fields []Field `json:"fields,omitempty"`
}

// Sent is what delivering a message produced.
type Sent struct {
	// Transport names who delivered it ("log", "slack", "email", or the router).
	Transport string `json:"transport"`
	// MessageID is the transport's id for the message: "log:<key>", a Slack ts, an
	// email Message-ID.
	MessageID string `json:"message_id"`
	// Channel is where the message went when the transport needs it besides
	// MessageID to find the message again (a Slack channel id); else empty.
	Channel string    `json:"channel,omitempty"`
	At      time.Time `json:"at"`
	// Deliveries holds one Sent per transport when a Router delivered the message;
	// each one's Transport is the name the router knows that transport by.
	Deliveries []Sent `json:"deliveries,omitempty"`
}

// Delivery returns the delivery by the named transport: s itself when s came straight
// from that transport, else the matching entry of s.Deliveries.
func (s Sent) Delivery(transport string) (Sent, bool) {
	for _, d := range s.Deliveries {
		if d.Transport == transport {
			return d, true
		}
	}
	if len(s.Deliveries) == 0 && s.Transport == transport {
		return s, true
	}
	return Sent{}, false
}

// Notifier delivers messages.
//
// Retry semantics: Send is called from a Temporal activity, which retries it with
// backoff when it returns an error, and may call it again with the same message after
// a worker restart or an activity timeout. A notifier must therefore be idempotent on
// Message.Key: a second Send of a key it already delivered must not post again, and
// should return the first delivery's Sent. Return a plain error for transient failures
// (timeouts, 5xx, 429) so the call is retried, and wrap failures that retrying cannot
// fix (unknown channel, rejected address, invalid message) with Permanent so it is
// not. Durable dedupe belongs to each transport (the Slack transport records keys in
// the store; email sets a Message-ID derived from the key); Router's record of
// deliveries lives in memory and only spares a retry the transports that already
// succeeded in this process.
type Notifier interface {
	Send(ctx context.Context, m Message) (Sent, error)
}

// ValidationError says which field of a message is wrong.
type ValidationError struct {
	Key     string
	Field   string
	Problem string
}

// Error names the message, the field and what is wrong with it.
func (e *ValidationError) Error() string {
	return "invalid message " + quote(e.Key) + ": " + e.Field + " " + e.Problem
}

func quote(s string) string { return strconv.Quote(s) }

// Validate reports the first field of m that no transport could deliver, as a
// *ValidationError. Retrying cannot fix an invalid message, so callers mark the error
// Permanent.
func (m Message) Validate() error {
	bad := func(field, problem string) error {
		return &ValidationError{Key: m.Key, Field: field, Problem: problem}
	}
	switch {
	case m.Key == "":
		return bad("key", "is empty: every message needs an idempotency key")
	case m.Kind == "":
		return bad("kind", "is empty")
	case !knownKind(m.Kind):
		return bad("kind", "is unknown: "+string(m.Kind))
	case m.IncidentID == "":
		return bad("incident_id", "is empty")
	case obligationKinds[m.Kind] && m.ObligationID == "":
		return bad("obligation_id", "is empty for a "+string(m.Kind)+" message")
	case m.Text == "":
		return bad("text", "is empty")
	case m.At.IsZero():
		return bad("at", "is zero")
	}
	for i, r := range m.Recipients {
		field := "recipients[" + strconv.Itoa(i) + "]"
		switch {
		case r.Kind != RecipientChannel && r.Kind != RecipientPerson && r.Kind != RecipientRole:
			return bad(field+".kind", "is "+quote(string(r.Kind))+", want channel, person or role")
		case r.ID == "":
			return bad(field+".id", "is empty")
		}
	}
	if m.Update != nil && m.Update.MessageID == "" && len(m.Update.Deliveries) == 0 {
		return bad("update", "has no message_id and no deliveries to update")
	}
	for i, f := range m.Fields {
		if f.Label == "" {
			return bad("fields["+strconv.Itoa(i)+"].label", "is empty")
		}
	}
	return nil
}

func knownKind(k Kind) bool {
	for _, known := range Kinds {
		if k == known {
			return true
		}
	}
	return false
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether retrying cannot fix err: it was marked with Permanent,
// or it is a *DeliveryError all of whose failures are permanent. The outermost error
// in the chain that has a say decides, so a DeliveryError with one transient failure
// is retryable although a permanent failure is wrapped inside it.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
