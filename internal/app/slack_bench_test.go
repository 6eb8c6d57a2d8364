package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/internal/slackbot/slackfake"
)

// BenchmarkSlackCardAfterPhaseChange measures, on irflow dev with Slack pointed at
// the fake, how long after the incident enters containment (its timeline entry's
// instant) the status card in the incident channel shows it: the phase-change
// notification's activity posts or edits the card, and the card syncer watches the
// store. It reports p50 and max over the ops; the target is p50 under 1 s.
//
//	go test ./internal/app -run '^$' -bench SlackCardAfterPhaseChange -benchtime 10x
func BenchmarkSlackCardAfterPhaseChange(b *testing.B) {
	fake := slackfake.New("xoxb-bench")
	b.Cleanup(fake.Stop)
	env := map[string]string{"SLACK_BOT_TOKEN": fake.Token, "SLACK_SIGNING_SECRET": "bench", "SLACK_API_URL": fake.URL()}
	ctx := context.Background()
	d := startWithEnv(b, func(k string) string { return env[k] })
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		decl, err := d.Service.Declare(ctx, service.DeclareRequest{Playbook: "credential-compromise", Title: "bench", Facts: credentialFacts(), Actor: "alice"})
		if err != nil {
			b.Fatal(err)
		}
		// The channel /incident declare would have made.
		ch := "CB" + decl.ID[len(decl.ID)-3:]
		if _, err := d.Store.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey(decl.ID), Kind: incident.SlackRefChannel, IncidentID: decl.ID, Channel: ch}); err != nil {
			b.Fatal(err)
		}
		st := waitState(b, d.Service, decl.ID, 10*time.Second, "containment", func(s incident.State) bool { return s.Phase == incident.PhaseContainment })
		var entered time.Time
		for _, e := range st.Timeline {
			if e.Kind == incident.KindPhase && e.Text == "Phase containment" {
				entered = e.At
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if card, err := d.Store.GetSlackRef(ctx, incident.SlackCardKey(decl.ID)); err == nil {
				if at, ok := fake.FirstShown(ch, card.TS, `*Phase*\ncontainment`); ok {
					lat = append(lat, at.Sub(entered))
					break
				}
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s: the card never showed containment", decl.ID)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}
