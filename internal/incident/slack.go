package incident

import (
	"context"
	"time"
)

// Kinds of SlackRef.
const (
	// SlackRefChannel is an incident's Slack channel (TS empty).
	SlackRefChannel = "channel"
	// SlackRefCard is the pinned status card in the incident channel.
	SlackRefCard = "card"
	// SlackRefMessage is a notification posted to a channel, keyed by its
	// notify.Message key.
	SlackRefMessage = "message"
)

// SlackRef is a Slack object irflow created for an incident: its channel, its
// status card, a notification it posted. Keeping them is what makes a retried
// activity or a redelivered Slack request edit the message it made before instead
// of posting a second one.
type SlackRef struct {
	// Key is unique: "channel:<incident>", "card:<incident>", or a message key.
	Key        string    `json:"key" db:"key"`
	Kind       string    `json:"kind" db:"kind"`
	IncidentID string    `json:"incident_id" db:"incident_id"`
	Channel    string    `json:"channel" db:"channel"`
	TS         string    `json:"ts,omitempty" db:"ts"`
	CreatedAt  time.Time `json:"created_at" db:"created_at"`
}

// SlackStore keeps the Slack objects irflow created. Like Store, every
// implementation runs the same contract tests (storetest.RunSlack).
type SlackStore interface {
	// SaveSlackRef records ref unless a ref with its key is stored, and returns the
	// stored one: the first write wins, so two racing writers agree on one message.
	// The store sets CreatedAt when it is zero.
	SaveSlackRef(ctx context.Context, ref SlackRef) (SlackRef, error)
	// GetSlackRef returns the ref with key; ENOTFOUND when there is none.
	GetSlackRef(ctx context.Context, key string) (SlackRef, error)
	// SlackChannelIncident returns the incident whose channel is channel;
	// ENOTFOUND when the channel is no incident's.
	SlackChannelIncident(ctx context.Context, channel string) (string, error)
	// SlackRefs returns every ref of kind, oldest first.
	SlackRefs(ctx context.Context, kind string) ([]SlackRef, error)
}

// SlackChannelKey is the key of an incident's channel ref.
func SlackChannelKey(incidentID string) string { return SlackRefChannel + ":" + incidentID }

// SlackCardKey is the key of an incident's status card ref.
func SlackCardKey(incidentID string) string { return SlackRefCard + ":" + incidentID }
