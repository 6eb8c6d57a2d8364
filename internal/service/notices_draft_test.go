package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/notices"
	"irflow/internal/obligations"
	"irflow/internal/service"
)

// TestDraftNoticeMissingFacts: a draft refused for facts the record lacks is an
// EINVALID *incident.Error for every transport, and a *MissingFactsError naming
// each fact for a transport that asks for them; once given, the draft goes to the
// notice workflow with them as its inputs.
func TestDraftNoticeMissingFacts(t *testing.T) {
	now := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	svc, _, ft := newService(t, now)
	due := now.Add(72 * time.Hour)
	ob := obligations.Obligation{ID: "ob-1", Rule: "rule-X", Title: "Notice", Audience: "authority", Trigger: "aware_at", DueAt: &due, Applicable: true}
	f := caFacts(now)
	f.DataCategories = []string{"contact"}
	ft.States["incident-INC-20260306-001"] = incident.State{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "takeover",
		Facts: f, Obligations: []incident.IncidentObligation{{Obligation: ob, ClockWorkflowID: "clock-INC-20260306-001-ob-1"}}}
	ctx := context.Background()

	_, err := svc.DraftNotice(ctx, "INC-20260306-001", "ob-1", service.DraftNoticeRequest{})
	var ie *incident.Error
	if !errors.As(err, &ie) || ie.Code != incident.EINVALID {
		t.Fatalf("err = %v, want an EINVALID *incident.Error", err)
	}
	var mf *service.MissingFactsError
	if !errors.As(err, &mf) || len(mf.Missing) == 0 || mf.Template == "" || mf.Error() != ie.Message {
		t.Fatalf("err = %#v, want a *MissingFactsError with the same message", err)
	}
	inputs := map[string]string{}
	for _, m := range mf.Missing {
		if m.Hint == "" {
			t.Errorf("fact %s has no hint", m.Fact)
		}
		if _, ok := notices.Inputs[m.Fact]; !ok {
			t.Errorf("fact %s is not a notice input: the record has every other fact", m.Fact)
		}
		inputs[m.Fact] = "given " + m.Fact
	}
	if len(ft.Updates()) != 0 {
		t.Fatalf("a refused draft reached Temporal")
	}

	ft.Results["draft_notice"] = incident.NoticeView{Notice: incident.Notice{ObligationID: "ob-1", Status: incident.NoticeDrafted}}
	if _, err := svc.DraftNotice(ctx, "INC-20260306-001", "ob-1", service.DraftNoticeRequest{Inputs: inputs}); err != nil {
		t.Fatalf("draft with the facts given: %v", err)
	}
	ups := ft.Updates()
	if len(ups) != 1 || ups[0].UpdateName != "draft_notice" {
		t.Fatalf("updates %+v", ups)
	}
	req := ups[0].Args[0].(incident.DraftNoticeRequest)
	for k, v := range inputs {
		if req.Inputs[k] != v {
			t.Errorf("input %s = %q, want %q", k, req.Inputs[k], v)
		}
	}
}
