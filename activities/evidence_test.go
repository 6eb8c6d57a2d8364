package activities

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/evidence"
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
