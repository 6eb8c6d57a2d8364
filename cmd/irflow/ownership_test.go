package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const scenarios = "../../internal/ownership/testdata"

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestOwnershipScenarios is the "done when": the right owner and clauses for
// each realistic scenario, through the CLI's JSON output.
func TestOwnershipScenarios(t *testing.T) {
	tests := []struct {
		file       string
		owner      string
		clauses    []string
		confidence string
		duties     []string
	}{
		{"phished-agent-no-mfa.json", "subscriber", []string{"SRM-VI.S.i", "SRM-I.S.2"}, "probable", []string{"investigate", "contain", "notify"}},
		{"zendesk-service-vulnerability.json", "zendesk", []string{"SRM-VI.Z", "SRM-VI.S.2"}, "probable", []string{"notify"}},
		{"marketplace-app-compromised.json", "subscriber", []string{"SRM-VI.S.iv", "SRM-II.S.2", "SRM-V.note"}, "confirmed", []string{"investigate", "contain", "notify"}},
		{"malicious-link-in-ticket.json", "subscriber", []string{"SRM-VI.S.i", "SRM-VI.S.iii", "SRM-IV.S.2"}, "confirmed", []string{"investigate", "contain", "notify"}},
		{"insider-unnoticed-exports.json", "subscriber", []string{"SRM-VI.S.ii", "SRM-I.S.1", "SRM-IV.S.1"}, "confirmed", []string{"investigate", "contain", "notify"}},
		{"nothing-known.json", "undetermined", []string{}, "unknown", []string{"investigate"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "ownership", "--facts", filepath.Join(scenarios, tt.file), "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				Owner            string   `json:"owner"`
				Clauses          []string `json:"clauses"`
				Rationale        string   `json:"rationale"`
				SubscriberDuties []string `json:"subscriber_duties"`
				ThirdParties     []struct {
					Name, Role, Clause, Owes string
				} `json:"third_parties"`
				OpenQuestions []struct{ Field, Question string } `json:"open_questions"`
				Confidence    string                             `json:"confidence"`
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("output is not the determination JSON: %v\n%s", err, stdout)
			}
			if got.Owner != tt.owner || !slices.Equal(got.Clauses, tt.clauses) || got.Confidence != tt.confidence ||
				!slices.Equal(got.SubscriberDuties, tt.duties) {
				t.Errorf("got %s %q %s %q, want %s %q %s %q", got.Owner, got.Clauses, got.Confidence, got.SubscriberDuties,
					tt.owner, tt.clauses, tt.confidence, tt.duties)
			}
			if got.Rationale == "" {
				t.Error("empty rationale")
			}
		})
	}
}

func TestOwnershipJSONDetails(t *testing.T) {
	code, stdout, _ := runCLI(t, "ownership", "--facts", filepath.Join(scenarios, "marketplace-app-compromised.json"), "--json")
	if code != 0 {
		t.Fatal(stdout)
	}
	for _, want := range []string{
		`"name": "Acme CSAT Surveys"`, `"role": "marketplace_app_developer"`, `"clause": "SRM-V.note"`,
		`(cause.integration.chosen_by: subscriber; cause.integration.kind: marketplace_app)`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("JSON lacks %s:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "ownership", "--facts", filepath.Join(scenarios, "nothing-known.json"), "--json")
	if code != 0 || !strings.Contains(stdout, `"field": "cause.service_vulnerability"`) {
		t.Errorf("nothing known must ask about the Service: %s", stdout)
	}
}

func TestOwnershipHuman(t *testing.T) {
	code, stdout, stderr := runCLI(t, "ownership", "--facts", filepath.Join(scenarios, "phished-agent-no-mfa.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Owner:             subscriber (confidence: probable)\n",
		"Clauses:           SRM-VI.S.i, SRM-I.S.2\n",
		"Subscriber duties: investigate, contain, notify\n",
		"The subscriber owns this incident under SRM-VI.S.i",
		"Open questions:\n  - cause.service_vulnerability\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestOwnershipContradiction(t *testing.T) {
	f := writeFile(t, "contradiction.json", `{"version": 1, "cause": {"service_vulnerability": "no", "reported_by_zendesk": true}}`)
	code, stdout, _ := runCLI(t, "ownership", "--facts", f, "--json")
	if code != 0 {
		t.Fatal(stdout)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got["owner"] != "undetermined" || got["confidence"] != "unknown" ||
		!strings.Contains(got["rationale"].(string), "contradict each other") {
		t.Errorf("contradictory facts must not give a confident answer: %s", stdout)
	}
}

func TestOwnershipStdin(t *testing.T) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs([]string{"ownership", "--facts", "-", "--json"})
	root.SetIn(strings.NewReader(`{"cause": {"user_content": true, "service_vulnerability": "no"}}`))
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"owner": "subscriber"`) || !strings.Contains(out.String(), `"SRM-VI.S.iii"`) {
		t.Errorf("stdin facts: %s", out.String())
	}
}

func TestFactsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" means the file does not exist
		code    int
		stderr  []string
	}{
		{"unknown field with its path", "{\n  \"cause\": {\n    \"integration\": {\"kynd\": \"webhook\"}\n  }\n}",
			exitBadInput, []string{`bad.json:3:21: cause.integration.kynd: unknown field (did you mean "kind"?)`}},
		{"malformed JSON with line and column", "{\n  \"summary\": \"x\",\n  \"risk\" \"high\"\n}",
			exitBadInput, []string{`bad.json:3:10: malformed JSON: invalid character '"' after object key`}},
		{"every invalid value, each with its field", `{"cause": {"weak_credentials": "maybe"}, "affected": {"individuals": [{"jurisdiction": "XX", "count": -3}]}, "timeline": {"aware_at": "soon"}}`,
			exitBadInput, []string{
				`bad.json:1:135: timeline.aware_at: "soon" is not an RFC 3339 timestamp`,
				`bad.json: cause.weak_credentials: "maybe" is not one of yes, no, unknown`,
				`bad.json: affected.individuals[0].jurisdiction: "XX" is not an ISO 3166-1 alpha-2 country code`,
				`bad.json: affected.individuals[0].count: must not be negative, got -3`,
			}},
		{"unsupported version", `{"version": 2}`, exitBadInput, []string{"bad.json: version: 2 is not supported"}},
		{"missing file", "", exitBadInput, []string{"read facts: open ", "no-such.json: no such file or directory"}},
		// Issue 17 items 1 and 3.
		{"over the size limit", `{"summary":"` + strings.Repeat("x", 70<<10) + `"}`, exitBadInput, []string{"bad.json: larger than 65536 bytes"}},
		{"a trigger in the future", `{"timeline":{"aware_at":"2150-01-01T00:00:00Z"}}`, exitBadInput,
			[]string{"bad.json: timeline.aware_at: 2150-01-01T00:00:00Z is more than 24h0m0s in the future"}},
		{"a trigger before 1900", `{"timeline":{"aware_at":"0001-01-01T00:00:00Z"}}`, exitBadInput,
			[]string{"bad.json: timeline.aware_at: 0001-01-01T00:00:00Z is before 1900"}},
		{"a hundred problems", `{` + strings.Repeat(`"x":1,`, 99) + `"x":1}`, exitBadInput, []string{"bad.json:1:2: x: unknown field", "and 80 more problems"}},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"ownership", "triage"} {
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "no-such.json")
				if tt.content != "" {
					path = writeFile(t, "bad.json", tt.content)
				}
				// Run from the file's directory so messages name it as the user typed it.
				t.Chdir(filepath.Dir(path))
				code, stdout, stderr := runCLI(t, cmd, "--facts", filepath.Base(path), "--json")
				if code != tt.code {
					t.Errorf("exit %d, want %d", code, tt.code)
				}
				if stdout != "" {
					t.Errorf("bad input must print no result, got %s", stdout)
				}
				for _, want := range tt.stderr {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
			})
		}
	}
}

func TestFactsFlagRequired(t *testing.T) {
	for _, cmd := range []string{"ownership", "triage"} {
		code, _, stderr := runCLI(t, cmd)
		if code == 0 || !strings.Contains(stderr, `required flag(s) "facts" not set`) {
			t.Errorf("%s without --facts: exit %d, %s", cmd, code, stderr)
		}
		code, stdout, _ := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "--facts") || !strings.Contains(stdout, "--json") {
			t.Errorf("%s --help: exit %d\n%s", cmd, code, stdout)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
