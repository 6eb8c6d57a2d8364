package ownership

import (
	"slices"
	"strings"

	"irflow/internal/facts"
)

// rationale explains o in sentences a lawyer can check: each finding cites the
// facts it rests on as "field: value", and each conclusion cites its clause.
func rationale(d facts.Document, o outcome) string {
	var b strings.Builder
	sentence := func(parts ...string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		for _, p := range parts {
			b.WriteString(p)
		}
	}

	if len(o.conflicts) > 0 {
		texts := make([]string, len(o.conflicts))
		for i, c := range o.conflicts {
			texts[i] = c.text
		}
		sentence("Ownership cannot be determined because the facts contradict each other: ", list(texts), ".")
		sentence("Resolve this before relying on any determination; meanwhile the subscriber investigates ",
			"the suspected breach in its own instance (SRM-VI.S.1).")
		return b.String()
	}

	subFindings := findings(o, subscriberSide, 0)
	zenFindings := findings(o, zendeskSide, 0)
	notice := findings(o, noticeSide, 0)
	vuln, _, _ := facts.Lookup(d, "cause.service_vulnerability")

	switch o.owner {
	case OwnerSubscriber:
		sentence("The subscriber owns this incident under ", sectionVI(o, subscriberSide), " because ",
			list(subFindings), ".")
		sentence("It answers for incidents within its instance that are not due to the Service itself, ",
			"so it investigates, contains and notifies (SRM-VI.S.1, SRM-VI.S.2).")
		if len(vuln) == 1 && vuln[0] == facts.No {
			sentence("The Service itself is recorded as not at fault (cause.service_vulnerability: no).")
		} else {
			sentence("Nothing recorded shows a vulnerability in the Service itself, but that is not confirmed ",
				"(cause.service_vulnerability is unknown).")
		}
		if len(notice) > 0 {
			sentence("Zendesk notified the subscriber (cause.reported_by_zendesk: true), so the subscriber's ",
				"notifications to regulators and end users also relate to Zendesk's notice (SRM-VI.S.2).")
		}
		if weak := findings(o, zendeskSide, inferred); len(weak) > 0 {
			sentence("Also recorded, but not enough on its own to change this: ", list(weak), ".")
		}

	case OwnerZendesk:
		sentence("Zendesk owns the investigation and containment under SRM-VI.Z because ", list(zenFindings), ".")
		sentence("Zendesk controls investigations of breaches through its Service, contains them and notifies ",
			"affected subscribers (SRM-VI.Z.2–Z.4).")
		if len(notice) > 0 {
			sentence("Zendesk has notified the subscriber (cause.reported_by_zendesk: true).")
		}
		sentence("The subscriber still owes its own notifications to regulators, law enforcement and end users ",
			"(SRM-VI.S.2); their clocks typically start when it receives Zendesk's notice.")
		if weak := findings(o, subscriberSide, inferred); len(weak) > 0 {
			sentence("Also recorded, but not enough on its own to make the subscriber answer for a part: ",
				list(weak), ", since credentials can be taken through a breach of the Service.")
		}

	case OwnerShared:
		sentence("Responsibility is shared. Zendesk answers for the breach through its Service under SRM-VI.Z ",
			"because ", list(zenFindings), ".")
		sentence("The subscriber answers for its own part under ", sectionVI(o, subscriberSide), " because ",
			list(subFindings), ".")
		sentence("The subscriber investigates, contains and notifies for its instance, coordinating with ",
			"Zendesk's investigation (SRM-VI.Z.2), and owes its own notifications (SRM-VI.S.2).")

	case OwnerUndetermined:
		if len(subFindings) > 0 && len(zenFindings) > 0 {
			sentence("Ownership cannot be determined yet because the facts point both ways and neither is shown: ",
				"toward the subscriber, ", list(subFindings), "; toward Zendesk, ", list(zenFindings), ".")
		} else {
			sentence("Ownership cannot be determined yet because no cause of the incident is recorded: it turns on ",
				"whether the breach went through the Service itself (SRM-VI.Z) or came from a subscriber-side cause ",
				"(SRM-VI.S.i–iv).")
		}
		if inv := d.Cause.Integration; inv.Involved != nil && *inv.Involved && inv.ChosenBy == nil {
			sentence("An integration was involved (cause.integration.involved: true), but who chose it is not ",
				"recorded.")
		}
		sentence("Meanwhile the subscriber investigates the suspected breach in its own instance (SRM-VI.S.1).")
	}
	return b.String()
}

// findings returns the findings of the matched rules of side s (of strength st, or
// any strength when st is 0), each followed by the facts it cites.
//
// With st 0, an inferred finding is left out when stated findings of the same side
// already cite all its clauses: "valid credentials were used" adds nothing to "the
// credentials were phished".
func findings(o outcome, s side, st strength) []string {
	statedClauses := map[string]bool{}
	for _, m := range o.matched {
		if m.rule.side == s && m.rule.strength == stated {
			for _, c := range m.rule.clauses {
				statedClauses[c] = true
			}
		}
	}
	var out []string
	for _, m := range o.matched {
		if m.rule.side != s || (st != 0 && m.rule.strength != st) {
			continue
		}
		if st == 0 && m.rule.strength == inferred && !slices.ContainsFunc(m.rule.clauses,
			func(c string) bool { return !statedClauses[c] }) {
			continue
		}
		out = append(out, m.rule.finding+" ("+strings.Join(m.cites, "; ")+")")
	}
	return out
}

// sectionVI lists the distinct section VI clauses of the matched rules of side s.
func sectionVI(o outcome, s side) string {
	var ids []string
	for _, c := range clauseOrder {
		if !strings.HasPrefix(c, "SRM-VI.") {
			continue
		}
		for _, m := range o.matched {
			if m.rule.side == s && slices.Contains(m.rule.clauses, c) && !slices.Contains(ids, c) {
				ids = append(ids, c)
			}
		}
	}
	return strings.Join(ids, " and ")
}

// list joins items as English: "a", "a and b", "a; b; and c" (semicolons because
// items carry their own commas).
func list(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + "; and " + items[1]
	}
	return strings.Join(items[:len(items)-1], "; ") + "; and " + items[len(items)-1]
}
