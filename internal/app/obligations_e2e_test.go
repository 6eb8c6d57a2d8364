package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/service"
)

const (
	residentsNotice = "us-ca-1798-82-individuals"
	agNotice        = "us-ca-1798-82-ag"
)

// TestObligationsThroughTheService drives the demo's notification duties through
// the typed service on the embedded server, as the README's walk-through does: the
// trigger is set, the clocks get due dates, the residents' notice is fulfilled and
// the Attorney General's chained notice gets its due date; after close, show comes
// from the store and still reports the fulfilment.
func TestObligationsThroughTheService(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	svc := d.Service
	id := declareDemo(t, svc, "demo duties")
	waitState(t, svc, id, 10*time.Second, "the notification clocks to start", func(s incident.State) bool {
		for _, o := range s.Obligations {
			if o.ID == residentsNotice && o.ClockWorkflowID != "" {
				return true
			}
		}
		return false
	})

	aware := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	obs, err := svc.SetTrigger(ctx, id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: aware, Actor: "dpo", Reason: "certainty at the call"})
	if err != nil {
		t.Fatalf("set trigger: %v", err)
	}
	if o := find(obs, residentsNotice); o == nil || o.DueAt == nil {
		t.Fatalf("after set_trigger the residents' notice has no due date: %+v", obs)
	}
	waitObligation(t, svc, id, residentsNotice, "the residents' clock to be re-armed", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.DueAt != nil && v.Clock.TimeLeft != nil
	})

	cs, err := svc.Fulfil(ctx, id, residentsNotice, incident.MarkFulfilledRequest{Actor: "legal", Reference: "letters mailed, batch 1"})
	if err != nil {
		t.Fatalf("fulfil: %v", err)
	}
	if cs.Status != obligations.StatusFulfilled || cs.Fulfilment == nil || cs.Fulfilment.Reference != "letters mailed, batch 1" {
		t.Errorf("fulfil returned %+v", cs)
	}
	waitObligation(t, svc, id, agNotice, "the AG notice's clock to start from the fulfilment", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.DueAt != nil
	})
	all, err := svc.Obligations(ctx, id, true)
	if err != nil {
		t.Fatalf("obligations --all: %v", err)
	}
	notApplicable := 0
	for _, v := range all {
		if !v.Applicable {
			notApplicable++
		}
	}
	if notApplicable == 0 {
		t.Errorf("obligations with all lists no obligation that does not apply")
	}

	if _, err := svc.Close(ctx, id, incident.CloseRequest{Actor: "carol", Reason: "contained"}); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitClosed(t, d, id)
	st, err := svc.Show(ctx, id)
	if err != nil {
		t.Fatalf("show after close: %v", err)
	}
	if st.Phase != incident.PhaseClosed || len(st.Timeline) == 0 {
		t.Errorf("show after close: phase %s, %d timeline entries", st.Phase, len(st.Timeline))
	}
	if o := find(st.Obligations, residentsNotice); o == nil || o.Status != obligations.StatusFulfilled {
		t.Errorf("show after close: residents' notice %+v, want fulfilled", o)
	}
	if o := find(st.Obligations, agNotice); o == nil || o.DueAt == nil {
		t.Errorf("show after close: AG notice %+v, want its due date", o)
	}
}

func find(obs []incident.IncidentObligation, id string) *incident.IncidentObligation {
	for i := range obs {
		if obs[i].ID == id {
			return &obs[i]
		}
	}
	return nil
}

// waitObligation polls Obligations until the view of obligation id satisfies cond.
func waitObligation(t *testing.T, svc *service.Service, incidentID, id, what string, cond func(incident.ObligationView) bool) {
	t.Helper()
	var (
		obs []incident.ObligationView
		err error
	)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if obs, err = svc.Obligations(context.Background(), incidentID, false); err == nil {
			for _, v := range obs {
				if v.ID == id && cond(v) {
					return
				}
			}
		}
	}
	b, _ := json.MarshalIndent(obs, "", "  ")
	t.Fatalf("%s: waited for %s; last error %v; obligations:\n%s", incidentID, what, err, b)
}
