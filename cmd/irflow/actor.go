package main

import "irflow/internal/incident"

// timelineActor names who made a timeline entry and through which channel, as
// `incident show` prints it: "alice via api", "bob via cli"; the bare actor for
// entries recorded before channels were (workflow and system entries, older
// incidents).
func timelineActor(e incident.TimelineEntry) string {
	if e.Via == "" {
		return e.Actor
	}
	return e.Actor + " via " + e.Via
}
