package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
)

// needsAssessment is an open NIS2 clock whose significance is not yet assessed.
func needsAssessment() incident.IncidentObligation {
	due := time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC)
	return incident.IncidentObligation{Obligation: obligations.Obligation{
		ID: "eu-nis2-23-authority", Audience: "authority", Jurisdiction: "EU", Verification: "verified",
		Applicable: true, Status: obligations.StatusOpen, DueAt: &due, NeedsAssessment: true,
		Questions: []string{"impact.severe_operational_disruption", "impact.financial_loss"},
	}, ClockWorkflowID: "INC-1/obligation/eu-nis2-23-authority"}
}

// TestListAndShowSayNeedsAssessment: obligations list and show name the questions an
// open obligation needs answered, and list shows the notes to review.
func TestListAndShowSayNeedsAssessment(t *testing.T) {
	o := needsAssessment()
	o.Review = []string{"confirm for payment_card (Cal. Civ. Code 1798.82(h)-(i)): an access code was taken"}
	var out bytes.Buffer
	if err := writeObligationViews(&out, []incident.ObligationView{{IncidentObligation: o}}, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"open, needs assessment",
		"eu-nis2-23-authority needs assessment: impact.severe_operational_disruption, impact.financial_loss",
		"eu-nis2-23-authority review: confirm for payment_card",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("obligations list lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	writeState(&out, incident.State{ID: "INC-1", Obligations: []incident.IncidentObligation{needsAssessment()}}, 0)
	if want := "open, needs assessment: impact.severe_operational_disruption, impact.financial_loss"; !strings.Contains(out.String(), want) {
		t.Errorf("show lacks %q:\n%s", want, out.String())
	}
}

// TestListSaysFulfilmentReference: a fulfilled obligation's reference, such as the
// delivery record of a notice irflow sent, is under the table.
func TestListSaysFulfilmentReference(t *testing.T) {
	o := needsAssessment()
	o.NeedsAssessment, o.Questions = false, nil
	at := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	clock := incident.ClockState{Status: obligations.StatusFulfilled,
		Fulfilment: &incident.Fulfilment{At: at, Reference: "notice:INC-1/eu-nis2-23-authority@5d0c0a1b2c3d"}}.View(at)
	var out bytes.Buffer
	if err := writeObligationViews(&out, []incident.ObligationView{{IncidentObligation: o, Clock: &clock}}, at, 0); err != nil {
		t.Fatal(err)
	}
	if want := "eu-nis2-23-authority fulfilled at 2026-03-06T10:00:00Z, reference notice:INC-1/eu-nis2-23-authority@5d0c0a1b2c3d"; !strings.Contains(out.String(), want) {
		t.Errorf("obligations list lacks %q:\n%s", want, out.String())
	}
}
