package activities

import (
	"bufio"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/evidence"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// newPlanSim is newSim on a simulator with the given plan options.
func newPlanSim(t *testing.T, opts zdsim.Options) (*zdsim.Sim, *zendesk.Client) {
	t.Helper()
	opts.FrozenClock = true
	sim, err := zdsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	f := sim.Facts()
	c, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken, MaxRetries: -1,
		RequestsPerMinute: 1_000_000, IncrementalPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

// readAccessLogs reads a collected access-log file, failing on a repeated id.
func readAccessLogs(t *testing.T, path string) []zendesk.AccessLog {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []zendesk.AccessLog
	seen := map[string]bool{}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var l zendesk.AccessLog
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if seen[l.ID] {
			t.Fatalf("%s: entry %s written twice", path, l.ID)
		}
		seen[l.ID] = true
		out = append(out, l)
	}
	return out
}

func TestCollectAccessLogsWithAddon(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{AccessLogsAddon: true})
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}

	// Scoped to the compromised user, over the attack: exactly the attacker's requests.
	w := evidence.Window{From: f.TakeoverAt.Add(-time.Hour), To: f.Now}
	r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-1", Source: evidence.SourceAccessLogs, Window: w,
		Scope: evidence.Scope{Users: []int64{f.CompromisedUserID}}})
	if r.Gap != nil || !r.Done || r.File != "access_logs.ndjson" || r.Committed.Records != int64(f.AttackerAccessLogs) {
		t.Fatalf("result %+v, want %d records", r, f.AttackerAccessLogs)
	}
	if !strings.Contains(r.Query, "filter[user_id]") {
		t.Errorf("query %q does not say it was filtered by user", r.Query)
	}
	exports := 0
	for _, l := range readAccessLogs(t, filepath.Join(root, "INC-1", "access_logs.ndjson")) {
		if l.IPAddress != f.AttackerIP || l.Timestamp.Before(w.From) {
			t.Errorf("entry outside the scope: %+v", l)
		}
		if strings.Contains(l.URL, "/export") || strings.Contains(l.URL, "/incremental/") {
			exports++
		}
	}
	if exports != f.AttackerExportRequests {
		t.Errorf("export requests collected = %d, want %d", exports, f.AttackerExportRequests)
	}
}

// TestCollectAccessLogsResumes collects everyone's access logs one page per run,
// each run continuing from the previous cursor and committed file, and checks
// every entry arrives exactly once.
func TestCollectAccessLogsResumes(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{AccessLogsAddon: true})
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}
	in := evidence.CollectInput{IncidentID: "INC-2", Source: evidence.SourceAccessLogs, PageBudget: 1,
		Window: evidence.Window{From: f.Now.Add(-30 * 24 * time.Hour), To: f.Now}}
	runs := 0
	for {
		runs++
		r := collectOnce(t, a, in)
		if r.Gap != nil {
			t.Fatalf("gap: %+v", r.Gap)
		}
		if r.Done {
			if r.Committed.Records != int64(f.AccessLogCount) {
				t.Fatalf("collected %d entries, the account has %d", r.Committed.Records, f.AccessLogCount)
			}
			break
		}
		if runs > 20 {
			t.Fatal("collection does not finish")
		}
		in.Cursor, in.Committed = r.Cursor, r.Committed
	}
	if runs < 3 {
		t.Fatalf("%d runs: resuming was not exercised", runs)
	}
	if got := readAccessLogs(t, filepath.Join(root, "INC-2", "access_logs.ndjson")); len(got) != f.AccessLogCount {
		t.Fatalf("file holds %d entries, want %d", len(got), f.AccessLogCount)
	}
}

func TestCollectAccessLogsWithoutAddonIsAGap(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{})
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}
	for _, scope := range []evidence.Scope{{}, {Users: []int64{f.CompromisedUserID}}} {
		r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-3", Source: evidence.SourceAccessLogs, Scope: scope,
			Window: evidence.Window{From: f.Now.Add(-time.Hour), To: f.Now}})
		if r.Gap == nil || !r.Done || r.File != "" || r.Gap.Source != evidence.SourceAccessLogs ||
			!strings.Contains(r.Gap.Reason, "Advanced Data Privacy and Protection add-on") || !strings.Contains(r.Gap.Reason, "403") {
			t.Fatalf("scope %+v: result %+v", scope, r)
		}
		if _, err := os.Stat(filepath.Join(root, "INC-3", "access_logs.ndjson")); !os.IsNotExist(err) {
			t.Fatalf("a gap left a file behind: %v", err)
		}
	}
}

func TestCollectAuditLogsOnAPlanWithoutThemIsAGap(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{NoAuditLogs: true})
	f := sim.Facts()
	a := &EvidenceActivities{Zendesk: c, Dir: t.TempDir()}
	r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-4", Source: evidence.SourceAuditLogs,
		Window: evidence.Window{From: f.Now.Add(-time.Hour), To: f.Now}})
	if r.Gap == nil || !r.Done || r.File != "" || !strings.Contains(r.Gap.Reason, "Enterprise") || !strings.Contains(r.Gap.Reason, "403") {
		t.Fatalf("result %+v", r)
	}
	// The same admin still collects what the plan has.
	r = collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-4", Source: evidence.SourceWebhooks,
		Window: evidence.Window{From: f.Now.Add(-time.Hour), To: f.Now}})
	if r.Gap != nil || r.Committed.Records == 0 {
		t.Fatalf("webhooks on the same plan: %+v", r)
	}
}

// TestCollectHandsBackItsCursorWhenTheWorkerStops: a worker shutting down ends an
// evidence attempt at its next committed page, successfully and not done, with the
// cursor the workflow's next run resumes from; that run then collects the rest,
// every entry exactly once.
func TestCollectHandsBackItsCursorWhenTheWorkerStops(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{AccessLogsAddon: true})
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}
	in := evidence.CollectInput{IncidentID: "INC-4", Source: evidence.SourceAccessLogs,
		Window: evidence.Window{From: f.Now.Add(-30 * 24 * time.Hour), To: f.Now}}

	stopped := make(chan struct{})
	close(stopped)
	env := newActivityEnv(a)
	env.SetWorkerStopChannel(stopped)
	v, err := env.ExecuteActivity(a.CollectSource, in)
	if err != nil {
		t.Fatal(err)
	}
	var r evidence.CollectResult
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	if r.Done || r.Pages != 1 || r.Committed.Records == 0 || r.Committed.Records >= int64(f.AccessLogCount) {
		t.Fatalf("stopping worker: result %+v, want one page committed and not done (the account has %d entries)", r, f.AccessLogCount)
	}
	in.Cursor, in.Committed = r.Cursor, r.Committed
	r = collectOnce(t, a, in)
	if !r.Done || r.Committed.Records != int64(f.AccessLogCount) {
		t.Fatalf("resumed run: %+v, want done with %d entries", r, f.AccessLogCount)
	}
	if got := readAccessLogs(t, filepath.Join(root, "INC-4", "access_logs.ndjson")); len(got) != f.AccessLogCount {
		t.Fatalf("file holds %d entries, want %d", len(got), f.AccessLogCount)
	}
}
