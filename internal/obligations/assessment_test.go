package obligations

import (
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/playbooks/regimes"
)

// stateSets are the trigger sets of reference section 6, copied here so the test
// checks the catalogue against the reference rather than against itself. location
// in California counts only for ALPR data: it triggers with a note to confirm.
var stateSets = map[string][]string{
	"US-CA": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "credentials", "location"},
	"US-NY": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "credentials"},
	"US-TX": {"government_id", "financial", "payment_card", "health"},
	"US-FL": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "location", "credentials"},
	"US-CO": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "credentials"},
	"US-WA": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "credentials"},
	"US-VT": {"government_id", "financial", "payment_card", "health", "genetic_biometric", "credentials"},
}

// confirmed are the state categories that trigger only on a condition the facts
// cannot express (reference section 6, "How the engine should decide" 2).
var confirmed = map[string][]string{
	"US-CA": {"financial", "payment_card", "location"},
	"US-NY": {"government_id", "financial", "payment_card", "genetic_biometric"},
	"US-TX": {"financial", "payment_card"},
	"US-FL": {"financial", "payment_card", "genetic_biometric"},
	"US-CO": {"financial", "payment_card", "genetic_biometric"},
	"US-WA": {"financial", "payment_card", "genetic_biometric"},
	"US-VT": {"financial", "payment_card"},
}

func determined(s string) mod {
	return func(d *facts.Document) { d.Timeline.DeterminedAt = ts(s) }
}

// stateRules are the catalogue's rules of one state that test its element set.
func stateRules(t *testing.T, state string) []regimes.Rule {
	t.Helper()
	var out []regimes.Rule
	for _, r := range cat.Rules {
		if r.Jurisdiction == state && usesElements(r.Threshold.All, state) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no rule of %s tests its element set", state)
	}
	return out
}

func usesElements(conds []regimes.Condition, state string) bool {
	return slices.ContainsFunc(conds, func(c regimes.Condition) bool { return c.Elements == state })
}

// stateFacts meets every other threshold of the state's rules: a controller (or a
// processor, for the maintainer duties), 20,000 readable records of residents, high
// risk, discovered on 6 March 2026.
func stateFacts(state string, r regimes.Rule, categories ...string) facts.Document {
	d := base(in(state, 20000), cats(categories...))
	for _, c := range r.Threshold.All {
		if c.Role == "processor" {
			d.Organization.Role = "processor"
		}
	}
	return d
}

// TestStateDataElements (issue 10, item 2): every US state rule applies only when
// an affected data category is in its state's list (reference section 6), checked
// one category at a time for every rule of every catalogued state.
func TestStateDataElements(t *testing.T) {
	all := []string{"contact", "credentials", "government_id", "financial", "payment_card", "health",
		"genetic_biometric", "special_category", "children", "location", "other"}
	for state, set := range stateSets {
		for _, r := range stateRules(t, state) {
			for _, c := range all {
				o, ok := find(Evaluate(stateFacts(state, r, c), cat, asOf, Options{All: true}), r.ID)
				if !ok {
					t.Fatalf("%s: no obligation", r.ID)
				}
				want := slices.Contains(set, c)
				if o.Applicable != want {
					t.Errorf("%s with only %s: applicable %v, want %v (%s)", r.ID, c, o.Applicable, want, o.Reason)
					continue
				}
				needConfirm := want && slices.Contains(confirmed[state], c)
				if got := len(o.Review) > 0; got != needConfirm && c != "other" {
					t.Errorf("%s with only %s: review %q, want a note to confirm: %v", r.ID, c, o.Review, needConfirm)
				}
				if o.NeedsAssessment {
					t.Errorf("%s with only %s: needs assessment (%v) although the categories are known", r.ID, c, o.Questions)
				}
			}
		}
	}
}

// TestContactDataAloneStartsNoStateClock is the example: a breach of names,
// emails and phone numbers of residents of every catalogued state starts none of
// their clocks; other data is flagged for review, never applied.
func TestContactDataAloneStartsNoStateClock(t *testing.T) {
	d := base(cats("contact"))
	for state := range stateSets {
		in(state, 20000)(&d)
	}
	for _, o := range Compute(d, cat, asOf) {
		if strings.HasPrefix(o.Jurisdiction, "US-") {
			t.Errorf("%s applies to contact data alone: %s", o.ID, o.Reason)
		}
	}
	d.DataCategories = []string{"contact", "other"}
	obs := Compute(d, cat, asOf)
	wa, ok := find(obs, "us-wa-19-255-individuals")
	if !ok || wa.Applicable || len(wa.Review) != 1 || !strings.Contains(wa.Review[0], "full date of birth") {
		t.Errorf("Washington with other data: listed %v, applicable %v, review %q; want a review note about the full date of birth", ok, wa.Applicable, wa.Review)
	}
	for _, o := range obs {
		if o.Applicable && strings.HasPrefix(o.Jurisdiction, "US-") {
			t.Errorf("%s applies to contact and other data: %s", o.ID, o.Reason)
		}
		if strings.HasPrefix(o.Jurisdiction, "US-") && o.Status != StatusNotApplicable {
			t.Errorf("%s: status %s", o.ID, o.Status)
		}
	}
}

func TestStateDataElementEdges(t *testing.T) {
	tests := []struct {
		name       string
		id         string
		d          facts.Document
		applicable bool
		needs      bool
		want       string // substring of reason or review
	}{
		{"unknown categories need assessment, clock from discovery", "us-ca-1798-82-individuals", base(in("US-CA", 10), cats()), true, true, "data_categories unknown"},
		{"California ALPR location to confirm", "us-ca-1798-82-individuals", base(in("US-CA", 10), cats("location")), true, false, "automated license plate recognition"},
		{"California card number needs its code confirmed", "us-ca-1798-82-individuals", base(in("US-CA", 10), cats("payment_card")), true, false, "access code"},
		{"California card number with a government ID: no note", "us-ca-1798-82-individuals", base(in("US-CA", 10), cats("payment_card", "government_id")), true, false, "government_id is personal information"},
		{"New York health from March 2025", "us-ny-899aa-individuals", base(in("US-NY", 10), cats("health"), discovered("2025-03-10T12:00:00Z")), true, false, "health"},
		{"New York health before March 2025", "us-ny-899aa-individuals", base(in("US-NY", 10), cats("health"), discovered("2025-02-10T12:00:00Z")), false, false, "not yet listed on 2025-02-10: health (listed from 2025-03-01)"},
		{"Florida geolocation from 1 July 2024", "us-fl-501-171-individuals", base(in("US-FL", 10), cats("location"), determined("2024-07-02T12:00:00Z")), true, false, "location"},
		{"Florida geolocation before SB 262", "us-fl-501-171-individuals", base(in("US-FL", 10), cats("location"), determined("2024-06-30T12:00:00Z")), false, false, "listed from 2024-07-01"},
		{"Texas lists no credentials", "us-tx-521-053-individuals", base(in("US-TX", 10), cats("credentials")), false, false, "no affected data category is personal information under Tex."},
		{"encryption safe harbour in every state", "us-tx-521-053-individuals", base(in("US-TX", 10), cats("health"), encrypted(true)), false, false, "encrypted_unusable"},
		{"encryption unknown needs assessment", "us-ny-899aa-individuals", base(in("US-NY", 10), cats("credentials"), func(d *facts.Document) { d.EncryptedUnusable = nil }), true, true, "encrypted_unusable unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := find(Evaluate(tt.d, cat, asOf, Options{All: true}), tt.id)
			if !ok {
				t.Fatal("no obligation")
			}
			if o.Applicable != tt.applicable || o.NeedsAssessment != tt.needs {
				t.Errorf("applicable %v needs assessment %v, want %v %v (%s)", o.Applicable, o.NeedsAssessment, tt.applicable, tt.needs, o.Reason)
			}
			if text := o.Reason + " | " + strings.Join(o.Review, " | "); !strings.Contains(text, tt.want) {
				t.Errorf("reason and review %q lack %q", text, tt.want)
			}
			if tt.needs && (o.DueAt == nil || len(o.Questions) == 0) {
				t.Errorf("needs assessment without a running clock or questions: due %v questions %v", o.DueAt, o.Questions)
			}
		})
	}
}

// TestSignificance (issue 10, item 3): NIS2 significance comes from the impact block
// or high personal-data risk; DORA needs its classification; China's "relatively
// major" from the objective thresholds, with a high risk below them needing
// assessment.
func TestSignificance(t *testing.T) {
	nis2 := func(mods ...mod) facts.Document {
		return base(append([]mod{in("DE", 10), est("DE"), flags("nis2_entity")}, mods...)...)
	}
	impactQs := []string{"impact.severe_operational_disruption", "impact.financial_loss", "impact.considerable_damage_to_others"}
	tests := []struct {
		name       string
		id         string
		d          facts.Document
		applicable bool
		needs      bool
		questions  []string
		due        string
		want       string
	}{
		{"NIS2: an outage without personal data is significant", "eu-nis2-23-authority", nis2(risk("unlikely"), severe(true)), true, false, nil, "2026-03-07T16:00:00Z", "impact.severe_operational_disruption is true"},
		{"NIS2: impact not assessed, risk unlikely: needs assessment", "eu-nis2-23-authority", nis2(risk("unlikely")), true, true, impactQs, "2026-03-07T16:00:00Z", "not assessed"},
		{"NIS2: risk \"risk\" is not silently dropped", "eu-nis2-23-authority/notification", nis2(risk("risk")), true, true, impactQs, "2026-03-09T16:00:00Z", "needs assessment"},
		{"NIS2: risk high alone is significant", "eu-nis2-23-authority", nis2(), true, false, nil, "2026-03-07T16:00:00Z", "risk is high"},
		{"NIS2: all impact answered no, risk below high", "eu-nis2-23-authority", nis2(risk("risk"), noImpact), false, false, nil, "", "none of"},
		{"NIS2: one impact answer left open", "eu-nis2-23-recipients", nis2(risk("risk"), func(d *facts.Document) {
			d.Impact.FinancialLoss, d.Impact.SevereOperationalDisruption = ptr(false), ptr(false)
		}),
			true, true, []string{"impact.considerable_damage_to_others"}, "", "impact.considerable_damage_to_others not assessed"},
		{"DORA: not yet classified, clock from awareness (4 h)", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity"), classified("")), true, true, []string{"timeline.classified_major_at"}, "2026-03-06T20:00:00Z", "the clock runs from aware_at"},
		{"DORA: the intermediate report follows the assessment", "eu-dora-19-major-incident/intermediate", base(in("DE", 10), flags("dora_financial_entity"), classified("")), true, true, []string{"timeline.classified_major_at"}, "", "runs from eu-dora-19-major-incident, which needs assessment"},
		{"DORA: classified, no assessment", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity")), true, false, nil, "2026-03-07T00:00:00Z", ""},
		{"CAC: ten people's contact data at high risk needs assessment", "cn-cac-incident-measures", base(in("CN", 10)), true, true,
			[]string{"affected.individuals", "organization.flags", "impact.severe_operational_disruption", "risk"}, "2026-03-06T20:00:00Z", "legal decides"},
		{"CAC: below the thresholds at lower risk", "cn-cac-incident-measures", base(in("CN", 10), risk("risk")), false, false, nil, "", "none of"},
		{"CAC: one million people in China", "cn-cac-incident-measures", base(in("CN", 1000000), risk("risk")), true, false, nil, "2026-03-06T20:00:00Z", "1000000 affected individuals in CN >= 1000000"},
		{"CAC: a million people, but not in China", "cn-cac-incident-measures", base(in("CN", 10), in("JP", 999990), risk("risk")), false, false, nil, "", "10 affected individuals in CN, not >= 1000000"},
		{"CAC: critical infrastructure with a severe disruption", "cn-cac-incident-measures", base(in("CN", 10), risk("unlikely"), flags("critical_infrastructure"), severe(true)), true, false, nil, "2026-03-06T20:00:00Z", "impact.severe_operational_disruption is true"},
		{"CAC CII report: disruption not assessed", "cn-cac-incident-measures/cii", base(in("CN", 10), risk("unlikely"), flags("critical_infrastructure")), true, true, []string{"impact.severe_operational_disruption"}, "2026-03-06T17:00:00Z", "not assessed"},
		{"GDPR: risk not assessed needs assessment", "eu-gdpr-33-sa", base(in("DE", 10), est("IE"), risk("")), true, true, []string{"risk"}, "2026-03-09T16:00:00Z", "risk not assessed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, ok := find(Evaluate(tt.d, cat, asOf, Options{All: true}), tt.id)
			if !ok {
				t.Fatal("no obligation")
			}
			if o.Applicable != tt.applicable || o.NeedsAssessment != tt.needs {
				t.Fatalf("applicable %v needs assessment %v, want %v %v (%s)", o.Applicable, o.NeedsAssessment, tt.applicable, tt.needs, o.Reason)
			}
			if !slices.Equal(o.Questions, tt.questions) {
				t.Errorf("questions %q, want %q", o.Questions, tt.questions)
			}
			got := ""
			if o.DueAt != nil {
				got = o.DueAt.UTC().Format(time.RFC3339)
			}
			if got != tt.due {
				t.Errorf("due %q, want %q", got, tt.due)
			}
			if !strings.Contains(o.Reason, tt.want) {
				t.Errorf("reason %q lacks %q", o.Reason, tt.want)
			}
		})
	}
}

// TestUnknownCauseTakesTheEarlierFinalReport (issue 10, item 5): with the cause
// unknown, Japan's final report is due once, on the reading with the earlier
// deadline, and the reason says which reading was taken, in plain words.
func TestUnknownCauseTakesTheEarlierFinalReport(t *testing.T) {
	unknownCause := func(d *facts.Document) { d.Cause = facts.Cause{ServiceVulnerability: "unknown"} }
	causeQs := []string{"cause.credentials_used", "cause.insider", "cause.user_content"}
	tests := []struct {
		name        string
		d           facts.Document
		final, drop string // the final report that applies, the one that does not
		due         string
	}{
		{"more than 1,000 people: 30 days, not 60", base(in("JP", 1001), unknownCause), "jp-appi-ppc-preliminary/final", "jp-appi-ppc-final-malicious", "2026-04-06T14:59:59Z"},
		{"sensitive data: 30 days, not 60", base(in("JP", 5), cats("health"), unknownCause), "jp-appi-ppc-preliminary/final", "jp-appi-ppc-final-malicious", "2026-04-06T14:59:59Z"},
		{"nothing but the cause: only a wrongful purpose makes it reportable (60 days)", base(in("JP", 5), unknownCause), "jp-appi-ppc-final-malicious", "jp-appi-ppc-preliminary/final", "2026-05-06T14:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Evaluate(tt.d, cat, asOf, Options{All: true})
			final, _ := find(obs, tt.final)
			drop, _ := find(obs, tt.drop)
			if !final.Applicable || drop.Applicable {
				t.Fatalf("%s applicable %v (%s); %s applicable %v (%s)", tt.final, final.Applicable, final.Reason, tt.drop, drop.Applicable, drop.Reason)
			}
			if final.DueAt == nil || final.DueAt.UTC().Format(time.RFC3339) != tt.due {
				t.Errorf("%s due %v, want %s", tt.final, final.DueAt, tt.due)
			}
			if !final.NeedsAssessment || !slices.Equal(final.Questions, causeQs) {
				t.Errorf("%s: needs assessment %v questions %q, want %q", tt.final, final.NeedsAssessment, final.Questions, causeQs)
			}
			for _, o := range []Obligation{final, drop} {
				if strings.Contains(o.Reason, "not cause") || strings.Contains(o.Reason, "treated as") {
					t.Errorf("%s: garbled reason %q", o.ID, o.Reason)
				}
			}
			if !strings.Contains(final.Reason, "cause unknown (cause.credentials_used, cause.insider, cause.user_content unanswered)") {
				t.Errorf("%s: reason does not say the cause is unknown: %q", tt.final, final.Reason)
			}
		})
	}
	// Which reading was taken, when both would apply.
	obs := Evaluate(base(in("JP", 1001), unknownCause), cat, asOf, Options{All: true})
	final, _ := find(obs, "jp-appi-ppc-preliminary/final")
	if !strings.Contains(final.Reason, "read as not malicious until answered") || !strings.Contains(final.Reason, "the earlier of two readings") ||
		!strings.Contains(final.Reason, "jp-appi-ppc-final-malicious") {
		t.Errorf("30-day report does not say which reading it took: %q", final.Reason)
	}
	drop, _ := find(obs, "jp-appi-ppc-final-malicious")
	if !strings.Contains(drop.Reason, "irflow takes the earlier deadline, jp-appi-ppc-preliminary/final") {
		t.Errorf("60-day report does not say why not: %q", drop.Reason)
	}
	// Answering the cause decides it.
	known := Evaluate(base(in("JP", 1001)), cat, asOf, Options{All: true})
	if f, _ := find(known, "jp-appi-ppc-final-malicious"); !f.Applicable || f.NeedsAssessment {
		t.Errorf("stolen password: 60-day report applicable %v needs assessment %v", f.Applicable, f.NeedsAssessment)
	}
	if f, _ := find(known, "jp-appi-ppc-preliminary/final"); f.Applicable {
		t.Errorf("stolen password: the 30-day report still applies: %s", f.Reason)
	}
}

// TestLawEnforcementDelayFromTheCatalogue (issue 10, item 4): an obligation carries
// its law's delay provision, with the citation, or none.
func TestLawEnforcementDelayFromTheCatalogue(t *testing.T) {
	d := base(pii, in("DE", 10), in("US-CA", 10), est("IE"), flags("hipaa_covered_entity", "sec_registrant"), cats("health"))
	obs := Compute(d, cat, asOf)
	for id, want := range map[string]string{
		"eu-gdpr-33-sa":             "",
		"eu-gdpr-34-individuals":    "GDPR Recital 88",
		"us-hipaa-individuals":      "45 CFR 164.412",
		"us-sec-8k-105":             "Form 8-K Item 1.05(c)",
		"us-ca-1798-82-individuals": "Cal. Civ. Code 1798.82 (as amended by SB 446)",
	} {
		o, ok := find(obs, id)
		if !ok {
			t.Errorf("%s does not apply", id)
			continue
		}
		got := ""
		if o.LawEnforcementDelay != nil {
			got = o.LawEnforcementDelay.Citation
		}
		if got != want {
			t.Errorf("%s: law-enforcement delay %q, want %q", id, got, want)
		}
	}
}

// TestGivenChainsFromTheNoticeGiven: a stage anchored on an earlier notice runs from
// the instant given, with calendar months clamped to the end of a shorter month
// (reference section 3: a month from 31 January ends on the last day of February).
func TestGivenChainsFromTheNoticeGiven(t *testing.T) {
	nis2 := base(in("DE", 10), est("DE"), flags("nis2_entity"))
	tests := []struct {
		name, id, given, at, due string
	}{
		{"NIS2 final: 31 March + one month", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2026-03-31T10:00:00Z", "2026-04-30T23:59:59+02:00"},
		{"NIS2 final: 31 January + one month (2026)", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2026-01-31T10:00:00Z", "2026-02-28T23:59:59+01:00"},
		{"NIS2 final: 31 January + one month (leap year 2028)", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2028-01-31T10:00:00Z", "2028-02-29T23:59:59+01:00"},
		{"NIS2 final: 30 January + one month (2026)", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2026-01-30T10:00:00Z", "2026-02-28T23:59:59+01:00"},
		{"NIS2 final: late evening UTC is the next day in Berlin", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2026-01-31T23:30:00Z", "2026-03-01T23:59:59+01:00"},
		{"NIS2 final: 31 December + one month", "eu-nis2-23-authority/final", "eu-nis2-23-authority/notification", "2026-12-31T10:00:00Z", "2027-01-31T23:59:59+01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := find(Evaluate(nis2, cat, asOf, Options{Fulfilled: map[string]time.Time{tt.given: *ts(tt.at)}}), tt.id)
			if o.DueAt == nil || o.DueAt.Format(time.RFC3339) != tt.due || o.TriggerAt == nil || !o.TriggerAt.Equal(*ts(tt.at)) {
				t.Errorf("due %v from %v, want %s from %s", o.DueAt, o.TriggerAt, tt.due, tt.at)
			}
		})
	}
	if got := Anchored(cat, "eu-nis2-23-authority/notification"); !slices.Equal(got, []string{"eu-nis2-23-authority/final"}) {
		t.Errorf("Anchored(NIS2 notification) = %v", got)
	}
	if got := Anchored(cat, "eu-gdpr-33-sa:DE"); len(got) != 0 {
		t.Errorf("Anchored(GDPR SA) = %v, want nothing", got)
	}
}
