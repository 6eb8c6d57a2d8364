package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/internal/zdsim"
)

// TestChaosFivePlaybooks is issue 14's chaos suite: the Zendesk simulator answers
// 20% of requests with a 500, 502 or 503, 10% with a 429 (with Retry-After: 1 at
// first, without it after 4 s) and adds latency to every answer, while five playbooks run concurrently on one dev stack,
// each on its own Zendesk objects. Every step of every incident must end (done,
// or no_targets where its facts list is empty: never failed), each object must be
// changed exactly once by the simulator's own counters (a retried request applied
// twice would show 2), and no secret (the Zendesk API token, the OAuth token, the
// dev admin's API token) may appear in irflow's or Temporal's logs, the store,
// the Temporal database or the evidence folder.
func TestChaosFivePlaybooks(t *testing.T) {
	if testing.Short() {
		t.Skip("five playbooks under injected faults on the dev stack")
	}
	t.Parallel()
	dir := t.TempDir()
	d := startDev(t, dir)
	sim := d.ZendeskSim
	f := sim.Facts()
	if err := sim.SetFaults(zdsim.Faults{Rate5xx: 0.2, Rate429: 0.1, Latency: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	scope := func(z facts.ZendeskScope) *facts.Document {
		return &facts.Document{Version: facts.Version, Summary: "chaos", Zendesk: z}
	}
	runs := []struct {
		playbook string
		doc      *facts.Document
	}{
		{"credential-compromise", scope(facts.ZendeskScope{Users: []int64{f.CompromisedUserID}, OAuthTokens: []int64{f.RogueOAuthTokenID}})},
		{"api-token-leak", scope(facts.ZendeskScope{APITokens: []int64{f.RogueAPITokenID}, OAuthClients: []int64{f.RogueOAuthClientID}})},
		{"malicious-user-content", scope(facts.ZendeskScope{Users: []int64{f.AgentUserID}})},
		{"third-party-integration", scope(facts.ZendeskScope{AppInstallations: []int64{f.AppInstallationID}, Webhooks: []string{f.RogueWebhookID}})},
		{"unmonitored-activity", scope(facts.ZendeskScope{Webhooks: []string{f.LegitWebhookID}})},
	}
	want := map[string]bool{ // objects some step must have changed
		zdsim.KindUser + "/" + fmt.Sprint(f.CompromisedUserID): true, zdsim.KindUserSessions + "/" + fmt.Sprint(f.CompromisedUserID): true,
		zdsim.KindOAuthToken + "/" + fmt.Sprint(f.RogueOAuthTokenID): true, zdsim.KindAPIToken + "/" + fmt.Sprint(f.RogueAPITokenID): true,
		zdsim.KindOAuthClient + "/" + fmt.Sprint(f.RogueOAuthClientID): true, zdsim.KindUser + "/" + fmt.Sprint(f.AgentUserID): true,
		zdsim.KindAppInstallation + "/" + fmt.Sprint(f.AppInstallationID): true, zdsim.KindWebhook + "/" + f.RogueWebhookID: true,
		zdsim.KindWebhook + "/" + f.LegitWebhookID: true,
	}

	// Halfway through, the 429s stop carrying Retry-After (the client then waits
	// its default before a GET again, and a mutation is retried by its activity).
	halfway := time.AfterFunc(4*time.Second, func() { sim.SetOmitRetryAfter(true) })
	defer halfway.Stop()
	var wg sync.WaitGroup
	ids := make([]string, len(runs))
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: r.playbook, Title: "chaos " + r.playbook, Facts: r.doc, Actor: "alice"})
			if err != nil {
				t.Errorf("declare %s: %v", r.playbook, err)
				return
			}
			ids[i] = decl.ID
			driveToEnd(t, d.Service, decl.ID)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, id := range ids {
		st, err := d.Service.Show(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st.Steps {
			if s.Status != incident.StepDone && s.Status != incident.StepNoTargets {
				t.Errorf("%s (%s) step %s: %s %q", id, runs[i].playbook, s.Step.ID, s.Status, s.Errors)
			}
		}
	}
	got := map[string]int{}
	for _, m := range sim.AllMutations() {
		got[m.Kind+"/"+m.ID] = m.Count
		if m.Count != 1 {
			t.Errorf("%s %s changed %d times under faults, want exactly once", m.Kind, m.ID, m.Count)
		}
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("%s was never changed", k)
		}
	}
	stats := sim.Stats()
	t.Logf("simulator: %+v", stats)

	// Secrets: the stack is stopped so every log and database is flushed.
	d.Stop()
	token, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	checkNoSecrets(t, dir, map[string]string{
		"Zendesk API token":   f.AdminAPIToken,
		"Zendesk OAuth token": f.AdminOAuthToken,
		"admin API token":     strings.TrimSpace(string(token)),
	})
}

// driveToEnd approves every step of an incident as it comes up for approval and
// returns when none is pending, waiting or running.
func driveToEnd(t *testing.T, svc *service.Service, id string) {
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := svc.Show(ctx, id)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		busy := false
		for _, s := range st.Steps {
			switch s.Status {
			case incident.StepAwaitingApproval:
				if _, err := svc.ApproveStep(ctx, id, incident.ApproveStepRequest{Step: s.Step.ID, Actor: "carol", Reason: "chaos"}); err != nil &&
					!strings.Contains(err.Error(), "not waiting for approval") {
					t.Errorf("approve %s %s: %v", id, s.Step.ID, err)
					return
				}
				busy = true
			case incident.StepPending, incident.StepApproved, incident.StepRunning:
				busy = true
			}
		}
		if !busy && len(st.Steps) > 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("%s: steps still running after 5 minutes", id)
}

// checkNoSecrets reads every file under dir (logs, the store, the Temporal
// database with the workflow histories, evidence) and fails naming any file that
// holds one of the secrets. admin.token holds the admin's token by design.
func checkNoSecrets(t *testing.T, dir string, secrets map[string]string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() == "admin.token" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for what, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s", p, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
