// Package regimes is irflow's catalogue of breach and incident notification rules:
// who must tell whom, by when, from which event, above which threshold, and on what
// authority. The rules are data (the embedded *.yaml files beside this file), carried
// over from the research catalogue in shared/reference/notification-rules.yaml with
// the same rule ids, citations, sources, notes and verification status. What the
// reference states in prose (trigger, threshold, chaining) is restated here in a
// structured form that internal/obligations evaluates against an incident's facts.
//
// Legal facts come only from that reference. Where it marks a rule or an element
// "partial" or "UNVERIFIED", so does this catalogue, and irflow shows it to users.
package regimes

import (
	"embed"
	"fmt"
	"sort"
)

//go:embed *.yaml
var embedded embed.FS

// Verification statuses, as defined by the reference catalogue.
const (
	Verified   = "verified"
	Partial    = "partial"
	Unverified = "UNVERIFIED"
)

// Audiences: who receives the notice.
const (
	AudienceAuthority   = "authority"
	AudienceIndividuals = "individuals"
	AudienceController  = "controller"
	AudienceMedia       = "media"
	AudienceOther       = "other"
)

// Scopes: how a rule's jurisdiction is matched against an incident.
const (
	// ScopeAffected: someone affected lives in the jurisdiction (US state laws).
	ScopeAffected = "affected"
	// ScopeAffectedOrEstablished: someone affected lives there, or the organisation's
	// main establishment is there (GDPR Art. 3, LGPD Art. 3 and the like).
	ScopeAffectedOrEstablished = "affected_or_established"
	// ScopeEstablished: the organisation's main establishment is there (operator
	// duties such as the Swiss ISA).
	ScopeEstablished = "established"
	// ScopeAny: no territorial test; organisation flags decide (SEC, HIPAA, PCI).
	ScopeAny = "any"
)

// Routings: how many obligations one rule yields.
const (
	// RoutingSingle yields one obligation for the rule's jurisdiction.
	RoutingSingle = "single"
	// RoutingLeadOrEach yields one obligation to the lead authority of the main
	// establishment when that lies in the jurisdiction, otherwise one per affected
	// country (EDPB Guidelines 9/2022 para 73 for non-EEA controllers).
	RoutingLeadOrEach = "lead_or_each"
)

// Trigger fields: the facts timeline instants a clock can run from, plus
// FulfilledAt for a clock chained to another obligation's fulfilment.
const (
	FulfilledAt = "fulfilled_at"
)

// TimelineFields are the facts document's timeline fields a trigger may name.
var TimelineFields = []string{
	"aware_at", "detected_at", "discovered_at", "determined_at", "assessed_at",
	"materiality_determined_at", "classified_major_at", "ransom_paid_at",
	"zendesk_notice_received_at",
}

// When a rule's trigger instant is missing from the facts.
const (
	// MissingFallback tries the rule's fallback fields in order (trigger_assumed).
	MissingFallback = "fallback"
	// MissingPending keeps the obligation applicable with no due date yet: the law
	// runs the clock from a decision not yet taken (SEC materiality, PDPC assessment).
	MissingPending = "pending"
	// MissingNotApplicable means the event itself is the condition: no ransom paid,
	// no ransom-payment report.
	MissingNotApplicable = "not_applicable"
	// MissingAssess means the event decides whether the duty exists at all and is
	// not yet known (DORA: classification as major): the obligation applies, needs
	// assessment with the trigger field as its question, and its clock runs from the
	// fallback fields, the earliest instant the event can have, until it is known.
	MissingAssess = "assess"
)

// Catalogue is the loaded, validated set of rules, in file order, and the element
// sets their thresholds name.
type Catalogue struct {
	Rules []Rule
	// Elements are the element sets by id (ElementSet.ID).
	Elements map[string]ElementSet
	byID     map[string]int
}

// ElementSet is what one law counts as personal information, by the facts'
// data_categories (reference section 6 for the US states). A threshold condition
// "elements: <id>" holds when an affected category is in the set and in force on the
// incident's date.
type ElementSet struct {
	// ID names the set; for a US state, its ISO 3166-2 code (US-CA).
	ID           string `yaml:"id"`
	Citation     string `yaml:"citation"`
	SourceURL    string `yaml:"source_url"`
	Verification string `yaml:"verification"`
	// Text is the reference's summary of the definition.
	Text     string    `yaml:"text"`
	Elements []Element `yaml:"elements"`
	// Other is shown for legal review when the affected data is "other" and nothing
	// listed: other never triggers the law, but it can hide a listed element.
	Other string `yaml:"other"`

	prov provenance
}

// Element is one data category a law lists.
type Element struct {
	// Category is a facts data category (DataCategories).
	Category string `yaml:"category"`
	// From (YYYY-MM-DD) is the first day the law lists the category; incidents
	// before it are not covered by it.
	From string `yaml:"from"`
	// Confirm is a condition the categories cannot express (an access code taken
	// with a card number, biometrics rather than genetic data only, location data from
	// an ALPR system). The category counts as triggering and the condition is shown
	// to the responder to confirm or dismiss.
	Confirm string `yaml:"confirm"`
	// Note qualifies the element (e.g. an effective date the reference gives only to
	// the month), shown with the reason.
	Note string `yaml:"note"`
}

// Delay is a law's provision for delaying a notice at the request of law
// enforcement (HIPAA 45 CFR 164.412, SEC Item 1.05(c), most US state laws). A clock
// may be paused only when its rule has one.
type Delay struct {
	Citation string `yaml:"citation" json:"citation"`
	// Text says what the law allows, from the reference.
	Text string `yaml:"text" json:"text"`
}

// Rule is one notification rule of the catalogue. Its own clock is the rule's main
// obligation; Stages add further clocked obligations (a final report, a complement).
type Rule struct {
	ID string `yaml:"id"`
	// Title names the main obligation, e.g. "notification to the supervisory authority".
	Title string `yaml:"title"`
	// Jurisdiction is a code: an ISO 3166-1 alpha-2 country ("BR"), an ISO 3166-2
	// subdivision ("US-CA"), "EU" or "EEA" for the union's member states, or "INTL"
	// for contractual regimes that follow the organisation everywhere.
	Jurisdiction string `yaml:"jurisdiction"`
	// JurisdictionText is the reference's wording, e.g. "EU (as transposed)".
	JurisdictionText string `yaml:"jurisdiction_text"`
	Scope            string `yaml:"scope"`
	Routing          string `yaml:"routing"`
	Citation         string `yaml:"citation"`
	SourceURL        string `yaml:"source_url"`
	Verification     string `yaml:"verification"`
	Audience         string `yaml:"audience"`
	Clock            `yaml:",inline"`
	Threshold        Threshold `yaml:"threshold"`
	// InForce false marks a proposed rule (CIRCIA): listed, never applicable.
	InForce *bool `yaml:"in_force"`
	// EffectiveFrom (YYYY-MM-DD) is the day the rule starts to apply; a trigger before
	// it makes the obligation not applicable (DPDP Rules r.7).
	EffectiveFrom string `yaml:"effective_from"`
	// TimeZone is the IANA zone day-based deadlines end in (23:59:59 local), or
	// "establishment" for the zone of the organisation's main establishment.
	TimeZone string  `yaml:"time_zone"`
	Stages   []Stage `yaml:"stages"`
	// LawEnforcementDelay is the law's provision for delaying the notice at law
	// enforcement's request; nil when the law has none (GDPR Art. 33: a late notice
	// gives reasons instead), and then the clock cannot be paused. It covers the
	// rule's stages too.
	LawEnforcementDelay *Delay `yaml:"law_enforcement_delay"`
	// AlternativeTo names obligations ("rule" or "rule/stage") that are the same
	// notice under another reading of the facts (APPI's final report: 30 days, or 60
	// for a wrongful purpose). When an unknown fact lets both apply, the engine keeps
	// the one with the earlier deadline and says which reading it took.
	AlternativeTo []string `yaml:"alternative_to"`
	// Phases preserves the reference's stage list as written, including stages with
	// no clock of their own (further information in phases, updates on request).
	Phases []Phase `yaml:"phases"`
	Notes  string  `yaml:"notes"`

	prov provenance
}

// Clock is how an obligation's deadline runs: from which trigger, how long, counted
// how, and with which reminders.
type Clock struct {
	Trigger Trigger `yaml:"trigger"`
	// Deadline is an ISO-8601 duration (PT72H, P30D, P1M) measured from the trigger;
	// empty means the law sets no number ("without undue delay", "promptly").
	Deadline string `yaml:"deadline"`
	// BusinessDays counts the day count of Deadline in business days of Calendar.
	BusinessDays bool   `yaml:"business_days"`
	Calendar     string `yaml:"calendar"`
	// DueText says in words what the law requires, shown next to (or instead of) a
	// due date.
	DueText string `yaml:"due_text"`
	// NoLaterThan is a backstop from another trigger (DORA: 4 h from classification
	// but no later than 24 h from awareness).
	NoLaterThan *Backstop `yaml:"no_later_than"`
	// FromYearEnd starts the clock at the end of the calendar year of the trigger
	// (HIPAA's annual report of breaches under 500, 45 CFR 164.408(c)).
	FromYearEnd bool `yaml:"from_year_end"`
	// DependsOn lists the rule or stage ids ("rule" or "rule/stage") whose fulfilment
	// starts this clock; the first one that applies to the incident is used.
	DependsOn []string `yaml:"depends_on"`
	// Reminders overrides the default reminder schedule.
	Reminders *Reminders `yaml:"reminders"`
}

// Trigger names the event a clock runs from.
type Trigger struct {
	// Field is a facts timeline field (see TimelineFields) or FulfilledAt.
	Field string `yaml:"field"`
	// Text is the reference's wording of the trigger.
	Text string `yaml:"text"`
	// Fallback lists the timeline fields tried, in order, when Field is unknown.
	Fallback []string `yaml:"fallback"`
	// WhenMissing is MissingFallback (default), MissingPending or MissingNotApplicable.
	WhenMissing string `yaml:"when_missing"`
}

// Backstop is a second, earlier-ending deadline from another trigger. It applies only
// while the main trigger happens before the backstop expires (DORA RTS 2025/301 Art. 5:
// classified as major after 24 h, the initial notice is due 4 h after classification).
type Backstop struct {
	Field    string `yaml:"field"`
	Deadline string `yaml:"deadline"`
}

// Stage is a further clocked obligation of a rule, such as NIS2's final report or
// Brazil's complementary information. Its obligation id is "<rule id>/<key>".
type Stage struct {
	Key   string `yaml:"key"`
	Title string `yaml:"title"`
	Clock `yaml:",inline"`
	// Audience overrides the rule's audience when set.
	Audience string `yaml:"audience"`
	// Threshold adds conditions to the rule's (both must hold).
	Threshold *Threshold `yaml:"threshold"`
	// Verification overrides the rule's status for this stage (e.g. an UNVERIFIED
	// anchor inside a verified rule).
	Verification string `yaml:"verification"`
}

// Phase is one stage of the reference catalogue, as written there.
type Phase struct {
	Name         string `yaml:"name"`
	Deadline     string `yaml:"deadline"`
	Anchor       string `yaml:"anchor"`
	BusinessDays bool   `yaml:"business_days"`
	// Stage is the key of the Stage that models this phase; empty for the main clock
	// or a phase with no clock of its own.
	Stage string `yaml:"stage"`
}

// Threshold decides whether a rule applies to an incident. Every condition in All
// must hold, at least one in Any (when Any is not empty), and none in None.
type Threshold struct {
	// Text is the reference's wording of the threshold.
	Text string      `yaml:"text"`
	All  []Condition `yaml:"all"`
	Any  []Condition `yaml:"any"`
	None []Condition `yaml:"none"`
	// Note explains how a qualitative test maps onto the facts document, shown with
	// the reason.
	Note string `yaml:"note"`
	// Assess keeps the obligation, needing assessment, when the threshold is not met
	// on the facts but a qualitative test might still make it apply.
	Assess *Assess `yaml:"assess"`
}

// Assess says when a threshold that the facts do not meet still leaves the
// obligation to legal's assessment (China's CAC: below the objective thresholds of a
// "relatively major" incident, a high-risk one may still be one).
type Assess struct {
	// When: any of these holding (or unknown) makes the obligation need assessment.
	When []Condition `yaml:"when"`
	// Questions are the facts paths whose answers decide it.
	Questions []string `yaml:"questions"`
	// Text says what legal decides, shown with the reason.
	Text string `yaml:"text"`
}

// Condition is one test against the facts. Exactly one field is set.
type Condition struct {
	// Role is "controller" or "processor" (organization.role).
	Role string `yaml:"role"`
	// RiskAtLeast is "risk" or "high": the facts' risk must be at least this level
	// (unlikely < risk < high).
	RiskAtLeast string `yaml:"risk_at_least"`
	// Flags holds when the organisation has any of these organization.flags.
	Flags []string `yaml:"flags"`
	// Categories holds when any of these data_categories is affected.
	Categories []string `yaml:"data_categories"`
	// Count compares a count of affected individuals.
	Count *Count `yaml:"count"`
	// NotEncrypted holds unless encrypted_unusable is true.
	NotEncrypted bool `yaml:"not_encrypted"`
	// Cause is "malicious" (wrongful purpose: unauthorised use of credentials, an
	// insider, a ransom) or "external_access" (credentials used or a service
	// vulnerability, by someone other than an insider).
	Cause string `yaml:"cause"`
	// Impact holds when any of these impact fields (severe_operational_disruption,
	// financial_loss, considerable_damage_to_others) is true, fails when all are
	// false, and is unknown while one is not assessed (NIS2 Art. 23(3)).
	Impact []string `yaml:"impact"`
	// Elements names an ElementSet: holds when an affected data category is in it.
	Elements string `yaml:"elements"`
	// All holds when every nested condition holds, so an any list can carry a
	// conjunction ("critical infrastructure with a severe disruption").
	All []Condition `yaml:"all"`
}

// Count compares a number of affected individuals with Value.
type Count struct {
	// Of is "jurisdiction" (people in the rule's jurisdiction), "each" (the largest
	// count of any single subdivision of it: "more than 500 residents of a State")
	// or "total" (everyone affected).
	Of string `yaml:"of"`
	// Op is ">", ">=", "<" or "<=": the comparator the law uses.
	Op    string `yaml:"op"`
	Value int64  `yaml:"value"`
}

// Reminders is a reminder schedule. Unset fields take DefaultReminders' values.
type Reminders struct {
	// Half sends a reminder when half the time from trigger to due has elapsed.
	Half *bool `yaml:"half" json:"half,omitempty"`
	// Before lists ISO-8601 durations before the due instant (PT24H, PT4H, PT1H).
	Before []string `yaml:"before" json:"before,omitempty"`
	// AtDue sends a reminder at the due instant.
	AtDue *bool `yaml:"at_due" json:"at_due,omitempty"`
	// OverdueEvery repeats an overdue reminder at this interval after the due instant.
	OverdueEvery string `yaml:"overdue_every" json:"overdue_every,omitempty"`
}

// DefaultReminders is the schedule a rule gets unless it sets its own: half the time
// elapsed, 24 h, 4 h and 1 h before, at due, then daily while overdue.
func DefaultReminders() Reminders {
	t := true
	return Reminders{Half: &t, Before: []string{"PT24H", "PT4H", "PT1H"}, AtDue: &t, OverdueEvery: "P1D"}
}

// Resolve returns r with unset fields filled from DefaultReminders. A nil r gives
// the defaults.
func (r *Reminders) Resolve() Reminders {
	d := DefaultReminders()
	if r == nil {
		return d
	}
	out := *r
	if out.Half == nil {
		out.Half = d.Half
	}
	if out.Before == nil {
		out.Before = d.Before
	}
	if out.AtDue == nil {
		out.AtDue = d.AtDue
	}
	if out.OverdueEvery == "" {
		out.OverdueEvery = d.OverdueEvery
	}
	return out
}

// Rule returns the rule with id.
func (c Catalogue) Rule(id string) (Rule, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Rule{}, false
	}
	return c.Rules[i], true
}

// IDs lists every rule id, sorted.
func (c Catalogue) IDs() []string {
	ids := make([]string, 0, len(c.Rules))
	for _, r := range c.Rules {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids
}

// Load parses and validates the embedded catalogue.
func Load() (Catalogue, error) {
	return LoadFS(embedded)
}

// MustLoad is Load for callers that ship the embedded catalogue and treat a broken
// one as a programming error (the tests guard it).
func MustLoad() Catalogue {
	c, err := Load()
	if err != nil {
		panic(fmt.Sprintf("embedded regimes catalogue: %v", err))
	}
	return c
}

// InForceAt reports whether the rule applies to a trigger at the given date
// (YYYY-MM-DD comparison in UTC), and why not.
func (r Rule) InForceAt(day string) (bool, string) {
	if r.InForce != nil && !*r.InForce {
		return false, "proposed rule, not in force"
	}
	if r.EffectiveFrom != "" && day != "" && day < r.EffectiveFrom {
		return false, "not yet in force on " + day + " (effective from " + r.EffectiveFrom + ")"
	}
	return true, ""
}
