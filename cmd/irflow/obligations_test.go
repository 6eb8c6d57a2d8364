package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

const exampleFacts = `{
  "version": 1,
  "timeline": {"aware_at": "2026-03-06T16:00:00Z", "discovered_at": "2026-03-06T16:00:00Z"},
  "affected": {"individuals": [{"jurisdiction": "DE", "count": 12000}, {"jurisdiction": "US-CA", "count": 800}]},
  "data_categories": ["contact", "credentials"],
  "encrypted_unusable": false,
  "risk": "high",
  "organization": {"role": "controller", "main_establishment": "IE", "flags": []}
}`

func TestObligationsJSON(t *testing.T) {
	p := writeFile(t, "facts.json", exampleFacts)
	code, out, stderr := runCLI(t, "obligations", "--facts", p, "--json", "--as-of", "2026-03-10T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		AsOf        string `json:"as_of"`
		Obligations []struct {
			ID         string  `json:"id"`
			DueAt      *string `json:"due_at"`
			Status     string  `json:"status"`
			Applicable bool    `json:"applicable"`
			DependsOn  *string `json:"depends_on"`
		} `json:"obligations"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, o := range got.Obligations {
		due := "null"
		if o.DueAt != nil {
			due = *o.DueAt
		}
		ids = append(ids, o.ID+"@"+due+"="+o.Status)
		if !o.Applicable {
			t.Errorf("%s not applicable without --all", o.ID)
		}
	}
	want := "eu-gdpr-33-sa@2026-03-09T16:00:00Z=overdue us-ca-1798-82-individuals@2026-04-05T23:59:59-07:00=open eu-gdpr-34-individuals@null=open us-ca-1798-82-ag@null=awaiting_predecessor"
	if strings.Join(ids, " ") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(ids, " "), want)
	}
}

func TestObligationsAllAddsReasons(t *testing.T) {
	p := writeFile(t, "facts.json", exampleFacts)
	code, out, stderr := runCLI(t, "obligations", "--facts", p, "--all", "--as-of", "2026-03-08T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"eu-gdpr-33-sa", "1d 16h left",
		"br-lgpd-anpd", "no affected individuals in BR",
		"us-sec-8k-105", "organization.flags has none of sec_registrant",
		"caution: the reference marks this rule UNVERIFIED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestObligationsBadInput(t *testing.T) {
	tests := []struct {
		name, body string
		args       []string
		want       string
	}{
		{"missing --facts", "", nil, "--facts FILE is required"},
		{"unknown field", `{"version": 1, "timline": {}}`, nil, `facts.json:1:16: timline: unknown field (did you mean "timeline"?)`},
		{"wrong type with line", "{\"version\": 1,\n \"risk\": 3}", nil, "facts.json:2:10: risk: must be a string, got the number 3"},
		{"syntax error", "{\"version\": 1,,}", nil, "facts.json:1:15: malformed JSON: invalid character ','"},
		{"wrong version", `{"version": 2}`, nil, "version: 2 is not supported"},
		{"bad --as-of", exampleFacts, []string{"--as-of", "tomorrow"}, `--as-of: want an RFC 3339 instant`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"obligations"}
			if tt.body != "" {
				args = append(args, "--facts", writeFile(t, "facts.json", tt.body))
			}
			code, _, stderr := runCLI(t, append(args, tt.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", stderr, tt.want)
			}
		})
	}
	code, _, stderr := runCLI(t, "obligations", "--facts", filepath.Join(t.TempDir(), "nope.json"))
	if code != 2 || !strings.Contains(stderr, "read facts") {
		t.Errorf("missing file: exit %d, %s", code, stderr)
	}
}

func TestObligationsNoTrigger(t *testing.T) {
	p := writeFile(t, "facts.json", `{"version": 1, "affected": {"individuals": [{"jurisdiction": "FR", "count": 3}]}, "risk": "high"}`)
	code, out, stderr := runCLI(t, "obligations", "--facts", p, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, `"due_at": "`) {
		t.Errorf("a due date without any trigger instant:\n%s", out)
	}
	if !strings.Contains(out, "no due date: aware_at") {
		t.Errorf("no explanation for the missing due date:\n%s", out)
	}
}

// nis2Facts: an essential entity's outage with no personal data at risk; whether it
// is significant (impact) is not yet assessed.
const nis2Facts = `{
  "version": 1,
  "timeline": {"aware_at": "2026-03-30T08:00:00Z"},
  "affected": {"individuals": [{"jurisdiction": "DE", "count": 10}]},
  "data_categories": ["contact"],
  "encrypted_unusable": false,
  "risk": "unlikely",
  "organization": {"role": "controller", "main_establishment": "DE", "flags": ["nis2_entity"]}
}`

// TestObligationsGiven: --given computes the stages anchored on a notice from the
// instant it is (to be) given, with calendar months (31 March + one month = 30 April,
// Berlin time); the text says what needs assessment.
func TestObligationsGiven(t *testing.T) {
	p := writeFile(t, "facts.json", nis2Facts)
	code, out, stderr := runCLI(t, "obligations", "--facts", p, "--as-of", "2026-03-30T12:00:00Z", "--json",
		"--given", "eu-nis2-23-authority/notification=2026-03-31T10:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Obligations []struct {
			ID              string   `json:"id"`
			DueAt           *string  `json:"due_at"`
			TriggerAt       *string  `json:"trigger_at"`
			Status          string   `json:"status"`
			NeedsAssessment bool     `json:"needs_assessment"`
			Questions       []string `json:"questions"`
		} `json:"obligations"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	found := false
	for _, o := range got.Obligations {
		if o.ID != "eu-nis2-23-authority/final" {
			continue
		}
		found = true
		if o.DueAt == nil || *o.DueAt != "2026-04-30T23:59:59+02:00" || o.TriggerAt == nil || *o.TriggerAt != "2026-03-31T10:00:00Z" {
			t.Errorf("final report: due %v from %v, want 2026-04-30T23:59:59+02:00 from 2026-03-31T10:00:00Z", o.DueAt, o.TriggerAt)
		}
		if !o.NeedsAssessment || strings.Join(o.Questions, ",") != "impact.severe_operational_disruption,impact.financial_loss,impact.considerable_damage_to_others" {
			t.Errorf("final report: needs_assessment %v questions %v", o.NeedsAssessment, o.Questions)
		}
	}
	if !found {
		t.Fatalf("no final report in\n%s", out)
	}

	code, out, stderr = runCLI(t, "obligations", "--facts", p, "--as-of", "2026-03-30T12:00:00Z",
		"--given", "eu-nis2-23-authority/notification=2026-03-31T10:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"2026-04-30T23:59:59+02:00", "eu-nis2-23-authority/final",
		"open, needs assessment",
		"needs assessment: impact.severe_operational_disruption, impact.financial_loss, impact.considerable_damage_to_others",
		"(from fulfilled_at 2026-03-31T10:00:00Z)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestObligationsGivenBadInput(t *testing.T) {
	p := writeFile(t, "facts.json", nis2Facts)
	tests := []struct{ given, want string }{
		{"eu-nis2-23-authority/notice=2026-03-31T10:00:00Z", `--given eu-nis2-23-authority/notice: no obligation "eu-nis2-23-authority/notice"`},
		{"eu-nis2-23-authority/notification=tomorrow", `--given eu-nis2-23-authority/notification: "tomorrow" is not an RFC 3339 instant`},
		{"eu-nis2-23-authority=2026-03-31T10:00:00Z", "--given eu-nis2-23-authority: no notice runs from eu-nis2-23-authority, so giving it changes no deadline; the notices others run from here are eu-nis2-23-authority/notification"},
		{"eu-nis2-23-authority/notification", `--given "eu-nis2-23-authority/notification": want OBLIGATION_ID=TIME`},
		{"eu-nis2-23-authority/notification=2026-03-29T10:00:00Z", "--given eu-nis2-23-authority/notification: 2026-03-29T10:00:00Z is before its trigger aware_at 2026-03-30T08:00:00Z"},
		{"us-ca-1798-82-individuals=2026-03-31T10:00:00Z", "--given us-ca-1798-82-individuals: us-ca-1798-82-individuals does not apply to these facts"},
	}
	for _, tt := range tests {
		t.Run(tt.given, func(t *testing.T) {
			code, _, stderr := runCLI(t, "obligations", "--facts", p, "--given", tt.given)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
	bad := writeFile(t, "facts.json", "{\"version\": 1,\n \"impact\": {\"financial_loss\": \"no\"}}")
	code, _, stderr := runCLI(t, "obligations", "--facts", bad)
	if code != 2 || !strings.Contains(stderr, `facts.json:2:31: impact.financial_loss: must be true or false, got the string "no"`) {
		t.Errorf("impact of the wrong type: exit %d, %s", code, stderr)
	}
}

// TestObligationsContactDataReview: contact and other data of Washington residents
// starts no state clock; the output flags the other data for legal review by default.
func TestObligationsContactDataReview(t *testing.T) {
	p := writeFile(t, "facts.json", `{"version": 1,
  "timeline": {"aware_at": "2026-03-06T16:00:00Z", "discovered_at": "2026-03-06T16:00:00Z"},
  "affected": {"individuals": [{"jurisdiction": "US-WA", "count": 900}]},
  "data_categories": ["contact", "other"], "encrypted_unusable": false, "risk": "high",
  "organization": {"role": "controller"}}`)
	code, out, stderr := runCLI(t, "obligations", "--facts", p, "--as-of", "2026-03-07T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"us-wa-19-255-individuals", "not_applicable", "review:  other data (RCW 19.255.005(2))", "full date of birth"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "open") {
		t.Errorf("a Washington clock runs on contact and other data:\n%s", out)
	}
}
