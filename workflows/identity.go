package workflows

import (
	"fmt"

	"irflow/internal/incident"
)

// checkBy is every Update validator's identity check. A verified actor (By,
// stamped by irflow's service after authenticating the caller) must agree with the
// request's actor; an incident declared under authentication accepts no Update
// without one, so nobody can act in another's name by writing to Temporal directly.
func checkBy(required bool, by *incident.Actor, actor string) error {
	if by != nil {
		if by.ID == "" || by.Via == "" {
			return fmt.Errorf("by: a verified actor needs an id and a channel (via)")
		}
		if actor != by.ID {
			return fmt.Errorf("actor %q is not the verified actor %q", actor, by.ID)
		}
		return nil
	}
	if required {
		return fmt.Errorf("this incident was declared by an authenticated person: every action needs a verified actor; use irflow's API, Slack or web sign-in")
	}
	return nil
}

// heard remembers the channel a verified actor acted through and their id in it,
// so the timeline entries recorded in their name say how they acted.
func (w *incidentImpl) heard(by *incident.Actor) {
	if by != nil {
		w.heardAs[by.ID] = *by
	}
}
