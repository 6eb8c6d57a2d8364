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
