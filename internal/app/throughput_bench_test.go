package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/auth"
	"irflow/internal/incident"
	"irflow/internal/postgres/pgtest"
	"irflow/internal/s3/s3test"
	"irflow/internal/service"
	"irflow/internal/storeopen"
	"irflow/internal/zdsim"
)

// BenchmarkContainmentThroughput declares b.N (at least 20) credential-compromise incidents at once
// over the API and drives each to the end of containment (every step approved and
// done, the one the demo account refuses skipped), with 1, 2 and 3 workers sharing
// one Temporal server, one PostgreSQL store and one versitygw bucket, as `irflow
// worker` processes do. Evidence collection runs alongside, as it does in an
// incident. The Zendesk budget is set far above what the machine can use, so the
// figure is the workers' (and the machine's) throughput, not Zendesk's limit:
//
//	IRFLOW_TEST_POSTGRES="$(scripts/test-postgres)" IRFLOW_TEST_VERSITYGW="$(scripts/test-versitygw)" \
//	    go test ./internal/app -run '^$' -bench ContainmentThroughput -benchtime 1x
func BenchmarkContainmentThroughput(b *testing.B) {
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { benchThroughput(b, workers) })
	}
}

func benchThroughput(b *testing.B, workers int) {
	dsn := pgtest.DSN(b)
	gw := s3test.Start(b)
	bucket := gw.Bucket(b, true)
	dir := b.TempDir()
	temporal := startTemporal(b, dir)
	sim, err := zdsim.Start("127.0.0.1:0", zdsim.Options{Seed: zdsim.SeedDemo, Now: time.Now(), AccessLogsAddon: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	zcfg := sim.ClientConfig()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := storeopen.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = store.Close() }()
	if err := store.CreateUser(ctx, incident.User{ID: "carol", Display: "Carol", Roles: []incident.Role{incident.RoleResponder, incident.RoleCommander}}); err != nil {
		b.Fatal(err)
	}
	token, _, err := auth.Issue(ctx, store, "carol", "bench")
	if err != nil {
		b.Fatal(err)
	}
	env := map[string]string{
		"ZENDESK_URL": zcfg.BaseURL, "ZENDESK_EMAIL": zcfg.Email, "ZENDESK_API_TOKEN": zcfg.APIToken,
		"ZENDESK_REQUESTS_PER_MINUTE": "1000000", "AWS_ENDPOINT_URL": gw.Endpoint, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": s3test.RootKey, "AWS_SECRET_ACCESS_KEY": s3test.RootSecret, "IRFLOW_EVIDENCE_RETENTION": "GOVERNANCE:1h",
	}
	var logs lockedBuffer
	cfg := app.ProdConfig{
		Temporal:  app.TemporalConfig{Address: temporal.FrontendAddr(), Namespace: "default"},
		StorePath: dsn, HTTPAddr: freeAddr(b), EvidenceDir: "s3://" + bucket + "/evidence",
		Getenv: func(k string) string { return env[k] },
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	done := make(chan error, workers+1)
	for range workers {
		go func() { done <- app.RunWorker(ctx, cfg, nil) }()
	}
	go func() { done <- app.RunServe(ctx, cfg, nil) }()
	defer func() {
		cancel()
		for range workers + 1 {
			<-done
		}
		if b.Failed() {
			b.Logf("logs:\n%s", logs.String())
		}
	}()
	call := func(method, path string, body, out any) (int, string) {
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, "http://"+cfg.HTTPAddr+path, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			_ = json.Unmarshal(raw, out)
		}
		return resp.StatusCode, string(raw)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if c, _ := call("GET", "/api/playbooks", nil, nil); c == 200 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the API does not serve")
		}
	}
	facts, err := os.ReadFile("../../playbooks/examples/demo-takeover.json")
	if err != nil {
		b.Fatal(err)
	}
	type stateView struct {
		Steps []struct {
			Step struct {
				ID string `json:"id"`
			} `json:"step"`
			Status incident.StepStatus `json:"status"`
		} `json:"steps"`
	}
	contain := func(i int) error {
		var decl service.Declared
		if code, raw := call("POST", "/api/incidents", map[string]any{"playbook": "credential-compromise",
			"title": fmt.Sprintf("Takeover %d", i), "facts": json.RawMessage(facts)}, &decl); code != 201 {
			return fmt.Errorf("declare: %d %s", code, raw)
		}
		var st stateView
		if code, raw := call("GET", "/api/incidents/"+decl.ID, nil, &st); code != 200 {
			return fmt.Errorf("show: %d %s", code, raw)
		}
		for _, s := range st.Steps {
			action := "approve"
			if s.Step.ID == "reset-password" {
				action = "skip"
			}
			if code, raw := call("POST", "/api/incidents/"+decl.ID+"/steps/"+s.Step.ID+"/"+action, map[string]string{"reason": "bench"}, nil); code >= 300 {
				return fmt.Errorf("%s %s: %d %s", action, s.Step.ID, code, raw)
			}
		}
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			var st stateView
			if code, _ := call("GET", "/api/incidents/"+decl.ID, nil, &st); code != 200 {
				continue
			}
			contained := len(st.Steps) > 0
			for _, s := range st.Steps {
				contained = contained && (s.Status == incident.StepDone || s.Status == incident.StepSkipped)
			}
			if contained {
				return nil
			}
		}
		return fmt.Errorf("%s not contained after 5 minutes", decl.ID)
	}
	// At least minIncidents at once, so that -benchtime 1x (irflow bench) measures
	// a batch and not one incident's latency.
	const minIncidents = 20
	n := max(b.N, minIncidents)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- contain(i) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/elapsed.Minutes(), "incidents/min")
}
