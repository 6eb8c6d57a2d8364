package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"irflow/internal/notify"
)

// TransportName is the Sent.Transport of an email delivery.
const TransportName = "email"

// Transport is Notifier v2's email transport: reminders, due and overdue notices,
// escalations to legal. It addresses a person recipient by its ID when that is an
// email address, and roles and channels through the Roles and Channels directories.
//
// Idempotency: the Message-ID is derived from Message.Key, so a retry after a crash
// sends a message with the same Message-ID, which mail clients and the delivery
// record collapse into one. SMTP itself cannot take a message back, so this is the
// dedupe email offers (notify.Notifier's contract names it).
type Transport struct {
	Mailer *Mailer
	// Roles maps a role recipient ("legal", "dpo") to addresses.
	Roles map[string][]string
	// Channels maps a channel recipient ("legal-escalations") to addresses.
	Channels map[string][]string
	// Default receives messages that name no recipient (routes by kind sent them here).
	Default []string
	// Subject prefixes every subject; "[irflow]" when empty.
	Subject string
}

// Send delivers m to every address its recipients resolve to, in one message. A
// recipient that resolves to no address is a permanent error naming it.
func (t *Transport) Send(ctx context.Context, m notify.Message) (notify.Sent, error) {
	if err := m.Validate(); err != nil {
		return notify.Sent{}, notify.Permanent(err)
	}
	if t.Mailer == nil {
		return notify.Sent{}, notify.Permanent(errors.New("email transport: no mailer configured (SMTP_URL)"))
	}
	to, err := t.addresses(m.Recipients)
	if err != nil {
		return notify.Sent{}, notify.Permanent(err)
	}
	e := Email{
		Key:     m.Key,
		To:      to,
		Subject: t.subject(m),
		Text:    body(m),
		Headers: []Header{{"X-Irflow-Incident", m.IncidentID}, {"X-Irflow-Kind", string(m.Kind)}},
		Date:    m.At,
	}
	if m.ObligationID != "" {
		e.Headers = append(e.Headers, Header{"X-Irflow-Obligation", m.ObligationID})
	}
	if m.Update != nil {
		if prev, ok := m.Update.Delivery(TransportName); ok && prev.MessageID != "" {
			// Threads the update under the message it updates in the reader's client.
			ref := "<" + prev.MessageID + ">"
			e.Headers = append(e.Headers, Header{"In-Reply-To", ref}, Header{"References", ref})
		}
	}
	d, err := t.Mailer.Send(ctx, e)
	if err != nil {
		return notify.Sent{}, fmt.Errorf("email %s to %s: %w", m.Key, strings.Join(to, ","), err)
	}
	return notify.Sent{Transport: TransportName, MessageID: d.MessageID, At: d.At}, nil
}

func (t *Transport) addresses(rs []notify.Recipient) ([]string, error) {
	if len(rs) == 0 {
		if len(t.Default) == 0 {
			return nil, errors.New("email transport: the message names no recipient and no default address is set")
		}
		return t.Default, nil
	}
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if !seen[strings.ToLower(a)] {
			seen[strings.ToLower(a)] = true
			out = append(out, a)
		}
	}
	for _, r := range rs {
		var found []string
		switch r.Kind {
		case notify.RecipientPerson:
			if _, err := mail.ParseAddress(r.ID); err == nil {
				found = []string{r.ID}
			}
		case notify.RecipientRole:
			found = t.Roles[r.ID]
		case notify.RecipientChannel:
			found = t.Channels[r.ID]
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("email transport: no email address for %s %q", r.Kind, r.ID)
		}
		for _, a := range found {
			add(a)
		}
	}
	return out, nil
}

func (t *Transport) subject(m notify.Message) string {
	prefix := t.Subject
	if prefix == "" {
		prefix = "[irflow]"
	}
	if m.Title != "" {
		return prefix + " " + m.Title
	}
	s := fmt.Sprintf("%s %s %s", prefix, m.IncidentID, strings.ReplaceAll(string(m.Kind), "_", " "))
	if m.ObligationID != "" {
		s += ": " + m.ObligationID
	}
	return s
}

func body(m notify.Message) string {
	var b strings.Builder
	b.WriteString(m.Text)
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "Incident: %s\n", m.IncidentID)
	if m.ObligationID != "" {
		fmt.Fprintf(&b, "Obligation: %s\n", m.ObligationID)
	}
	if m.Rule != "" {
		fmt.Fprintf(&b, "Rule: %s\n", m.Rule)
	}
	if m.DueAt != nil {
		fmt.Fprintf(&b, "Due: %s\n", m.DueAt.UTC().Format(time.RFC3339))
	}
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "%s: %s\n", f.Label, f.Value)
	}
	return b.String()
}
