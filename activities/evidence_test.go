package activities

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/evidence"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

func collectOnce(t *testing.T, a *EvidenceActivities, in evidence.CollectInput) evidence.CollectResult {
	t.Helper()
	env := newActivityEnv(a)
	v, err := env.ExecuteActivity(a.CollectSource, in)
	if err != nil {
		t.Fatal(err)
	}
	var r evidence.CollectResult
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCollectAuditLogsWithoutPlanIsAGap(t *testing.T) {
	sim, admin := newSim(t)
	f := sim.Facts()
	// An agent may not read audit logs: Zendesk answers 403, as it does on plans
	// without audit-log access.
	agent, err := zendesk.New(zendesk.Config{BaseURL: admin.BaseURL(), Email: f.AgentEmail, APIToken: f.AdminAPIToken,
		MaxRetries: -1, RequestsPerMinute: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: agent, Dir: root}
	r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-1", Source: evidence.SourceAuditLogs,
		Window: evidence.Window{From: f.Now.Add(-time.Hour), To: f.Now}})
	if r.Gap == nil || !r.Done || r.File != "" || !strings.Contains(r.Gap.Reason, "403") {
		t.Fatalf("result: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(root, "INC-1", "audit_logs.ndjson")); !os.IsNotExist(err) {
		t.Fatalf("a gap left a file behind: %v", err)
	}
	// The manifest records the gap.
	env := newActivityEnv(a)
	v, err := env.ExecuteActivity(a.WriteManifest, evidence.WriteManifestInput{IncidentID: "INC-1", Collected: []evidence.CollectResult{r}})
	if err != nil {
		t.Fatal(err)
	}
	var m evidence.ManifestResult
	if err := v.Get(&m); err != nil {
		t.Fatal(err)
	}
	rep, err := evidence.VerifyAgainst(filepath.Join(root, "INC-1"), m.SHA256)
	if err != nil || !rep.OK || len(rep.Gaps) != 1 || rep.Gaps[0].Source != evidence.SourceAuditLogs {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

func TestCollectStripsSecrets(t *testing.T) {
	sim, c := newSim(t)
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}
	w := evidence.Window{From: f.Now.Add(-24 * time.Hour), To: f.Now}
	for _, src := range []string{evidence.SourceAPITokens, evidence.SourceOAuthTokens, evidence.SourceWebhooks, evidence.SourceAppInstallations} {
		r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-1", Source: src, Window: w})
		if !r.Done || r.Committed.Records == 0 {
			t.Fatalf("%s: %+v", src, r)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "INC-1", "api_tokens.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), f.RogueAPITokenValue) || strings.Contains(string(b), `"token"`) || strings.Contains(string(b), "visible_token") {
		t.Fatalf("api token secret in evidence:\n%s", b)
	}
	b, _ = os.ReadFile(filepath.Join(root, "INC-1", "webhooks.ndjson"))
	if strings.Contains(string(b), `"data"`) {
		t.Fatalf("webhook credentials in evidence:\n%s", b)
	}
}

func TestCollectRejectsBadInput(t *testing.T) {
	_, c := newSim(t)
	a := &EvidenceActivities{Zendesk: c, Dir: t.TempDir()}
	env := newActivityEnv(a)
	w := evidence.Window{From: time.Unix(0, 0), To: time.Unix(10, 0)}
	for _, tc := range []struct {
		in   evidence.CollectInput
		want string
	}{
		{evidence.CollectInput{IncidentID: "../../etc", Source: evidence.SourceUsers, Window: w}, "cannot name an evidence folder"},
		{evidence.CollectInput{IncidentID: "INC-1", Source: "emails", Window: w}, `unknown evidence source "emails"`},
		{evidence.CollectInput{IncidentID: "INC-1", Source: evidence.SourceUsers}, "is not a time range"},
	} {
		if _, err := env.ExecuteActivity(a.CollectSource, tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestCollectKeepsWithinAWindowStartingMidSecond: the API's time filters take whole
// seconds, so a window starting at x.5 s is asked for from x s; a record stamped x
// is before the window and must not be in its evidence. Workflow windows start
// mid-second (declaration time minus a week). The simulator's own counts are the
// oracle.
func TestCollectKeepsWithinAWindowStartingMidSecond(t *testing.T) {
	sim, c := newPlanSim(t, zdsim.Options{AccessLogsAddon: true})
	f := sim.Facts()
	root := t.TempDir()
	a := &EvidenceActivities{Zendesk: c, Dir: root}
	to := f.Now.Add(-2 * time.Minute)
	for _, tc := range []struct {
		source string
		at     time.Time // a record is stamped at this whole second
		want   func(from time.Time) int
	}{
		{evidence.SourceAuditLogs, f.FirstFailedLoginAt, func(from time.Time) int { n, _ := sim.CountAuditLogs(from, to); return n }},
		{evidence.SourceAccessLogs, f.TakeoverAt.Add(time.Minute), func(from time.Time) int { n, _ := sim.CountAccessLogs(from, to, 0); return n }},
		{evidence.SourceTicketEvents, f.FirstFailedLoginAt.Add(15*time.Minute + 45*time.Minute), func(from time.Time) int { return sim.CountTicketEvents(from, to) }},
	} {
		from := tc.at.Add(500 * time.Millisecond)
		if tc.want(tc.at) == tc.want(from) {
			t.Fatalf("%s: no record stamped %s: the test proves nothing", tc.source, tc.at)
		}
		r := collectOnce(t, a, evidence.CollectInput{IncidentID: "INC-" + tc.source, Source: tc.source, Window: evidence.Window{From: from, To: to}})
		if !r.Done || r.Gap != nil {
			t.Fatalf("%s: %+v", tc.source, r)
		}
		if got, want := int(r.Committed.Records), tc.want(from); got != want {
			t.Errorf("%s from %s: %d records, the simulator counts %d inside the window", tc.source, from, got, want)
		}
	}
}
