package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
)

// Outcome is what happened to one received message.
type Outcome struct {
	// ID is the intake record's id in the store.
	ID          int64       `json:"id"`
	SHA256      string      `json:"sha256"`
	ReceivedAt  time.Time   `json:"received_at"`
	Status      string      `json:"status"`
	Reason      string      `json:"reason,omitempty"`
	Recognition Recognition `json:"recognition"`
	// IncidentID is the incident the notice started (or started before, for the
	// same message received again).
	IncidentID string `json:"incident_id,omitempty"`
	// Duplicate is true when these exact bytes were received before.
	Duplicate bool `json:"duplicate,omitempty"`
}

// NoticeIncident is what a recognised notice asks the Declarer to start.
type NoticeIncident struct {
	Title string
	Facts facts.Document
	// IdempotencyKey is derived from the message hash: a message redelivered (the
	// sender retried after a 451, or someone pipes it again) finds the incident the
	// first delivery declared instead of declaring a second.
	IdempotencyKey string
	// Evidence describes the stored original for the incident's timeline.
	Evidence string
}

// Declarer starts the zendesk-service-breach incident for a recognised notice and
// returns its id.
type Declarer interface {
	DeclareFromNotice(ctx context.Context, n NoticeIncident) (string, error)
}

// Playbook is the playbook a recognised notice starts.
const Playbook = "zendesk-service-breach"

// Processor keeps every message, recognises Zendesk security notices and declares
// their incidents.
type Processor struct {
	Store    incident.NoticeStore
	Declarer Declarer
	Rules    Rules
	Logger   *slog.Logger
}

// Receive implements Handler. It returns an error only when the message could not
// be kept or its incident could not be declared (the sender should retry); a
// malformed or unrecognised message is kept, reported and answered without error.
func (p *Processor) Receive(ctx context.Context, raw []byte, env Envelope, receivedAt time.Time) (Outcome, error) {
	logger := p.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if p.Rules.Signals == nil && len(p.Rules.SenderDomains) == 0 {
		p.Rules = DefaultRules()
	}
	msg, perr := Parse(raw, receivedAt)
	rec := incident.IntakeMessage{
		SHA256: msg.SHA256, ReceivedAt: msg.ReceivedAt, Via: env.Via, MailFrom: env.MailFrom,
		From: msg.From, Subject: msg.Subject, MessageID: msg.MessageID, Size: len(raw),
		Status: incident.IntakeReceived, Raw: raw,
	}
	if perr != nil {
		rec.Status, rec.Reason = incident.IntakeMalformed, perr.Error()
	}
	saved, existing, err := p.Store.SaveIntake(ctx, rec)
	if err != nil {
		return Outcome{}, fmt.Errorf("keep received message %s: %w", msg.SHA256[:12], err)
	}
	out := Outcome{ID: saved.ID, SHA256: saved.SHA256, ReceivedAt: saved.ReceivedAt, Status: saved.Status,
		Reason: saved.Reason, IncidentID: saved.IncidentID, Duplicate: existing}
	if perr != nil {
		logger.Warn("Intake kept a malformed message", "intake_id", saved.ID, "sha256", saved.SHA256, "reason", perr.Error())
		return out, nil
	}
	// A redelivered notice: recognise it again from the bytes first stored, so the
	// arrival instant is the first one.
	if existing {
		if msg, err = Parse(saved.Raw, saved.ReceivedAt); err != nil {
			return out, nil
		}
	}
	out.Recognition = Recognise(msg, p.Rules)
	if !out.Recognition.Zendesk {
		reason := "not a Zendesk security notice: " + strings.Join(out.Recognition.Reasons, "; ")
		if err := p.Store.UpdateIntake(ctx, saved.ID, incident.IntakeUnrecognised, reason, ""); err != nil {
			return out, fmt.Errorf("record intake %d: %w", saved.ID, err)
		}
		out.Status, out.Reason = incident.IntakeUnrecognised, reason
		logger.Warn("Intake kept a message that is not a Zendesk security notice", "intake_id", saved.ID, "from", msg.FromAddress, "subject", msg.Subject, "reason", reason)
		return out, nil
	}
	if saved.Status == incident.IntakeDeclared && saved.IncidentID != "" {
		return out, nil
	}
	if p.Declarer == nil {
		return out, errors.New("intake has no declarer: cannot start the incident")
	}
	id, err := p.Declarer.DeclareFromNotice(ctx, NoticeIncident{
		Title:          out.Recognition.Title,
		Facts:          out.Recognition.Facts,
		IdempotencyKey: "intake-" + saved.SHA256[:32],
		Evidence: fmt.Sprintf("Zendesk security notice received %s via %s, kept as intake message %d (sha256 %s, %d bytes, Message-ID %s). %s",
			saved.ReceivedAt.Format(time.RFC3339), env.Via, saved.ID, saved.SHA256, len(raw), msg.MessageID, strings.Join(out.Recognition.Reasons, "; ")),
	})
	if err != nil {
		_ = p.Store.UpdateIntake(ctx, saved.ID, incident.IntakeDeclareFailed, err.Error(), "")
		return out, fmt.Errorf("declare the incident for intake message %d: %w", saved.ID, err)
	}
	if err := p.Store.UpdateIntake(ctx, saved.ID, incident.IntakeDeclared, "", id); err != nil {
		return out, fmt.Errorf("record intake %d: %w", saved.ID, err)
	}
	out.Status, out.IncidentID, out.Reason = incident.IntakeDeclared, id, ""
	logger.Info("Zendesk security notice started an incident", "intake_id", saved.ID, "incident_id", id, "reference", out.Recognition.Reference)
	return out, nil
}
