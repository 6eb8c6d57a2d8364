package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/containment"
	"irflow/internal/evidence"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/notify"
	"irflow/internal/ownership"
	"irflow/playbooks"
)

// incID is the incident every test here declares.
const incID = "INC-20260306-001"

// incAware is aware_at of the contract's example facts; incidents are declared an
// hour later.
var incAware = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

// incSave is one SaveIncident call as the store received it.
type incSave struct {
	Summary incident.Summary
	State   State
	Version int64
	Entries []incident.TimelineEntry
}

// incStore is an in-memory activities.IncidentStore that keeps every write, so a
// test can check what reached the store rather than what the workflow holds.
type incStore struct {
	mu        sync.Mutex
	saves     []incSave
	manifests []incident.EvidenceManifest
	// failSaves fails that many SaveIncident calls before storing anything, like a
	// locked database; the activity's retry must not duplicate or lose entries.
	failSaves int
	timeline  []incident.TimelineEntry
	// obligations are the clocks' rows by clock workflow id.
	obligations map[string]incident.ObligationRecord
}

func (s *incStore) SaveIncident(_ context.Context, save incident.IncidentSave) error {
	sum, stateJSON, version, entries := save.Summary, save.StateJSON, save.Version, save.Entries
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSaves > 0 {
		s.failSaves--
		return errors.New("database is locked")
	}
	var st State
	if stateJSON == "" {
		// A save that only appends timeline rows: the state is the last one.
		if len(s.saves) == 0 {
			return errors.New("first save carries no state")
		}
		st = s.saves[len(s.saves)-1].State
		st.Timeline = nil
		b, _ := json.Marshal(st)
		stateJSON = string(b)
	}
	if err := json.Unmarshal([]byte(stateJSON), &st); err != nil {
		return fmt.Errorf("decode state json: %w", err)
	}
	if len(st.Timeline) != 0 {
		return fmt.Errorf("state json carries %d timeline entries; they belong in entries", len(st.Timeline))
	}
	// Like the real store's timeline table: entries accumulate, keyed by seq, and the
	// saved state is read back with them.
	for _, e := range entries {
		if !slices.ContainsFunc(s.timeline, func(x incident.TimelineEntry) bool { return x.Seq == e.Seq }) {
			s.timeline = append(s.timeline, e)
		}
	}
	st.Timeline = slices.Clone(s.timeline)
	s.saves = append(s.saves, incSave{Summary: sum, State: st, Version: version, Entries: slices.Clone(entries)})
	return nil
}

func (s *incStore) SaveEvidenceManifest(_ context.Context, m incident.EvidenceManifest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manifests = append(s.manifests, m)
	return nil
}

func (s *incStore) GetIncident(_ context.Context, id string) (incident.StoredIncident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.saves) - 1; i >= 0; i-- {
		if sv := s.saves[i]; sv.Summary.ID == id {
			st := sv.State
			st.Timeline = nil
			b, _ := json.Marshal(st)
			return incident.StoredIncident{Summary: sv.Summary, StateJSON: string(b), Version: sv.Version}, nil
		}
	}
	return incident.StoredIncident{}, incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
}

// SaveObligation keeps the highest revision of each clock's row, like the real store.
func (s *incStore) SaveObligation(_ context.Context, o incident.ObligationRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.obligations == nil {
		s.obligations = map[string]incident.ObligationRecord{}
	}
	if old, ok := s.obligations[o.ClockWorkflowID]; ok && old.Revision > o.Revision {
		return nil
	}
	s.obligations[o.ClockWorkflowID] = o
	return nil
}

func (s *incStore) Obligations(_ context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []incident.ObligationRecord
	for _, k := range sortedKeys(s.obligations) {
		o := s.obligations[k]
		if (f.IncidentID == "" || o.IncidentID == f.IncidentID) && (f.ObligationID == "" || o.ObligationID == f.ObligationID) &&
			(f.DependsOn == "" || o.DependsOn == f.DependsOn) && (!f.Open || !o.Final()) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *incStore) all() ([]incSave, []incident.EvidenceManifest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saves), slices.Clone(s.manifests)
}

// incZendesk fakes the containment activities, recording every call in order.
type incZendesk struct {
	mu    sync.Mutex
	calls []string
}

func (z *incZendesk) apply(ctx context.Context, in containment.ApplyInput) (containment.ApplyResult, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.calls = append(z.calls, "apply "+in.Action+" "+in.Target.Key())
	return containment.ApplyResult{StepID: in.StepID, Action: in.Action, Target: in.Target, Changed: true,
		Before: containment.State{"suspended": false}, After: containment.State{"suspended": true},
		At: activity.GetInfo(ctx).StartedTime, IdempotencyKey: in.IdempotencyKey}, nil
}

func (z *incZendesk) undo(ctx context.Context, in containment.UndoInput) (containment.UndoResult, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	a, _ := containment.Lookup(in.Applied.Action)
	z.calls = append(z.calls, "undo "+a.Undo+" "+in.Applied.Target.Key())
	return containment.UndoResult{StepID: in.Applied.StepID, Action: a.Undo, Target: in.Applied.Target, Changed: true,
		At: activity.GetInfo(ctx).StartedTime, IdempotencyKey: in.IdempotencyKey}, nil
}

func (z *incZendesk) got() []string {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.calls)
}

// incEvidence fakes CollectSource (every source done in one run) and WriteManifest
// (a hash over the collected files).
type incEvidence struct {
	mu        sync.Mutex
	collected []evidence.CollectInput
}

func (e *incEvidence) collect(_ context.Context, in evidence.CollectInput) (evidence.CollectResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.collected = append(e.collected, in)
	return evidence.CollectResult{Source: in.Source, File: in.Source + ".ndjson", Query: "window " + in.Window.From.Format(time.RFC3339),
		Done: true, Pages: 1, CollectedAt: in.Window.To}, nil
}

func (e *incEvidence) manifest(_ context.Context, in evidence.WriteManifestInput) (evidence.ManifestResult, error) {
	h := sha256.New()
	for _, c := range in.Collected {
		h.Write([]byte(c.File + "\n"))
	}
	return evidence.ManifestResult{Path: in.IncidentID + "/manifest.json", SHA256: hex.EncodeToString(h.Sum(nil)),
		Files: len(in.Collected), Records: int64(2 * len(in.Collected))}, nil
}

// incHarness is a test environment with the incident workflow, its real child
// workflows (EvidenceCollection, ObligationClock) and fakes behind every activity.
type incHarness struct {
	env      *testsuite.TestWorkflowEnvironment
	store    *incStore
	zendesk  *incZendesk
	evidence *incEvidence
	notices  *recorder
}

func newIncHarness(start time.Time) *incHarness {
	h := &incHarness{env: newTestEnv(), store: &incStore{}, zendesk: &incZendesk{}, evidence: &incEvidence{}, notices: &recorder{}}
	env := h.env
	env.SetStartTime(start)
	env.RegisterWorkflow(Incident)
	env.RegisterWorkflow(ObligationClock)
	env.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
	env.RegisterActivity(&activities.Activities{Store: h.store})
	env.RegisterActivity(&activities.NotifyActivities{Notifier: h.notices})
	env.RegisterActivityWithOptions(h.zendesk.apply, activity.RegisterOptions{Name: containment.ActivityApply})
	env.RegisterActivityWithOptions(h.zendesk.undo, activity.RegisterOptions{Name: containment.ActivityUndo})
	env.RegisterActivityWithOptions(h.evidence.collect, activity.RegisterOptions{Name: evidence.ActivityCollectSource})
	env.RegisterActivityWithOptions(h.evidence.manifest, activity.RegisterOptions{Name: evidence.ActivityWriteManifest})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: IncidentWorkflowID(incID)})
	// Obligation clocks are abandoned children: they outlive the incident, because
	// closing an incident does not end a legal duty. Overdue clocks remind daily
	// without end, so the test stops when the incident does.
	env.SetDetachedChildWait(false)
	return h
}

func (h *incHarness) run(pb playbooks.Loaded, doc facts.Document) {
	h.env.ExecuteWorkflow(Incident, IncidentInput{ID: incID, Title: "Agent account takeover", Playbook: pb, Facts: doc, DeclaredBy: "alice"})
}

// at runs fn when the test clock reaches the declaration plus d.
func (h *incHarness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// state queries the incident's state query.
func (h *incHarness) state(t *testing.T) State {
	t.Helper()
	v, err := h.env.QueryWorkflow(StateQuery)
	if err != nil {
		t.Fatalf("query %s: %v", StateQuery, err)
	}
	var s State
	if err := v.Get(&s); err != nil {
		t.Fatalf("decode state: %v", err)
	}
	return s
}

// clock queries an obligation clock child by its workflow id.
func (h *incHarness) clock(t *testing.T, workflowID string) ClockView {
	t.Helper()
	v, err := h.env.QueryWorkflowByID(workflowID, ClockQuery)
	if err != nil {
		t.Fatalf("query clock %s: %v", workflowID, err)
	}
	var c ClockView
	if err := v.Get(&c); err != nil {
		t.Fatalf("decode clock %s: %v", workflowID, err)
	}
	return c
}

// completed asserts the incident completed without error and returns its result.
func (h *incHarness) completed(t *testing.T) IncidentResult {
	t.Helper()
	if !h.env.IsWorkflowCompleted() {
		t.Fatal("incident workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatalf("incident workflow failed: %v", err)
	}
	var r IncidentResult
	if err := h.env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

// incUpdate is what came back for one Update. The test environment runs an Update
// after the callback that sent it returns (Updates sent together run in order), so
// its outcome, and a query that should see its effect, belong in a later callback.
type incUpdate struct {
	name     string
	rejected error
	failed   error
	result   any
	done     bool
}

var incUpdateSeq int

func (h *incHarness) update(name string, arg any) *incUpdate {
	incUpdateSeq++
	u := &incUpdate{name: name}
	h.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, incUpdateSeq), &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { u.rejected, u.done = err, true },
		OnComplete: func(r any, err error) { u.result, u.failed, u.done = r, err, true },
	}, arg)
	return u
}

func (u *incUpdate) wantOK(t *testing.T) {
	t.Helper()
	if !u.done || u.rejected != nil || u.failed != nil {
		t.Errorf("%s: done %v, rejected %v, failed %v", u.name, u.done, u.rejected, u.failed)
	}
}

func (u *incUpdate) wantRejected(t *testing.T, substrings ...string) {
	t.Helper()
	if !u.done || u.rejected == nil {
		t.Errorf("%s: want rejected (%q), got done %v, failed %v", u.name, substrings, u.done, u.failed)
		return
	}
	for _, s := range substrings {
		if !strings.Contains(u.rejected.Error(), s) {
			t.Errorf("%s rejection %q lacks %q", u.name, u.rejected, s)
		}
	}
}

func incPlaybook(steps []playbooks.Step, sources ...string) playbooks.Loaded {
	pb := playbooks.Loaded{
		Playbook: playbooks.Playbook{ID: "credential-compromise", Title: "Compromised agent credentials", Containment: steps},
		Hash:     strings.Repeat("ab", 32),
		Source:   "credential-compromise.yaml",
	}
	for _, s := range sources {
		pb.Evidence = append(pb.Evidence, playbooks.EvidenceSource{Source: s})
	}
	return pb
}

// incContractFacts is the example document of the facts contract
// (shared/contracts/incident-facts.md): DE and US-CA individuals, aware_at set.
func incContractFacts(t *testing.T) facts.Document {
	t.Helper()
	d, err := facts.Parse([]byte(`{
  "version": 1,
  "summary": "Agent account used from an unknown IP to export tickets",
  "timeline": {
    "detected_at": "2026-03-06T14:00:00Z",
    "aware_at": "2026-03-06T16:00:00Z",
    "discovered_at": "2026-03-06T16:00:00Z",
    "determined_at": "2026-03-07T09:00:00Z"
  },
  "cause": {
    "service_vulnerability": "unknown", "reported_by_zendesk": false, "credentials_used": "password",
    "weak_credentials": "yes", "mfa_enforced": false,
    "integration": {"involved": false, "kind": null, "chosen_by": null, "name": null},
    "user_content": false, "monitoring_gap": true, "insider": false
  },
  "affected": {"individuals": [{"jurisdiction": "DE", "count": 12000}, {"jurisdiction": "US-CA", "count": 800}], "records": 40000},
  "data_categories": ["contact", "credentials"],
  "encrypted_unusable": false,
  "risk": "high",
  "ongoing": false,
  "organization": {"role": "controller", "main_establishment": "IE", "flags": []},
  "zendesk": {
    "users": [35436], "api_tokens": [201], "tickets": [666, 667], "ip_addresses": ["203.0.113.7"],
    "window": {"from": "2026-03-05T00:00:00Z", "to": "2026-03-06T16:00:00Z"}
  }
}`))
	if err != nil {
		t.Fatalf("contract facts: %v", err)
	}
	return d
}

// incPhishedPatch answers the cause questions for a phished agent without MFA
// (internal/ownership/testdata/phished-agent-no-mfa.json): SRM-VI.S.i.
const incPhishedPatch = `{"cause": {"service_vulnerability": "no", "reported_by_zendesk": false,
  "credentials_used": "password", "weak_credentials": "yes", "mfa_enforced": false,
  "integration": {"involved": false}, "user_content": false, "monitoring_gap": false, "insider": false}}`

func incKinds(tl []incident.TimelineEntry) []string {
	kinds := make([]string, len(tl))
	for i, e := range tl {
		kinds[i] = e.Kind
	}
	return kinds
}

func incFind(tl []incident.TimelineEntry, kind, text string) (incident.TimelineEntry, bool) {
	for _, e := range tl {
		if e.Kind == kind && strings.Contains(e.Text, text) {
			return e, true
		}
	}
	return incident.TimelineEntry{}, false
}

func incObligation(s State, id string) (IncidentObligation, bool) {
	for _, o := range s.Obligations {
		if o.ID == id {
			return o, true
		}
	}
	return IncidentObligation{}, false
}

// incCheckStore asserts that every timeline entry of final reached the store exactly
// once, in order, with versions only increasing, and returns the last save.
func incCheckStore(t *testing.T, store *incStore, final []incident.TimelineEntry) incSave {
	t.Helper()
	saves, _ := store.all()
	if len(saves) == 0 {
		t.Fatal("nothing reached the store")
	}
	seen := map[int]int{}
	var got []incident.TimelineEntry
	for i, s := range saves {
		if i > 0 && s.Version <= saves[i-1].Version {
			t.Errorf("save %d has version %d after %d: the store would ignore it", i, s.Version, saves[i-1].Version)
		}
		for _, e := range s.Entries {
			seen[e.Seq]++
			got = append(got, e)
		}
	}
	for seq, n := range seen {
		if n != 1 {
			t.Errorf("timeline entry %d reached the store %d times", seq, n)
		}
	}
	if len(got) != len(final) {
		t.Errorf("store got %d timeline entries, the workflow has %d", len(got), len(final))
	}
	for i := range min(len(got), len(final)) {
		if got[i].Seq != final[i].Seq || got[i].Kind != final[i].Kind || got[i].Text != final[i].Text {
			t.Errorf("stored entry %d = %d %s %q, want %d %s %q", i, got[i].Seq, got[i].Kind, got[i].Text,
				final[i].Seq, final[i].Kind, final[i].Text)
		}
	}
	return saves[len(saves)-1]
}

// TestIncidentDeclareNoteClose runs an incident from declaration to close: the
// phases and timeline, the evidence manifest anchored in the store, every timeline
// entry stored exactly once although a save failed, and the validators of add_note
// and close.
func TestIncidentDeclareNoteClose(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	h.store.failSaves = 1
	var before State
	var emptyNote, blankActor, note, closeNoActor, closeOK, noteAfter, closeAgain *incUpdate
	h.at(time.Minute, func() {
		before = h.state(t)
		emptyNote = h.update(AddNoteUpdate, NoteRequest{Actor: "bob", Text: "  "})
		blankActor = h.update(AddNoteUpdate, NoteRequest{Text: "who wrote this?"})
		note = h.update(AddNoteUpdate, NoteRequest{Actor: "bob", Text: "Account holder confirms the sign-ins were not theirs"})
	})
	h.at(2*time.Minute, func() {
		closeNoActor = h.update(CloseUpdate, CloseRequest{Reason: "done"})
		closeOK = h.update(CloseUpdate, CloseRequest{Actor: "carol", Reason: "false positive: the agent travelled"})
		noteAfter = h.update(AddNoteUpdate, NoteRequest{Actor: "bob", Text: "too late"})
		closeAgain = h.update(CloseUpdate, CloseRequest{Actor: "carol"})
	})
	h.run(incPlaybook(nil, evidence.SourceAuditLogs, evidence.SourceUsers), facts.Document{Version: 1})
	res := h.completed(t)

	emptyNote.wantRejected(t, "note text is empty")
	blankActor.wantRejected(t, "actor is required")
	note.wantOK(t)
	if e, ok := note.result.(incident.TimelineEntry); !ok || e.Kind != incident.KindNote || e.Actor != "bob" || e.Seq == 0 {
		t.Errorf("add_note result = %#v", note.result)
	}
	closeNoActor.wantRejected(t, "actor is required")
	closeOK.wantOK(t)
	noteAfter.wantRejected(t, "incident "+incID+" is closed")
	closeAgain.wantRejected(t, "incident "+incID+" is already closed")

	if before.ID != incID || before.WorkflowID != IncidentWorkflowID(incID) || before.Phase != incident.PhaseNotification ||
		before.Title != "Agent account takeover" || before.Playbook != "credential-compromise" {
		t.Errorf("state before close: id %q workflow %q phase %q title %q playbook %q",
			before.ID, before.WorkflowID, before.Phase, before.Title, before.Playbook)
	}
	if res.ID != incID || res.CloseReason != "false positive: the agent travelled" || !res.ClosedAt.Equal(incAware.Add(time.Hour+2*time.Minute)) {
		t.Errorf("result = %+v", res)
	}

	saves, manifests := h.store.all()
	last := saves[len(saves)-1]
	final := last.State
	if final.ID != incID || final.Title != "Agent account takeover" || final.Playbook != "credential-compromise" ||
		final.PlaybookHash != strings.Repeat("ab", 32) || final.Phase != incident.PhaseClosed || final.CloseReason != res.CloseReason {
		t.Errorf("final state: id %q title %q playbook %q hash %q phase %q reason %q",
			final.ID, final.Title, final.Playbook, final.PlaybookHash, final.Phase, final.CloseReason)
	}
	wantKinds := []string{
		incident.KindDeclared, incident.KindPhase, incident.KindOwnership, incident.KindTriage, incident.KindObligation,
		incident.KindPhase, incident.KindSkipped, incident.KindPhase,
		incident.KindEvidence, incident.KindEvidence, incident.KindNote, incident.KindClosed,
	}
	if got := incKinds(final.Timeline); !slices.Equal(got, wantKinds) {
		t.Errorf("timeline kinds\n got %v\nwant %v", got, wantKinds)
	}
	for i, e := range final.Timeline {
		if e.Seq != i+1 {
			t.Errorf("timeline entry %d has seq %d", i, e.Seq)
		}
	}
	for _, want := range []struct{ kind, text string }{
		{incident.KindDeclared, `Declared "Agent account takeover" with playbook credential-compromise (sha256 abababababab)`},
		{incident.KindPhase, "Phase triage"},
		{incident.KindOwnership, "Ownership: undetermined"},
		{incident.KindObligation, "No notification obligation applies on the declared facts"},
		{incident.KindSkipped, "Phase containment skipped: the playbook declares no containment steps"},
		{incident.KindEvidence, "Collecting evidence from 2 sources"},
		{incident.KindEvidence, "Evidence collected: 4 records in 2 files; manifest " + incID + "/manifest.json sha256"},
		{incident.KindNote, "Account holder confirms the sign-ins were not theirs"},
		{incident.KindClosed, "Closed: false positive: the agent travelled"},
	} {
		if _, ok := incFind(final.Timeline, want.kind, want.text); !ok {
			t.Errorf("timeline lacks %s %q", want.kind, want.text)
		}
	}

	stored := incCheckStore(t, h.store, final.Timeline)
	if s := stored.Summary; s.Phase != incident.PhaseClosed || s.CloseReason != res.CloseReason || s.ClosedAt == nil ||
		s.ID != incID || s.Owner != string(ownership.OwnerUndetermined) {
		t.Errorf("last stored summary = %+v", s)
	}
	if final.Evidence.Status != EvidenceCollected || final.Evidence.Files != 2 || !final.Evidence.WindowAssumed {
		t.Errorf("evidence = %+v", final.Evidence)
	}
	if len(manifests) != 1 || manifests[0].IncidentID != incID || manifests[0].SHA256 != final.Evidence.ManifestSHA256 || manifests[0].Files != 2 {
		t.Errorf("evidence manifests stored = %+v, state sha %s", manifests, final.Evidence.ManifestSHA256)
	}
	// Without a zendesk.window the evidence covers the week before declaration, up
	// to what Zendesk's exports allow: collection starts at declaration, and the
	// last minute (and some) is not exported yet.
	declared := incAware.Add(time.Hour)
	for _, c := range h.evidence.collected {
		if !c.Window.From.Equal(declared.Add(-7*24*time.Hour)) || !c.Window.To.Equal(declared.Add(-exportLag)) || c.IncidentID != incID {
			t.Errorf("evidence collected %s for %s..%s", c.Source, c.Window.From, c.Window.To)
		}
	}
}

// TestIncidentOwnershipRevision: facts that answer the cause questions revise the
// computed ownership once, with who and why; a change that leaves owner, clauses and
// confidence alone is no revision.
func TestIncidentOwnershipRevision(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var declared, revised, same State
	var phished, tickets *incUpdate
	h.at(time.Minute, func() {
		declared = h.state(t)
		phished = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(incPhishedPatch), Reason: "phished through a fake SSO page"})
	})
	h.at(2*time.Minute, func() {
		revised = h.state(t)
		tickets = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"zendesk":{"tickets":[666,667]}}`)})
	})
	h.at(3*time.Minute, func() {
		same = h.state(t)
		h.update(CloseUpdate, CloseRequest{Actor: "bob"})
	})
	h.run(incPlaybook(nil), facts.Document{Version: 1})
	h.completed(t)

	if o := declared.Ownership; o.Owner != ownership.OwnerUndetermined || o.Source != OwnershipComputed || o.Confidence != ownership.Unknown {
		t.Errorf("declared with nothing known: %+v", o)
	}
	if len(declared.OwnershipHistory) != 0 {
		t.Errorf("history at declaration: %+v", declared.OwnershipHistory)
	}
	phished.wantOK(t)
	if r, ok := phished.result.(SetFactsResult); !ok || r.Ownership.Owner != ownership.OwnerSubscriber {
		t.Errorf("set_facts result = %#v", phished.result)
	}
	o := revised.Ownership
	if o.Owner != ownership.OwnerSubscriber || !slices.Contains(o.Clauses, "SRM-VI.S.i") || o.Source != OwnershipComputed {
		t.Errorf("after the phished-agent facts: owner %s clauses %v source %s", o.Owner, o.Clauses, o.Source)
	}
	if len(revised.OwnershipHistory) != 1 {
		t.Fatalf("history = %+v, want one revision", revised.OwnershipHistory)
	}
	rev := revised.OwnershipHistory[0]
	if rev.From.Owner != ownership.OwnerUndetermined || rev.To.Owner != ownership.OwnerSubscriber || rev.Actor != "bob" ||
		!slices.Contains(rev.To.Clauses, "SRM-VI.S.i") || !strings.Contains(rev.Reason, "facts changed") || !strings.Contains(rev.Reason, "owner") {
		t.Errorf("revision = %+v", rev)
	}
	if _, ok := incFind(revised.Timeline, incident.KindFacts, "Facts updated: phished through a fake SSO page"); !ok {
		t.Error("timeline lacks the facts change")
	}
	if e, ok := incFind(revised.Timeline, incident.KindOwnership, "Ownership: subscriber (SRM-VI.S.i"); !ok || e.Actor != "bob" {
		t.Errorf("timeline lacks the revised determination by bob: %+v", e)
	}

	tickets.wantOK(t)
	if len(same.OwnershipHistory) != 1 || same.Ownership.Owner != ownership.OwnerSubscriber {
		t.Errorf("a change that keeps owner, clauses and confidence added a revision: %+v", same.OwnershipHistory)
	}
	if len(same.Facts.Zendesk.Tickets) != 2 {
		t.Errorf("tickets not merged: %v", same.Facts.Zendesk.Tickets)
	}
}

// TestIncidentHumanDecisionStands: an override is never silently replaced by a
// recomputation; the disagreement is flagged until a human confirms.
func TestIncidentHumanDecisionStands(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var overridden, disagreeing, confirmedState State
	var noReason, badOwner, override, unknownField, badEnum, badType, future, facts1, confirm *incUpdate
	h.at(time.Minute, func() {
		noReason = h.update(OverrideOwnershipUpdate, OverrideOwnershipRequest{Owner: "zendesk", Actor: "dpo"})
		badOwner = h.update(OverrideOwnershipUpdate, OverrideOwnershipRequest{Owner: "vendor", Clauses: []string{"SRM-XX"}, Actor: "dpo", Reason: "x"})
		override = h.update(OverrideOwnershipUpdate, OverrideOwnershipRequest{Owner: "zendesk", Actor: "dpo",
			Reason: "Zendesk's breach notice of 6 March covers our instance"})
	})
	h.at(2*time.Minute, func() {
		overridden = h.state(t)
		unknownField = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"cause":{"credentails_used":"password"}}`)})
		badEnum = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"cause":{"weak_credentials":"maybe"}}`)})
		badType = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"affected":{"records":"many"}}`)})
		// set-trigger refuses an instant more than a day ahead; so does set-facts.
		future = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(`{"timeline":{"aware_at":"2199-01-01T00:00:00Z"}}`)})
		facts1 = h.update(SetFactsUpdate, SetFactsRequest{Actor: "bob", Patch: json.RawMessage(incPhishedPatch), Reason: "the agent was phished"})
	})
	h.at(3*time.Minute, func() {
		disagreeing = h.state(t)
		confirm = h.update(ConfirmOwnershipUpdate, ConfirmOwnershipRequest{Actor: "dpo", Reason: "the notice was about another customer"})
	})
	h.at(4*time.Minute, func() {
		confirmedState = h.state(t)
		h.update(CloseUpdate, CloseRequest{Actor: "dpo"})
	})
	h.run(incPlaybook(nil), facts.Document{Version: 1})
	h.completed(t)

	noReason.wantRejected(t, "reason is required: an override must say why")
	badOwner.wantRejected(t, `owner: "vendor" is not one of`, `clauses[0]: "SRM-XX" is not a shared-responsibility clause id`)
	override.wantOK(t)
	o := overridden.Ownership
	if o.Owner != ownership.OwnerZendesk || o.Source != OwnershipOverridden || o.DecidedBy != "dpo" ||
		o.DecisionReason != "Zendesk's breach notice of 6 March covers our instance" || o.DecidedAt == nil {
		t.Errorf("after override: %+v", o)
	}
	if len(overridden.OwnershipHistory) != 1 || overridden.OwnershipHistory[0].From.Owner != ownership.OwnerUndetermined ||
		overridden.OwnershipHistory[0].To.Owner != ownership.OwnerZendesk || overridden.OwnershipHistory[0].Actor != "dpo" ||
		!strings.Contains(overridden.OwnershipHistory[0].Reason, "override: Zendesk's breach notice") {
		t.Errorf("history after override: %+v", overridden.OwnershipHistory)
	}

	// Invalid patches are rejected before anything is recorded, naming the field.
	unknownField.wantRejected(t, "cause.credentails_used")
	badEnum.wantRejected(t, "cause.weak_credentials", "maybe")
	badType.wantRejected(t, "affected.records")
	future.wantRejected(t, "timeline.aware_at", "in the future")
	facts1.wantOK(t)
	d := disagreeing.Ownership
	if d.Owner != ownership.OwnerZendesk || d.Source != OwnershipOverridden {
		t.Errorf("a recomputation replaced the human decision: %+v", d)
	}
	if d.Computed == nil || d.Computed.Owner != ownership.OwnerSubscriber {
		t.Errorf("computed = %+v, want subscriber", d.Computed)
	}
	if !strings.Contains(d.Disagreement, "the facts now point to owner subscriber") || !strings.Contains(d.Disagreement, "dpo decided zendesk") {
		t.Errorf("disagreement = %q", d.Disagreement)
	}
	if _, ok := incFind(disagreeing.Timeline, incident.KindDisagreement, "Ownership disagreement: the facts now point to owner subscriber"); !ok {
		t.Errorf("no disagreement entry: %v", incKinds(disagreeing.Timeline))
	}
	if len(disagreeing.OwnershipHistory) != 1 {
		t.Errorf("a recomputation under a human decision added a revision: %+v", disagreeing.OwnershipHistory)
	}
	// Exactly one facts entry: the rejected patches left no trace.
	nFacts := 0
	for _, e := range disagreeing.Timeline {
		if e.Kind == incident.KindFacts {
			nFacts++
		}
	}
	if nFacts != 1 {
		t.Errorf("%d facts entries, want 1 (rejected patches must not be recorded)", nFacts)
	}

	confirm.wantOK(t)
	c := confirmedState.Ownership
	if c.Owner != ownership.OwnerSubscriber || c.Source != OwnershipConfirmed || c.DecidedBy != "dpo" || c.Disagreement != "" || c.Computed != nil {
		t.Errorf("after confirm: %+v", c)
	}
	if n := len(confirmedState.OwnershipHistory); n != 2 || confirmedState.OwnershipHistory[1].From.Owner != ownership.OwnerZendesk ||
		confirmedState.OwnershipHistory[1].To.Owner != ownership.OwnerSubscriber {
		t.Errorf("history after confirm: %+v", confirmedState.OwnershipHistory)
	}
}

// TestIncidentObligationClocks: the contract's facts start the GDPR Art. 33 clock
// (72 h from aware_at); moving aware_at re-arms it, in the incident and in the clock
// child; removing every affected person retires the clocks.
func TestIncidentObligationClocks(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	gdprClock := ObligationClockWorkflowID(incID, "eu-gdpr-33-sa")
	earlier := incAware.Add(-10 * time.Hour)
	caClock := ObligationClockWorkflowID(incID, "us-ca-1798-82-individuals")
	var declared, rearmed, retired, later State
	var clockDeclared, clockRearmed, clockRetired ClockView
	var noReason, badField, future, move, none *incUpdate
	h.at(time.Minute, func() {
		declared = h.state(t)
		clockDeclared = h.clock(t, gdprClock)
		noReason = h.update(SetIncidentTriggerUpdate, SetIncidentTriggerRequest{Field: "aware_at", At: earlier, Actor: "dpo"})
		badField = h.update(SetIncidentTriggerUpdate, SetIncidentTriggerRequest{Field: "awareness", At: earlier, Actor: "dpo", Reason: "x"})
		future = h.update(SetIncidentTriggerUpdate, SetIncidentTriggerRequest{Field: "aware_at", At: incAware.Add(30 * 24 * time.Hour), Actor: "dpo", Reason: "x"})
		move = h.update(SetIncidentTriggerUpdate, SetIncidentTriggerRequest{Field: "aware_at", At: earlier, Actor: "dpo",
			Reason: "the SOC flagged the exports at 06:00; legal counts awareness from then"})
	})
	h.at(2*time.Minute, func() {
		rearmed = h.state(t)
		clockRearmed = h.clock(t, gdprClock)
		none = h.update(SetFactsUpdate, SetFactsRequest{Actor: "dpo", Patch: json.RawMessage(`{"affected":{"individuals":null,"records":null}}`),
			Reason: "the exported views held only test tickets"})
	})
	h.at(3*time.Minute, func() {
		retired = h.state(t)
		clockRetired = h.clock(t, caClock)
		h.update(SetFactsUpdate, SetFactsRequest{Actor: "dpo", Patch: json.RawMessage(`{"risk":"risk"}`)})
	})
	h.at(4*time.Minute, func() {
		later = h.state(t)
		h.update(CloseUpdate, CloseRequest{Actor: "dpo", Reason: "no personal data"})
	})
	h.run(incPlaybook(nil), incContractFacts(t))
	h.completed(t)

	o, ok := incObligation(declared, "eu-gdpr-33-sa")
	if !ok || !o.Applicable || o.DueAt == nil || !o.DueAt.Equal(incAware.Add(72*time.Hour)) || o.ClockWorkflowID != gdprClock {
		t.Fatalf("eu-gdpr-33-sa at declaration: %+v", o)
	}
	if clockDeclared.DueAt == nil || !clockDeclared.DueAt.Equal(incAware.Add(72*time.Hour)) || clockDeclared.IncidentID != incID {
		t.Errorf("GDPR clock at declaration: due %v incident %s", clockDeclared.DueAt, clockDeclared.IncidentID)
	}
	if _, ok := incFind(declared.Timeline, incident.KindObligation, "notification clock(s) started (declared facts): eu-gdpr-33-sa due 2026-03-09T16:00:00Z"); !ok {
		t.Errorf("no clock start entry in %v", incKinds(declared.Timeline))
	}
	// The clock's own "armed" report came back through the obligation_event signal.
	if _, ok := incFind(declared.Timeline, incident.KindObligation, "eu-gdpr-33-sa: clock armed"); !ok {
		t.Error("the clock's armed event did not reach the incident timeline")
	}

	noReason.wantRejected(t, "reason is required")
	badField.wantRejected(t, `field: "awareness" is not a facts timeline field`)
	future.wantRejected(t, "in the future")
	move.wantOK(t)
	o, _ = incObligation(rearmed, "eu-gdpr-33-sa")
	if o.DueAt == nil || !o.DueAt.Equal(earlier.Add(72*time.Hour)) || o.ClockWorkflowID != gdprClock {
		t.Errorf("after set_trigger: %+v", o)
	}
	if rearmed.Facts.Timeline.AwareAt == nil || !rearmed.Facts.Timeline.AwareAt.Equal(earlier) {
		t.Errorf("facts aware_at = %v", rearmed.Facts.Timeline.AwareAt)
	}
	if _, ok := incFind(rearmed.Timeline, incident.KindObligation, "Clocks re-armed (timeline.aware_at moved: the SOC flagged"); !ok {
		t.Errorf("no re-armed entry")
	}
	if e, ok := incFind(rearmed.Timeline, incident.KindFacts, "Trigger timeline.aware_at moved from 2026-03-06T16:00:00Z to 2026-03-06T06:00:00Z"); !ok || e.Actor != "dpo" {
		t.Errorf("no trigger move entry by dpo: %+v", e)
	}
	if clockRearmed.DueAt == nil || !clockRearmed.DueAt.Equal(earlier.Add(72*time.Hour)) || clockRearmed.Arming != 1 {
		t.Errorf("GDPR clock after re-arm: due %v arming %d", clockRearmed.DueAt, clockRearmed.Arming)
	}

	// Without California residents among the affected, the California duties no
	// longer apply and their clocks retire. GDPR Art. 33 still does: it binds a
	// controller established in the EU (main_establishment IE) whoever is affected.
	none.wantOK(t)
	for _, id := range []string{"us-ca-1798-82-individuals", "us-ca-1798-82-ag"} {
		o, _ := incObligation(retired, id)
		if o.Retired == "" || o.Status != ClockRetired || o.ClockWorkflowID != ObligationClockWorkflowID(incID, id) {
			t.Errorf("%s after removing the affected people: status %s retired %q clock %q", id, o.Status, o.Retired, o.ClockWorkflowID)
		}
	}
	if _, ok := incFind(retired.Timeline, incident.KindObligation, "Clocks retired (facts changed): us-ca-1798-82-ag, us-ca-1798-82-individuals"); !ok {
		t.Errorf("no retired entry")
	}
	if _, ok := incFind(retired.Timeline, incident.KindObligation, "us-ca-1798-82-individuals: clock retired: facts changed"); !ok {
		t.Errorf("the clock's retired event did not reach the incident timeline")
	}
	if clockRetired.Status != ClockRetired {
		t.Errorf("California clock status = %s, want retired", clockRetired.Status)
	}
	if o, _ := incObligation(retired, "eu-gdpr-33-sa"); o.Retired != "" || o.Status == ClockRetired {
		t.Errorf("eu-gdpr-33-sa retired although the controller is established in the EU: %+v", o)
	}
	// A later recomputation keeps the retired clocks' record in the state.
	for _, id := range []string{"us-ca-1798-82-individuals", "us-ca-1798-82-ag"} {
		o, _ := incObligation(later, id)
		if o.Retired == "" || o.Status != ClockRetired || o.ClockWorkflowID != ObligationClockWorkflowID(incID, id) {
			t.Errorf("%s after a further set_facts: status %s retired %q clock %q", id, o.Status, o.Retired, o.ClockWorkflowID)
		}
	}
}

// incContainmentPlaybook suspends the compromised user without approval (reversible)
// and then waits for approval to sign them out everywhere (irreversible).
func incContainmentPlaybook() playbooks.Loaded {
	return incPlaybook([]playbooks.Step{
		{ID: "suspend", Action: containment.SuspendUser, Reversible: true},
		{ID: "sessions", Action: containment.RevokeSessions, NeedsApproval: true},
	})
}

func incContainmentFacts() facts.Document {
	return facts.Document{Version: 1, Zendesk: facts.ZendeskScope{Users: []int64{35436}}}
}

// TestIncidentCloseWhileAwaitingApproval: closing cancels the steps that never ran
// and completes the workflow; nothing is undone (closing is not a rollback).
func TestIncidentCloseWhileAwaitingApproval(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var waiting State
	var closeU *incUpdate
	h.at(time.Minute, func() {
		waiting = h.state(t)
		closeU = h.update(CloseUpdate, CloseRequest{Actor: "bob", Reason: "handled by the account holder"})
	})
	h.run(incContainmentPlaybook(), incContainmentFacts())
	res := h.completed(t)
	closeU.wantOK(t)

	if waiting.Phase != incident.PhaseContainment || waiting.Steps[0].Status != StepDone || waiting.Steps[1].Status != StepAwaitingApproval {
		t.Fatalf("before close: phase %s, steps %s %s", waiting.Phase, waiting.Steps[0].Status, waiting.Steps[1].Status)
	}
	saves, _ := h.store.all()
	final := saves[len(saves)-1].State
	if final.Phase != incident.PhaseClosed || res.CloseReason != "handled by the account holder" {
		t.Errorf("final phase %s, result %+v", final.Phase, res)
	}
	if s := final.Steps[1]; s.Status != StepCancelled || s.SkipReason != "incident closed before this step ran" {
		t.Errorf("awaiting step after close: %+v", s)
	}
	if final.Steps[0].Status != StepDone {
		t.Errorf("done step after close: %s", final.Steps[0].Status)
	}
	if got := h.zendesk.got(); !slices.Equal(got, []string{"apply suspend_user user:35436"}) {
		t.Errorf("zendesk calls = %v", got)
	}
	// The notification phase never started: close ended the containment phase.
	if _, ok := incFind(final.Timeline, incident.KindPhase, "Phase notification"); ok {
		t.Error("notification phase entered after close")
	}
	incCheckStore(t, h.store, final.Timeline)
}

// TestIncidentCancelRollsBack: cancelling the incident workflow undoes every
// completed reversible step (the saga's compensation, on a disconnected context),
// records how it ended in the store, and ends with a canceled error.
func TestIncidentCancelRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []playbooks.Step
	}{
		{name: "awaiting approval", steps: incContainmentPlaybook().Containment},
		{name: "after containment finished", steps: []playbooks.Step{
			{ID: "suspend", Action: containment.SuspendUser, Reversible: true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newIncHarness(incAware.Add(time.Hour))
			h.at(time.Hour, h.env.CancelWorkflow)
			h.run(incPlaybook(tc.steps), incContainmentFacts())
			if !h.env.IsWorkflowCompleted() {
				t.Fatal("workflow did not end")
			}
			if err := h.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
				t.Fatalf("workflow error = %v, want a canceled error", err)
			}
			want := []string{"apply suspend_user user:35436", "undo unsuspend_user user:35436"}
			if got := h.zendesk.got(); !slices.Equal(got, want) {
				t.Fatalf("zendesk calls = %v, want %v", got, want)
			}
			saves, _ := h.store.all()
			final := saves[len(saves)-1].State
			if final.Steps[0].Status != StepRolledBack || len(final.Steps[0].Undone) != 1 {
				t.Errorf("suspend step: %s undone %v", final.Steps[0].Status, final.Steps[0].Undone)
			}
			if final.Rollback == nil || !final.Rollback.Complete || final.Rollback.Actor != SystemActor {
				t.Errorf("rollback record = %+v", final.Rollback)
			}
			if _, ok := incFind(final.Timeline, TimelineContainmentUndone, "step suspend undone: unsuspend_user on user 35436: restored"); !ok {
				t.Errorf("no undo entry: %v", incKinds(final.Timeline))
			}
			if e := final.Timeline[len(final.Timeline)-1]; e.Kind != incident.KindClosed || e.Text != "Incident workflow cancelled" {
				t.Errorf("last entry = %+v", e)
			}
			incCheckStore(t, h.store, final.Timeline)
		})
	}
}

// TestIncidentKeepsFlagsFrozenAtDeclaration: the steps in the input carry the
// catalogue's flags as they were at declaration; the workflow uses them, not the
// catalogue of the code that runs it now.
func TestIncidentKeepsFlagsFrozenAtDeclaration(t *testing.T) {
	steps := []containment.Step{{ID: "suspend", Action: containment.SuspendUser, NeedsApproval: true}}
	if fresh := FreezeSteps(steps); !fresh[0].Reversible {
		t.Fatalf("the catalogue says %s is irreversible; this test needs a reversible action", containment.SuspendUser)
	}
	h := newIncHarness(incAware.Add(time.Hour))
	var got State
	h.at(time.Minute, func() { got = h.state(t) })
	h.at(2*time.Minute, func() { h.env.CancelWorkflow() })
	pb := incPlaybook([]playbooks.Step{{ID: "suspend", Action: containment.SuspendUser, NeedsApproval: true}})
	h.env.ExecuteWorkflow(Incident, IncidentInput{ID: incID, Title: "frozen", Playbook: pb, Facts: incContainmentFacts(), DeclaredBy: "alice", Steps: steps})
	if len(got.Steps) != 1 || got.Steps[0].Step.Reversible || !got.Steps[0].Step.NeedsApproval {
		t.Fatalf("steps = %+v, want the frozen flags (not reversible, needs approval)", got.Steps)
	}
}

// TestIncidentContinuesAsNew: in the notification phase, an incident continues as
// new when the server suggests it, once the store has everything; the next run
// resumes the state, numbers the timeline on from where it was, and closes.
func TestIncidentContinuesAsNew(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var note *incUpdate
	h.at(time.Minute, func() { note = h.update(AddNoteUpdate, NoteRequest{Actor: "bob", Text: "first run"}) })
	h.at(2*time.Minute, func() { h.env.SetContinueAsNewSuggested(true) })
	h.run(incPlaybook([]playbooks.Step{{ID: "suspend", Action: containment.SuspendUser}}, evidence.SourceAuditLogs), incContainmentFacts())
	note.wantOK(t)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next IncidentInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	r := next.Resume
	if r == nil || r.State.Phase != incident.PhaseNotification || len(r.State.Timeline) != 0 || r.NextSeq < 5 ||
		len(r.Containment.Steps) != 1 || r.Containment.Steps[0].Status != StepDone || r.State.Evidence.Status != EvidenceCollected {
		t.Fatalf("resume = %+v", r)
	}
	saves, _ := h.store.all()
	stored := saves[len(saves)-1]
	if len(stored.State.Timeline) != r.NextSeq-1 {
		t.Fatalf("store has %d entries before continue-as-new, want %d", len(stored.State.Timeline), r.NextSeq-1)
	}

	// The next run, on the same store.
	h2 := newIncHarness(incAware.Add(2 * time.Hour))
	h2.store = h.store
	h2.env.RegisterActivity(&activities.Activities{Store: h.store})
	var mid State
	var note2, closed *incUpdate
	h2.at(time.Minute, func() {
		mid = h2.state(t)
		note2 = h2.update(AddNoteUpdate, NoteRequest{Actor: "bob", Text: "second run"})
	})
	h2.at(2*time.Minute, func() { closed = h2.update(CloseUpdate, CloseRequest{Actor: "carol", Reason: "done"}) })
	h2.env.ExecuteWorkflow(Incident, next)
	res := h2.completed(t)
	note2.wantOK(t)
	closed.wantOK(t)
	if e, ok := note2.result.(incident.TimelineEntry); !ok || e.Seq != r.NextSeq {
		t.Errorf("first note of the next run = %+v, want seq %d", note2.result, r.NextSeq)
	}
	if mid.TimelineFrom != r.NextSeq || len(mid.Steps) != 1 || mid.Steps[0].Status != StepDone || mid.Ownership.Owner == "" {
		t.Errorf("resumed state: timeline_from %d steps %+v owner %q", mid.TimelineFrom, mid.Steps, mid.Ownership.Owner)
	}
	if res.CloseReason != "done" {
		t.Errorf("result = %+v", res)
	}
	saves, _ = h.store.all()
	final := saves[len(saves)-1]
	for i, e := range final.State.Timeline {
		if e.Seq != i+1 {
			t.Fatalf("stored timeline seq %d at position %d: entries lost or doubled across continue-as-new", e.Seq, i)
		}
	}
	if final.Summary.Phase != incident.PhaseClosed || final.State.Steps[0].Status != StepDone {
		t.Errorf("final store row: %+v", final.Summary)
	}
}

// TestIncidentAnnouncesItsEvents: phase changes, a step waiting for approval,
// collected evidence and the close go to the notifier, once each, keyed by the
// timeline entry they announce, with the roles that act on them.
func TestIncidentAnnouncesItsEvents(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	h.at(time.Hour, func() { h.update(CloseUpdate, CloseRequest{Actor: "carol", Reason: "done"}) })
	h.run(incPlaybook([]playbooks.Step{{ID: "suspend", Action: containment.SuspendUser, NeedsApproval: true}}, evidence.SourceAuditLogs), incContainmentFacts())
	h.completed(t)
	got := map[string][]string{}
	keys := map[string]bool{}
	for _, m := range h.notices.gotMessages() {
		if keys[m.Key] {
			t.Errorf("message %s sent twice", m.Key)
		}
		keys[m.Key] = true
		var to []string
		for _, r := range m.Recipients {
			to = append(to, string(r.Kind)+":"+r.ID)
		}
		got[string(m.Kind)] = append(got[string(m.Kind)], strings.Join(to, ","))
		if !strings.HasPrefix(m.Key, incID+"/timeline/") || m.IncidentID != incID || m.Text == "" {
			t.Errorf("message %+v", m)
		}
	}
	want := map[string][]string{
		string(notify.KindPhaseChanged):         {"role:responder", "role:responder"},
		string(notify.KindStepAwaitingApproval): {"role:commander"},
		string(notify.KindEvidenceCollected):    {"role:responder,role:legal"},
		string(notify.KindIncidentClosed):       {"role:responder,role:commander,role:legal"},
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s messages to %v, want %v", k, got[k], v)
		}
	}
}

// TestSeparationOfDuties: a step with distinct_approver cannot be approved by the
// person who declared the incident, and one with approvals: 2 runs only after a
// second, different person approves it.
func TestSeparationOfDuties(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var self, first, again, second *incUpdate
	var between State
	var zendeskBetween []string
	h.at(time.Minute, func() {
		self = h.update(UpdateApproveStep, ApproveStepRequest{Step: "suspend", Actor: "alice"})
		first = h.update(UpdateApproveStep, ApproveStepRequest{Step: "suspend", Actor: "bob", Reason: "seen the logs"})
		again = h.update(UpdateApproveStep, ApproveStepRequest{Step: "suspend", Actor: "bob"})
	})
	h.at(2*time.Minute, func() {
		between = h.state(t)
		zendeskBetween = h.zendesk.got()
		second = h.update(UpdateApproveStep, ApproveStepRequest{Step: "suspend", Actor: "carol"})
	})
	h.at(time.Hour, func() { h.update(CloseUpdate, CloseRequest{Actor: "carol", Reason: "done"}) })
	pb := incPlaybook([]playbooks.Step{{ID: "suspend", Action: containment.SuspendUser, NeedsApproval: true, Approvals: 2, DistinctApprover: true}})
	h.run(pb, incContainmentFacts()) // declared by alice
	h.completed(t)
	self.wantRejected(t, "alice declared this incident and may not approve")
	first.wantOK(t)
	again.wantRejected(t, "bob already approved", "2 distinct approvers")
	second.wantOK(t)
	if between.Steps[0].Status != StepAwaitingApproval || len(between.Steps[0].Approvals) != 1 || len(zendeskBetween) != 0 {
		t.Errorf("after one approval: %+v, zendesk %v", between.Steps[0], zendeskBetween)
	}
	saves, _ := h.store.all()
	final := saves[len(saves)-1].State.Steps[0]
	if final.Status != StepDone || final.ApprovedBy != "carol" || len(final.Approvals) != 2 || final.Approvals[0].Actor != "bob" {
		t.Errorf("final step: %+v", final)
	}
}

// TestAuthenticatedIncidentNeedsVerifiedActors: an incident declared by a verified
// identity rejects Updates sent without one (straight to Temporal), and records
// the channel of those sent with one, with the actor's id in it (a Slack user id).
func TestAuthenticatedIncidentNeedsVerifiedActors(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var bare, forged, verified *incUpdate
	h.at(time.Minute, func() {
		bare = h.update(AddNoteUpdate, NoteRequest{Actor: "mallory", Text: "I am alice"})
		forged = h.update(AddNoteUpdate, NoteRequest{Actor: "mallory", Text: "x", By: &incident.Actor{ID: "alice", Via: incident.ViaAPI}})
		verified = h.update(AddNoteUpdate, NoteRequest{Actor: "alice", Text: "called the agent", By: &incident.Actor{ID: "alice", Via: incident.ViaSlack, ExternalID: "U024BE7LH"}})
	})
	h.at(time.Hour, func() {
		h.update(CloseUpdate, CloseRequest{Actor: "alice", Reason: "done", By: &incident.Actor{ID: "alice", Via: incident.ViaAPI}})
	})
	h.env.ExecuteWorkflow(Incident, IncidentInput{ID: incID, Title: "t", Playbook: incPlaybook(nil), Facts: facts.Document{Version: 1},
		DeclaredBy: "alice", DeclaredVia: incident.ViaAPI, Authenticated: true})
	h.completed(t)
	bare.wantRejected(t, "needs a verified actor")
	forged.wantRejected(t, `actor "mallory" is not the verified actor "alice"`)
	verified.wantOK(t)
	if e, ok := verified.result.(incident.TimelineEntry); !ok || e.Actor != "alice" || e.Via != incident.ViaSlack || e.ExternalID != "U024BE7LH" {
		t.Errorf("note = %+v", verified.result)
	}
	saves, _ := h.store.all()
	tl := saves[len(saves)-1].State.Timeline
	// Each entry names the channel its actor used then: the close, through the
	// API after the Slack note, carries no Slack user id.
	if tl[0].Kind != incident.KindDeclared || tl[0].Via != incident.ViaAPI || tl[len(tl)-1].Via != incident.ViaAPI || tl[len(tl)-1].ExternalID != "" {
		t.Errorf("declared entry %+v, closed entry %+v", tl[0], tl[len(tl)-1])
	}
}

// TestIncidentClosedDuringTriage: a close that arrives before triage has finished
// (a false alarm closed at once; declare and close in one workflow task) ends the
// incident closed. Before the fix the workflow entered the containment phase after
// triage all the same, and the store's last row said "containment" with a close
// reason.
func TestIncidentClosedDuringTriage(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	var closeU *incUpdate
	h.at(0, func() {
		closeU = h.update(CloseUpdate, CloseRequest{Actor: "bob", Reason: "false alarm"})
	})
	h.run(incContainmentPlaybook(), incContainmentFacts())
	res := h.completed(t)
	closeU.wantOK(t)
	saves, _ := h.store.all()
	final := saves[len(saves)-1].State
	if final.Phase != incident.PhaseClosed || res.CloseReason != "false alarm" {
		t.Fatalf("final phase %s, result %+v", final.Phase, res)
	}
	if e, ok := incFind(final.Timeline, incident.KindPhase, "Phase containment"); ok {
		t.Errorf("containment phase entered after close: %+v", e)
	}
	for _, s := range final.Steps {
		if s.Status != StepCancelled {
			t.Errorf("step %s after a close during triage: %s", s.Step.ID, s.Status)
		}
	}
	if got := h.zendesk.got(); len(got) != 0 {
		t.Errorf("zendesk calls after a close during triage: %v", got)
	}
}

// TestIncidentTriggerSetLaterRefreshesTheClocksDueText: a clock armed before its
// trigger was known says "no due date: aware_at ... is not in the facts"; once
// set_trigger gives aware_at, the clock's own obligation (what its store row and
// `obligations list` show) carries the due text recomputed with the trigger.
func TestIncidentTriggerSetLaterRefreshesTheClocksDueText(t *testing.T) {
	h := newIncHarness(incAware.Add(time.Hour))
	doc := incContractFacts(t)
	doc.Timeline.AwareAt, doc.Timeline.DiscoveredAt, doc.Timeline.DetectedAt = nil, nil, nil
	gdprClock := ObligationClockWorkflowID(incID, "eu-gdpr-33-sa")
	var before, after ClockView
	var move *incUpdate
	h.at(time.Minute, func() {
		before = h.clock(t, gdprClock)
		move = h.update(SetIncidentTriggerUpdate, SetIncidentTriggerRequest{Field: "aware_at", At: incAware, Actor: "dpo", Reason: "confirmed on the call"})
	})
	h.at(2*time.Minute, func() {
		after = h.clock(t, gdprClock)
		h.update(CloseUpdate, CloseRequest{Actor: "dpo", Reason: "done"})
	})
	h.run(incPlaybook(nil), doc)
	h.completed(t)
	move.wantOK(t)
	if !strings.HasPrefix(before.Obligation.DueText, "no due date: aware_at") {
		t.Fatalf("clock before the trigger: due text %q", before.Obligation.DueText)
	}
	if after.DueAt == nil || !after.DueAt.Equal(incAware.Add(72*time.Hour)) {
		t.Fatalf("clock after the trigger: due %v", after.DueAt)
	}
	if strings.Contains(after.Obligation.DueText, "not in the facts") || after.Obligation.DueText == "" {
		t.Errorf("clock after the trigger still says %q", after.Obligation.DueText)
	}
}
