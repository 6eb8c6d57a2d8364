package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/incident"
	"irflow/internal/notify"
)

// versionIncidentNotifications: the incident announces phase changes, steps
// awaiting approval, collected evidence and its close through the notifier.
const versionIncidentNotifications = "incident-notifications"

// announcement is who hears of a timeline entry of a given kind, and as what.
type announcement struct {
	kind notify.Kind
	to   []string // roles
}

// announced maps timeline kinds to notifications. Roles are resolved to people
// and channels by the transports (Slack, email) that know them.
var announced = map[string]announcement{
	incident.KindPhase:         {notify.KindPhaseChanged, []string{"responder"}},
	TimelineContainmentWaiting: {notify.KindStepAwaitingApproval, []string{"commander"}},
	incident.KindClosed:        {notify.KindIncidentClosed, []string{"responder", "commander", "legal"}},
}

// announce sends a notification about timeline entry e, when its kind is one
// people are told of. kind overrides the table (evidence: only its collection is
// announced). Delivery runs in its own coroutine, so the caller never waits; the
// incident does not complete while one is in flight.
func (w *incidentImpl) announce(ctx workflow.Context, e incident.TimelineEntry, kind notify.Kind, roles ...string) {
	if !w.notifications {
		return
	}
	if kind == "" {
		a, ok := announced[e.Kind]
		if !ok {
			return
		}
		kind, roles = a.kind, a.to
	}
	m := notify.Message{
		// One message per timeline entry: stable across retries and replays.
		Key:        w.state.ID + "/timeline/" + strconv.Itoa(e.Seq),
		Kind:       kind,
		IncidentID: w.state.ID,
		Title:      w.state.ID + ": " + w.state.Title,
		Text:       e.Text,
		At:         e.At,
		Fields:     []notify.Field{{Label: "Severity", Value: w.state.Severity}, {Label: "Phase", Value: string(w.state.Phase)}},
	}
	for _, r := range roles {
		m.Recipients = append(m.Recipients, notify.Recipient{Kind: notify.RecipientRole, ID: r})
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	actx := workflow.WithActivityOptions(dctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 15 * time.Minute, // a phase change told later than this is noise
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: 2 * time.Second, MaximumInterval: time.Minute},
	})
	var na *activities.NotifyActivities
	f := workflow.ExecuteActivity(actx, na.SendNotification, activities.SendNotificationInput{Message: m})
	w.notifying++
	workflow.Go(dctx, func(ctx workflow.Context) {
		defer func() { w.notifying-- }()
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("Notification not delivered", "key", m.Key, "kind", string(kind), "error", err)
		}
	})
}
