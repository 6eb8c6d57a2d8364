package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/auth"
	"irflow/internal/incident"
	"irflow/internal/postgres/pgtest"
	"irflow/internal/service"
	"irflow/internal/storeopen"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// TestProductionOnPostgres runs the production commands' code as a multi-host
// install does: two workers and an API server sharing nothing but Temporal and one
// PostgreSQL store (IRFLOW_STORE=postgres://...). An incident declared and closed
// over the API is written to PostgreSQL by whichever worker ran the activity, and
// the API lists it, its timeline and its audit trail from there.
//
// Not parallel: the other end-to-end tests pick free ports for their Temporal
// servers too, and fewer servers starting at once means fewer races for a port.
func TestProductionOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The processes' logs are shown when the test fails.
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker and server logs:\n%s", logs.String())
		}
	})

	dir := t.TempDir()
	temporal := startTemporal(t, dir)
	sim, err := zdsim.Start("127.0.0.1:0", zdsim.Options{Seed: "demo", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	zcfg := sim.ClientConfig()
	env := map[string]string{zendesk.EnvURL: zcfg.BaseURL, zendesk.EnvEmail: zcfg.Email, zendesk.EnvAPIToken: zcfg.APIToken}

	// The commander and their token, as `irflow users` would create them in the
	// shared store.
	admin, err := storeopen.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = admin.Close() }()
	if err := admin.CreateUser(ctx, incident.User{ID: "carol", Display: "Carol", Roles: []incident.Role{incident.RoleResponder, incident.RoleCommander}}); err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.Issue(ctx, admin, "carol", "test")
	if err != nil {
		t.Fatal(err)
	}

	cfg := app.ProdConfig{
		Temporal:  app.TemporalConfig{Address: temporal.FrontendAddr(), Namespace: "default"},
		StorePath: dsn, HTTPAddr: freeAddr(t), EvidenceDir: t.TempDir(),
		Getenv: func(k string) string { return env[k] }, Logger: logger,
	}
	done := make(chan error, 3)
	for range 2 {
		go func() { done <- app.RunWorker(ctx, cfg, nil) }()
	}
	go func() { done <- app.RunServe(ctx, cfg, nil) }()
	t.Cleanup(func() {
		cancel()
		for range 3 {
			if err := <-done; err != nil {
				t.Errorf("process ended with %v", err)
			}
		}
	})

	call := func(method, path string, body, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "http://"+cfg.HTTPAddr+path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
			}
		}
		return resp.StatusCode
	}
	// eventually polls until cond holds: the server dials Temporal and listens a
	// moment after it starts, and the store is written by activities.
	eventually := func(what string, cond func() bool, explain ...func()) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if cond() {
				return
			}
		}
		for _, f := range explain {
			f()
		}
		t.Fatalf("waited 60s for %s", what)
	}
	eventually("the API to serve", func() bool { return call("GET", "/api/playbooks", nil, nil) == 200 })

	var decl service.Declared
	body := map[string]any{"playbook": "api-token-leak", "title": "Rogue API token on PostgreSQL",
		"facts": map[string]any{"summary": "token pasted in a gist", "zendesk": map[string]any{"api_tokens": []int64{12345}}}}
	if code := call("POST", "/api/incidents", body, &decl); code != 201 {
		t.Fatalf("POST /api/incidents: %d", code)
	}
	if code := call("POST", "/api/incidents/"+decl.ID+"/close", map[string]string{"reason": "revoked by hand"}, nil); code != 200 {
		t.Fatalf("POST close: %d", code)
	}
	var list []incident.Summary
	eventually("the closed incident in the PostgreSQL store", func() bool {
		list = nil
		return call("GET", "/api/incidents?phase=closed", nil, &list) == 200 && len(list) == 1 && list[0].ID == decl.ID
	}, func() {
		rec, err := admin.GetIncident(ctx, decl.ID)
		t.Logf("last list %+v; stored %+v, %v", list, rec.Summary, err)
	})
	var tl []incident.TimelineEntry
	if code := call("GET", "/api/incidents/"+decl.ID+"/timeline", nil, &tl); code != 200 || len(tl) == 0 || tl[len(tl)-1].Kind != incident.KindClosed {
		t.Errorf("timeline from the store: %d %+v", code, tl)
	}

	// What the API answered came from PostgreSQL: a separate client reads the same.
	stored, err := admin.GetIncident(ctx, decl.ID)
	if err != nil || stored.Phase != incident.PhaseClosed || stored.Title != "Rogue API token on PostgreSQL" {
		t.Errorf("stored incident = %+v, %v", stored, err)
	}
	audit, err := admin.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var declared, closed bool
	for _, e := range audit {
		declared = declared || (e.ActorID == "carol" && e.Action == incident.ActDeclare && e.Allowed)
		closed = closed || (e.ActorID == "carol" && e.Action == incident.ActClose && e.IncidentID == decl.ID && e.Allowed)
	}
	if !declared || !closed {
		t.Errorf("audit log in PostgreSQL lacks carol's declare or close: %+v", audit)
	}
}

// lockedBuffer is a bytes.Buffer that several goroutines may write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
