package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"irflow/internal/facts"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// chainCase is one clock of the catalogue that runs from another obligation's
// fulfilment, with facts under which it applies and the notices given before it.
type chainCase struct {
	dependant string
	// patch is merged into the contract's example facts (incContractFacts).
	patch string
	// given are the earlier notices, in order, with the instant each was given; each
	// is recorded days later than it was given.
	given []chainGiven
}

type chainGiven struct {
	id string
	at time.Time
}

func day(d int, hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 3, d, t.Hour(), t.Minute(), 0, 0, time.UTC)
}

// chainCases covers every chained clock of the catalogue (TestChainCasesCoverCatalogue
// keeps it so). The incident is declared on 6 March at 17:00 UTC; every notice is
// recorded on 10 March, after it was given.
var chainCases = []chainCase{
	{"eu-nis2-23-authority/final", `{"organization":{"flags":["nis2_entity"]}}`,
		[]chainGiven{{"eu-nis2-23-authority/notification", day(7, "10:00")}}},
	{"eu-dora-19-major-incident/intermediate", `{"organization":{"flags":["dora_financial_entity"]},"timeline":{"classified_major_at":"2026-03-06T18:00:00Z"}}`,
		[]chainGiven{{"eu-dora-19-major-incident", day(6, "21:00")}}},
	{"eu-dora-19-major-incident/final", `{"organization":{"flags":["dora_financial_entity"]},"timeline":{"classified_major_at":"2026-03-06T18:00:00Z"}}`,
		[]chainGiven{{"eu-dora-19-major-incident", day(6, "21:00")}, {"eu-dora-19-major-incident/intermediate", day(8, "20:00")}}},
	{"au-ndb-individuals", `{"affected":{"individuals":[{"jurisdiction":"AU","count":40}]}}`,
		[]chainGiven{{"au-ndb-oaic", day(7, "23:00")}}},
	{"br-lgpd-anpd/complement", `{"affected":{"individuals":[{"jurisdiction":"BR","count":40}]},"data_categories":["financial"]}`,
		[]chainGiven{{"br-lgpd-anpd", day(7, "12:00")}}},
	{"sg-pdpa-individuals", `{"affected":{"individuals":[{"jurisdiction":"SG","count":40}]},"timeline":{"assessed_at":"2026-03-07T02:00:00Z"}}`,
		[]chainGiven{{"sg-pdpa-pdpc", day(8, "03:00")}}},
	{"ch-isa-ncsc-24h/completion", `{"organization":{"main_establishment":"CH","flags":["critical_infrastructure"]}}`,
		[]chainGiven{{"ch-isa-ncsc-24h", day(7, "08:00")}}},
	{"pci-visa-wtdic/incident-report", `{"organization":{"flags":["payment_card_merchant"]},"data_categories":["payment_card"]}`,
		[]chainGiven{{"pci-visa-wtdic", day(6, "20:00")}}},
	{"pci-visa-wtdic/account-numbers", `{"organization":{"flags":["payment_card_merchant"]},"data_categories":["payment_card"]}`,
		[]chainGiven{{"pci-visa-wtdic", day(6, "20:00")}}},
	{"us-ca-1798-82-ag", `{}`,
		[]chainGiven{{"us-ca-1798-82-individuals", day(8, "18:00")}}},
	{"us-ny-899aa-cra", `{"affected":{"individuals":[{"jurisdiction":"US-NY","count":5001}]}}`,
		[]chainGiven{{"us-ny-899aa-individuals", day(8, "15:00")}}},
	{"us-ny-899aa-hipaa-ag", `{"affected":{"individuals":[{"jurisdiction":"US-NY","count":600}]},"data_categories":["health"],"organization":{"flags":["hipaa_covered_entity"]}}`,
		[]chainGiven{{"us-hipaa-hhs-500plus", day(7, "15:00")}}},
	{"us-tx-521-053-cra", `{"affected":{"individuals":[{"jurisdiction":"US-TX","count":10001}]},"data_categories":["government_id"]}`,
		[]chainGiven{{"us-tx-521-053-individuals", day(8, "15:00")}}},
	{"us-fl-501-171-cra", `{"affected":{"individuals":[{"jurisdiction":"US-FL","count":1001}]}}`,
		[]chainGiven{{"us-fl-501-171-individuals", day(8, "15:00")}}},
	{"us-co-6-1-716-cra", `{"affected":{"individuals":[{"jurisdiction":"US-CO","count":1001}]}}`,
		[]chainGiven{{"us-co-6-1-716-individuals", day(8, "15:00")}}},
	{"us-vt-2435-ag-preliminary/follow-up", `{"affected":{"individuals":[{"jurisdiction":"US-VT","count":3}]}}`,
		[]chainGiven{{"us-vt-2435-individuals", day(8, "15:00")}}},
}

// TestChainCasesCoverCatalogue fails when the catalogue gains a chained clock
// without a case in chainCases.
func TestChainCasesCoverCatalogue(t *testing.T) {
	have := map[string]bool{}
	for _, c := range chainCases {
		have[c.dependant] = true
	}
	for _, r := range regimes.MustLoad().Rules {
		if r.Trigger.Field == regimes.FulfilledAt && !have[r.ID] {
			t.Errorf("no chain case for %s", r.ID)
		}
		for _, s := range r.Stages {
			if id := r.ID + "/" + s.Key; s.Trigger.Field == regimes.FulfilledAt && !have[id] {
				t.Errorf("no chain case for %s", id)
			}
		}
	}
}

// TestChainedDeadlinesRunFromTheNoticeGiven (issue 10, item 1): a notice recorded
// days after it was given (obligations fulfil --at) starts every clock chained to it
// from the instant it was given: in the incident's obligations (fulfilled_at and
// the dependant's due date), in the dependant's clock, and in the store's row.
func TestChainedDeadlinesRunFromTheNoticeGiven(t *testing.T) {
	recorded := day(10, "09:00")
	for _, tc := range chainCases {
		t.Run(tc.dependant, func(t *testing.T) {
			doc, err := facts.Merge(incContractFacts(t), []byte(tc.patch))
			if err != nil {
				t.Fatalf("facts: %v", err)
			}
			given := map[string]time.Time{}
			for _, g := range tc.given {
				given[g.id] = g.at
			}
			last := tc.given[len(tc.given)-1]
			// What the engine says the dependant is due when the notices were given
			// at those instants; the engine's arithmetic has its own table tests.
			want, ok := find(obligations.Evaluate(doc, regimes.MustLoad(), recorded, obligations.Options{Fulfilled: given}), tc.dependant)
			if !ok || !want.Applicable || want.TriggerAt == nil || !want.TriggerAt.Equal(last.at) {
				t.Fatalf("engine: %s does not apply or does not run from %s: %+v", tc.dependant, last.id, want)
			}

			start := incAware.Add(time.Hour)
			h := newIncHarness(start)
			var rejected []string
			for i, g := range tc.given {
				g := g
				h.at(recorded.Sub(start)+time.Duration(i)*time.Hour, func() {
					err := h.env.UpdateWorkflowByID(ObligationClockWorkflowID(incID, g.id), MarkFulfilledUpdate, fmt.Sprintf("f%d", i),
						&testsuite.TestUpdateCallback{
							OnAccept: func() {}, OnComplete: func(any, error) {},
							OnReject: func(err error) { rejected = append(rejected, err.Error()) },
						},
						MarkFulfilledRequest{Obligation: g.id, At: g.at, Actor: "counsel", Reference: "ref " + g.id, LateReason: "recorded late in the test"})
					if err != nil {
						t.Errorf("update %s: %v", g.id, err)
					}
				})
			}
			var st State
			var clock ClockView
			h.at(recorded.Sub(start)+time.Duration(len(tc.given))*time.Hour, func() {
				st = h.state(t)
				clock = h.clock(t, ObligationClockWorkflowID(incID, tc.dependant))
				h.update(CloseUpdate, CloseRequest{Actor: "dpo", Reason: "test over"})
			})
			h.run(incPlaybook(nil), doc)
			h.completed(t)
			if len(rejected) > 0 {
				t.Fatalf("fulfilments rejected: %v", rejected)
			}

			for _, g := range tc.given {
				o, _ := incObligation(st, g.id)
				if o.FulfilledAt == nil || !o.FulfilledAt.Equal(g.at) {
					t.Errorf("incident: %s fulfilled_at = %v, want the instant given %s", g.id, o.FulfilledAt, g.at.Format(time.RFC3339))
				}
				row := h.store.row(ObligationClockWorkflowID(incID, g.id))
				if row.FulfilledAt == nil || !row.FulfilledAt.Equal(g.at) {
					t.Errorf("store: %s fulfilled_at = %v, want %s", g.id, row.FulfilledAt, g.at.Format(time.RFC3339))
				}
			}
			o, _ := incObligation(st, tc.dependant)
			if !sameInstant(o.TriggerAt, want.TriggerAt) || !sameInstant(o.DueAt, want.DueAt) {
				t.Errorf("incident: %s runs from %v, due %v; want from %v, due %v", tc.dependant, fmtT(o.TriggerAt), fmtT(o.DueAt), fmtT(want.TriggerAt), fmtT(want.DueAt))
			}
			if !sameInstant(clock.TriggerAt, want.TriggerAt) || !sameInstant(clock.DueAt, want.DueAt) {
				t.Errorf("clock: %s runs from %v, due %v; want from %v, due %v", tc.dependant, fmtT(clock.TriggerAt), fmtT(clock.DueAt), fmtT(want.TriggerAt), fmtT(want.DueAt))
			}
			// Nothing ever re-armed the dependant from the instant a notice was recorded.
			for _, e := range clock.History {
				if e.Kind == EventTriggerMoved && !strings.Contains(e.Text, " to "+last.at.Format(time.RFC3339)+" ") {
					t.Errorf("clock: %s re-armed from another instant than the notice given: %s", tc.dependant, e.Text)
				}
			}
		})
	}
}

func find(obs []obligations.Obligation, id string) (obligations.Obligation, bool) {
	for _, o := range obs {
		if o.ID == id {
			return o, true
		}
	}
	return obligations.Obligation{}, false
}

func fmtT(t *time.Time) string {
	if t == nil {
		return "null"
	}
	return t.UTC().Format(time.RFC3339)
}

// row returns the store's row of a clock.
func (s *incStore) row(clockWorkflowID string) (r struct{ FulfilledAt *time.Time }) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.obligations[clockWorkflowID]; ok {
		r.FulfilledAt = o.FulfilledAt
	}
	return r
}
