package incident

import (
	"errors"
	"fmt"
	"irflow/internal/notify"
	"irflow/internal/obligations"
	"strings"
	"time"
)

// IncidentObligation is one notification obligation as the incident state shows it:
// the engine's computation and the last status its clock reported.
type IncidentObligation struct {
	obligations.Obligation
	// ClockWorkflowID addresses the obligation's clock (Updates mark_fulfilled, pause,
	// resume, waive; Query clock for the time left).
	ClockWorkflowID string `json:"clock_workflow_id,omitempty"`
	// LastEvent is the clock's latest report.
	LastEvent *ObligationEvent `json:"last_event,omitempty"`
	// Retired says why a clock was stopped by a recomputation.
	Retired string `json:"retired,omitempty"`
}

// SetIncidentTriggerRequest is the incident-level set_trigger Update's argument.
type SetIncidentTriggerRequest struct {
	// Field is a facts timeline field: aware_at, discovered_at, determined_at, ...
	Field  string    `json:"field"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// Assessment is the payload of the clock's assessed signal: the incident's
// recomputation found the obligation still applies, but whether it depends on facts
// not yet known (and which) changed. A fact change that makes it not apply retires
// the clock instead.
type Assessment struct {
	NeedsAssessment bool     `json:"needs_assessment"`
	Questions       []string `json:"questions,omitempty"`
	Review          []string `json:"review,omitempty"`
	// Reason is the engine's reason the obligation applies, as recomputed.
	Reason string `json:"reason"`
	// Why is what changed (the set_facts reason).
	Why   string `json:"why"`
	Actor string `json:"actor,omitempty"`
}

// Attachment references evidence of a notice (the filed form, the sent letter).
type Attachment struct {
	Name   string `json:"name"`
	URI    string `json:"uri,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// MarkFulfilledRequest is the payload of mark_fulfilled.
type MarkFulfilledRequest struct {
	Obligation string      `json:"obligation"`
	At         time.Time   `json:"at"` // zero: now
	Actor      string      `json:"actor"`
	Reference  string      `json:"reference"`
	Attachment *Attachment `json:"attachment,omitempty"`
	// LateReason is required when At is after the deadline (GDPR Art. 33(1): a late
	// notification shall be accompanied by reasons for the delay).
	LateReason string `json:"late_reason,omitempty"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// SetTriggerRequest is the payload of set_trigger and of the rearm signal.
type SetTriggerRequest struct {
	// Field is the trigger to move: the clock's own trigger (e.g. aware_at), or its
	// backstop trigger (DORA's aware_at).
	Field  string    `json:"field"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
	// DueText is the obligation's due text as the incident recomputed it with the
	// new trigger (set by the incident workflow's re-arm only): "without undue
	// delay (Art. 34(1))" where it said "no due date: aware_at is not in the facts".
	DueText string `json:"due_text,omitempty"`
}

// PauseRequest is the payload of pause: a law-enforcement delay (HIPAA 164.412, SEC
// Item 1.05(c), most US state laws) with its reason and expiry.
type PauseRequest struct {
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	Until  time.Time `json:"until"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// ResumeRequest is the payload of resume.
type ResumeRequest struct {
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// WaiveRequest is the payload of waive.
type WaiveRequest struct {
	Reason string `json:"reason"`
	Actor  string `json:"actor"`
	// By is the verified actor the service stamped; Actor then equals By.ID.
	By *Actor `json:"by,omitempty"`
}

// ObligationEvent is what the clock tells its parent (and keeps in its history).
type ObligationEvent struct {
	ObligationID string `json:"obligation_id"`
	Kind         string `json:"kind"`
	// At is when the event happened on the clock: for a fulfilment, when it was
	// recorded, which may be days after the notice was given.
	At    time.Time `json:"at"`
	Actor string    `json:"actor,omitempty"`
	// Via is the channel a verified actor used (api, slack, web, cli).
	Via string `json:"via,omitempty"`
	// ExternalID is the actor's id in the channel Via (see Actor.ExternalID).
	ExternalID string `json:"external_id,omitempty"`
	Text       string `json:"text"`
	// FulfilledAt is, on a fulfilled event, the instant the notice was given
	// (Fulfilment.At). Clocks chained to the obligation run from it, never from At.
	// Absent on events of clocks older than this field.
	FulfilledAt *time.Time `json:"fulfilled_at,omitempty"`
}

// Fulfilment records a notice given.
type Fulfilment struct {
	At         time.Time   `json:"at"`
	Actor      string      `json:"actor"`
	Reference  string      `json:"reference"`
	Attachment *Attachment `json:"attachment,omitempty"`
	LateReason string      `json:"late_reason,omitempty"`
	RecordedAt time.Time   `json:"recorded_at"`
}

// Pause records a running law-enforcement delay.
type Pause struct {
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
	Until  time.Time `json:"until"`
}

// Waiver records why the notice is not given.
type Waiver struct {
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
}

// SentReminder is a reminder the clock delivered.
type SentReminder struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// At is the reminder's scheduled instant; SentAt when delivery finished.
	At     time.Time  `json:"at"`
	SentAt time.Time  `json:"sent_at"`
	DueAt  *time.Time `json:"due_at"`
	// Missed counts the earlier reminders this one stood for (a clock armed after
	// its due date, or woken after an outage, sends one notice for all of them).
	Missed int64 `json:"missed,omitempty"`
}

// ClockState is the whole state of one obligation clock.
type ClockState struct {
	IncidentID string                 `json:"incident_id"`
	Obligation obligations.Obligation `json:"obligation"`
	Spec       obligations.Spec       `json:"spec"`
	Status     string                 `json:"status"`
	TriggerAt  *time.Time             `json:"trigger_at"`
	DueAt      *time.Time             `json:"due_at"`
	BackstopAt *time.Time             `json:"backstop_at,omitempty"`
	// Extension is the total time the clock was paused; it is added to the due date
	// computed from the trigger.
	Extension  time.Duration `json:"extension"`
	Paused     *Pause        `json:"paused,omitempty"`
	Fulfilment *Fulfilment   `json:"fulfilment,omitempty"`
	Waiver     *Waiver       `json:"waiver,omitempty"`
	// RetiredReason says why a recomputation of the facts retired the clock.
	RetiredReason string `json:"retired_reason,omitempty"`
	// ArmedAt is when the reminder schedule was last (re)armed; reminders before it
	// are not sent after the fact.
	ArmedAt time.Time `json:"armed_at"`
	// Arming counts re-armings; it is part of every notice key so a re-armed clock's
	// reminders are new notices, not duplicates.
	Arming int             `json:"arming"`
	Sent   map[string]bool `json:"sent"`
	// RemindFrom, when later than ArmedAt, is the instant of the last reminder
	// sent: the ones before it were sent or stood for by a catch-up notice, and are
	// never sent again.
	RemindFrom *time.Time `json:"remind_from,omitempty"`
	// Revision counts the changes the clock saved to the store's obligations row;
	// it survives continue-as-new so the store keeps the newest row.
	Revision      int64             `json:"revision,omitempty"`
	RemindersSent []SentReminder    `json:"reminders_sent"`
	History       []ObligationEvent `json:"history"`
}

// ClockView is the clock query's answer: the state plus the time left as of the
// query.
type ClockView struct {
	ClockState
	AsOf time.Time `json:"as_of"`
	// TimeLeft is due_at minus as_of (negative when overdue); absent without a due date.
	TimeLeft *time.Duration `json:"time_left,omitempty"`
}

// Clock statuses beyond those obligations.Compute gives.
const (
	ClockPaused  = "paused"
	ClockWaived  = "waived"
	ClockRetired = "retired"
)

// Event kinds in ObligationEvent and the clock history.
const (
	EventArmed                = "armed"
	EventReminder             = notify.KindReminder
	EventDue                  = notify.KindDue
	EventOverdue              = notify.KindOverdue
	EventReminderFailed       = "reminder_failed"
	EventFulfilled            = "fulfilled"
	EventTriggerMoved         = "trigger_moved"
	EventPredecessorFulfilled = "predecessor_fulfilled"
	EventPaused               = "paused"
	EventResumed              = "resumed"
	EventWaived               = "waived"
	EventRetired              = "retired"
	EventIgnored              = "ignored"
	// EventAssessed: the facts answered (or reopened) what the obligation's
	// applicability depends on.
	EventAssessed = "assessed"
)

// ID is the obligation's id.
func (s *ClockState) ID() string { return s.Obligation.ID }

// Terminal reports whether the clock has ended: fulfilled, waived or retired.
func (s *ClockState) Terminal() bool { return FinalStatus(s.Status) }

// Refresh derives the status from the state at now.
func (s *ClockState) Refresh(now time.Time) {
	switch {
	case s.Terminal():
	case s.Paused != nil:
		s.Status = ClockPaused
	case s.TriggerAt == nil && s.Obligation.DependsOn != nil:
		s.Status = obligations.StatusAwaitingPredecessor
	case s.TriggerAt == nil:
		s.Status = obligations.StatusAwaitingTrigger
	case s.DueAt != nil && now.After(*s.DueAt):
		s.Status = obligations.StatusOverdue
	default:
		s.Status = obligations.StatusOpen
	}
}

// ValidateMarkFulfilled checks a mark_fulfilled request against the clock at now. It
// is exported so the incident workflow can run the same checks in its own validator.
func (s *ClockState) ValidateMarkFulfilled(req MarkFulfilledRequest, now time.Time) error {
	if req.Obligation != s.ID() {
		return fmt.Errorf("mark_fulfilled: unknown obligation %q (this clock is %q)", req.Obligation, s.ID())
	}
	if s.Terminal() {
		return fmt.Errorf("mark_fulfilled: obligation %s is already %s", s.ID(), s.Status)
	}
	if strings.TrimSpace(req.Reference) == "" {
		return errors.New("mark_fulfilled: reference is required (the filing number, ticket or message id of the notice)")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return errors.New("mark_fulfilled: actor is required")
	}
	at := req.At
	if at.IsZero() {
		at = now
	}
	if at.After(now) {
		return fmt.Errorf("mark_fulfilled: at %s is in the future (now %s)", at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if s.TriggerAt != nil && at.Before(*s.TriggerAt) {
		return fmt.Errorf("mark_fulfilled: at %s is before the trigger %s %s", at.UTC().Format(time.RFC3339), s.Obligation.Trigger, s.TriggerAt.UTC().Format(time.RFC3339))
	}
	if req.Attachment != nil && strings.TrimSpace(req.Attachment.Name) == "" {
		return errors.New("mark_fulfilled: attachment.name is required when an attachment is given")
	}
	if s.DueAt != nil && at.After(*s.DueAt) && strings.TrimSpace(req.LateReason) == "" {
		return fmt.Errorf("mark_fulfilled: fulfilled at %s, after the deadline %s: late_reason is required (GDPR Art. 33(1): a late notification must give the reasons for the delay)",
			at.UTC().Format(time.RFC3339), s.DueAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateSetTrigger checks a set_trigger request.
func (s *ClockState) ValidateSetTrigger(req SetTriggerRequest) error {
	if s.Terminal() {
		return fmt.Errorf("set_trigger: obligation %s is already %s", s.ID(), s.Status)
	}
	own := s.Obligation.Trigger
	if req.Field != own && (s.Spec.BackstopField == "" || req.Field != s.Spec.BackstopField) {
		allowed := own
		if s.Spec.BackstopField != "" {
			allowed += " or " + s.Spec.BackstopField
		}
		return fmt.Errorf("set_trigger: obligation %s runs from %s, not %q", s.ID(), allowed, req.Field)
	}
	if req.At.IsZero() {
		return errors.New("set_trigger: at is required")
	}
	if strings.TrimSpace(req.Reason) == "" {
		return errors.New("set_trigger: reason is required (moving a legal trigger must be justified)")
	}
	return nil
}

// ValidatePause checks a pause request. Only a clock whose law provides a delay at
// law enforcement's request (Obligation.LawEnforcementDelay) may be paused: GDPR
// Art. 33's 72 hours, for one, cannot be; a notice after the deadline gives the
// reasons for the delay instead (reference section 4, pitfall 4).
func (s *ClockState) ValidatePause(req PauseRequest, now time.Time) error {
	switch {
	case s.Obligation.LawEnforcementDelay == nil:
		return fmt.Errorf("pause: %s (%s) provides no law-enforcement delay, so its clock cannot be paused; a notice given after the deadline records the reasons for the delay instead (fulfil with a late reason)",
			s.ID(), s.Obligation.Citation)
	case s.Terminal():
		return fmt.Errorf("pause: obligation %s is already %s", s.ID(), s.Status)
	case s.Paused != nil:
		return fmt.Errorf("pause: obligation %s is already paused until %s", s.ID(), s.Paused.Until.UTC().Format(time.RFC3339))
	case strings.TrimSpace(req.Reason) == "":
		return errors.New("pause: reason is required (e.g. the law-enforcement request)")
	case req.Until.IsZero():
		return errors.New("pause: until is required (a law-enforcement delay has an expiry)")
	case !req.Until.After(now):
		return fmt.Errorf("pause: until %s is not in the future", req.Until.UTC().Format(time.RFC3339))
	}
	return nil
}

// ValidateResume checks a resume request.
func (s *ClockState) ValidateResume(req ResumeRequest) error {
	if s.Paused == nil {
		return fmt.Errorf("resume: obligation %s is not paused", s.ID())
	}
	if strings.TrimSpace(req.Reason) == "" {
		return errors.New("resume: reason is required")
	}
	return nil
}

// ValidateWaive checks a waive request.
func (s *ClockState) ValidateWaive(req WaiveRequest) error {
	if s.Terminal() {
		return fmt.Errorf("waive: obligation %s is already %s", s.ID(), s.Status)
	}
	if strings.TrimSpace(req.Reason) == "" {
		return errors.New("waive: reason is required (e.g. the risk assessment that found the breach unlikely to result in a risk)")
	}
	return nil
}

// FinalStatus reports whether an obligation status ends its clock: fulfilled,
// waived or retired.
func FinalStatus(status string) bool {
	return status == obligations.StatusFulfilled || status == ClockWaived || status == ClockRetired
}

// Final reports whether the obligation's clock has ended, as far as the incident
// last heard.
func (o IncidentObligation) Final() bool { return o.Retired != "" || FinalStatus(o.Status) }
