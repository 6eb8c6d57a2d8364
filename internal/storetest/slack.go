package storetest

import (
	"sync"
	"testing"
	"time"

	"irflow/internal/incident"
)

// RunSlack runs the incident.SlackStore contract against fresh stores from open.
func RunSlack(t *testing.T, open func(t *testing.T) incident.SlackStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, incident.SlackStore)
	}{
		{"Slack/FirstWriteWins", testSlackFirstWriteWins},
		{"Slack/ChannelIncident", testSlackChannelIncident},
		{"Slack/RacingSaves", testSlackRacingSaves},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func testSlackFirstWriteWins(t *testing.T, s incident.SlackStore) {
	ctx := t.Context()
	_, err := s.GetSlackRef(ctx, "card:INC-20260301-001")
	userCode(t, err, incident.ENOTFOUND)
	first := incident.SlackRef{Key: "card:INC-20260301-001", Kind: incident.SlackRefCard, IncidentID: "INC-20260301-001", Channel: "C1", TS: "1712345678.000100", CreatedAt: base}
	got, err := s.SaveSlackRef(ctx, first)
	if err != nil || got.TS != first.TS || got.Channel != "C1" || !got.CreatedAt.Equal(base) {
		t.Fatalf("save = %+v, %v", got, err)
	}
	// A second post of the same card (a retry that lost the race) gets the first one back.
	second := first
	second.TS = "1712345679.000200"
	got, err = s.SaveSlackRef(ctx, second)
	if err != nil || got.TS != first.TS {
		t.Fatalf("second save = %+v, %v; want the first ts", got, err)
	}
	got, err = s.GetSlackRef(ctx, first.Key)
	if err != nil || got.TS != first.TS || got.Kind != incident.SlackRefCard || got.IncidentID != first.IncidentID {
		t.Fatalf("get = %+v, %v", got, err)
	}
	_, err = s.SaveSlackRef(ctx, incident.SlackRef{Key: "x", Kind: incident.SlackRefMessage})
	userCode(t, err, incident.EINVALID)
}

func testSlackChannelIncident(t *testing.T, s incident.SlackStore) {
	ctx := t.Context()
	for i, id := range []string{"INC-20260301-001", "INC-20260301-002"} {
		ch := []string{"C1", "C2"}[i]
		if _, err := s.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackChannelKey(id), Kind: incident.SlackRefChannel, IncidentID: id, Channel: ch, CreatedAt: base.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	// A card in C1 is not a channel ref: lookups by channel see channels only.
	if _, err := s.SaveSlackRef(ctx, incident.SlackRef{Key: incident.SlackCardKey("INC-20260301-009"), Kind: incident.SlackRefCard, IncidentID: "INC-20260301-009", Channel: "C3", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	if id, err := s.SlackChannelIncident(ctx, "C2"); err != nil || id != "INC-20260301-002" {
		t.Errorf("incident of C2 = %q, %v", id, err)
	}
	_, err := s.SlackChannelIncident(ctx, "C3")
	userCode(t, err, incident.ENOTFOUND)
	refs, err := s.SlackRefs(ctx, incident.SlackRefChannel)
	if err != nil || len(refs) != 2 || refs[0].IncidentID != "INC-20260301-001" || refs[1].Channel != "C2" {
		t.Errorf("channel refs = %+v, %v", refs, err)
	}
}

func testSlackRacingSaves(t *testing.T, s incident.SlackStore) {
	ctx := t.Context()
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref, err := s.SaveSlackRef(ctx, incident.SlackRef{Key: "INC-20260301-001/timeline/4", Kind: incident.SlackRefMessage, IncidentID: "INC-20260301-001", Channel: "C1", TS: "17.00000" + string(rune('0'+i))})
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = ref.TS
		}()
	}
	wg.Wait()
	for _, ts := range got[1:] {
		if ts != got[0] {
			t.Fatalf("racing saves disagree: %v", got)
		}
	}
}
