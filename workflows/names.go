package workflows

import (
	"strings"
)

// TaskQueue is the task queue every irflow workflow and activity runs on.
const TaskQueue = "irflow"

// Message names of the incident workflow. They are part of irflow's public contract:
// the CLI, the HTTP API, Slack and the official Temporal CLI all use them. The
// names of the triage, containment and obligation messages sit beside their
// handlers (triage.go, containment.go, incident_obligations.go, obligation.go).
const (
	// StateQuery returns the incident State.
	StateQuery = "state"
	// AddNoteUpdate appends a responder's note to the timeline. An Update rather than
	// a Signal because the caller wants to know the note was accepted (and its seq).
	AddNoteUpdate = "add_note"
	// CloseUpdate closes the incident.
	CloseUpdate = "close"
)

// Registry message names.
const (
	// DeclareUpdate allocates an incident id in the registry.
	DeclareUpdate = "declare"
	// DeclareBatchUpdate allocates several incident ids in one Update.
	DeclareBatchUpdate = "declare_batch"
)

// RegistryWorkflowID is the id of the one registry workflow per namespace that
// allocates incident ids.
const RegistryWorkflowID = "irflow-registry"

const incidentWorkflowPrefix = "incident-"

// IncidentWorkflowID derives the workflow id from an incident id.
func IncidentWorkflowID(incidentID string) string { return incidentWorkflowPrefix + incidentID }

// IncidentIDFromWorkflowID is the inverse of IncidentWorkflowID.
func IncidentIDFromWorkflowID(workflowID string) (string, bool) {
	return strings.CutPrefix(workflowID, incidentWorkflowPrefix)
}
