package playbooks_test

import (
	"strings"
	"testing"

	"irflow/playbooks"
)

func TestEmbeddedPlaybooksValidate(t *testing.T) {
	c, err := playbooks.Embedded()
	if err != nil {
		t.Fatalf("embedded playbooks do not validate: %v", err)
	}
	pb, err := c.Get("credential-compromise")
	if err != nil {
		t.Fatal(err)
	}
	if len(pb.Containment) == 0 || len(pb.Evidence) == 0 || len(pb.Triage) == 0 {
		t.Errorf("credential-compromise is incomplete: %d steps, %d evidence sources, %d questions",
			len(pb.Containment), len(pb.Evidence), len(pb.Triage))
	}
	if len(pb.Hash) != 64 {
		t.Errorf("hash %q is not a hex SHA-256", pb.Hash)
	}
}

func TestUnknownPlaybookListsKnownOnes(t *testing.T) {
	c, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get("nope")
	if err == nil || !strings.Contains(err.Error(), "credential-compromise") {
		t.Fatalf("Get(nope) error = %v, want one listing the known playbooks", err)
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"missing id", "title: T\nclauses: [SRM-VI.S.i]\n", []string{"pb.yaml:", "id: is required"}},
		{"bad clause", "id: x\ntitle: T\nclauses:\n  - SRM-VI.S.i\n  - SRM-IX\n", []string{"pb.yaml:5: clauses[1]", "SRM-IX"}},
		{"unknown field", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ncontainmnt: []\n", []string{"pb.yaml", "line 4", "containmnt"}},
		{"syntax", "id: [x\n", []string{"pb.yaml", "line"}},
		{"duplicate step", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ncontainment:\n  - {id: a, action: suspend_user}\n  - {id: a, action: suspend_user}\n",
			[]string{"pb.yaml:6: containment[1].id", "duplicate"}},
		{"missing action", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ncontainment:\n  - id: a\n", []string{"pb.yaml:5: containment[0].action: is required"}},
		{"empty", "", []string{"pb.yaml", "empty"}},
		{"unknown action", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ncontainment:\n  - {id: a, action: nuke_user}\n",
			[]string{"pb.yaml:5: containment[0].action", "nuke_user", "suspend_user"}},
		{"irreversible without approval", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ncontainment:\n  - id: a\n    action: revoke_api_token\n    needs_approval: false\n",
			[]string{"containment[0].needs_approval", "revoke_api_token"}},
		{"unknown evidence source", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\nevidence:\n  - source: phone_logs\n",
			[]string{"pb.yaml:5: evidence[0].source", "phone_logs"}},
		{"bad trigger field", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ntriggers:\n  - {field: cause.insidr, in: [\"true\"]}\n",
			[]string{"pb.yaml:5: triggers[0]", "cause.insidr"}},
		{"bad question field", "id: x\ntitle: T\nclauses: [SRM-VI.S.i]\ntriage:\n  - {id: q, field: cause.nope, question: Why}\n",
			[]string{"pb.yaml:5: triage[0].field", "cause.nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := playbooks.Parse("pb.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
