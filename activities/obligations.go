package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"irflow/internal/incident"
)

// SaveObligationInput is SaveObligation's input: the clock's row as it stands.
type SaveObligationInput struct {
	Record incident.ObligationRecord `json:"record"`
}

// SaveObligation writes an obligation clock's row to the store. The clock calls it
// on every change, before and after its incident closes, so lists, the deadline
// board and actions on a closed incident's clocks never need the incident
// workflow. Idempotent: the store keeps the highest revision.
func (a *Activities) SaveObligation(ctx context.Context, in SaveObligationInput) error {
	r := in.Record
	if r.IncidentID == "" || r.ObligationID == "" || r.ClockWorkflowID == "" {
		return fmt.Errorf("save obligation: incident_id, obligation_id and clock_workflow_id are required (got %q, %q, %q)",
			r.IncidentID, r.ObligationID, r.ClockWorkflowID)
	}
	if err := a.Store.SaveObligation(ctx, r); err != nil {
		return fmt.Errorf("save obligation %s of %s revision %d: %w", r.ObligationID, r.IncidentID, r.Revision, err)
	}
	return nil
}

// ObligationDependantsInput names a fulfilled obligation.
type ObligationDependantsInput struct {
	IncidentID   string `json:"incident_id"`
	ObligationID string `json:"obligation_id"`
	// Self is the asking clock's workflow id, never returned.
	Self string `json:"self"`
}

// ObligationDependantsResult lists the clocks chained to the obligation.
type ObligationDependantsResult struct {
	ClockWorkflowIDs []string `json:"clock_workflow_ids"`
}

// ObligationDependants finds the running clocks whose deadline runs from the given
// obligation's fulfilment (e.g. California's AG notice, 15 days after residents were
// notified): from the store's obligations rows, and from the incident's last stored
// state for clocks started before clocks wrote rows. A fulfilled clock signals each
// itself, so a chain keeps working after the incident workflow has ended.
func (a *Activities) ObligationDependants(ctx context.Context, in ObligationDependantsInput) (ObligationDependantsResult, error) {
	rows, err := a.Store.Obligations(ctx, incident.ObligationFilter{IncidentID: in.IncidentID, DependsOn: in.ObligationID, Open: true})
	if err != nil {
		return ObligationDependantsResult{}, fmt.Errorf("dependants of %s in %s: %w", in.ObligationID, in.IncidentID, err)
	}
	out := []string{}
	add := func(id string) {
		if id != "" && id != in.Self && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, r := range rows {
		add(r.ClockWorkflowID)
	}
	stored, err := a.Store.GetIncident(ctx, in.IncidentID)
	var e *incident.Error
	switch {
	case errors.As(err, &e) && e.Code == incident.ENOTFOUND:
	case err != nil:
		return ObligationDependantsResult{}, fmt.Errorf("dependants of %s in %s: %w", in.ObligationID, in.IncidentID, err)
	default:
		var st struct {
			Obligations []incident.IncidentObligation `json:"obligations"`
		}
		if err := json.Unmarshal([]byte(stored.StateJSON), &st); err != nil {
			return ObligationDependantsResult{}, fmt.Errorf("dependants of %s in %s: decode stored state: %w", in.ObligationID, in.IncidentID, err)
		}
		for _, o := range st.Obligations {
			if o.DependsOn != nil && *o.DependsOn == in.ObligationID && !o.Final() {
				add(o.ClockWorkflowID)
			}
		}
	}
	return ObligationDependantsResult{ClockWorkflowIDs: out}, nil
}
