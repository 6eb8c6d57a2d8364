package workflows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
)

// TestIncidentNeedsAssessment (issue 10): obligations that depend on facts not yet
// known run their clocks, needing assessment; when set_facts answers the questions
// the clock keeps running and records the answer, or retires with the engine's
// reason; a DORA classification re-arms the clock from the classification.
func TestIncidentNeedsAssessment(t *testing.T) {
	doc, err := facts.Merge(incContractFacts(t), []byte(`{
		"data_categories": null, "risk": "unlikely",
		"organization": {"flags": ["nis2_entity", "dora_financial_entity"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := newIncHarness(incAware.Add(time.Hour))
	nis2Clock := ObligationClockWorkflowID(incID, "eu-nis2-23-authority")
	caClock := ObligationClockWorkflowID(incID, "us-ca-1798-82-individuals")
	doraClock := ObligationClockWorkflowID(incID, "eu-dora-19-major-incident")
	classified := incAware.Add(5 * time.Hour)
	var declared, answered State
	var nis2Declared, nis2Answered, caRetired, doraRearmed ClockView
	h.at(time.Minute, func() {
		declared = h.state(t)
		nis2Declared = h.clock(t, nis2Clock)
		h.update(SetFactsUpdate, SetFactsRequest{Actor: "dpo", Reason: "the outage took the help desk down for a day; only contact data was exported",
			Patch: json.RawMessage(`{"impact": {"severe_operational_disruption": true}, "data_categories": ["contact"],
				"timeline": {"classified_major_at": "` + classified.Format(time.RFC3339) + `"}}`)})
	})
	h.at(2*time.Minute, func() {
		answered = h.state(t)
		nis2Answered = h.clock(t, nis2Clock)
		caRetired = h.clock(t, caClock)
		doraRearmed = h.clock(t, doraClock)
		h.update(CloseUpdate, CloseRequest{Actor: "dpo", Reason: "test over"})
	})
	h.run(incPlaybook(nil), doc)
	h.completed(t)

	impactQs := []string{"impact.severe_operational_disruption", "impact.financial_loss", "impact.considerable_damage_to_others"}
	for id, qs := range map[string][]string{
		"eu-nis2-23-authority":      impactQs,
		"us-ca-1798-82-individuals": {"data_categories"},
		"eu-dora-19-major-incident": {"timeline.classified_major_at"},
	} {
		o, ok := incObligation(declared, id)
		if !ok || !o.Applicable || !o.NeedsAssessment || !slices.Equal(o.Questions, qs) || o.DueAt == nil || o.ClockWorkflowID == "" {
			t.Errorf("%s at declaration: applicable %v needs assessment %v questions %v due %v clock %q; want a running clock needing %v",
				id, o.Applicable, o.NeedsAssessment, o.Questions, o.DueAt, o.ClockWorkflowID, qs)
		}
	}
	if !nis2Declared.Obligation.NeedsAssessment || nis2Declared.DueAt == nil || !nis2Declared.DueAt.Equal(incAware.Add(24*time.Hour)) {
		t.Errorf("NIS2 clock at declaration: needs assessment %v due %v", nis2Declared.Obligation.NeedsAssessment, nis2Declared.DueAt)
	}
	if _, ok := incFind(declared.Timeline, incident.KindObligation, "eu-nis2-23-authority due 2026-03-07T16:00:00Z (needs assessment: impact.severe_operational_disruption"); !ok {
		t.Errorf("the start entry does not say what needs assessment: %v", incKinds(declared.Timeline))
	}

	// Answered: the impact makes NIS2 apply outright, on the same clock.
	o, _ := incObligation(answered, "eu-nis2-23-authority")
	if !o.Applicable || o.NeedsAssessment || o.Retired != "" || o.ClockWorkflowID != nis2Clock {
		t.Errorf("NIS2 after the impact answer: %+v", o)
	}
	if nis2Answered.Obligation.NeedsAssessment || nis2Answered.Status != "open" || !strings.Contains(nis2Answered.Obligation.Reason, "impact.severe_operational_disruption is true") {
		t.Errorf("NIS2 clock after the answer: needs assessment %v status %s reason %q", nis2Answered.Obligation.NeedsAssessment, nis2Answered.Status, nis2Answered.Obligation.Reason)
	}
	if e, ok := incFind(answered.Timeline, incident.KindObligation, "Obligations reassessed (facts changed)"); !ok || !strings.Contains(e.Text, "eu-nis2-23-authority applies") {
		t.Errorf("no reassessment entry: %+v", e)
	}
	if _, ok := incFind(answered.Timeline, incident.KindObligation, "eu-nis2-23-authority: assessed (facts changed"); !ok {
		t.Error("the clock's assessed event did not reach the incident timeline")
	}

	// Contact data alone: California retires, saying why.
	ca, _ := incObligation(answered, "us-ca-1798-82-individuals")
	if ca.Status != ClockRetired || !strings.Contains(ca.Retired, "no affected data category is personal information under Cal. Civ. Code 1798.82") {
		t.Errorf("California after contact data: status %s retired %q", ca.Status, ca.Retired)
	}
	if caRetired.Status != ClockRetired || !strings.Contains(caRetired.History[len(caRetired.History)-1].Text, "Cal. Civ. Code 1798.82(h)-(i)") {
		t.Errorf("California clock: status %s, last event %+v", caRetired.Status, caRetired.History[len(caRetired.History)-1])
	}

	// DORA classified five hours after awareness: due 4 h later, no longer assessed.
	dora, _ := incObligation(answered, "eu-dora-19-major-incident")
	if dora.NeedsAssessment || dora.DueAt == nil || !dora.DueAt.Equal(classified.Add(4*time.Hour)) {
		t.Errorf("DORA after classification: needs assessment %v due %v", dora.NeedsAssessment, dora.DueAt)
	}
	if doraRearmed.DueAt == nil || !doraRearmed.DueAt.Equal(classified.Add(4*time.Hour)) || doraRearmed.Obligation.NeedsAssessment {
		t.Errorf("DORA clock after classification: due %v needs assessment %v", doraRearmed.DueAt, doraRearmed.Obligation.NeedsAssessment)
	}
}
