package ownership

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"irflow/internal/facts"
)

func parse(t testing.TB, cause string) facts.Document {
	t.Helper()
	d, err := facts.Parse([]byte(`{"version": 1, "cause": ` + cause + `}`))
	if err != nil {
		t.Fatalf("test facts do not parse: %v", err)
	}
	return d
}

var allDuties = []Duty{Investigate, Contain, Notify}

// ruleCase is one row of the rule table test. Every field that is set is asserted.
type ruleCase struct {
	name       string
	cause      string
	owner      Owner
	clauses    []string
	confidence Confidence
	duties     []Duty
	roles      []string // third_parties[].role
	questions  []string // open_questions[].field, exactly; nil means none
	rationale  []string // substrings the rationale must contain
}

var ruleCases = []ruleCase{
	// SRM-VI.S.i: insufficient access control, weak or exploitable credentials.
	{
		name:  "S.i weak credentials, Service cleared",
		cause: `{"weak_credentials": "yes", "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i"}, confidence: Confirmed, duties: allDuties,
		rationale: []string{"under SRM-VI.S.i because the credentials used were weak, reused, leaked or phished (cause.weak_credentials: yes)",
			"(cause.service_vulnerability: no)"},
	},
	{
		name:  "S.i password without MFA, Service not yet cleared",
		cause: `{"credentials_used": "password", "mfa_enforced": false}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i", "SRM-I.S.2"}, confidence: Probable, duties: allDuties,
		// Either a Service vulnerability or an integration Zendesk built (part of the
		// Service, SRM-II.Z.3) would make it shared.
		questions: []string{"cause.service_vulnerability", "cause.integration.chosen_by"},
		rationale: []string{"(cause.mfa_enforced: false; cause.credentials_used: password)", "cause.service_vulnerability is unknown"},
	},
	{
		name:  "S.i MFA enforced is not a cause by itself",
		cause: `{"credentials_used": "password", "mfa_enforced": true, "weak_credentials": "yes", "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i"}, confidence: Confirmed,
	},
	{
		name:  "S.i valid SSO credentials used: inferred, so probable",
		cause: `{"credentials_used": "sso"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i"}, confidence: Probable, duties: allDuties,
		// A Service vulnerability would make it Zendesk's (the credentials may have been
		// taken through it); a Zendesk notice, or an integration (whose own grant the
		// credentials may be), would leave it undetermined.
		questions: []string{"cause.service_vulnerability", "cause.reported_by_zendesk", "cause.integration.involved", "cause.integration.chosen_by"},
		rationale: []string{"valid sign-in credentials of the instance were used (cause.credentials_used: sso)"},
	},
	{
		name:  "S.i API token used, Service cleared, no integration",
		cause: `{"credentials_used": "api_token", "service_vulnerability": "no", "integration": {"involved": false}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i", "SRM-I.S.5"}, confidence: Confirmed,
	},
	{
		// The token may be an integration's own grant; then the integration rules decide.
		name:  "S.i API token used, Service cleared, integration not ruled out",
		cause: `{"credentials_used": "api_token", "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i", "SRM-I.S.5"}, confidence: Probable,
		questions: []string{"cause.integration.involved"},
	},
	{
		name:  "S.i OAuth token used with weak credentials",
		cause: `{"credentials_used": "oauth_token", "weak_credentials": "yes", "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i", "SRM-I.S.5"}, confidence: Confirmed,
		rationale: []string{"valid API credentials of the instance were used (cause.credentials_used: oauth_token)"},
	},

	// SRM-VI.S.ii: insufficient monitoring of user activity.
	{
		name:  "S.ii monitoring gap",
		cause: `{"monitoring_gap": true, "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.ii", "SRM-IV.S.1"}, confidence: Confirmed, duties: allDuties,
		rationale: []string{"under SRM-VI.S.ii", "(cause.monitoring_gap: true)"},
	},
	{
		name:  "S.ii insider using own password: not an access-control failure",
		cause: `{"insider": true, "credentials_used": "password", "service_vulnerability": "no"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.ii", "SRM-I.S.1"}, confidence: Confirmed,
		rationale: []string{"an authorised user of the instance acted maliciously (cause.insider: true)"},
	},

	// SRM-VI.S.iii: content from users.
	{
		name:  "S.iii malicious user content",
		cause: `{"user_content": true}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iii", "SRM-IV.S.2"}, confidence: Probable,
		questions: []string{"cause.service_vulnerability", "cause.integration.chosen_by"},
	},

	// SRM-VI.S.iv: integrations the subscriber chose, by kind (section II).
	{
		name: "S.iv Marketplace app: developer is a third party (SRM-V.note)",
		cause: `{"service_vulnerability": "no", "credentials_used": "oauth_token",
		         "integration": {"involved": true, "kind": "marketplace_app", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv", "SRM-II.S.2", "SRM-V.note"}, confidence: Confirmed,
		roles:     []string{"marketplace_app_developer"},
		rationale: []string{"a Marketplace app the subscriber installed was involved (cause.integration.chosen_by: subscriber; cause.integration.kind: marketplace_app)"},
	},
	{
		name:  "S.iv API client",
		cause: `{"service_vulnerability": "no", "integration": {"involved": true, "kind": "api_client", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv", "SRM-II.S.1"}, confidence: Confirmed,
		roles: []string{"integration_vendor"},
	},
	{
		name:  "S.iv webhook",
		cause: `{"service_vulnerability": "no", "integration": {"involved": true, "kind": "webhook", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv", "SRM-II.S.1"}, confidence: Confirmed,
		roles: []string{"webhook_receiver"},
	},
	{
		name:  "S.iv third-party channel",
		cause: `{"service_vulnerability": "no", "integration": {"involved": true, "kind": "channel", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv", "SRM-II.S.2"}, confidence: Confirmed,
		roles: []string{"channel_provider"},
	},
	{
		name:  "S.iv contractor",
		cause: `{"service_vulnerability": "no", "integration": {"involved": true, "kind": "contractor", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv", "SRM-II.S.3"}, confidence: Confirmed,
		roles: []string{"contractor"},
	},
	{
		name:  "S.iv integration of kind other",
		cause: `{"service_vulnerability": "no", "integration": {"involved": true, "kind": "other", "chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv"}, confidence: Confirmed,
		roles: []string{"integration_provider"},
	},
	{
		name:  "S.iv chooser recorded, involvement implied, kind unknown: ask the kind",
		cause: `{"service_vulnerability": "no", "integration": {"chosen_by": "subscriber"}}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iv"}, confidence: Confirmed,
		roles: []string{"integration_provider"}, questions: []string{"cause.integration.kind"},
	},

	// SRM-VI.Z and SRM-II.Z.3: the Service itself; SRM-VI.S.2: the subscriber's notices.
	{
		name: "VI.Z Service vulnerability reported by Zendesk, other causes ruled out",
		cause: `{"service_vulnerability": "yes", "reported_by_zendesk": true, "credentials_used": "none",
		         "integration": {"involved": false}, "user_content": false, "monitoring_gap": false, "insider": false}`,
		owner: OwnerZendesk, clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"}, confidence: Confirmed, duties: []Duty{Notify},
		roles:     []string{"service_provider"},
		rationale: []string{"Zendesk owns the investigation and containment under SRM-VI.Z", "(cause.service_vulnerability: yes)", "(SRM-VI.S.2)", "cause.reported_by_zendesk: true"},
	},
	{
		name:  "VI.Z Service vulnerability, subscriber-side causes not yet ruled out",
		cause: `{"service_vulnerability": "yes"}`,
		owner: OwnerZendesk, clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"}, confidence: Probable, duties: []Duty{Notify},
		questions: []string{"cause.weak_credentials", "cause.integration.chosen_by", "cause.user_content", "cause.monitoring_gap", "cause.insider"},
	},
	{
		name:  "VI.Z inferred from Zendesk's notice alone",
		cause: `{"reported_by_zendesk": true}`,
		owner: OwnerZendesk, clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"}, confidence: Probable, duties: []Duty{Notify},
		rationale: []string{"as it does for breaches through the Service (SRM-VI.Z.4) (cause.reported_by_zendesk: true)"},
	},
	{
		name: "II.Z.3 integration Zendesk built",
		cause: `{"integration": {"involved": true, "kind": "channel", "chosen_by": "zendesk"}, "credentials_used": "none",
		         "user_content": false, "monitoring_gap": false, "insider": false}`,
		owner: OwnerZendesk, clauses: []string{"SRM-VI.Z", "SRM-II.Z.3", "SRM-VI.S.2"}, confidence: Confirmed, duties: []Duty{Notify},
		roles: []string{"service_provider"},
	},
	{
		name:  "S.2 Zendesk reported a compromise the subscriber caused",
		cause: `{"reported_by_zendesk": true, "service_vulnerability": "no", "weak_credentials": "yes"}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.i", "SRM-VI.S.2"}, confidence: Confirmed, duties: allDuties,
		rationale: []string{"also relate to Zendesk's notice (SRM-VI.S.2)"},
	},
	{
		name:  "S.iii stated outweighs a Zendesk notice whose cause is unconfirmed",
		cause: `{"reported_by_zendesk": true, "user_content": true}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.iii", "SRM-VI.S.2", "SRM-IV.S.2"}, confidence: Probable,
		questions: []string{"cause.service_vulnerability", "cause.integration.chosen_by"},
		rationale: []string{"Also recorded, but not enough on its own to change this: Zendesk notified"},
	},
	{
		name:  "VI.Z stated outweighs inferred credential use",
		cause: `{"service_vulnerability": "yes", "credentials_used": "password"}`,
		owner: OwnerZendesk, clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"}, confidence: Probable,
		questions: []string{"cause.weak_credentials", "cause.mfa_enforced", "cause.integration.chosen_by", "cause.user_content", "cause.monitoring_gap", "cause.insider"},
		rationale: []string{"since credentials can be taken through a breach of the Service"},
	},

	// Genuinely joint: a breach through the Service and a subscriber-side cause.
	{
		name:  "shared: Service vulnerability and weak credentials",
		cause: `{"service_vulnerability": "yes", "weak_credentials": "yes"}`,
		owner: OwnerShared, clauses: []string{"SRM-VI.Z", "SRM-VI.S.i", "SRM-VI.S.2"}, confidence: Confirmed, duties: allDuties,
		roles:     []string{"service_provider"},
		rationale: []string{"Responsibility is shared", "(cause.service_vulnerability: yes)", "under SRM-VI.S.i because", "(cause.weak_credentials: yes)"},
	},
	{
		name:  "shared: Service vulnerability and a Marketplace app the subscriber installed",
		cause: `{"service_vulnerability": "yes", "integration": {"involved": true, "kind": "marketplace_app", "chosen_by": "subscriber", "name": "Acme"}}`,
		owner: OwnerShared, clauses: []string{"SRM-VI.Z", "SRM-VI.S.iv", "SRM-VI.S.2", "SRM-II.S.2", "SRM-V.note"}, confidence: Confirmed,
		roles: []string{"marketplace_app_developer", "service_provider"},
	},
	{
		name:  "shared: Zendesk-built integration and malicious user content",
		cause: `{"integration": {"kind": "channel", "chosen_by": "zendesk"}, "user_content": true}`,
		owner: OwnerShared, clauses: []string{"SRM-VI.Z", "SRM-II.Z.3", "SRM-VI.S.iii", "SRM-VI.S.2", "SRM-IV.S.2"}, confidence: Probable,
		// If the Service was not at fault, the integration was only the path (SRM-II.Z.3
		// covers integrations that are themselves at fault): then it is the subscriber's.
		questions: []string{"cause.service_vulnerability"},
	},
	{
		name:  "shared: Service vulnerability that went unnoticed for lack of monitoring",
		cause: `{"service_vulnerability": "yes", "monitoring_gap": true, "reported_by_zendesk": true}`,
		owner: OwnerShared, clauses: []string{"SRM-VI.Z", "SRM-VI.S.ii", "SRM-VI.S.2", "SRM-IV.S.1"}, confidence: Confirmed,
	},

	// Undetermined: nothing known, facts pointing both ways, contradictions.
	{
		name:  "nothing known",
		cause: `{}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown, duties: []Duty{Investigate},
		questions: []string{"cause.service_vulnerability", "cause.reported_by_zendesk", "cause.credentials_used",
			"cause.weak_credentials", "cause.integration.chosen_by", "cause.user_content", "cause.monitoring_gap", "cause.insider"},
		rationale: []string{"no cause of the incident is recorded"},
	},
	{
		name:  "explicit unknowns are nothing known",
		cause: `{"service_vulnerability": "unknown", "weak_credentials": "unknown", "credentials_used": "unknown"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown,
	},
	{
		name:  "integration involved but chooser unknown",
		cause: `{"integration": {"involved": true, "kind": "webhook"}, "service_vulnerability": "no"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown, roles: []string{"webhook_receiver"},
		rationale: []string{"An integration was involved (cause.integration.involved: true), but who chose it is not recorded"},
	},
	{
		name:  "both sides only inferred",
		cause: `{"reported_by_zendesk": true, "credentials_used": "password"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown, duties: []Duty{Investigate},
		rationale: []string{"the facts point both ways", "toward the subscriber, valid sign-in credentials", "toward Zendesk, Zendesk notified"},
	},
	{
		name:  "contradiction: Zendesk reported, Service cleared, no other cause",
		cause: `{"reported_by_zendesk": true, "service_vulnerability": "no"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown, duties: []Duty{Investigate},
		questions: []string{"cause.service_vulnerability"},
		rationale: []string{"contradict each other", "cause.reported_by_zendesk: true", "cause.service_vulnerability: no"},
	},
	{
		name:  "contradiction: Zendesk-built integration, Service cleared, no other cause",
		cause: `{"integration": {"involved": true, "chosen_by": "zendesk"}, "service_vulnerability": "no"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown,
		questions: []string{"cause.integration.chosen_by"},
		rationale: []string{"cause.integration.chosen_by: zendesk", "SRM-II.Z.3"},
	},
	{
		name:  "contradiction: no integration involved, yet a chooser",
		cause: `{"integration": {"involved": false, "chosen_by": "subscriber"}, "weak_credentials": "yes"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown,
		questions: []string{"cause.integration.involved"},
		rationale: []string{"cause.integration.involved: false"},
	},
	{
		name:  "contradiction: no integration involved, yet a kind",
		cause: `{"integration": {"involved": false, "kind": "webhook"}}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown,
		questions: []string{"cause.integration.involved"},
	},
	{
		name:  "contradiction: weak credentials but none used",
		cause: `{"weak_credentials": "yes", "credentials_used": "none", "service_vulnerability": "yes"}`,
		owner: OwnerUndetermined, clauses: []string{}, confidence: Unknown,
		questions: []string{"cause.credentials_used"},
		rationale: []string{"cause.credentials_used: none"},
	},
	{
		name:  "Zendesk reported and Service cleared is consistent once a subscriber cause is known",
		cause: `{"reported_by_zendesk": true, "service_vulnerability": "no", "insider": true}`,
		owner: OwnerSubscriber, clauses: []string{"SRM-VI.S.ii", "SRM-VI.S.2", "SRM-I.S.1"}, confidence: Confirmed,
	},
}

func TestDetermine(t *testing.T) {
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Determine(parse(t, tc.cause))
			if got.Owner != tc.owner {
				t.Errorf("owner = %s, want %s\nrationale: %s", got.Owner, tc.owner, got.Rationale)
			}
			if tc.clauses != nil && !slices.Equal(got.Clauses, tc.clauses) {
				t.Errorf("clauses = %q, want %q", got.Clauses, tc.clauses)
			}
			if tc.confidence != "" && got.Confidence != tc.confidence {
				t.Errorf("confidence = %s, want %s (open questions %v)", got.Confidence, tc.confidence, got.OpenQuestions)
			}
			if tc.duties != nil && !slices.Equal(got.SubscriberDuties, tc.duties) {
				t.Errorf("subscriber_duties = %q, want %q", got.SubscriberDuties, tc.duties)
			}
			if tc.roles != nil {
				var roles []string
				for _, p := range got.ThirdParties {
					roles = append(roles, p.Role)
				}
				if !slices.Equal(roles, tc.roles) {
					t.Errorf("third party roles = %q, want %q", roles, tc.roles)
				}
			}
			if tc.questions != nil || tc.confidence == Confirmed {
				var fields []string
				for _, q := range got.OpenQuestions {
					fields = append(fields, q.Field)
				}
				if !slices.Equal(fields, tc.questions) {
					t.Errorf("open question fields = %q, want %q", fields, tc.questions)
				}
			}
			for _, want := range tc.rationale {
				if !strings.Contains(got.Rationale, want) {
					t.Errorf("rationale does not contain %q:\n%s", want, got.Rationale)
				}
			}
		})
	}
}

// TestEveryRuleIsProven fails when a rule or contradiction of the tables is not
// exercised by a row of TestDetermine, so that no clause goes untested.
func TestEveryRuleIsProven(t *testing.T) {
	usedRule := map[string]bool{}
	usedConflict := map[string]bool{}
	for _, tc := range ruleCases {
		o := evaluate(parse(t, tc.cause))
		for _, m := range o.matched {
			usedRule[m.rule.id] = true
		}
		for _, c := range o.conflicts {
			usedConflict[c.text] = true
		}
	}
	for _, r := range rules {
		if !usedRule[r.id] {
			t.Errorf("rule %s (%v) has no test case", r.id, r.clauses)
		}
	}
	for _, c := range contradictions {
		if !usedConflict[c.text] {
			t.Errorf("contradiction %q has no test case", c.text)
		}
	}
	// Every clause of section VI is cited by some determination in the table.
	cited := map[string]bool{}
	for _, tc := range ruleCases {
		for _, c := range Determine(parse(t, tc.cause)).Clauses {
			cited[c] = true
		}
	}
	for _, c := range []string{"SRM-VI.S.i", "SRM-VI.S.ii", "SRM-VI.S.iii", "SRM-VI.S.iv", "SRM-VI.S.2", "SRM-VI.Z", "SRM-II.Z.3", "SRM-V.note"} {
		if !cited[c] {
			t.Errorf("no test determination cites %s", c)
		}
	}
}

// TestScenarios checks the example facts files, which the CLI tests also use.
func TestScenarios(t *testing.T) {
	tests := []struct {
		file       string
		owner      Owner
		clauses    []string
		confidence Confidence
	}{
		{"phished-agent-no-mfa.json", OwnerSubscriber, []string{"SRM-VI.S.i", "SRM-I.S.2"}, Probable},
		{"zendesk-service-vulnerability.json", OwnerZendesk, []string{"SRM-VI.Z", "SRM-VI.S.2"}, Probable},
		{"marketplace-app-compromised.json", OwnerSubscriber, []string{"SRM-VI.S.iv", "SRM-II.S.2", "SRM-V.note"}, Confirmed},
		{"malicious-link-in-ticket.json", OwnerSubscriber, []string{"SRM-VI.S.i", "SRM-VI.S.iii", "SRM-IV.S.2"}, Confirmed},
		{"insider-unnoticed-exports.json", OwnerSubscriber, []string{"SRM-VI.S.ii", "SRM-I.S.1", "SRM-IV.S.1"}, Confirmed},
		{"nothing-known.json", OwnerUndetermined, []string{}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			d, err := facts.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			got := Determine(d)
			if got.Owner != tt.owner || !slices.Equal(got.Clauses, tt.clauses) || got.Confidence != tt.confidence {
				t.Errorf("got %s %q %s, want %s %q %s\n%s", got.Owner, got.Clauses, got.Confidence,
					tt.owner, tt.clauses, tt.confidence, got.Rationale)
			}
		})
	}
}

func TestRevision(t *testing.T) {
	d := parse(t, `{}`)
	first := Determine(d)
	if !Equal(first, Determine(d)) {
		t.Fatal("recomputing on the same facts must give an equal determination")
	}
	// A responder learns the agent was phished: a new revision.
	d2, err := facts.Merge(d, []byte(`{"cause": {"credentials_used": "password", "weak_credentials": "yes"}}`))
	if err != nil {
		t.Fatal(err)
	}
	second := Determine(d2)
	want := []string{"owner", "clauses", "rationale", "subscriber_duties", "open_questions", "confidence"}
	if got := Diff(first, second); !slices.Equal(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	// A fact that changes nothing relevant (the summary) is not a revision.
	d3, _ := facts.Merge(d2, []byte(`{"summary": "phished agent"}`))
	if got := Diff(second, Determine(d3)); len(got) != 0 {
		t.Errorf("Diff after an irrelevant change = %q, want none", got)
	}
	// Zendesk later confirms a Service vulnerability too: now shared.
	d4, _ := facts.Merge(d3, []byte(`{"cause": {"service_vulnerability": "yes"}}`))
	if third := Determine(d4); third.Owner != OwnerShared || !slices.Contains(Diff(second, third), "third_parties") {
		t.Errorf("after the Service vulnerability: owner %s, diff %q", third.Owner, Diff(second, third))
	}
}

func TestJSONFieldNames(t *testing.T) {
	raw, err := json.Marshal(Determine(parse(t, `{"service_vulnerability": "yes", "integration": {"chosen_by": "subscriber", "kind": "marketplace_app"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"clauses", "confidence", "open_questions", "owner", "rationale", "subscriber_duties", "third_parties"}
	if !slices.Equal(keys, want) {
		t.Errorf("JSON fields = %q, want %q", keys, want)
	}
	if !strings.Contains(string(m["third_parties"]), `"name":"the Marketplace app's developer","role":"marketplace_app_developer","clause":"SRM-V.note","owes":`) {
		t.Errorf("third_parties JSON = %s", m["third_parties"])
	}
	// Empty lists are [], never null: consumers iterate them without a nil check.
	raw, _ = json.Marshal(Determine(parse(t, `{"insider": true, "service_vulnerability": "no"}`)))
	if !strings.Contains(string(raw), `"third_parties":[]`) || !strings.Contains(string(raw), `"open_questions":[]`) {
		t.Errorf("empty lists must marshal as []: %s", raw)
	}
}

// TestInvariants checks properties that must hold for any facts, over a
// deterministic sample of cause combinations.
func TestInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		d := randomCause(r)
		got := Determine(d)
		vuln, _, _ := facts.Lookup(d, "cause.service_vulnerability")
		cites := func(c string) bool { return slices.Contains(got.Clauses, c) }
		fail := func(msg string) {
			raw, _ := json.Marshal(d.Cause)
			t.Fatalf("%s\ncause: %s\ndetermination: %+v", msg, raw, got)
		}
		if (got.Owner == OwnerUndetermined) != (got.Confidence == Unknown) {
			fail("confidence unknown iff owner undetermined")
		}
		if slices.Equal(vuln, []string{"no"}) && (got.Owner == OwnerZendesk || got.Owner == OwnerShared) {
			fail("a Service recorded as not at fault never makes Zendesk an owner")
		}
		if (got.Owner == OwnerZendesk || got.Owner == OwnerShared) != cites("SRM-VI.Z") {
			fail("SRM-VI.Z is cited exactly when Zendesk owns a part")
		}
		if (got.Owner == OwnerSubscriber || got.Owner == OwnerShared) !=
			(cites("SRM-VI.S.i") || cites("SRM-VI.S.ii") || cites("SRM-VI.S.iii") || cites("SRM-VI.S.iv")) {
			fail("a subscriber-side section VI clause is cited exactly when the subscriber owns a part")
		}
		if got.Owner == OwnerUndetermined && len(got.Clauses) != 0 {
			fail("an undetermined owner cites no clause")
		}
		if got.Owner != OwnerUndetermined && got.Confidence == Confirmed && len(got.OpenQuestions) > 0 &&
			!slices.ContainsFunc(got.OpenQuestions, func(q Question) bool { return strings.HasPrefix(q.Field, "cause.integration.") }) {
			fail("a confirmed determination asks only about third parties")
		}
		if !slices.Contains(got.SubscriberDuties, Notify) && got.Owner != OwnerUndetermined {
			fail("the subscriber always owes its own notifications once an owner is determined (SRM-VI.S.2)")
		}
		if got.Rationale == "" || got.Clauses == nil || got.ThirdParties == nil || got.OpenQuestions == nil {
			fail("rationale and lists are always present")
		}
		if !Equal(got, Determine(d)) {
			fail("Determine is deterministic")
		}
	}
}

func randomCause(r *rand.Rand) facts.Document {
	var d facts.Document
	for _, q := range questions {
		values, _ := facts.Allowed(q.field)
		if n := r.IntN(len(values) + 2); n < len(values) { // leave it unknown 2 times in len+2
			d, _ = facts.With(d, q.field, values[n])
		}
	}
	return d
}

func BenchmarkDetermine(b *testing.B) {
	for _, c := range []struct{ name, cause string }{
		{"nothing-known", `{}`},
		{"subscriber-probable", `{"credentials_used": "password", "mfa_enforced": false}`},
		{"shared", `{"service_vulnerability": "yes", "weak_credentials": "yes"}`},
	} {
		d := parse(b, c.cause)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Determine(d)
			}
		})
	}
}
