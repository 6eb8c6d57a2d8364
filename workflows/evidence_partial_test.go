package workflows

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/evidence"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// refuse answers as Zendesk does when it refuses a request, in its JSON error
// envelope.
func refuse(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"` + code + `","description":"` + description + `"}`))
}

func simClient(t *testing.T, h http.Handler, f zdsim.DemoFacts) *zendesk.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := zendesk.New(zendesk.Config{BaseURL: srv.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
		MaxRetries: -1, RequestsPerMinute: 1_000_000, IncrementalPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runEvidence(t *testing.T, a *activities.EvidenceActivities, in EvidenceInput, start time.Time) *EvidenceResult {
	t.Helper()
	env := newTestEnv()
	if !start.IsZero() {
		env.SetStartTime(start)
	}
	env.RegisterActivity(a)
	env.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
	env.ExecuteWorkflow(WorkflowEvidenceCollection, in)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("collection failed as a whole: %v", err)
	}
	var res *EvidenceResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEvidenceCollectionIsNotAllOrNothing: Zendesk answers 404 for the webhooks
// list, 422 for the ticket-events export, and 422 for audit logs after two pages.
// Every other source is collected, each refused one is a failed gap carrying
// Zendesk's answer, the audit logs collected before the refusal stay in the
// manifest, and the collection ends partial with a manifest that verifies.
func TestEvidenceCollectionIsNotAllOrNothing(t *testing.T) {
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true, AuditLogRecords: 250, AccessLogsAddon: true})
	if err != nil {
		t.Fatal(err)
	}
	f := sim.Facts()
	var auditPages atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v2/webhooks":
			refuse(w, http.StatusNotFound, "InvalidEndpoint", "Not found")
		case strings.HasPrefix(r.URL.Path, "/api/v2/incremental/ticket_events"):
			refuse(w, http.StatusUnprocessableEntity, "InvalidValue", "Start time: is too old for this account")
		case strings.HasPrefix(r.URL.Path, "/api/v2/audit_logs") && auditPages.Add(1) > 2:
			refuse(w, http.StatusUnprocessableEntity, "InvalidPaginationParameter", "page[after] is invalid")
		default:
			sim.ServeHTTP(w, r)
		}
	})
	root := t.TempDir()
	a := &activities.EvidenceActivities{Zendesk: simClient(t, h, f), Dir: root}
	res := runEvidence(t, a, EvidenceInput{IncidentID: "INC-8", PageBudget: 1,
		Window: evidence.Window{From: f.Now.Add(-400 * 24 * time.Hour), To: f.Now},
		Scope:  evidence.Scope{Users: []int64{f.CompromisedUserID}, Tickets: f.AffectedTicketIDs}}, time.Time{})

	if res.Status != evidence.StatusPartial || !slices.Equal(res.Failed, []string{evidence.SourceAuditLogs, evidence.SourceTicketEvents, evidence.SourceWebhooks}) {
		t.Fatalf("status %q, failed %v", res.Status, res.Failed)
	}
	reasons := map[string]string{}
	for _, g := range res.Gaps {
		if g.Failed {
			reasons[g.Source] = g.Reason
		}
	}
	for src, want := range map[string]string{
		evidence.SourceWebhooks:     "404 InvalidEndpoint",
		evidence.SourceTicketEvents: "422 InvalidValue",
		evidence.SourceAuditLogs:    "422 InvalidPaginationParameter",
	} {
		if !strings.Contains(reasons[src], want) {
			t.Errorf("gap of %s = %q, want Zendesk's answer %q", src, reasons[src], want)
		}
	}
	m, _, err := evidence.ReadManifest(filepath.Join(root, "INC-8"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != evidence.StatusPartial || len(m.Failed) != 3 {
		t.Fatalf("manifest status %q failed %v", m.Status, m.Failed)
	}
	collected := map[string]int64{}
	for _, s := range m.Sources {
		collected[s.Source] = s.Records
	}
	if collected[evidence.SourceAuditLogs] != 200 { // two pages of 100 before the refusal
		t.Errorf("audit logs kept from before the refusal: %d records, want 200", collected[evidence.SourceAuditLogs])
	}
	for _, src := range []string{evidence.SourceUsers, evidence.SourceTickets, evidence.SourceSessions, evidence.SourceAccessLogs, evidence.SourceAPITokens} {
		if collected[src] == 0 {
			t.Errorf("%s was not collected: %v", src, collected)
		}
	}
	if _, ok := collected[evidence.SourceWebhooks]; ok {
		t.Error("webhooks, refused on the first page, has a file")
	}
	rep, err := evidence.VerifyAgainst(filepath.Join(root, "INC-8"), res.ManifestSHA256)
	if err != nil || !rep.OK || rep.Status != evidence.StatusPartial || len(rep.Failed) != 3 {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
	// Staged parts are outside the incident's folder.
	if _, err := os.Stat(filepath.Join(root, evidence.PartsPrefix, "INC-8")); err != nil {
		t.Errorf("parts: %v", err)
	}
}

// TestEvidenceWindowClampedToExportLimit: a window ending in the future, starting
// within the last minute, is clamped so the ticket-events export (which refuses a
// start time within the last minute with 422) is asked for what it allows, and the
// manifest records the window asked for.
func TestEvidenceWindowClampedToExportLimit(t *testing.T) {
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	f := sim.Facts()
	root := t.TempDir()
	a := &activities.EvidenceActivities{Zendesk: simClient(t, sim, f), Dir: root}
	asked := evidence.Window{From: f.Now.Add(-20 * time.Second), To: f.Now.Add(time.Hour)}
	res := runEvidence(t, a, EvidenceInput{IncidentID: "INC-9", Window: asked,
		Sources: []string{evidence.SourceTicketEvents, evidence.SourceAuditLogs}}, f.Now)
	if res.Status != evidence.StatusComplete || len(res.Gaps) != 0 {
		t.Fatalf("status %q gaps %+v", res.Status, res.Gaps)
	}
	if res.RequestedWindow == nil || !res.RequestedWindow.To.Equal(asked.To) || !res.Window.To.Equal(f.Now.Add(-exportLag)) ||
		res.Window.From.After(res.Window.To) {
		t.Fatalf("window %+v, requested %+v", res.Window, res.RequestedWindow)
	}
	m, _, err := evidence.ReadManifest(filepath.Join(root, "INC-9"))
	if err != nil || m.RequestedWindow == nil || !m.Sources[0].Window.To.Equal(res.Window.To) {
		t.Fatalf("manifest: %+v %v", m, err)
	}
}

func TestClampWindow(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	limit := now.Add(-exportLag)
	for _, tc := range []struct {
		name    string
		in      evidence.Window
		want    evidence.Window
		clamped bool
	}{
		{"past", evidence.Window{From: now.Add(-time.Hour), To: now.Add(-time.Hour / 2)}, evidence.Window{From: now.Add(-time.Hour), To: now.Add(-time.Hour / 2)}, false},
		{"ends at the limit", evidence.Window{From: now.Add(-time.Hour), To: limit}, evidence.Window{From: now.Add(-time.Hour), To: limit}, false},
		{"ends now", evidence.Window{From: now.Add(-time.Hour), To: now}, evidence.Window{From: now.Add(-time.Hour), To: limit}, true},
		{"ends tomorrow", evidence.Window{From: now.Add(-time.Hour), To: now.Add(24 * time.Hour)}, evidence.Window{From: now.Add(-time.Hour), To: limit}, true},
		{"all in the last minute", evidence.Window{From: now.Add(-10 * time.Second), To: now}, evidence.Window{From: limit, To: limit}, true},
	} {
		got, clamped := clampWindow(tc.in, now)
		if clamped != tc.clamped || !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) {
			t.Errorf("%s: clampWindow = %+v, %v; want %+v, %v", tc.name, got, clamped, tc.want, tc.clamped)
		}
	}
}
