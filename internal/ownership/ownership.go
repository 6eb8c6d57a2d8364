// Package ownership decides who owns a security incident under section VI of
// Zendesk's shared responsibility model (SRM): Zendesk for breaches through the
// Service itself (SRM-VI.Z), the subscriber for incidents within its instance caused
// by weak access control or credentials, unmonitored activity, unvetted user content
// or an integration it chose (SRM-VI.S.i–iv), and both when both are true.
//
// Determine is a pure function of the incident facts document: no I/O, no clock. The
// cause of an incident is often unknown at first, so a determination says how sure it
// is, what is still unknown, and which question would settle it; the workflow records
// each determination and recomputes it when the facts change (Diff tells it whether
// anything changed). The rules themselves are data, in rules.go.
package ownership

import (
	"fmt"
	"slices"
	"strings"

	"irflow/internal/facts"
)

// Owner is the party that owns an incident.
type Owner string

// The owners a determination can name.
const (
	// OwnerSubscriber: a cause of SRM-VI.S.i–iv within the subscriber's instance.
	OwnerSubscriber Owner = "subscriber"
	// OwnerZendesk: a breach through the Service itself (SRM-VI.Z). The subscriber
	// still owes its own notifications (SRM-VI.S.2).
	OwnerZendesk Owner = "zendesk"
	// OwnerShared: a breach through the Service and a subscriber-side cause together.
	OwnerShared Owner = "shared"
	// OwnerUndetermined: the facts do not (yet) decide, or contradict each other.
	OwnerUndetermined Owner = "undetermined"
)

// Confidence says how settled a determination is.
type Confidence string

// The confidence levels.
const (
	// Confirmed: no single fact still unknown could change the owner.
	Confirmed Confidence = "confirmed"
	// Probable: the recorded facts decide the owner, but answering an open question
	// could change it.
	Probable Confidence = "probable"
	// Unknown: no owner is determined.
	Unknown Confidence = "unknown"
)

// Duty is something the subscriber must do about the incident.
type Duty string

// The subscriber's duties under SRM-VI.S.1 (investigate and remediate, contain) and
// SRM-VI.S.2 (notify).
const (
	Investigate Duty = "investigate"
	Contain     Duty = "contain"
	Notify      Duty = "notify"
)

// Determination is who owns an incident, why, and what is still open.
type Determination struct {
	// Owner is subscriber, zendesk, shared or undetermined.
	Owner Owner `json:"owner"`
	// Clauses are the SRM clause ids the determination rests on, owner's section VI
	// clauses first.
	Clauses []string `json:"clauses"`
	// Rationale explains the determination in plain English, citing the facts used
	// as "field: value".
	Rationale string `json:"rationale"`
	// SubscriberDuties is what the subscriber must do: a subset of investigate,
	// contain, notify.
	SubscriberDuties []Duty `json:"subscriber_duties"`
	// ThirdParties are the other parties involved and what is owed to or from them.
	ThirdParties []ThirdParty `json:"third_parties"`
	// OpenQuestions are the unknown facts that would change the determination, each
	// with the question to ask a responder.
	OpenQuestions []Question `json:"open_questions"`
	// Confidence is confirmed, probable or unknown.
	Confidence Confidence `json:"confidence"`
}

// ThirdParty is a party other than the subscriber with a part in the incident.
type ThirdParty struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Clause string `json:"clause"`
	// Owes says what is owed between this party and the subscriber.
	Owes string `json:"owes"`
}

// Question is an open question: the facts field its answer fills, and what to ask.
type Question struct {
	Field    string `json:"field"`
	Question string `json:"question"`
}

// outcome is the owner decided by the rules, before what-if analysis.
type outcome struct {
	owner     Owner
	matched   []match
	conflicts []contradiction
}

// match is a rule that applies, with the facts it cites.
type match struct {
	rule  *rule
	cites []string
}

func (o outcome) has(s side, st strength) bool {
	for _, m := range o.matched {
		if m.rule.side == s && m.rule.strength == st {
			return true
		}
	}
	return false
}

// Determine decides who owns the incident described by d.
func Determine(d facts.Document) Determination {
	o := evaluate(d)
	det := Determination{
		Owner:            o.owner,
		Clauses:          clauses(o),
		SubscriberDuties: duties(o.owner),
		ThirdParties:     thirdParties(d, o.owner),
		OpenQuestions:    []Question{},
	}
	if len(o.conflicts) > 0 {
		det.Confidence = Unknown
		for _, c := range o.conflicts {
			det.OpenQuestions = appendQuestion(det.OpenQuestions, Question{Field: c.field, Question: c.question})
		}
		det.Rationale = rationale(d, o)
		return det
	}

	// What if each unknown cause fact were known? A fact that could change the owner
	// (or the third parties) is an open question, and its existence means the owner is
	// only probable. Answers that would contradict the known facts are not plausible
	// answers and are skipped.
	ownerCanChange := false
	for _, q := range questions {
		if _, known, _ := facts.Lookup(d, q.field); known {
			continue
		}
		values, _ := facts.Allowed(q.field)
		relevant := false
		for _, v := range values {
			if v == facts.Unknown {
				continue
			}
			alt, err := facts.With(d, q.field, v)
			if err != nil {
				panic(fmt.Sprintf("ownership: what-if %s=%s: %v", q.field, v, err)) // table bug; see init
			}
			ao := evaluate(alt)
			if len(ao.conflicts) > 0 {
				continue
			}
			if ao.owner != o.owner {
				ownerCanChange, relevant = true, true
			}
			// Once an integration is known to be involved, who provides it matters too.
			if integrationInvolved(d) && !sameRoles(thirdParties(alt, ao.owner), det.ThirdParties) {
				relevant = true
			}
		}
		if relevant {
			det.OpenQuestions = appendQuestion(det.OpenQuestions, Question{Field: q.field, Question: q.question})
		}
	}
	switch {
	case o.owner == OwnerUndetermined:
		det.Confidence = Unknown
	case ownerCanChange:
		det.Confidence = Probable
	default:
		det.Confidence = Confirmed
	}
	det.Rationale = rationale(d, o)
	return det
}

// evaluate applies the rules and contradictions to d and decides the owner.
func evaluate(d facts.Document) outcome {
	var o outcome
	subscriberCause := false
	for i := range rules {
		if cites, ok := holds(d, rules[i].when); ok {
			o.matched = append(o.matched, match{rule: &rules[i], cites: cites})
			subscriberCause = subscriberCause || rules[i].side == subscriberSide
		}
	}
	for _, c := range contradictions {
		if _, ok := holds(d, c.when); ok && !(c.unlessSubscriberCause && subscriberCause) {
			o.conflicts = append(o.conflicts, c)
		}
	}
	sStated, zStated := o.has(subscriberSide, stated), o.has(zendeskSide, stated)
	sInferred, zInferred := o.has(subscriberSide, inferred), o.has(zendeskSide, inferred)
	switch {
	case len(o.conflicts) > 0:
		o.owner = OwnerUndetermined
	case sStated && zStated:
		o.owner = OwnerShared
	case sStated:
		o.owner = OwnerSubscriber
	case zStated:
		o.owner = OwnerZendesk
	case sInferred && zInferred:
		// Each side only inferred: the facts point both ways and neither is shown.
		o.owner = OwnerUndetermined
	case sInferred:
		o.owner = OwnerSubscriber
	case zInferred:
		o.owner = OwnerZendesk
	default:
		o.owner = OwnerUndetermined
	}
	return o
}

// holds reports whether every condition holds on d, and the facts it cites.
func holds(d facts.Document, conds []cond) (cites []string, ok bool) {
	for _, c := range conds {
		values, known, err := facts.Lookup(d, c.field)
		if err != nil {
			panic(fmt.Sprintf("ownership: %v", err)) // table bug; see init
		}
		switch {
		case c.in != nil:
			if !known || !anyIn(values, c.in) {
				return nil, false
			}
			cites = append(cites, c.field+": "+strings.Join(values, ", "))
		case known && anyIn(values, c.notIn):
			return nil, false
		}
	}
	return cites, true
}

func anyIn(values, set []string) bool {
	for _, v := range values {
		if slices.Contains(set, v) {
			return true
		}
	}
	return false
}

// counts reports whether rules of side s count toward the clauses of owner.
func counts(s side, owner Owner) bool {
	switch owner {
	case OwnerSubscriber:
		return s == subscriberSide || s == noticeSide
	case OwnerZendesk:
		return s == zendeskSide || s == noticeSide
	case OwnerShared:
		return true
	}
	return false
}

func clauses(o outcome) []string {
	set := map[string]bool{}
	for _, m := range o.matched {
		if !counts(m.rule.side, o.owner) {
			continue
		}
		for _, c := range m.rule.clauses {
			set[c] = true
		}
	}
	out := []string{}
	for _, c := range clauseOrder {
		if set[c] {
			out = append(out, c)
		}
	}
	return out
}

func duties(owner Owner) []Duty {
	switch owner {
	case OwnerSubscriber, OwnerShared:
		return []Duty{Investigate, Contain, Notify}
	case OwnerZendesk:
		// Zendesk investigates and contains (SRM-VI.Z.2, Z.3); the subscriber's own
		// notifications remain (SRM-VI.S.2).
		return []Duty{Notify}
	}
	// Undetermined: a suspected breach in the instance is the subscriber's to
	// investigate (SRM-VI.S.1) while the cause is found; notification clocks may
	// already be running.
	return []Duty{Investigate}
}

// thirdParties lists the integration's provider (when a third-party integration is
// involved) and Zendesk (when the breach went through its Service).
func thirdParties(d facts.Document, owner Owner) []ThirdParty {
	out := []ThirdParty{}
	in := d.Cause.Integration
	if integrationInvolved(d) && (in.ChosenBy == nil || *in.ChosenBy != "zendesk") {
		kind := ""
		if in.Kind != nil {
			kind = *in.Kind
		}
		for _, r := range thirdPartyRoles {
			if r.kind != kind {
				continue
			}
			name := r.defaultName
			if in.Name != nil && *in.Name != "" {
				name = *in.Name
			}
			out = append(out, ThirdParty{Name: name, Role: r.role, Clause: r.clause, Owes: r.owes})
			break
		}
	}
	if owner == OwnerZendesk || owner == OwnerShared {
		out = append(out, zendeskParty)
	}
	return out
}

// integrationInvolved reports whether an integration is known to be involved: said
// so, or implied by a recorded chooser (as the rules read it).
func integrationInvolved(d facts.Document) bool {
	in := d.Cause.Integration
	if in.Involved != nil {
		return *in.Involved
	}
	return in.ChosenBy != nil
}

func sameRoles(a, b []ThirdParty) bool {
	return slices.EqualFunc(a, b, func(x, y ThirdParty) bool { return x.Role == y.Role && x.Clause == y.Clause })
}

func appendQuestion(qs []Question, q Question) []Question {
	if slices.ContainsFunc(qs, func(x Question) bool { return x.Field == q.Field }) {
		return qs
	}
	return append(qs, q)
}

// Diff names the fields (by JSON name) in which next differs from prev; empty when
// a recomputation changed nothing and need not be recorded as a revision.
func Diff(prev, next Determination) []string {
	var changed []string
	if prev.Owner != next.Owner {
		changed = append(changed, "owner")
	}
	if !slices.Equal(prev.Clauses, next.Clauses) {
		changed = append(changed, "clauses")
	}
	if prev.Rationale != next.Rationale {
		changed = append(changed, "rationale")
	}
	if !slices.Equal(prev.SubscriberDuties, next.SubscriberDuties) {
		changed = append(changed, "subscriber_duties")
	}
	if !slices.Equal(prev.ThirdParties, next.ThirdParties) {
		changed = append(changed, "third_parties")
	}
	if !slices.Equal(prev.OpenQuestions, next.OpenQuestions) {
		changed = append(changed, "open_questions")
	}
	if prev.Confidence != next.Confidence {
		changed = append(changed, "confidence")
	}
	return changed
}

// Equal reports whether two determinations are the same in every field.
func Equal(a, b Determination) bool { return len(Diff(a, b)) == 0 }

// Clauses returns every SRM clause id the rules can cite, in the order
// determinations list them. Playbook validation uses it to reject a playbook that
// declares a clause no determination can ever cite.
func Clauses() []string { return slices.Clone(clauseOrder) }

// init checks the rule tables against the facts contract, so that a misspelt path or
// value fails every test run instead of silently never matching.
func init() {
	check := func(where string, conds []cond) {
		for _, c := range conds {
			allowed, err := facts.Allowed(c.field)
			if err != nil {
				panic(fmt.Sprintf("ownership: %s: %v", where, err))
			}
			for _, v := range append(slices.Clone(c.in), c.notIn...) {
				if !slices.Contains(allowed, v) {
					panic(fmt.Sprintf("ownership: %s: %s: %q is not an allowed value", where, c.field, v))
				}
			}
		}
	}
	for _, r := range rules {
		check("rule "+r.id, r.when)
		for _, c := range r.clauses {
			if !slices.Contains(clauseOrder, c) {
				panic(fmt.Sprintf("ownership: rule %s cites %s, missing from clauseOrder", r.id, c))
			}
		}
	}
	for _, c := range contradictions {
		check("contradiction on "+c.field, c.when)
	}
	asked := map[string]bool{}
	for _, q := range questions {
		if _, err := facts.Allowed(q.field); err != nil {
			panic(fmt.Sprintf("ownership: question: %v", err))
		}
		asked[q.field] = true
	}
	for _, r := range rules {
		for _, c := range r.when {
			if !asked[c.field] {
				panic(fmt.Sprintf("ownership: rule %s tests %s, which has no question", r.id, c.field))
			}
		}
	}
}
