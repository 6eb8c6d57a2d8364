package workflows

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/facts"
	"irflow/internal/notify"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// T0 is the trigger instant of the test clocks: aware_at 2026-03-06T16:00:00Z.
var T0 = time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)

func h(n float64) time.Time { return T0.Add(time.Duration(n * float64(time.Hour))) }

// recorder is a notifier that keeps what it was asked to deliver.
type recorder struct {
	mu      sync.Mutex
	notices []notify.Notice
	// messages are the notifications other than reminders.
	messages []notify.Message
}

// Send records a reminder as the v1 Notice it was sent as, and keeps every other
// message as it is.
func (r *recorder) Send(_ context.Context, m notify.Message) (notify.Sent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch m.Kind {
	case notify.KindReminder, notify.KindDue, notify.KindOverdue:
		r.notices = append(r.notices, notify.Notice{Key: m.Key, IncidentID: m.IncidentID, ObligationID: m.ObligationID,
			Rule: m.Rule, Kind: string(m.Kind), Text: m.Text, DueAt: m.DueAt, At: m.At})
	default:
		r.messages = append(r.messages, m)
	}
	return notify.Sent{Transport: "recorder", MessageID: m.Key}, nil
}

func (r *recorder) got() []notify.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Notice(nil), r.notices...)
}

func (r *recorder) gotMessages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.messages...)
}

func obligationFor(t *testing.T, d facts.Document, id string) obligations.Obligation {
	t.Helper()
	for _, o := range obligations.ComputeAll(d, regimes.MustLoad(), T0) {
		if o.ID == id {
			if !o.Applicable {
				t.Fatalf("%s does not apply: %s", id, o.Reason)
			}
			return o
		}
	}
	t.Fatalf("no obligation %s", id)
	return obligations.Obligation{}
}

func gdprFacts() facts.Document {
	aware := T0
	enc := false
	return facts.Document{
		Version:           1,
		Timeline:          facts.Timeline{AwareAt: &aware, DiscoveredAt: &aware},
		Affected:          facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: "DE", Count: 12000}, {Jurisdiction: "US-CA", Count: 900}}},
		EncryptedUnusable: &enc,
		Risk:              "high",
		Organization:      facts.Organization{Role: "controller", MainEstablishment: "IE"},
	}
}

func newEnv(t *testing.T, rec *recorder, start time.Time) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(ObligationClock)
	env.RegisterActivity(&activities.NotifyActivities{Notifier: rec})
	env.RegisterActivity(&activities.Activities{Store: &incStore{}})
	env.SetStartTime(start)
	return env
}

// updateOutcome collects what happened to one Update.
type updateOutcome struct {
	mu       sync.Mutex
	rejected []string
	accepted int
}

func (o *updateOutcome) cb() *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { o.mu.Lock(); o.rejected = append(o.rejected, err.Error()); o.mu.Unlock() },
		OnAccept:   func() { o.mu.Lock(); o.accepted++; o.mu.Unlock() },
		OnComplete: func(any, error) {},
	}
}

func (o *updateOutcome) wantRejected(t *testing.T, substrings ...string) {
	t.Helper()
	if len(o.rejected) != len(substrings) {
		t.Fatalf("rejections %q, want %d", o.rejected, len(substrings))
	}
	for i, s := range substrings {
		if !strings.Contains(o.rejected[i], s) {
			t.Errorf("rejection %d %q lacks %q", i, o.rejected[i], s)
		}
	}
}

type sent struct {
	kind string
	at   time.Time
}

func assertReminders(t *testing.T, res *ObligationClockResult, rec *recorder, want []sent) {
	t.Helper()
	notices := rec.got()
	if len(notices) != len(want) || len(res.RemindersSent) != len(want) {
		t.Fatalf("%d notices and %d reminders recorded, want %d: %+v", len(notices), len(res.RemindersSent), len(want), res.RemindersSent)
	}
	keys := map[string]bool{}
	for i, w := range want {
		n, r := notices[i], res.RemindersSent[i]
		if n.Kind != w.kind || !n.At.Equal(w.at) {
			t.Errorf("notice %d = %s at %s, want %s at %s", i, n.Kind, n.At.UTC().Format(time.RFC3339), w.kind, w.at.UTC().Format(time.RFC3339))
		}
		// The durable timer fired at the exact instant, not merely scheduled it.
		if !r.SentAt.Equal(w.at) {
			t.Errorf("reminder %d sent at %s, want %s", i, r.SentAt.UTC().Format(time.RFC3339), w.at.UTC().Format(time.RFC3339))
		}
		if keys[n.Key] {
			t.Errorf("duplicate notice key %s", n.Key)
		}
		keys[n.Key] = true
	}
}

func TestGDPR72HourClock(t *testing.T) {
	rec := &recorder{}
	env := newEnv(t, rec, T0)
	o := obligationFor(t, gdprFacts(), "eu-gdpr-33-sa")
	if got := o.DueAt.UTC(); !got.Equal(h(72)) {
		t.Fatalf("due %s", got)
	}
	bad := &updateOutcome{}
	good := &updateOutcome{}
	var view ClockView
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "u1", bad.cb(), MarkFulfilledRequest{Obligation: "eu-gdpr-34-individuals", Actor: "dpo", Reference: "x"})
		env.UpdateWorkflow(MarkFulfilledUpdate, "u2", bad.cb(), MarkFulfilledRequest{Obligation: o.ID, At: h(-1), Actor: "dpo", Reference: "x"})
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(ClockQuery)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&view); err != nil {
			t.Errorf("query result: %v", err)
		}
	}, 50*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "u3", bad.cb(), MarkFulfilledRequest{Obligation: o.ID, Actor: "dpo", Reference: "BfDI-2026-0042"})
	}, 84*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "u4", good.cb(), MarkFulfilledRequest{
			Obligation: o.ID, Actor: "dpo", Reference: "DPC-2026-0042", LateReason: "forensics confirmed personal data only on day 4",
			Attachment: &Attachment{Name: "dpc-form.pdf", SHA256: "ab12"},
		})
	}, 108*time.Hour)

	env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res ObligationClockResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	bad.wantRejected(t,
		`unknown obligation "eu-gdpr-34-individuals"`,
		"is before the trigger aware_at 2026-03-06T16:00:00Z",
		"after the deadline 2026-03-09T16:00:00Z: late_reason is required",
	)
	if good.accepted != 1 {
		t.Errorf("late fulfilment with a reason was not accepted: %v", good.rejected)
	}
	assertReminders(t, &res, rec, []sent{
		{notify.KindReminder, h(36)}, // half the 72 hours
		{notify.KindReminder, h(48)}, // 24 h before
		{notify.KindReminder, h(68)}, // 4 h before
		{notify.KindReminder, h(71)}, // 1 h before
		{notify.KindDue, h(72)},
		{notify.KindOverdue, h(96)}, // then daily while overdue
	})
	if res.Status != obligations.StatusFulfilled || res.Fulfilment == nil || !res.Fulfilment.At.Equal(h(108)) ||
		res.Fulfilment.LateReason == "" || res.Fulfilment.Attachment == nil {
		t.Errorf("result %+v fulfilment %+v", res.Status, res.Fulfilment)
	}
	if view.Status != obligations.StatusOpen || view.TimeLeft == nil || *view.TimeLeft != 22*time.Hour || len(view.RemindersSent) != 2 {
		t.Errorf("query at T+50h: status %s, time left %v, %d reminders", view.Status, view.TimeLeft, len(view.RemindersSent))
	}
	if n := rec.got()[4]; !strings.Contains(n.Text, "is due now") || n.IncidentID != "inc-1" || n.Rule != "eu-gdpr-33-sa" {
		t.Errorf("due notice %+v", n)
	}
}

func TestChainedCaliforniaClock(t *testing.T) {
	rec := &recorder{}
	start := time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)
	env := newEnv(t, rec, start)
	o := obligationFor(t, gdprFacts(), "us-ca-1798-82-ag")
	if o.DueAt != nil || o.DependsOn == nil || *o.DependsOn != "us-ca-1798-82-individuals" {
		t.Fatalf("AG obligation before residents are notified: due %v depends on %v", o.DueAt, o.DependsOn)
	}
	// Run the clock as the child of an incident workflow, as in production; the
	// parent keeps the events the clock sends it, as the incident timeline will.
	type parentResult struct {
		Clock  ObligationClockResult
		Events []ObligationEvent
	}
	parent := func(ctx workflow.Context, in ObligationClockInput) (parentResult, error) {
		var out parentResult
		ch := workflow.GetSignalChannel(ctx, ObligationEventSignal)
		workflow.Go(ctx, func(ctx workflow.Context) {
			for {
				var e ObligationEvent
				ch.Receive(ctx, &e)
				out.Events = append(out.Events, e)
			}
		})
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: ObligationClockWorkflowID(in.IncidentID, in.Obligation.ID)})
		err := workflow.ExecuteChildWorkflow(cctx, ObligationClock, in).Get(ctx, &out.Clock)
		for {
			var e ObligationEvent
			if !ch.ReceiveAsync(&e) {
				break
			}
			out.Events = append(out.Events, e)
		}
		return out, err
	}
	env.RegisterWorkflowWithOptions(parent, workflow.RegisterOptions{Name: "testIncident"})
	childID := ObligationClockWorkflowID("inc-1", o.ID)

	residentsNotified := time.Date(2026, 3, 20, 18, 0, 0, 0, time.UTC) // 11:00 in California
	env.RegisterDelayedCallback(func() {
		if err := env.SignalWorkflowByID(childID, PredecessorFulfilledSignal, PredecessorFulfilled{ObligationID: "us-ca-1798-82-individuals", At: residentsNotified}); err != nil {
			t.Errorf("signal: %v", err)
		}
	}, residentsNotified.Sub(start))
	done := &updateOutcome{}
	env.RegisterDelayedCallback(func() {
		if err := env.UpdateWorkflowByID(childID, MarkFulfilledUpdate, "f", done.cb(), MarkFulfilledRequest{Obligation: o.ID, Actor: "counsel", Reference: "CA-AG sample notice 7781"}); err != nil {
			t.Errorf("update: %v", err)
		}
	}, time.Date(2026, 4, 5, 6, 30, 0, 0, time.UTC).Sub(start))

	env.SetStartWorkflowOptions(testsuiteStartOptions("inc-1"))
	env.ExecuteWorkflow("testIncident", NewObligationClockInput("inc-1", o))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var pres parentResult
	if err := env.GetWorkflowResult(&pres); err != nil {
		t.Fatal(err)
	}
	res := pres.Clock
	// Due: 15 calendar days after 20 March, at 23:59:59 in Los Angeles (PDT).
	la, _ := time.LoadLocation("America/Los_Angeles")
	due := time.Date(2026, 4, 4, 23, 59, 59, 0, la)
	if res.DueAt == nil || !res.DueAt.Equal(due) {
		t.Fatalf("due %v, want %s", res.DueAt, due)
	}
	assertReminders(t, &res, rec, []sent{
		{notify.KindReminder, time.Date(2026, 3, 28, 12, 29, 59, 0, time.UTC)}, // half of 15d 12h 59m 59s
		{notify.KindReminder, due.Add(-24 * time.Hour)},
		{notify.KindReminder, due.Add(-4 * time.Hour)},
		{notify.KindReminder, due.Add(-time.Hour)},
	})
	if done.accepted != 1 {
		t.Errorf("fulfilment rejected: %v", done.rejected)
	}
	var kinds []string
	for _, e := range pres.Events {
		kinds = append(kinds, e.Kind)
	}
	want := "armed predecessor_fulfilled trigger_moved reminder reminder reminder reminder fulfilled"
	if strings.Join(kinds, " ") != want {
		t.Errorf("events to the parent: %s\nwant %s", strings.Join(kinds, " "), want)
	}
}

func TestPausedClock(t *testing.T) {
	rec := &recorder{}
	env := newEnv(t, rec, T0)
	// The pause mechanics on a 72-hour clock. GDPR Art. 33 itself provides no
	// law-enforcement delay (TestPauseOnlyWhereTheLawProvidesADelay); this clock is
	// given one to exercise pausing, expiry and resuming on an hour deadline.
	o := obligationFor(t, gdprFacts(), "eu-gdpr-33-sa")
	o.LawEnforcementDelay = &regimes.Delay{Citation: "test provision", Text: "delay at law enforcement's request"}
	bad, good := &updateOutcome{}, &updateOutcome{}
	env.RegisterDelayedCallback(func() {
		// A law-enforcement delay that runs out by itself after 4 hours.
		env.UpdateWorkflow(PauseUpdate, "p1", good.cb(), PauseRequest{Reason: "BKA request 12/26", Actor: "counsel", Until: h(14)})
		env.UpdateWorkflow(PauseUpdate, "p1b", bad.cb(), PauseRequest{Reason: "again", Actor: "counsel", Until: h(30)})
	}, 10*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PauseUpdate, "p2x", bad.cb(), PauseRequest{Reason: "no expiry", Actor: "counsel"})
		env.UpdateWorkflow(PauseUpdate, "p2", good.cb(), PauseRequest{Reason: "police asked for 40 hours", Actor: "counsel", Until: h(60)})
	}, 20*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(ResumeUpdate, "r2", good.cb(), ResumeRequest{Reason: "police lifted the request", Actor: "counsel"})
		env.UpdateWorkflow(ResumeUpdate, "r2b", bad.cb(), ResumeRequest{Reason: "twice", Actor: "counsel"})
	}, 26*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "f", good.cb(), MarkFulfilledRequest{Obligation: o.ID, Actor: "dpo", Reference: "DPC-1"})
	}, 81*time.Hour+30*time.Minute)

	env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ObligationClockResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	bad.wantRejected(t, "already paused until 2026-03-07T06:00:00Z", "until is required", "is not paused")
	if good.accepted != 4 {
		t.Errorf("accepted %d, rejected %v", good.accepted, good.rejected)
	}
	// Paused 4 h (expired) + 6 h (resumed): the 72 h deadline moves to T+82h.
	if res.DueAt == nil || !res.DueAt.Equal(h(82)) {
		t.Fatalf("due %v, want %s", res.DueAt, h(82))
	}
	assertReminders(t, &res, rec, []sent{
		{notify.KindReminder, h(41)}, // half of trigger..new due; the old T+36h fell inside a pause
		{notify.KindReminder, h(58)},
		{notify.KindReminder, h(78)},
		{notify.KindReminder, h(81)},
	})
	var kinds []string
	for _, e := range res.History {
		kinds = append(kinds, e.Kind+"@"+e.At.Sub(T0).String())
	}
	want := "armed@0s paused@10h0m0s resumed@14h0m0s paused@20h0m0s resumed@26h0m0s reminder@41h0m0s reminder@58h0m0s reminder@78h0m0s reminder@81h0m0s fulfilled@81h30m0s"
	if strings.Join(kinds, " ") != want {
		t.Errorf("history %s\nwant    %s", strings.Join(kinds, " "), want)
	}
	if !strings.Contains(res.History[2].Text, "law-enforcement delay expired") {
		t.Errorf("auto-resume not explained: %q", res.History[2].Text)
	}
}

func TestMovedAwareAt(t *testing.T) {
	rec := &recorder{}
	env := newEnv(t, rec, T0)
	o := obligationFor(t, gdprFacts(), "eu-gdpr-33-sa")
	bad, good := &updateOutcome{}, &updateOutcome{}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(SetTriggerUpdate, "s0", bad.cb(), SetTriggerRequest{Field: "discovered_at", At: h(-10), Reason: "x", Actor: "counsel"})
		env.UpdateWorkflow(SetTriggerUpdate, "s1", bad.cb(), SetTriggerRequest{Field: "aware_at", At: h(-10), Actor: "counsel"})
		// Legal concludes the controller was aware 10 hours before it was recorded.
		env.UpdateWorkflow(SetTriggerUpdate, "s2", good.cb(), SetTriggerRequest{Field: "aware_at", At: h(-10), Reason: "SOC ticket shows the export alert was triaged at 06:00", Actor: "counsel"})
	}, 20*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "f", good.cb(), MarkFulfilledRequest{Obligation: o.ID, Actor: "dpo", Reference: "DPC-2"})
	}, 61*time.Hour+30*time.Minute)

	env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res ObligationClockResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	bad.wantRejected(t, `runs from aware_at, not "discovered_at"`, "reason is required")
	if res.DueAt == nil || !res.DueAt.Equal(h(62)) {
		t.Fatalf("due %v, want %s", res.DueAt, h(62))
	}
	assertReminders(t, &res, rec, []sent{
		{notify.KindReminder, h(26)}, // half of the re-armed 72 h (T-10h + 36h)
		{notify.KindReminder, h(38)},
		{notify.KindReminder, h(58)},
		{notify.KindReminder, h(61)},
	})
	var moved *ObligationEvent
	for i := range res.History {
		if res.History[i].Kind == EventTriggerMoved {
			moved = &res.History[i]
		}
	}
	if moved == nil || !moved.At.Equal(h(20)) || moved.Actor != "counsel" ||
		!strings.Contains(moved.Text, "aware_at moved from 2026-03-06T16:00:00Z to 2026-03-06T06:00:00Z (SOC ticket") ||
		!strings.Contains(moved.Text, "now due 2026-03-09T06:00:00Z") {
		t.Errorf("trigger move not recorded as expected: %+v", moved)
	}
	if rec.got()[0].Key == rec.got()[1].Key || !strings.Contains(rec.got()[0].Key, "inc-1/eu-gdpr-33-sa/1/half") {
		t.Errorf("notice keys %q %q", rec.got()[0].Key, rec.got()[1].Key)
	}
}

func TestWaiveAndRetire(t *testing.T) {
	for _, tt := range []struct {
		name   string
		act    func(env *testsuite.TestWorkflowEnvironment, o *updateOutcome)
		status string
	}{
		{"waive", func(env *testsuite.TestWorkflowEnvironment, o *updateOutcome) {
			env.UpdateWorkflow(WaiveUpdate, "w0", o.cb(), WaiveRequest{Actor: "dpo"})
			env.UpdateWorkflow(WaiveUpdate, "w1", o.cb(), WaiveRequest{Actor: "dpo", Reason: "risk assessment RA-7: encrypted laptop, key safe"})
		}, ClockWaived},
		{"retire", func(env *testsuite.TestWorkflowEnvironment, o *updateOutcome) {
			env.SignalWorkflow(RetireSignal, RetireRequest{Reason: "set_facts: no EEA data subjects affected after all"})
		}, ClockRetired},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			env := newEnv(t, rec, T0)
			o := obligationFor(t, gdprFacts(), "eu-gdpr-33-sa")
			out := &updateOutcome{}
			env.RegisterDelayedCallback(func() { tt.act(env, out) }, 40*time.Hour)
			env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var res ObligationClockResult
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status {
				t.Errorf("status %s, want %s", res.Status, tt.status)
			}
			if tt.name == "waive" {
				out.wantRejected(t, "waive: reason is required")
			}
			// Only the half-time reminder (T+36h) went out before the clock closed at T+40h.
			if len(rec.got()) != 1 {
				t.Errorf("%d notices, want 1", len(rec.got()))
			}
			last := res.History[len(res.History)-1]
			if !last.At.Equal(h(40)) {
				t.Errorf("closed at %s", last.At)
			}
		})
	}
}

func testsuiteStartOptions(incidentID string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: incidentID}
}

// TestPauseOnlyWhereTheLawProvidesADelay (issue 10, item 4): GDPR Art. 33's clock
// refuses a pause, naming the rule; California's resident notice, whose law
// provides a law-enforcement delay, accepts one; a clock started before
// obligations carried their delay provision is answered from the catalogue.
func TestPauseOnlyWhereTheLawProvidesADelay(t *testing.T) {
	d := gdprFacts()
	d.DataCategories = []string{"contact", "credentials"}
	legacy := obligationFor(t, d, "us-ca-1798-82-individuals")
	legacy.LawEnforcementDelay = nil
	tests := []struct {
		name   string
		o      obligations.Obligation
		reject string
	}{
		{"GDPR Art. 33", obligationFor(t, d, "eu-gdpr-33-sa"), "pause: eu-gdpr-33-sa (Regulation (EU) 2016/679 (GDPR) Art. 33(1),(3)-(5)) provides no law-enforcement delay"},
		{"California residents", obligationFor(t, d, "us-ca-1798-82-individuals"), ""},
		{"California residents, clock older than the delay field", legacy, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, &recorder{}, T0)
			out := &updateOutcome{}
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflow(PauseUpdate, "p", out.cb(), PauseRequest{Reason: "police case 2026-1147", Actor: "counsel", Until: h(10)})
			}, time.Hour)
			env.RegisterDelayedCallback(func() {
				env.UpdateWorkflow(WaiveUpdate, "w", &testsuite.TestUpdateCallback{OnAccept: func() {}, OnReject: func(error) {}, OnComplete: func(any, error) {}},
					WaiveRequest{Reason: "test over", Actor: "counsel"})
			}, 2*time.Hour)
			env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", tt.o))
			if err := env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			if tt.reject == "" {
				if out.accepted != 1 {
					t.Errorf("pause rejected: %v", out.rejected)
				}
				return
			}
			out.wantRejected(t, tt.reject)
		})
	}
}

// TestClockArmedCenturiesLate is issue 17 item 1: a trigger in 1900 made a clock
// send every daily reminder since 1900 at once (and with year 1, wrap round and
// flood for ever). The reminders that fell due before the clock started are one
// "overdue since" notice; after it, one a day.
func TestClockArmedCenturiesLate(t *testing.T) {
	rec := &recorder{}
	env := newEnv(t, rec, T0)
	d := gdprFacts()
	aware := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	d.Timeline.AwareAt, d.Timeline.DiscoveredAt = &aware, &aware
	o := obligationFor(t, d, "eu-gdpr-33-sa")
	if !o.DueAt.Equal(aware.Add(72 * time.Hour)) {
		t.Fatalf("due %s", o.DueAt)
	}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "u1", (&updateOutcome{}).cb(), MarkFulfilledRequest{
			Obligation: o.ID, Actor: "dpo", Reference: "DPC-1", LateReason: "the trigger was entered wrongly"})
	}, 74*time.Hour)
	env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res ObligationClockResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	// One at once, then daily at the due date's time of day (00:00 + 72 h): T0 is
	// 16:00, so three more in 74 hours.
	if len(got) != 4 {
		for _, n := range got[:min(len(got), 5)] {
			t.Logf("%s %s %s", n.Kind, n.At, n.Text)
		}
		t.Fatalf("%d reminders in 74 hours, want 4", len(got))
	}
	first := got[0]
	if first.Kind != notify.KindOverdue || !strings.Contains(first.Text, "overdue since 1900-01-04T00:00:00Z") ||
		!strings.Contains(first.Text, "days late") || !strings.Contains(first.Text, "stands for") {
		t.Errorf("first notice %s: %s", first.Kind, first.Text)
	}
	if res.RemindersSent[0].Missed < 40000 || !res.RemindersSent[0].SentAt.Equal(T0) {
		t.Errorf("first reminder %+v, want it sent at once standing for every day since 1900", res.RemindersSent[0])
	}
	for _, n := range got[1:] {
		if strings.Contains(n.Text, "stands for") || n.At.Before(T0) {
			t.Errorf("later notice %s at %s: %s", n.Kind, n.At, n.Text)
		}
	}
}

// TestClockArmedAfterDueRemindsAtOnce is issue 14's defect: a clock whose due
// date passed before it was armed (the GDPR 72 h clock armed on day 4 because
// aware_at was recorded late) must notify at once, not at the next daily
// boundary 20 hours later, and then daily. The catch-up of issue 17 does it: one
// overdue notice at the arming, then one a day.
func TestClockArmedAfterDueRemindsAtOnce(t *testing.T) {
	rec := &recorder{}
	armed := h(100) // due at h(72): 28 hours overdue
	env := newEnv(t, rec, armed)
	o := obligationFor(t, gdprFacts(), "eu-gdpr-33-sa")
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(MarkFulfilledUpdate, "u1", (&updateOutcome{}).cb(), MarkFulfilledRequest{
			Obligation: o.ID, Actor: "dpo", Reference: "DPC-2026-0042", LateReason: "aware_at recorded late",
		})
	}, 50*time.Hour)
	env.ExecuteWorkflow(ObligationClock, NewObligationClockInput("inc-1", o))
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res ObligationClockResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	var sentAt []time.Time
	for _, r := range res.RemindersSent {
		if r.Kind != notify.KindOverdue {
			t.Errorf("reminder %s is %s, want overdue", r.Key, r.Kind)
		}
		sentAt = append(sentAt, r.SentAt)
	}
	want := []time.Time{armed, h(120), h(144)}
	if len(sentAt) != len(want) {
		t.Fatalf("reminders sent at %v, want %v", sentAt, want)
	}
	for i := range want {
		if !sentAt[i].Equal(want[i]) {
			t.Errorf("reminder %d sent at %s, want %s", i, sentAt[i].UTC().Format(time.RFC3339), want[i].UTC().Format(time.RFC3339))
		}
	}
}
