package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/workflows"
)

// Issue 8's read target, measured rather than asserted: a closed incident with 2,000
// timeline entries and 100 obligation clocks in a real SQLite store; `show` p50
// under 50 ms from the store. Each benchmark operation is readsPerOp reads, so that
// `make bench` (-benchtime 1x) still reports quantiles:
//
//	go test ./internal/service -run '^$' -bench ClosedIncidentReads -benchtime 5x
const (
	benchTimeline    = 2000
	benchObligations = 100
	readsPerOp       = 50
)

func BenchmarkClosedIncidentReads(b *testing.B) {
	svc, store, ft := newService(b, now)
	const id = "INC-20260306-042"
	st := incident.State{
		ID: id, WorkflowID: workflows.IncidentWorkflowID(id), Title: "Maya Lopez account takeover", Playbook: "credential-compromise",
		PlaybookHash: strings.Repeat("ab", 32), Phase: incident.PhaseClosed, Facts: caFacts(declaredAt),
		DeclaredAt: declaredAt, DeclaredBy: "alice", ClosedAt: &closedAt, CloseReason: "contained", Severity: "SEV1",
		SeverityReason: "credentials of an admin used from an unknown address; 800 people's contact data exposed",
	}
	for i := range 6 {
		st.Steps = append(st.Steps, incident.StepState{Status: incident.StepDone, IdempotencyKey: fmt.Sprintf("%s/step-%d", id, i)})
	}
	var rows []incident.ObligationRecord
	for i := range benchObligations {
		oid := fmt.Sprintf("bench-rule-%03d", i)
		due := closedAt.Add(time.Duration(i) * time.Hour)
		var history []incident.ObligationEvent
		for k := range 8 {
			history = append(history, incident.ObligationEvent{ObligationID: oid, Kind: incident.EventReminder, At: declaredAt.Add(time.Duration(k) * time.Hour),
				Text: fmt.Sprintf("%s (notice to the supervisory authority, Art. 33 GDPR) is due %s: %dh left.", oid, due.Format(time.RFC3339), 72-k)})
		}
		r := clockRow(id, oid, workflows.ObligationClockWorkflowID(id, oid), obligations.StatusOpen, &due, closedAt, history...)
		for k := range 4 {
			r.Clock.RemindersSent = append(r.Clock.RemindersSent, incident.SentReminder{Key: fmt.Sprintf("before-%d", k), Kind: incident.EventReminder, At: declaredAt, SentAt: declaredAt, DueAt: &due})
			r.Clock.Sent[fmt.Sprintf("before-%d", k)] = true
		}
		rows = append(rows, r)
		st.Obligations = append(st.Obligations, incident.IncidentObligation{Obligation: r.Clock.Obligation, ClockWorkflowID: r.ClockWorkflowID})
	}
	data, _ := json.Marshal(map[string]any{"clauses": []string{"SRM-VI.S.i", "SRM-VI.S.2"}, "before": map[string]any{"suspended": false}, "after": map[string]any{"suspended": true}})
	tl := make([]incident.TimelineEntry, benchTimeline)
	for i := range tl {
		tl[i] = incident.TimelineEntry{Seq: i + 1, At: declaredAt.Add(time.Duration(i) * time.Minute), Actor: "irflow", Kind: incident.KindObligation,
			Text: fmt.Sprintf("bench-rule-%03d: reminder sent to legal@example.com, due %s; the reference marks this rule partial.", i%benchObligations, closedAt.Format(time.RFC3339))}
		if i%4 == 0 {
			tl[i].Kind, tl[i].Data = incident.KindStep, string(data)
		}
	}
	saveIncident(b, store, st, tl)
	for _, r := range rows {
		if err := store.SaveObligation(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}

	ctx := context.Background()
	reads := map[string]func() (int, error){
		"show": func() (int, error) {
			s, err := svc.Show(ctx, id)
			return len(s.Timeline) + len(s.Obligations), err
		},
		"obligations": func() (int, error) {
			obs, err := svc.Obligations(ctx, id, false)
			return len(obs), err
		},
		"obligations_all": func() (int, error) {
			obs, err := svc.Obligations(ctx, id, true)
			return len(obs), err
		},
	}
	want := map[string]int{"show": benchTimeline + benchObligations, "obligations": benchObligations}
	for _, name := range []string{"show", "obligations", "obligations_all"} {
		b.Run(name, func(b *testing.B) {
			benchReads(b, reads[name], want[name])
		})
	}
	if calls := ft.Calls(); len(calls) != 0 {
		b.Fatalf("reads of a closed incident called Temporal: %v", calls)
	}
}

// benchReads runs read readsPerOp times per operation and reports the quantiles of
// one read in milliseconds. want, when not zero, is how many items a read returns.
func benchReads(b *testing.B, read func() (int, error), want int) {
	if n, err := read(); err != nil || (want != 0 && n != want) { // and warm the page cache
		b.Fatalf("read: %d items, %v; want %d", n, err, want)
	}
	var took []time.Duration
	b.ResetTimer()
	for range b.N {
		for range readsPerOp {
			began := time.Now()
			if _, err := read(); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(began))
		}
	}
	b.StopTimer()
	slices.Sort(took)
	ms := func(q float64) float64 {
		return float64(took[int(q*float64(len(took)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), "p50_ms")
	b.ReportMetric(ms(0.95), "p95_ms")
	b.ReportMetric(ms(1), "max_ms")
}
