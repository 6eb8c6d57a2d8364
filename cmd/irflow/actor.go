package main

import "irflow/internal/incident"

// timelineActor names who made a timeline entry and through which channel, as
// `incident show` prints it: "alice via api", "rita via slack U024BE7LH" (with
// the Slack user id); the bare actor for entries recorded before channels were
// (workflow and system entries, older incidents).
func timelineActor(e incident.TimelineEntry) string {
	if e.Via == "" {
		return e.Actor
	}
	return e.Actor + " via " + channel(e.Via, e.ExternalID)
}

// channel names a channel with the actor's own id in it, when it has one: "api",
// "slack U024BE7LH".
func channel(via, externalID string) string {
	if externalID == "" {
		return via
	}
	return via + " " + externalID
}
