package regimes

import (
	"strings"
	"testing"
	"testing/fstest"
)

// referenceIDs are the 77 rule ids of shared/reference/notification-rules.yaml. The
// list is copied here, not read from /work/shared, so the test runs on a clean clone.
var referenceIDs = []string{
	"eu-gdpr-33-sa", "eu-gdpr-33-2-processor", "eu-gdpr-34-individuals", "uk-gdpr-33-ico",
	"uk-gdpr-34-individuals", "eu-nis2-23-authority", "eu-nis2-23-trust-service",
	"eu-nis2-23-recipients", "eu-dora-19-major-incident", "eu-dora-19-clients",
	"us-hipaa-individuals", "us-hipaa-media", "us-hipaa-hhs-500plus", "us-hipaa-hhs-under500",
	"us-hipaa-business-associate", "us-sec-8k-105", "us-sec-regsp-individuals",
	"us-sec-regsp-service-provider", "us-ftc-safeguards", "us-ftc-hbnr", "us-bank-36h",
	"us-bank-service-provider", "us-circia-incident", "us-circia-ransom",
	"us-ny-dfs-500-17-incident", "us-ny-dfs-500-17-extortion-notice", "us-ca-1798-82-individuals",
	"us-ca-1798-82-ag", "us-ca-1798-82-maintainer", "us-ny-899aa-individuals",
	"us-ny-899aa-regulators", "us-ny-899aa-cra", "us-ny-899aa-hipaa-ag",
	"us-tx-521-053-individuals", "us-tx-521-053-ag", "us-tx-521-053-cra",
	"us-tx-521-053-maintainer", "us-fl-501-171-individuals", "us-fl-501-171-dla",
	"us-fl-501-171-cra", "us-fl-501-171-third-party-agent", "us-co-6-1-716-individuals",
	"us-co-6-1-716-ag", "us-co-6-1-716-cra", "us-wa-19-255-individuals", "us-wa-19-255-ag",
	"us-vt-2435-ag-preliminary", "us-vt-2435-individuals", "ca-pipeda-opc",
	"ca-pipeda-individuals", "ca-qc-law25-cai", "ca-qc-law25-individuals", "au-ndb-assessment",
	"au-ndb-oaic", "au-ndb-individuals", "br-lgpd-anpd", "br-lgpd-titulares",
	"sg-pdpa-assessment", "sg-pdpa-pdpc", "sg-pdpa-individuals", "sg-pdpa-data-intermediary",
	"jp-appi-ppc-preliminary", "jp-appi-ppc-final-malicious", "jp-appi-individuals",
	"kr-pipa-individuals", "kr-pipa-pipc", "in-certin-6h", "in-dpdp-board",
	"in-dpdp-individuals", "ch-fadp-fdpic", "ch-fadp-processor", "ch-fadp-individuals",
	"ch-isa-ncsc-24h", "pci-dss-12-10-1", "pci-visa-wtdic", "cn-pipl-57",
	"cn-cac-incident-measures",
}

func TestEmbeddedCatalogueCarriesEveryReferenceRuleOnce(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(referenceIDs) != 77 {
		t.Fatalf("reference list has %d ids, want 77", len(referenceIDs))
	}
	seen := map[string]int{}
	for _, r := range c.Rules {
		seen[r.ID]++
	}
	for _, id := range referenceIDs {
		if seen[id] != 1 {
			t.Errorf("rule %s appears %d times, want 1", id, seen[id])
		}
		delete(seen, id)
	}
	for id := range seen {
		t.Errorf("rule %s is not in the reference catalogue", id)
	}
}

// Spot checks that the reference's legal facts came over unchanged and that its
// verification statuses were not upgraded.
func TestCatalogueFacts(t *testing.T) {
	c := MustLoad()
	tests := []struct {
		id, deadline, verification, audience, trigger string
		businessDays                                  bool
		calendar                                      string
	}{
		{"eu-gdpr-33-sa", "PT72H", Verified, AudienceAuthority, "aware_at", false, ""},
		{"uk-gdpr-33-ico", "PT72H", Partial, AudienceAuthority, "aware_at", false, ""},
		{"us-sec-8k-105", "P4D", Verified, AudienceOther, "materiality_determined_at", true, "us-federal"},
		{"br-lgpd-anpd", "P3D", Verified, AudienceAuthority, "aware_at", true, "br-national"},
		{"us-ca-1798-82-ag", "P15D", Verified, AudienceAuthority, FulfilledAt, false, ""},
		{"us-ca-1798-82-maintainer", "", Unverified, AudienceController, "discovered_at", false, ""},
		{"us-vt-2435-ag-preliminary", "P14D", Verified, AudienceAuthority, "discovered_at", true, "us-federal"},
		{"us-ny-899aa-hipaa-ag", "P5D", Verified, AudienceAuthority, FulfilledAt, true, "us-federal"},
		{"eu-dora-19-major-incident", "PT4H", Verified, AudienceAuthority, "classified_major_at", false, ""},
		{"cn-cac-incident-measures", "PT4H", Partial, AudienceAuthority, "discovered_at", false, ""},
		{"in-certin-6h", "PT6H", Verified, AudienceAuthority, "detected_at", false, ""},
	}
	for _, tt := range tests {
		r, ok := c.Rule(tt.id)
		if !ok {
			t.Errorf("%s missing", tt.id)
			continue
		}
		if r.Deadline != tt.deadline || r.Verification != tt.verification || r.Audience != tt.audience ||
			r.Trigger.Field != tt.trigger || r.BusinessDays != tt.businessDays || r.Calendar != tt.calendar {
			t.Errorf("%s: got deadline %q verification %q audience %q trigger %q business_days %v calendar %q",
				tt.id, r.Deadline, r.Verification, r.Audience, r.Trigger.Field, r.BusinessDays, r.Calendar)
		}
		if r.Citation == "" || r.SourceURL == "" || r.Threshold.Text == "" || r.Trigger.Text == "" {
			t.Errorf("%s: citation, source, threshold text or trigger text lost", tt.id)
		}
	}
	ag, _ := c.Rule("us-ca-1798-82-ag")
	if len(ag.DependsOn) != 1 || ag.DependsOn[0] != "us-ca-1798-82-individuals" {
		t.Errorf("CA AG chain = %v", ag.DependsOn)
	}
	if cnt := ag.Threshold.All[2].Count; cnt == nil || cnt.Op != ">" || cnt.Value != 500 {
		t.Errorf("CA AG threshold = %+v, want count > 500", ag.Threshold.All)
	}
	circia, _ := c.Rule("us-circia-incident")
	if ok, why := circia.InForceAt("2026-06-01"); ok || !strings.Contains(why, "not in force") {
		t.Errorf("CIRCIA in force = %v (%s), want not in force", ok, why)
	}
	dpdp, _ := c.Rule("in-dpdp-board")
	if ok, _ := dpdp.InForceAt("2026-06-01"); ok {
		t.Error("DPDP r.7 in force in 2026, want from 2027-05-13")
	}
	if ok, _ := dpdp.InForceAt("2027-05-13"); !ok {
		t.Error("DPDP r.7 not in force on 2027-05-13")
	}
}

const goodRule = `rules:
- id: test-rule
  title: Test
  jurisdiction: DE
  jurisdiction_text: Germany
  scope: affected
  citation: "Test Act s.1"
  source_url: "https://example.org"
  verification: verified
  audience: authority
  trigger: {field: aware_at, text: "aware", fallback: [discovered_at]}
  deadline: PT72H
  business_days: false
  threshold:
    text: "any"
`

func TestValidateRejectsBadRules(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(string) string
		wantErr []string
	}{
		{"good", func(s string) string { return s }, nil},
		{"cites nothing", func(s string) string { return strings.Replace(s, `"Test Act s.1"`, `""`, 1) },
			[]string{"test.yaml:7: rule test-rule: citation: a rule must cite its legal source"}},
		{"unknown trigger", func(s string) string { return strings.Replace(s, "field: aware_at", "field: noticed_at", 1) },
			[]string{"test.yaml:11: rule test-rule: trigger.field: unknown trigger \"noticed_at\""}},
		{"unknown fallback", func(s string) string { return strings.Replace(s, "[discovered_at]", "[later]", 1) },
			[]string{"rule test-rule: trigger.fallback: unknown trigger \"later\""}},
		{"bad duration", func(s string) string { return strings.Replace(s, "PT72H", "P3X", 1) },
			[]string{"test.yaml:12: rule test-rule: deadline: bad ISO-8601 duration \"P3X\""}},
		{"mixed duration", func(s string) string { return strings.Replace(s, "PT72H", "P1DT2H", 1) },
			[]string{"deadline: bad duration \"P1DT2H\": mixes days and hours"}},
		{"unknown calendar", func(s string) string {
			return strings.Replace(s, "deadline: PT72H\n  business_days: false", "deadline: P3D\n  business_days: true\n  calendar: de-bund\n  time_zone: Europe/Berlin", 1)
		}, []string{"rule test-rule: calendar: unknown calendar \"de-bund\""}},
		{"day deadline without zone", func(s string) string { return strings.Replace(s, "PT72H", "P30D", 1) },
			[]string{"rule test-rule: time_zone: day-based deadlines end at 23:59:59 local time"}},
		{"dangling chain", func(s string) string {
			return strings.Replace(s, "trigger: {field: aware_at, text: \"aware\", fallback: [discovered_at]}", "trigger: {field: fulfilled_at, text: \"after x\"}\n  depends_on: [no-such-rule]", 1)
		}, []string{"rule test-rule: depends_on: depends on unknown rule or stage \"no-such-rule\""}},
		{"chain to itself", func(s string) string {
			return strings.Replace(s, "trigger: {field: aware_at, text: \"aware\", fallback: [discovered_at]}", "trigger: {field: fulfilled_at, text: \"after x\"}\n  depends_on: [test-rule]", 1)
		}, []string{"chain loops back on itself: test-rule -> test-rule"}},
		{"bad verification", func(s string) string { return strings.Replace(s, "verification: verified", "verification: sure", 1) },
			[]string{"verification: want verified, partial or UNVERIFIED, got \"sure\""}},
		{"bad comparator", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    all:\n    - {count: {of: jurisdiction, op: \"=>\", value: 500}}", 1)
		}, []string{"threshold.all[0].count.op: want >, >=, < or <=, got \"=>\""}},
		{"two tests in one condition", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    all:\n    - {role: controller, risk_at_least: high}", 1)
		}, []string{"threshold.all[0]: a condition sets exactly one test, this one sets 2"}},
		{"unknown flag", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    all:\n    - {flags: [bank]}", 1)
		}, []string{"threshold.all[0].flags: unknown organisation flag \"bank\""}},
		{"unknown key is a YAML error with its line", func(s string) string { return strings.Replace(s, "business_days: false", "busines_days: false", 1) },
			[]string{"test.yaml:13: field busines_days not found"}},
		{"YAML syntax error names file and line", func(s string) string { return strings.Replace(s, "  title: Test", "  title: [Test", 1) },
			[]string{"test.yaml:2: did not find expected"}},
		{"duplicate id", func(s string) string { return s + strings.TrimPrefix(s, "rules:\n") },
			[]string{"rule test-rule: id: duplicate id (also at test.yaml:2)"}},
		{"no deadline and no words for it", func(s string) string { return strings.Replace(s, "  deadline: PT72H\n", "", 1) },
			[]string{"rule test-rule: due_text: a clock without a deadline must say what the law requires instead"}},
		{"unknown element set", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    all:\n    - {elements: US-ZZ}", 1)
		}, []string{"threshold.all[0].elements: no element set \"US-ZZ\""}},
		{"element set with other and a bad date", func(s string) string {
			return "element_sets:\n- id: DE\n  citation: \"Test Act s.2\"\n  source_url: \"https://example.org\"\n  verification: verified\n  elements:\n  - {category: other}\n  - {category: health, from: 2026-13-01}\n" +
				strings.Replace(s, `text: "any"`, "text: \"any\"\n    all:\n    - {elements: DE}", 1)
		}, []string{"test.yaml:6: element set DE: elements[0].category: other never triggers a law", "element set DE: elements[1].from: want YYYY-MM-DD, got \"2026-13-01\""}},
		{"unknown impact field", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    any:\n    - {impact: [outage]}", 1)
		}, []string{"threshold.any[0].impact: unknown impact field \"outage\""}},
		{"assess without questions of the facts", func(s string) string {
			return strings.Replace(s, `text: "any"`, "text: \"any\"\n    assess:\n      when: [{risk_at_least: high}]\n      questions: [impact.outage]\n      text: legal decides", 1)
		}, []string{"threshold.assess.questions[0]: impact.outage: not a field of the facts document"}},
		{"assess a missing trigger without a fallback", func(s string) string {
			return strings.Replace(s, "fallback: [discovered_at]}", "fallback: [], when_missing: assess}", 1)
		}, []string{"trigger.fallback: when_missing assess runs the clock from the earliest instant"}},
		{"alternative to an unknown rule", func(s string) string { return s + "  alternative_to: [no-such-rule]\n" },
			[]string{"rule test-rule: alternative_to: unknown rule or stage \"no-such-rule\""}},
		{"law-enforcement delay without a citation", func(s string) string { return s + "  law_enforcement_delay: {text: \"delay allowed\"}\n" },
			[]string{"rule test-rule: law_enforcement_delay: a law-enforcement delay needs the citation"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFS(fstest.MapFS{"test.yaml": {Data: []byte(tt.edit(goodRule))}})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in       string
		dayBased bool
		err      bool
	}{
		{"PT72H", false, false}, {"P30D", true, false}, {"P1M", true, false}, {"PT1H30M", false, false},
		{"P2W", true, false}, {"P", false, true}, {"72H", false, true}, {"P1DT1H", false, true}, {"PT", false, true}, {"P3", false, true},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseDuration(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && d.DayBased() != tt.dayBased {
			t.Errorf("ParseDuration(%q).DayBased() = %v", tt.in, d.DayBased())
		}
	}
	// Month arithmetic clamps to the end of a shorter month; it is not 30 days.
	for _, tt := range []struct{ from, dur, want string }{
		{"2026-01-31", "P1M", "2026-02-28"}, {"2028-01-31", "P1M", "2028-02-29"}, {"2026-03-06", "P1M", "2026-04-06"},
		{"2026-12-15", "P1M", "2027-01-15"}, {"2026-03-06", "P30D", "2026-04-05"}, {"2025-12-31", "P60D", "2026-03-01"}, {"2027-12-31", "P60D", "2028-02-29"},
	} {
		y, m, d := 0, 0, 0
		if _, err := fmtSscanf(tt.from, &y, &m, &d); err != nil {
			t.Fatal(err)
		}
		gy, gm, gd := MustParseDuration(tt.dur).AddDate(y, monthOf(m), d)
		if got := fmtDate(gy, int(gm), gd); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.from, tt.dur, got, tt.want)
		}
	}
}

// TestStateRulesTestTheirDataElements: every US state notice of the catalogue tests
// its state's element set (reference section 6) and the encryption safe harbour;
// only the NY notice that follows a HIPAA notice to HHS is keyed on HIPAA instead.
func TestStateRulesTestTheirDataElements(t *testing.T) {
	c := MustLoad()
	for _, r := range c.Rules {
		if r.prov.file != "us-states.yaml" || r.ID == "us-ny-899aa-hipaa-ag" {
			continue
		}
		var elements, encrypted bool
		for _, cond := range r.Threshold.All {
			elements = elements || cond.Elements == r.Jurisdiction
			encrypted = encrypted || cond.NotEncrypted
		}
		if !elements || !encrypted {
			t.Errorf("%s: tests its element set %v, the encryption safe harbour %v", r.ID, elements, encrypted)
		}
		if _, ok := c.Elements[r.Jurisdiction]; !ok {
			t.Errorf("%s: no element set %s", r.ID, r.Jurisdiction)
		}
	}
	if ny := c.Elements["US-NY"]; ny.Verification != Verified || len(ny.Elements) != 6 {
		t.Errorf("US-NY element set: %+v", ny)
	}
	if co := c.Elements["US-CO"]; co.Verification != Partial {
		t.Errorf("US-CO element set verification %q, want partial as the reference marks it", co.Verification)
	}
}

// TestLawEnforcementDelays: only rules whose law provides a delay carry one, each
// with its citation (reference section 4, pitfall 4).
func TestLawEnforcementDelays(t *testing.T) {
	want := map[string]string{
		"eu-gdpr-34-individuals":      "GDPR Recital 88",
		"us-hipaa-individuals":        "45 CFR 164.412",
		"us-hipaa-media":              "45 CFR 164.412",
		"us-hipaa-hhs-500plus":        "45 CFR 164.412",
		"us-hipaa-hhs-under500":       "45 CFR 164.412",
		"us-hipaa-business-associate": "45 CFR 164.412",
		"us-sec-8k-105":               "Form 8-K Item 1.05(c)",
		"us-ca-1798-82-individuals":   "Cal. Civ. Code 1798.82 (as amended by SB 446)",
		"us-ny-899aa-individuals":     "N.Y. Gen. Bus. Law 899-aa(2) (S2659B, Dec 2024)",
		"us-wa-19-255-individuals":    "RCW 19.255.010",
	}
	for _, r := range MustLoad().Rules {
		got := ""
		if r.LawEnforcementDelay != nil {
			got = r.LawEnforcementDelay.Citation
		}
		if got != want[r.ID] {
			t.Errorf("%s: law-enforcement delay %q, want %q", r.ID, got, want[r.ID])
		}
	}
}
