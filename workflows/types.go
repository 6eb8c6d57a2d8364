package workflows

import "irflow/internal/incident"

// The state, request and result types of the workflows' messages live in the
// domain package, so transports (CLI, HTTP, Slack, web) use them without importing
// workflow code. These aliases keep the workflow code readable.
type (
	State                     = incident.State
	NoteRequest               = incident.NoteRequest
	CloseRequest              = incident.CloseRequest
	StepStatus                = incident.StepStatus
	ApproveStepRequest        = incident.ApproveStepRequest
	SkipStepRequest           = incident.SkipStepRequest
	RetryStepRequest          = incident.RetryStepRequest
	RollbackRequest           = incident.RollbackRequest
	RollbackResult            = incident.RollbackResult
	StepState                 = incident.StepState
	BeforeState               = incident.BeforeState
	RollbackRecord            = incident.RollbackRecord
	EvidenceStatus            = incident.EvidenceStatus
	IncidentObligation        = incident.IncidentObligation
	SetIncidentTriggerRequest = incident.SetIncidentTriggerRequest
	Attachment                = incident.Attachment
	MarkFulfilledRequest      = incident.MarkFulfilledRequest
	SetTriggerRequest         = incident.SetTriggerRequest
	PauseRequest              = incident.PauseRequest
	ResumeRequest             = incident.ResumeRequest
	WaiveRequest              = incident.WaiveRequest
	ObligationEvent           = incident.ObligationEvent
	Assessment                = incident.Assessment
	Fulfilment                = incident.Fulfilment
	Pause                     = incident.Pause
	Waiver                    = incident.Waiver
	SentReminder              = incident.SentReminder
	ClockState                = incident.ClockState
	ClockView                 = incident.ClockView
	OwnershipState            = incident.OwnershipState
	OwnershipBrief            = incident.OwnershipBrief
	OwnershipRevision         = incident.OwnershipRevision
	SetFactsRequest           = incident.SetFactsRequest
	SetFactsResult            = incident.SetFactsResult
	ConfirmOwnershipRequest   = incident.ConfirmOwnershipRequest
	OverrideOwnershipRequest  = incident.OverrideOwnershipRequest
)

// Status and kind constants of the domain types, under their workflow names.
const (
	StepPending               = incident.StepPending
	StepAwaitingApproval      = incident.StepAwaitingApproval
	StepApproved              = incident.StepApproved
	StepRunning               = incident.StepRunning
	StepDone                  = incident.StepDone
	StepFailed                = incident.StepFailed
	StepNoTargets             = incident.StepNoTargets
	StepSkipped               = incident.StepSkipped
	StepCancelled             = incident.StepCancelled
	StepRolledBack            = incident.StepRolledBack
	ClockPaused               = incident.ClockPaused
	ClockWaived               = incident.ClockWaived
	ClockRetired              = incident.ClockRetired
	EventArmed                = incident.EventArmed
	EventReminder             = incident.EventReminder
	EventDue                  = incident.EventDue
	EventOverdue              = incident.EventOverdue
	EventReminderFailed       = incident.EventReminderFailed
	EventFulfilled            = incident.EventFulfilled
	EventTriggerMoved         = incident.EventTriggerMoved
	EventPredecessorFulfilled = incident.EventPredecessorFulfilled
	EventPaused               = incident.EventPaused
	EventResumed              = incident.EventResumed
	EventWaived               = incident.EventWaived
	EventRetired              = incident.EventRetired
	EventIgnored              = incident.EventIgnored
	EventAssessed             = incident.EventAssessed
	EvidenceNotStarted        = incident.EvidenceNotStarted
	EvidenceCollecting        = incident.EvidenceCollecting
	EvidenceCollected         = incident.EvidenceCollected
	EvidenceFailed            = incident.EvidenceFailed
	EvidenceNone              = incident.EvidenceNone
	OwnershipComputed         = incident.OwnershipComputed
	OwnershipConfirmed        = incident.OwnershipConfirmed
	OwnershipOverridden       = incident.OwnershipOverridden
)
