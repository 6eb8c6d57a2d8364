package notify

import "time"

// Notice is the v1 message about one obligation of one incident. The ObligationClock
// workflow still sends it as the input of the SendReminder activity
// ({"notice": {...}}), and recorded histories hold that JSON, so its fields and tags
// must not change; the activity converts it with Message.
type Notice struct {
	// Key is unique per notice and stable across retries and workflow replays.
	Key          string     `json:"key"`
	IncidentID   string     `json:"incident_id"`
	ObligationID string     `json:"obligation_id"`
	Rule         string     `json:"rule"`
	Kind         string     `json:"kind"`
	Text         string     `json:"text"`
	DueAt        *time.Time `json:"due_at"`
	// At is when the notice was scheduled to go out (the reminder instant).
	At time.Time `json:"at"`
}

// Message converts n to a Message with the same key, so a reminder sent before and
// after the conversion dedupes as one. It has no recipients: routes by kind decide
// where reminders go.
func (n Notice) Message() Message {
	return Message{
		Key:          n.Key,
		Kind:         Kind(n.Kind),
		IncidentID:   n.IncidentID,
		ObligationID: n.ObligationID,
		Rule:         n.Rule,
		Text:         n.Text,
		DueAt:        n.DueAt,
		At:           n.At,
	}
}
