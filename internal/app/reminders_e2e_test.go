package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestVeryOldTriggerRemindsOnce is issue 17 item 1 on the embedded Temporal: the
// demo facts with aware_at 1900-01-01 made each clock send every daily overdue
// reminder since 1900 (and with year 1, wrap round and send them without end),
// until the incident's history passed 50 MB and the server terminated it. Now each
// clock sends one "overdue since" notice standing for the rest, and the histories
// stay small.
func TestVeryOldTriggerRemindsOnce(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join("..", "..", "playbooks", "examples", "demo-takeover.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := facts.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	aware := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	doc.Timeline.AwareAt = &aware
	decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "aware in 1900", Actor: "alice", Facts: &doc})
	if err != nil {
		t.Fatalf("declare: %v", err)
	}
	id := decl.ID

	// Every clock with a due date sends its catch-up notice.
	var clocks []incident.ObligationView
	deadline := time.Now().Add(90 * time.Second)
	for {
		obs, err := d.Service.Obligations(ctx, id, false)
		clocks = clocks[:0]
		done := err == nil
		for _, o := range obs {
			if o.Clock == nil || o.Clock.DueAt == nil || o.Clock.TriggerAt == nil {
				continue
			}
			clocks = append(clocks, o)
			if len(o.Clock.RemindersSent) == 0 {
				done = false
			}
		}
		if done && len(clocks) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after 90 s, clocks %d, error %v, some clock has sent no reminder", id, len(clocks), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Give a flood time to show: before the fix each clock sent about 20 a second.
	time.Sleep(10 * time.Second)
	obs, err := d.Service.Obligations(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.Clock == nil || o.Clock.DueAt == nil || o.Clock.TriggerAt == nil {
			continue
		}
		sent := o.Clock.RemindersSent
		// One catch-up notice; a second only if the next daily one fell due during
		// the test.
		if len(sent) == 0 || len(sent) > 2 {
			t.Errorf("%s: %d reminders sent, want 1 (or 2 across a daily step)", o.ID, len(sent))
			continue
		}
		if sent[0].Missed < 365*100 {
			t.Errorf("%s: first reminder %+v, want one standing for the daily reminders since %s", o.ID, sent[0], o.Clock.DueAt)
		}
		if n, _ := historyBytes(t, d, o.ClockWorkflowID); n > 64<<10 {
			t.Errorf("%s: clock history is %d bytes", o.ID, n)
		}
	}
	st, err := d.Service.Show(ctx, id)
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	overdue := 0
	for _, e := range st.Timeline {
		if strings.Contains(e.Text, "overdue since") {
			overdue++
		}
	}
	if overdue == 0 || overdue > 2*len(clocks) {
		t.Errorf("timeline has %d \"overdue since\" entries for %d clocks", overdue, len(clocks))
	}
	if n, _ := historyBytes(t, d, workflows.IncidentWorkflowID(id)); n > 1<<20 {
		t.Errorf("incident history is %d bytes", n)
	}
}
