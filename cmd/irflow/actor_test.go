package main

import (
	"testing"

	"irflow/internal/incident"
)

func TestTimelineActor(t *testing.T) {
	for _, tt := range []struct {
		e    incident.TimelineEntry
		want string
	}{
		{incident.TimelineEntry{Actor: "irflow"}, "irflow"},
		{incident.TimelineEntry{Actor: "alice", Via: incident.ViaAPI}, "alice via api"},
		{incident.TimelineEntry{Actor: "rita", Via: incident.ViaSlack, ExternalID: "U024BE7LH"}, "rita via slack U024BE7LH"},
	} {
		if got := timelineActor(tt.e); got != tt.want {
			t.Errorf("timelineActor(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}
