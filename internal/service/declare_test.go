package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/playbooks"
	"irflow/workflows"
)

// registry fakes the two Temporal calls a declare makes: the registry's Update
// (declare_batch, or declare) and the start of the incident workflow. It allocates
// ids as the registry workflow does and records what it was sent.
type registry struct {
	client.Client

	mu      sync.Mutex
	next    int
	keys    map[string]workflows.DeclareResponse
	batches []int // the size of each Update
	inputs  []workflows.IncidentInput
	// gate, when set, holds every Update until it is closed; inflight and
	// maxInflight count the Updates held at once.
	gate        chan struct{}
	inflight    int
	maxInflight int
}

func newRegistry() *registry { return &registry{keys: map[string]workflows.DeclareResponse{}} }

func (r *registry) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (r *registry) UpdateWithStartWorkflow(ctx context.Context, opts client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	r.mu.Lock()
	r.inflight++
	r.maxInflight = max(r.maxInflight, r.inflight)
	if r.gate != nil {
		r.mu.Unlock()
		<-r.gate
		r.mu.Lock()
	}
	r.inflight--
	defer r.mu.Unlock()
	var reqs []workflows.DeclareRequest
	switch a := opts.UpdateOptions.Args[0].(type) {
	case workflows.DeclareBatchRequest:
		reqs = a.Declares
	case workflows.DeclareRequest:
		reqs = []workflows.DeclareRequest{a}
	}
	r.batches = append(r.batches, len(reqs))
	out := workflows.DeclareBatchResponse{}
	for _, q := range reqs {
		if k, ok := r.keys[q.IdempotencyKey]; ok && q.IdempotencyKey != "" {
			out.Results = append(out.Results, k)
			continue
		}
		r.next++
		resp := workflows.DeclareResponse{ID: incident.FormatID(now, r.next)}
		if q.IdempotencyKey != "" {
			r.keys[q.IdempotencyKey] = workflows.DeclareResponse{ID: resp.ID, Existing: true, Request: q.Request}
		}
		out.Results = append(out.Results, resp)
	}
	if opts.UpdateOptions.UpdateName == workflows.DeclareUpdate {
		return updateHandle{out.Results[0]}, nil
	}
	return updateHandle{out}, nil
}

func (r *registry) ExecuteWorkflow(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs = append(r.inputs, args[0].(workflows.IncidentInput))
	return nil, nil
}

type updateHandle struct{ v any }

func (h updateHandle) WorkflowID() string { return workflows.RegistryWorkflowID }
func (h updateHandle) RunID() string      { return "" }
func (h updateHandle) UpdateID() string   { return "fake" }
func (h updateHandle) Get(_ context.Context, ptr any) error {
	b, err := json.Marshal(h.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

func declareService(t testing.TB, r *registry) *service.Service {
	t.Helper()
	cat, err := playbooks.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return &service.Service{Client: r, Playbooks: cat}
}

func aware(at time.Time) *facts.Document {
	return &facts.Document{Version: facts.Version, Timeline: facts.Timeline{AwareAt: &at},
		Affected: facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: "DE", Count: 10}}}}
}

// TestDeclareRefusesOverLimitInput: issue 17's probes (a 150,000-character title,
// a 320 KB summary, aware_at in year 9999, control characters in a title) and the
// other limits are refused as invalid, naming the field and the limit, before an id
// is allocated or a workflow started.
func TestDeclareRefusesOverLimitInput(t *testing.T) {
	big := func(n int) string { return strings.Repeat("x", n) }
	manyUsers := make([]int64, incident.MaxList+1)
	ips := make([]string, 900)
	for i := range ips {
		ips[i] = big(100)
	}
	y9999 := time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC)
	ok := service.DeclareRequest{Playbook: "credential-compromise", Title: "takeover", Actor: "alice"}
	for _, tc := range []struct {
		name  string
		edit  func(*service.DeclareRequest)
		parts []string
	}{
		{"title of 150,000 characters", func(r *service.DeclareRequest) { r.Title = big(150_000) }, []string{"title", "150000 characters", "limit is 200"}},
		{"actor", func(r *service.DeclareRequest) { r.Actor = big(incident.MaxActor + 1) }, []string{"actor", "limit is 200"}},
		{"summary of 320 KB", func(r *service.DeclareRequest) {
			r.Facts = &facts.Document{Summary: big(320 << 10)}
		}, []string{"facts", "limit is"}},
		{"a facts string", func(r *service.DeclareRequest) {
			r.Facts = &facts.Document{Organization: facts.Organization{MainEstablishment: big(incident.MaxFactsString + 1)}}
		}, []string{"facts.organization.main_establishment", "limit is 8192"}},
		{"a facts list", func(r *service.DeclareRequest) {
			r.Facts = &facts.Document{Zendesk: facts.ZendeskScope{Users: manyUsers}}
		}, []string{"facts.zendesk.users", "1001 items", "limit is 1000"}},
		{"the facts document", func(r *service.DeclareRequest) {
			r.Facts = &facts.Document{Zendesk: facts.ZendeskScope{IPAddresses: ips}}
		}, []string{"facts", "bytes, the limit is 65536"}},
		{"aware_at in year 9999", func(r *service.DeclareRequest) { r.Facts = aware(y9999) }, []string{"facts.timeline.aware_at", "9999", "2199"}},
		{"aware_at a week ahead", func(r *service.DeclareRequest) { r.Facts = aware(time.Now().Add(7 * 24 * time.Hour)) }, []string{"facts.timeline.aware_at", "in the future"}},
		{"aware_at in 2150", func(r *service.DeclareRequest) { r.Facts = aware(time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC)) }, []string{"facts.timeline.aware_at", "in the future"}},
		{"idempotency key", func(r *service.DeclareRequest) { r.IdempotencyKey = big(incident.MaxLine + 1) }, []string{"idempotency_key"}},
		{"NUL in the title", func(r *service.DeclareRequest) { r.Title = "a\x00b" }, []string{"title", "control character", "U+0000"}},
		{"ESC in the title", func(r *service.DeclareRequest) { r.Title = "a\x1b[31mred" }, []string{"title", "U+001B"}},
		{"CR/LF in the title", func(r *service.DeclareRequest) { r.Title = "a\r\nfake: line" }, []string{"title", "single line"}},
		{"U+202E in the title", func(r *service.DeclareRequest) { r.Title = "invoice\u202efdp.exe" }, []string{"title", "U+202E"}},
		{"a newline in the actor", func(r *service.DeclareRequest) { r.Actor = "alice\nbob" }, []string{"actor"}},
		{"ESC in the summary", func(r *service.DeclareRequest) { r.Facts = &facts.Document{Summary: "line one\n\x1b]0;pwned\x07"} }, []string{"facts.summary", "U+001B"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry()
			req := ok
			tc.edit(&req)
			_, err := declareService(t, r).Declare(context.Background(), req)
			wantCode(t, tc.name, err, incident.EINVALID, tc.parts...)
			if len(r.batches) != 0 || len(r.inputs) != 0 {
				t.Errorf("a refused declare allocated %v ids and started %d workflows", r.batches, len(r.inputs))
			}
		})
	}
	// Within the limits, and a multi-line summary: declared.
	r := newRegistry()
	req := ok
	req.Title = big(incident.MaxTitle)
	req.Facts = aware(time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC))
	req.Facts.Summary = "first line\n\tsecond line"
	if _, err := declareService(t, r).Declare(context.Background(), req); err != nil {
		t.Fatalf("declare within the limits: %v", err)
	}
}

// TestDeclareKeyReusedForAnotherIncident: a key repeated with the same playbook and
// title is a retry (the same incident); with another title or playbook it is a
// conflict naming the incident the key declared.
func TestDeclareKeyReusedForAnotherIncident(t *testing.T) {
	r := newRegistry()
	svc := declareService(t, r)
	ctx := context.Background()
	req := service.DeclareRequest{Playbook: "credential-compromise", Title: "takeover", Actor: "alice", IdempotencyKey: "pd-Q1"}
	first, err := svc.Declare(ctx, req)
	if err != nil || first.Existing {
		t.Fatalf("first declare: %+v %v", first, err)
	}
	again, err := svc.Declare(ctx, req)
	if err != nil || !again.Existing || again.ID != first.ID {
		t.Fatalf("retry: %+v %v, want %s existing", again, err, first.ID)
	}
	other := req
	other.Title = "another incident"
	_, err = svc.Declare(ctx, other)
	wantCode(t, "same key, another title", err, incident.ECONFLICT, first.ID, "pd-Q1")
	other = req
	other.Playbook = "api-token-leak"
	_, err = svc.Declare(ctx, other)
	wantCode(t, "same key, another playbook", err, incident.ECONFLICT, first.ID)
}

// TestConcurrentDeclaresShareRegistryUpdates: a burst of declares never has more
// than a few Updates of the registry in flight (Temporal admits 10 per workflow and
// answers the rest "resource exhausted", which clients retry for seconds); the
// declares that arrive meanwhile go together in the next Update, and every one
// gets its own id.
func TestConcurrentDeclaresShareRegistryUpdates(t *testing.T) {
	r := newRegistry()
	r.gate = make(chan struct{})
	svc := declareService(t, r)
	const n = 60
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[string]bool{}
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := svc.Declare(context.Background(), service.DeclareRequest{Playbook: "credential-compromise",
				Title: fmt.Sprintf("burst %d", i), Actor: "bench", IdempotencyKey: fmt.Sprintf("k-%d", i)})
			if err != nil {
				t.Errorf("declare %d: %v", i, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ids[d.ID] {
				t.Errorf("id %s given twice", d.ID)
			}
			ids[d.ID] = true
		}()
	}
	// Let the burst queue behind the Updates in flight, then answer them.
	time.Sleep(200 * time.Millisecond)
	close(r.gate)
	wg.Wait()
	if len(ids) != n {
		t.Fatalf("%d ids for %d declares", len(ids), n)
	}
	if r.maxInflight > 3 {
		t.Errorf("%d registry Updates in flight at once, want at most 3", r.maxInflight)
	}
	if len(r.batches) > 6 {
		t.Errorf("%d declares took %d registry Updates (sizes %v), want a few batches", n, len(r.batches), r.batches)
	}
}

// FuzzDeclareLimits: whatever a caller sends as title, actor, summary, idempotency
// key and aware_at, a declare is either refused as invalid before Temporal is
// called, or the incident it starts has an input Temporal can carry: within
// MaxPayload, encodable, with a single-line title (issue 17 items 2 and 11).
func FuzzDeclareLimits(f *testing.F) {
	for _, s := range []struct {
		title, actor, summary, key string
		year                       int
	}{
		{"Maya's account taken over", "alice", "takeover", "pd-1", 2026},
		{strings.Repeat("x", 150_000), "alice", "", "", 2026},
		{"t", "alice", strings.Repeat("s", 320<<10), "", 2026},
		{"t", "alice", "", "", 9999},
		{"t", "alice", "", "", 1},
		{"a\x00b\x1b[2J\r\n\u202e", "eve\n", "ok\n\ttab", "k\x00", 2026},
		{"\xff\xfe", "alice", "\xc3", "", 2026},
		{"", "", "", "", 0},
	} {
		f.Add(s.title, s.actor, s.summary, s.key, s.year)
	}
	cat, err := playbooks.Embedded()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, actor, summary, key string, year int) {
		r := newRegistry()
		svc := &service.Service{Client: r, Playbooks: cat}
		doc := aware(time.Date(year, 3, 6, 9, 0, 0, 0, time.UTC))
		doc.Summary = summary
		_, err := svc.Declare(context.Background(), service.DeclareRequest{Playbook: "credential-compromise",
			Title: title, Actor: actor, Facts: doc, IdempotencyKey: key})
		if err != nil {
			var e *incident.Error
			if !errors.As(err, &e) || e.Code != incident.EINVALID {
				t.Fatalf("declare failed with %v, want an invalid-input error or success", err)
			}
			if len(r.batches) != 0 || len(r.inputs) != 0 {
				t.Fatalf("a refused declare reached Temporal: %v", err)
			}
			return
		}
		if len(r.inputs) != 1 {
			t.Fatalf("a declare started %d workflows", len(r.inputs))
		}
		b, err := json.Marshal(r.inputs[0])
		if err != nil || len(b) > incident.MaxPayload {
			t.Fatalf("started an incident whose input is %d bytes (%v)", len(b), err)
		}
		if strings.ContainsAny(r.inputs[0].Title, "\x00\x1b\r\n\u202e") {
			t.Fatalf("started an incident titled %q", r.inputs[0].Title)
		}
	})
}
