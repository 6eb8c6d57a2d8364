package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"irflow/internal/triage"
)

func TestTriageScenarios(t *testing.T) {
	tests := []struct {
		file     string
		severity string
		first    string
	}{
		{"phished-agent-no-mfa.json", "SEV2", "credential-compromise"},
		{"zendesk-service-vulnerability.json", "SEV3", "zendesk-service-breach"},
		{"marketplace-app-compromised.json", "SEV1", "third-party-integration"},
		{"insider-unnoticed-exports.json", "SEV1", "unmonitored-activity"},
		{"nothing-known.json", "SEV3", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "triage", "--facts", filepath.Join(scenarios, tt.file), "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				Severity           string `json:"severity"`
				SeverityReason     string `json:"severity_reason"`
				SuggestedPlaybooks []struct {
					ID      string   `json:"id"`
					Score   int      `json:"score"`
					Matched []string `json:"matched"`
				} `json:"suggested_playbooks"`
			}
			dec := json.NewDecoder(strings.NewReader(stdout))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("output is not the triage JSON: %v\n%s", err, stdout)
			}
			if got.Severity != tt.severity || got.SeverityReason == "" || strings.HasPrefix(got.SeverityReason, "SEV") {
				t.Errorf("severity %s (%s), want %s", got.Severity, got.SeverityReason, tt.severity)
			}
			first := ""
			if len(got.SuggestedPlaybooks) > 0 {
				first = got.SuggestedPlaybooks[0].ID
				if len(got.SuggestedPlaybooks[0].Matched) == 0 {
					t.Error("a suggestion must say what matched")
				}
			}
			if first != tt.first {
				t.Errorf("first suggestion %q, want %q", first, tt.first)
			}
		})
	}
}

func TestTriageHuman(t *testing.T) {
	code, stdout, stderr := runCLI(t, "triage", "--facts", filepath.Join(scenarios, "phished-agent-no-mfa.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Severity: SEV2\n", "Owner:    subscriber (confidence: probable", "1. credential-compromise (score "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "triage", "--facts", filepath.Join(scenarios, "nothing-known.json"))
	if code != 0 || !strings.Contains(stdout, "Suggested playbooks: none match yet") {
		t.Errorf("nothing known: %s", stdout)
	}
}

func TestPlannedPlaybooksAreValid(t *testing.T) {
	refs, err := playbookRefs()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range refs {
		if err := triage.ValidateRef(p); err != nil {
			t.Error(err)
		}
		ids = append(ids, p.ID)
	}
	for _, want := range []string{"credential-compromise", "api-token-leak", "unmonitored-activity",
		"malicious-user-content", "third-party-integration", "zendesk-service-breach"} {
		if !slices.Contains(ids, want) {
			t.Errorf("playbook %s missing", want)
		}
	}
}
