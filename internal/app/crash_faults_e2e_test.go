package app_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestCrashSuiteExactlyOnce is issue 14's crash suite (1) and (2) on the real
// binary: irflow dev is killed with SIGKILL at randomised instants (a bounded
// count) while approved containment steps run against a slow Zendesk simulator
// that outlives it, and while the GDPR clock's "4 h before" reminder falls due.
// After the last restart every step completes, the simulator's counters show
// each object changed exactly once, the incident's timeline and clocks are all
// back, and the reminder that fell due while irflow was down was sent once: not
// zero times, not twice.
func TestCrashSuiteExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills irflow dev")
	}
	t.Parallel()
	bin := irflowBinary(t)
	sim := startSimProcess(t, bin)
	dir := t.TempDir()
	run := startDevRun(t, bin, dir, sim)

	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// The 72 h clock's "4 h before" reminder falls due 40 s from now.
	reminderAt := time.Now().UTC().Add(40 * time.Second).Truncate(time.Second)
	doc["timeline"] = map[string]any{"aware_at": reminderAt.Add(-68 * time.Hour).Format(time.RFC3339)}
	var decl struct{ ID string }
	if code := run.api(t, http.MethodPost, "/api/incidents", map[string]any{
		"playbook": "credential-compromise", "title": "Crash suite", "facts": doc,
	}, &decl); code != http.StatusCreated {
		t.Fatalf("declare: status %d", code)
	}
	id := decl.ID
	run.until(t, id, 60*time.Second, "waiting for approval", func(st incident.State) bool {
		return stepStatus(st, "suspend-accounts") == string(incident.StepAwaitingApproval)
	})
	// Every Zendesk answer takes 400 ms, so requests are in flight when irflow
	// dies, and the first change of each object is applied but answered 500, as
	// by a server that crashed between commit and response: the retry, before or
	// after the restart, must find the change rather than make it again.
	sim.setLatency(t, 400*time.Millisecond)
	for _, kind := range []string{"user", "user_sessions", "oauth_token", "api_token", "webhook"} {
		body, _ := json.Marshal(map[string]any{"kind": kind, "id": "*", "times": 1})
		resp, err := http.Post(sim.URL+"/_sim/fail_after_apply", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("fail_after_apply %s: %s", kind, resp.Status)
		}
	}
	for _, s := range []string{"suspend-accounts", "kill-sessions", "revoke-oauth", "revoke-api-tokens", "disable-rogue-webhooks", "reset-password"} {
		if code := run.api(t, http.MethodPost, "/api/incidents/"+id+"/steps/"+s+"/approve", map[string]any{"reason": "crash suite"}, nil); code != http.StatusOK {
			t.Fatalf("approve %s: status %d", s, code)
		}
	}
	var before incident.State
	run.api(t, http.MethodGet, "/api/incidents/"+id, nil, &before)

	// Two kills at random instants within the next 3 s, each followed by a restart.
	for round := range 2 {
		time.Sleep(time.Duration(rand.Int64N(int64(3 * time.Second))))
		run.kill(t)
		if round == 1 {
			// Stay down until the reminder is due and past.
			if wait := time.Until(reminderAt.Add(5 * time.Second)); wait > 0 {
				time.Sleep(wait)
			}
		}
		run = startDevRun(t, bin, dir, sim)
	}
	sim.setLatency(t, 0)
	run.until(t, id, 3*time.Minute, "done with every step", func(st incident.State) bool {
		for _, s := range st.Steps {
			if s.Status != incident.StepDone {
				return false
			}
		}
		return len(st.Steps) == 6
	})
	var st incident.State
	run.api(t, http.MethodGet, "/api/incidents/"+id, nil, &st)
	if len(st.Timeline) < len(before.Timeline) || len(st.Obligations) != len(before.Obligations) {
		t.Errorf("after the restarts: %d timeline entries (before the kills %d), %d obligations (before %d)",
			len(st.Timeline), len(before.Timeline), len(st.Obligations), len(before.Obligations))
	}

	resp, err := http.Get(sim.URL + "/_sim/mutations")
	if err != nil {
		t.Fatal(err)
	}
	var muts struct {
		Mutations []struct {
			Kind, ID string
			Count    int
		}
	}
	err = json.NewDecoder(resp.Body).Decode(&muts)
	resp.Body.Close()
	if err != nil || len(muts.Mutations) == 0 {
		t.Fatalf("simulator mutations: %+v %v", muts, err)
	}
	for _, m := range muts.Mutations {
		if m.Count != 1 {
			t.Errorf("%s %s changed %d times across the kills, want exactly once", m.Kind, m.ID, m.Count)
		}
	}

	// The reminder that fell due while irflow was down: sent once.
	var obs []incident.ObligationView
	deadline := time.Now().Add(60 * time.Second)
	sent := 0
	for time.Now().Before(deadline) {
		obs = nil
		run.api(t, http.MethodGet, "/api/incidents/"+id+"/obligations", nil, &obs)
		sent = 0
		for _, o := range obs {
			if o.ID == "eu-gdpr-33-sa" && o.Clock != nil {
				for _, r := range o.Clock.RemindersSent {
					if r.Key == "before:PT4H" {
						sent++
					}
				}
			}
		}
		if sent > 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if sent != 1 {
		t.Errorf("the reminder due at %s, while irflow was down, was sent %d times, want once", reminderAt.Format(time.RFC3339), sent)
	}
	// Give a duplicate the time to show, then count again.
	time.Sleep(3 * time.Second)
	obs = nil
	run.api(t, http.MethodGet, "/api/incidents/"+id+"/obligations", nil, &obs)
	n := 0
	for _, o := range obs {
		if o.ID == "eu-gdpr-33-sa" && o.Clock != nil {
			for _, r := range o.Clock.RemindersSent {
				if r.Key == "before:PT4H" {
					n++
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("the reminder was sent %d times in the end, want once", n)
	}
}
