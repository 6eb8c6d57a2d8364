package workflows

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/evidence"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// TestEvidenceCollectionResumesWithoutDuplicates collects every source from the
// simulator with a one-page budget, continue-as-new every three runs and 20% of
// requests failing with a 5xx (so activities retry from their heartbeated cursor),
// then checks the manifest verifies, every source is complete and no record is
// written twice.
func TestEvidenceCollectionResumesWithoutDuplicates(t *testing.T) {
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true, AuditLogRecords: 250, FaultSeed: 7, AccessLogsAddon: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := sim.Facts()
	client, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
		MaxRetries: -1, RequestsPerMinute: 1_000_000, IncrementalPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	window := evidence.Window{From: f.Now.Add(-400 * 24 * time.Hour), To: f.Now}
	in := EvidenceInput{IncidentID: "INC-7", Window: window, PageBudget: 1, RunsPerExecution: 3,
		Scope: evidence.Scope{Users: []int64{f.CompromisedUserID}, Tickets: f.AffectedTicketIDs}}
	if err := sim.SetFaults(zdsim.Faults{Rate5xx: 0.2}); err != nil {
		t.Fatal(err)
	}

	var res *EvidenceResult
	executions := 0
	for res == nil {
		executions++
		if executions > 100 {
			t.Fatal("collection does not finish")
		}
		env := newTestEnv()
		env.RegisterActivity(&activities.EvidenceActivities{Zendesk: client, Dir: root})
		env.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
		env.ExecuteWorkflow(WorkflowEvidenceCollection, in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		switch {
		case errors.As(err, &can):
			var next EvidenceInput // decode into a fresh value: absent fields must not keep old ones
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatal(err)
			}
			in = next
		case err != nil:
			t.Fatal(err)
		default:
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
		}
	}
	if executions < 3 {
		t.Fatalf("only %d executions: continue-as-new was not exercised", executions)
	}
	if sim.Stats().Injected5xx == 0 {
		t.Fatal("no 5xx was injected: retries were not exercised")
	}
	if err := sim.SetFaults(zdsim.Faults{}); err != nil {
		t.Fatal(err)
	}

	rep, err := evidence.VerifyAgainst(filepath.Join(root, "INC-7"), res.ManifestSHA256)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
	if len(res.Gaps) != 0 || len(res.Sources) != len(evidence.Sources()) {
		t.Fatalf("result: gaps %v, %d sources", res.Gaps, len(res.Sources))
	}
	// Audit logs are complete: the same query without faults returns the same ids.
	want, err := zendesk.All(t.Context(), client.ListAuditLogs(zendesk.AuditLogFilter{
		CreatedAfter: window.From, CreatedBefore: window.To, Sort: "created_at"}, zendesk.ListOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	got := ids(t, filepath.Join(root, "INC-7", "audit_logs.ndjson"), false)
	if len(want) < 250 || len(got) != len(want) {
		t.Fatalf("audit logs: collected %d, Zendesk has %d", len(got), len(want))
	}
	for _, src := range []string{"access_logs", "ticket_audits", "ticket_events", "sessions"} {
		if len(ids(t, filepath.Join(root, "INC-7", src+".ndjson"), false)) == 0 {
			t.Errorf("%s: nothing collected", src)
		}
	}
	for _, src := range []string{"users", "tickets"} {
		ids(t, filepath.Join(root, "INC-7", src+".ndjson"), true)
	}
	// API tokens are metadata only.
	b, _ := os.ReadFile(filepath.Join(root, "INC-7", "api_tokens.ndjson"))
	var tok map[string]any
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if err := json.Unmarshal(first, &tok); err != nil || tok["token"] != nil || tok["visible_token"] != nil || tok["id"] == nil {
		t.Fatalf("api token record: %v %v", tok, err)
	}
}

// ids reads a collected NDJSON file and fails on a duplicate record key (id, or id
// and updated_at for mutable objects).
func ids(t *testing.T, path string, withUpdated bool) []string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		k := evidence.IDKey(sc.Bytes())
		if withUpdated {
			k = evidence.IDUpdatedKey(sc.Bytes())
		}
		if seen[k] {
			t.Fatalf("%s: record %s written twice", filepath.Base(path), k)
		}
		seen[k] = true
		out = append(out, k)
	}
	return out
}

// TestEvidenceCollectionRejectsBadInput fails fast, naming the field.
func TestEvidenceCollectionRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		in   EvidenceInput
		want string
	}{
		{EvidenceInput{IncidentID: "../x", Window: evidence.Window{From: time.Unix(0, 0), To: time.Unix(10, 0)}}, "cannot name an evidence folder"},
		{EvidenceInput{IncidentID: "INC-1"}, "window:"},
		{EvidenceInput{IncidentID: "INC-1", Window: evidence.Window{From: time.Unix(0, 0), To: time.Unix(10, 0)}, Sources: []string{"mail"}}, `unknown source "mail"`},
	} {
		env := newTestEnv()
		env.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
		env.ExecuteWorkflow(WorkflowEvidenceCollection, tc.in)
		if err := env.GetWorkflowError(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.in, err, tc.want)
		}
	}
}
