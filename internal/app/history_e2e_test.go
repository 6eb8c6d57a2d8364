package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"irflow/internal/app"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// quietIncident declares an incident, skips its containment steps and waits for
// the notification phase with evidence collected: the phase in which an incident
// spends most of its life collecting notes and clock events.
func quietIncident(t testing.TB, d *app.Dev) string {
	t.Helper()
	ctx := context.Background()
	decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "zendesk-service-breach", Title: "long-lived", Actor: "alice"})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	st := waitState(t, d.Service, decl.ID, 10*time.Second, "containment steps", func(s incident.State) bool { return len(s.Steps) > 0 })
	for _, step := range st.Steps {
		if _, err := d.Service.SkipStep(ctx, decl.ID, incident.SkipStepRequest{Step: step.Step.ID, Actor: "alice", Reason: "not needed"}); err != nil {
			t.Fatalf("skip %s: %v", step.Step.ID, err)
		}
	}
	waitState(t, d.Service, decl.ID, 30*time.Second, "the notification phase with evidence collected", func(s incident.State) bool {
		return s.Phase == incident.PhaseNotification && s.Evidence.Status != incident.EvidenceCollecting && s.Evidence.Status != incident.EvidenceNotStarted
	})
	return decl.ID
}

// historyBytes is the encoded size of a workflow's current run's history and the
// run's id.
func historyBytes(t testing.TB, d *app.Dev, workflowID string) (int, string) {
	t.Helper()
	ctx := context.Background()
	desc, err := d.Client.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		t.Fatalf("describe %s: %v", workflowID, err)
	}
	runID := desc.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	it := d.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		n += proto.Size(ev)
	}
	return n, runID
}

// TestIncidentContinuesAsNewOnTheServer lowers the server's continue-as-new
// suggestion so an incident with a few dozen notes continues as new several times,
// and checks nothing is lost: every note is in show's timeline once, in order, and
// the incident closes normally.
func TestIncidentContinuesAsNewOnTheServer(t *testing.T) {
	t.Parallel()
	cfg := devConfig(t, t.TempDir())
	cfg.SuggestContinueAsNewEvents = 120
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := app.StartDev(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	id := quietIncident(t, d)
	wid := workflows.IncidentWorkflowID(id)
	_, firstRun := historyBytes(t, d, wid)
	// Notes until the run changes (how many events a note costs depends on how the
	// server batches workflow tasks, so the count is not fixed), then a few more on
	// the new run.
	notes, changedAt := 0, 0
	addNote := func() {
		t.Helper()
		if _, err := d.Service.AddNote(context.Background(), id, incident.NoteRequest{Actor: "bob", Text: fmt.Sprintf("note %d", notes)}); err != nil {
			t.Fatalf("note %d: %v", notes, err)
		}
		notes++
	}
	for changedAt == 0 && notes < 400 {
		addNote()
		if notes%10 == 0 {
			if _, run := historyBytes(t, d, wid); run != firstRun {
				changedAt = notes
			}
		}
	}
	if changedAt == 0 {
		t.Fatalf("the incident never continued as new after %d notes", notes)
	}
	for range 5 {
		addNote()
	}
	st, err := d.Service.Show(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range st.Timeline {
		if e.Seq != i+1 {
			t.Fatalf("timeline position %d has seq %d", i, e.Seq)
		}
		if e.Kind == incident.KindNote {
			got = append(got, e.Text)
		}
	}
	want := make([]string, notes)
	for i := range want {
		want[i] = fmt.Sprintf("note %d", i)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("notes in show = %v, want %v", got, want)
	}
	if _, err := d.Service.Close(context.Background(), id, incident.CloseRequest{Actor: "carol", Reason: "done"}); err != nil {
		t.Fatalf("close after continue-as-new: %v", err)
	}
	waitClosed(t, d, id)
	tl, err := d.Service.Timeline(context.Background(), id)
	if err != nil || len(tl) != len(st.Timeline)+1 || tl[len(tl)-1].Kind != incident.KindClosed {
		t.Fatalf("stored timeline after close: %d entries (want %d), %v", len(tl), len(st.Timeline)+1, err)
	}
}

// BenchmarkHistoryPerNote measures how much a note adds to an open incident's
// workflow history (target: under 2 KB), on the embedded server. Run with
// -benchtime Nx for N notes.
func BenchmarkHistoryPerNote(b *testing.B) {
	d := startDev(b, b.TempDir())
	id := quietIncident(b, d)
	wid := workflows.IncidentWorkflowID(id)
	time.Sleep(time.Second) // let the last saves settle
	before, run := historyBytes(b, d, wid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Service.AddNote(context.Background(), id, incident.NoteRequest{Actor: "bob", Text: "called the agent; activity was not theirs"}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	time.Sleep(time.Second)
	after, run2 := historyBytes(b, d, wid)
	if run2 != run {
		b.Fatalf("the incident continued as new during the benchmark; use fewer notes")
	}
	b.ReportMetric(float64(after-before)/float64(b.N), "history-bytes/note")
}
