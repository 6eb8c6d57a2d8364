package obligations

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"irflow/internal/facts"
	"irflow/playbooks/regimes"
)

// index is the facts document reshaped for threshold tests: counts per jurisdiction,
// flag and category sets, and what the cause says about intent.
type index struct {
	d             *facts.Document
	counts        map[string]int64 // upper-cased ISO 3166 code -> affected individuals
	codes         []string         // the codes in counts, sorted
	total         int64
	countsKnown   bool
	listed        string // "affected individuals are in DE, US-CA", for reasons
	flags         map[string]bool
	cats          map[string]bool
	establishment string
	// malicious and external are the cause tests (Condition.Cause), with the cause
	// facts still unanswered when they are unknown.
	malicious, external         tri
	maliciousOpen, externalOpen []string
	// sets are the catalogue's element sets; day (YYYY-MM-DD) is the incident's date
	// for effective-dated elements, set before each threshold check.
	sets map[string]regimes.ElementSet
	day  string
	// memo caches, per rule jurisdiction, the affected codes inside it and their sum.
	memo map[string]jmemo
}

type jmemo struct {
	codes []string
	count int64
}

func newIndex(d facts.Document, sets map[string]regimes.ElementSet) *index {
	ix := &index{d: &d, counts: map[string]int64{}, flags: map[string]bool{}, cats: map[string]bool{}, memo: map[string]jmemo{}, sets: sets}
	for _, jc := range d.Affected.Individuals {
		code := strings.ToUpper(strings.TrimSpace(jc.Jurisdiction))
		if _, seen := ix.counts[code]; !seen {
			ix.codes = append(ix.codes, code)
		}
		ix.counts[code] += jc.Count
		ix.total += jc.Count
	}
	sort.Strings(ix.codes)
	ix.countsKnown = len(d.Affected.Individuals) > 0
	ix.listed = "no affected individuals recorded"
	if len(ix.codes) > 0 {
		ix.listed = "affected individuals are in " + strings.Join(ix.codes, ", ")
	}
	for _, f := range d.Organization.Flags {
		ix.flags[f] = true
	}
	for _, c := range d.DataCategories {
		ix.cats[c] = true
	}
	ix.establishment = strings.ToUpper(strings.TrimSpace(d.Organization.MainEstablishment))

	ix.causes()
	return ix
}

// causes derives the cause tests. Each is yes as soon as one of its limbs is, no only
// when every limb is answered no, and otherwise unknown with the unanswered limbs as
// its questions: a cause that is partly known is not silently read as benign.
func (ix *index) causes() {
	c := ix.d.Cause
	credKnown := c.CredentialsUsed != "" && c.CredentialsUsed != facts.Unknown
	credentials := oneOf(c.CredentialsUsed, "password", "api_token", "oauth_token", "session", "sso")
	insider := c.Insider != nil && *c.Insider
	userContent := c.UserContent != nil && *c.UserContent
	ransom := ix.d.Timeline.RansomPaidAt != nil
	var open []string
	if !credKnown {
		open = append(open, "cause.credentials_used")
	}
	if c.Insider == nil {
		open = append(open, "cause.insider")
	}
	if c.UserContent == nil {
		open = append(open, "cause.user_content")
	}
	// Wrongful purpose (APPI category 3): someone used the instance's credentials
	// without authority, an insider acted, malicious content came in, or a ransom was
	// demanded and paid.
	switch {
	case credentials || insider || userContent || ransom:
		ix.malicious = yes
	case len(open) == 0:
		ix.malicious = no
	default:
		ix.malicious, ix.maliciousOpen = unknown, open
	}
	// External unauthorised access (PIPA Art. 34(3)): an outsider got in, through
	// credentials, content or a Service vulnerability.
	vuln := c.ServiceVulnerability == facts.Yes
	open = nil
	if !credKnown {
		open = append(open, "cause.credentials_used")
	}
	if c.UserContent == nil {
		open = append(open, "cause.user_content")
	}
	if c.ServiceVulnerability != facts.Yes && c.ServiceVulnerability != facts.No {
		open = append(open, "cause.service_vulnerability")
	}
	switch {
	case insider:
		ix.external = no
	case credentials || userContent || vuln:
		ix.external = yes
	case len(open) == 0:
		ix.external = no
	default:
		ix.external, ix.externalOpen = unknown, open
	}
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// instant returns the timeline instant named field.
func (ix *index) instant(field string) (*time.Time, string) {
	t := ix.d.Timeline
	var p *time.Time
	switch field {
	case "aware_at":
		p = t.AwareAt
	case "detected_at":
		p = t.DetectedAt
	case "discovered_at":
		p = t.DiscoveredAt
	case "determined_at":
		p = t.DeterminedAt
	case "assessed_at":
		p = t.AssessedAt
	case "materiality_determined_at":
		p = t.MaterialityDeterminedAt
	case "classified_major_at":
		p = t.ClassifiedMajorAt
	case "ransom_paid_at":
		p = t.RansomPaidAt
	case "zendesk_notice_received_at":
		p = t.ZendeskNoticeReceivedAt
	}
	return p, field
}

// target is one jurisdiction an obligation is owed in.
type target struct {
	code   string
	suffix bool // the obligation id gets ":<code>"
	why    string
}

// matches reports whether the affected-individuals code (or establishment) falls in
// the rule jurisdiction ruleJ.
func matches(ruleJ, code string) bool {
	switch ruleJ {
	case "INTL":
		return true
	case "EEA":
		return isEEA(country(code))
	case "EU":
		return isEU(country(code))
	}
	if len(ruleJ) == 2 {
		return country(code) == ruleJ
	}
	return code == ruleJ
}

func (ix *index) in(ruleJ string) jmemo {
	if m, ok := ix.memo[ruleJ]; ok {
		return m
	}
	var m jmemo
	for _, c := range ix.codes {
		if matches(ruleJ, c) {
			m.count += ix.counts[c]
			if ix.counts[c] > 0 {
				m.codes = append(m.codes, c)
			}
		}
	}
	ix.memo[ruleJ] = m
	return m
}

func (ix *index) countIn(ruleJ string) int64 { return ix.in(ruleJ).count }

func (ix *index) affectedIn(ruleJ string) []string { return ix.in(ruleJ).codes }

// targets decides where, if anywhere, the rule's territorial scope is met.
func (ix *index) targets(r *regimes.Rule) ([]target, string) {
	j := r.Jurisdiction
	established := ix.establishment != "" && matches(j, ix.establishment)
	affected := ix.affectedIn(j)
	listed := ix.listed
	affectedWhy := func() string {
		return fmt.Sprintf("%d affected individuals in %s", ix.countIn(j), j)
	}
	switch r.Scope {
	case regimes.ScopeAny:
		return []target{{code: j, why: "organisation-based duty, wherever the affected people are"}}, ""
	case regimes.ScopeEstablished:
		if established {
			return []target{{code: j, why: "main establishment " + ix.establishment + " is in " + j}}, ""
		}
		return nil, "organization.main_establishment (" + orUnknown(ix.establishment) + ") is not in " + j
	case regimes.ScopeAffected:
		if len(affected) > 0 {
			return []target{{code: j, why: affectedWhy()}}, ""
		}
		return nil, "no affected individuals in " + j + " (" + listed + ")"
	}
	// affected_or_established
	if r.Routing == regimes.RoutingLeadOrEach {
		if established {
			c := country(ix.establishment)
			return []target{{code: c, why: "lead authority of the main establishment in " + c + " (one-stop-shop)"}}, ""
		}
		var out []target
		seen := map[string]bool{}
		for _, code := range affected {
			c := country(code)
			if seen[c] {
				continue
			}
			seen[c] = true
			out = append(out, target{code: c, suffix: true,
				why: fmt.Sprintf("%d affected individuals in %s; no main establishment in %s, so the authority of every affected country (EDPB Guidelines 9/2022 para 73)", ix.countIn(c), c, j)})
		}
		if len(out) > 0 {
			return out, ""
		}
		return nil, "no affected individuals in " + j + " (" + listed + ") and no main establishment there"
	}
	switch {
	case len(affected) > 0:
		return []target{{code: j, why: affectedWhy()}}, ""
	case established:
		return []target{{code: j, why: "main establishment " + ix.establishment + " is in " + j}}, ""
	}
	return nil, "no affected individuals in " + j + " (" + listed + ") and main establishment (" + orUnknown(ix.establishment) + ") not there"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

type tri int

const (
	no tri = iota
	yes
	unknown
)

// answer is one condition's verdict on the facts.
type answer struct {
	v tri
	// desc says what decided it; for unknown, which fact is unknown and how it is
	// read meanwhile.
	desc string
	// questions are the facts paths whose answers decide an unknown condition.
	questions []string
	// review are conditions the facts cannot express, for legal to confirm or
	// dismiss (an element set's confirm notes, or other data that may hide one).
	review []string
}

// verdict is a threshold's answer: met, met on readings of unknown facts (needs
// assessment), or failed.
type verdict struct {
	met       []string // what met it
	unknown   []string // unknown facts read as meeting it, each saying how it was read
	questions []string
	review    []string
	fail      string // not met, and why
}

func (v *verdict) add(o verdict) {
	v.met = appendNew(v.met, o.met...)
	v.unknown = appendNew(v.unknown, o.unknown...)
	v.questions = appendNew(v.questions, o.questions...)
	v.review = appendNew(v.review, o.review...)
	if v.fail == "" {
		v.fail = o.fail
	}
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// check evaluates a threshold for the target jurisdiction. An unknown fact is read
// the way under which the obligation applies (the earliest reading: a clock runs
// rather than none), and the verdict says so with the questions that decide it.
func (ix *index) check(th regimes.Threshold, j string) verdict {
	var v verdict
	for _, c := range th.All {
		a := ix.cond(c, j, false)
		v.review = appendNew(v.review, a.review...)
		switch a.v {
		case no:
			v.fail = a.desc
			return v
		case unknown:
			v.unknown = append(v.unknown, a.desc)
			v.questions = appendNew(v.questions, a.questions...)
		default:
			v.met = append(v.met, a.desc)
		}
	}
	if len(th.Any) > 0 {
		var unk, fails, q, review []string
		var met *answer
		for _, c := range th.Any {
			a := ix.cond(c, j, false)
			switch a.v {
			case yes:
				if met == nil {
					met = &a
				}
			case unknown:
				unk = append(unk, a.desc)
				q = appendNew(q, a.questions...)
			default:
				fails = append(fails, a.desc)
				review = appendNew(review, a.review...)
			}
		}
		switch {
		case met != nil:
			v.met = append(v.met, met.desc)
			v.review = appendNew(v.review, met.review...)
		case len(unk) > 0:
			v.unknown = append(v.unknown, strings.Join(unk, ", or "))
			v.questions = appendNew(v.questions, q...)
		default:
			v.review = appendNew(v.review, review...)
			v.fail = "none of: " + strings.Join(fails, "; ")
			return v
		}
	}
	for _, c := range th.None {
		a := ix.cond(c, j, true)
		switch a.v {
		case yes:
			v.fail = "excluded: " + a.desc
			return v
		case unknown:
			v.unknown = append(v.unknown, a.desc)
			v.questions = appendNew(v.questions, a.questions...)
		}
	}
	return v
}

// assess decides whether a threshold the facts do not meet still leaves the
// obligation to assessment (Threshold.Assess).
func (ix *index) assess(th regimes.Threshold, j string, failed verdict) (verdict, bool) {
	a := th.Assess
	if a == nil {
		return failed, false
	}
	var v verdict
	for _, c := range a.When {
		ans := ix.cond(c, j, false)
		if ans.v == no {
			continue
		}
		v.met = append(v.met, ans.desc)
		v.unknown = []string{failed.fail + "; " + a.Text}
		v.questions = appendNew(append([]string(nil), a.Questions...), ans.questions...)
		v.review = failed.review
		return v, true
	}
	return failed, false
}

var riskLevel = map[string]int{"unlikely": 0, "risk": 1, "high": 2}

// reading words how an unknown condition is read: as holding, or (in a none list)
// as not holding.
func reading(negate bool, holds, fails string) string {
	if negate {
		return "read as " + fails + " until answered"
	}
	return "read as " + holds + " until answered"
}

// cond evaluates one condition: yes, no, or unknown (a fact missing from the
// document), with words saying which. negate is true in a none list, where an
// unknown fact is read as the condition not holding.
func (ix *index) cond(c regimes.Condition, j string, negate bool) answer {
	d := ix.d
	switch {
	case c.Role != "":
		switch d.Organization.Role {
		case "":
			if c.Role == "controller" {
				return answer{v: unknown, desc: "organization.role unknown, " + reading(negate, "controller", "not controller"), questions: []string{"organization.role"}}
			}
			return answer{v: no, desc: "organization.role unknown; this duty binds a " + c.Role + " (irflow treats an unknown role as controller)"}
		case c.Role:
			return answer{v: yes, desc: "organization.role is " + c.Role}
		}
		return answer{v: no, desc: "organization.role is " + d.Organization.Role + ", this duty binds a " + c.Role}
	case c.RiskAtLeast != "":
		lvl, ok := riskLevel[d.Risk]
		if !ok {
			return answer{v: unknown, desc: "risk not assessed, " + reading(negate, "at least "+c.RiskAtLeast, "below "+c.RiskAtLeast), questions: []string{"risk"}}
		}
		if lvl >= riskLevel[c.RiskAtLeast] {
			return answer{v: yes, desc: "risk is " + d.Risk + " (at least " + c.RiskAtLeast + ")"}
		}
		return answer{v: no, desc: "risk is " + d.Risk + ", below " + c.RiskAtLeast}
	case c.Flags != nil:
		for _, f := range c.Flags {
			if ix.flags[f] {
				return answer{v: yes, desc: "organization flag " + f}
			}
		}
		return answer{v: no, desc: "organization.flags has none of " + strings.Join(c.Flags, ", ")}
	case c.Categories != nil:
		if len(ix.cats) == 0 {
			list := strings.Join(c.Categories, "/")
			return answer{v: unknown, desc: "data_categories unknown, " + reading(negate, "including "+list, "including none of "+list), questions: []string{"data_categories"}}
		}
		for _, cat := range c.Categories {
			if ix.cats[cat] {
				return answer{v: yes, desc: "data category " + cat + " affected"}
			}
		}
		return answer{v: no, desc: "no affected data category among " + strings.Join(c.Categories, ", ")}
	case c.Elements != "":
		return ix.elements(c.Elements, negate)
	case c.Impact != nil:
		var open []string
		for _, f := range c.Impact {
			switch p := d.Impact.Get(f); {
			case p == nil:
				open = append(open, "impact."+f)
			case *p:
				return answer{v: yes, desc: "impact." + f + " is true"}
			}
		}
		if len(open) == 0 {
			return answer{v: no, desc: "impact: " + strings.Join(c.Impact, ", ") + " all false"}
		}
		return answer{v: unknown, desc: strings.Join(open, ", ") + " not assessed, " + reading(negate, "one of them true", "all false"), questions: open}
	case c.All != nil:
		var met, unk, q, review []string
		for _, sub := range c.All {
			a := ix.cond(sub, j, negate)
			review = appendNew(review, a.review...)
			switch a.v {
			case no:
				return answer{v: no, desc: a.desc, review: review}
			case unknown:
				unk = append(unk, a.desc)
				q = appendNew(q, a.questions...)
			default:
				met = append(met, a.desc)
			}
		}
		if len(unk) > 0 {
			return answer{v: unknown, desc: strings.Join(append(met, unk...), " and "), questions: q, review: review}
		}
		return answer{v: yes, desc: strings.Join(met, " and "), review: review}
	case c.Count != nil:
		var n int64
		var what string
		switch c.Count.Of {
		case "total":
			n, what = ix.total, "affected individuals in total"
		case "each":
			best := ""
			for _, code := range ix.codes {
				if matches(j, code) && code != j && ix.counts[code] >= n {
					n, best = ix.counts[code], code
				}
			}
			what = "affected individuals in " + orUnknown(best) + " (largest single jurisdiction in " + j + ")"
		default:
			n, what = ix.countIn(j), "affected individuals in "+j
		}
		if !ix.countsKnown {
			if c.Count.Op == ">" || c.Count.Op == ">=" {
				cmp := c.Count.Op + " " + fmt.Sprint(c.Count.Value)
				return answer{v: unknown, desc: "affected-individual counts unknown, " + reading(negate, cmp, "not "+cmp), questions: []string{"affected.individuals"}}
			}
			return answer{v: no, desc: "affected-individual counts unknown; this duty needs " + c.Count.Op + " " + fmt.Sprint(c.Count.Value)}
		}
		var ok bool
		switch c.Count.Op {
		case ">":
			ok = n > c.Count.Value
		case ">=":
			ok = n >= c.Count.Value
		case "<":
			ok = n < c.Count.Value
		case "<=":
			ok = n <= c.Count.Value
		}
		if ok {
			return answer{v: yes, desc: fmt.Sprintf("%d %s %s %d", n, what, c.Count.Op, c.Count.Value)}
		}
		return answer{v: no, desc: fmt.Sprintf("%d %s, not %s %d", n, what, c.Count.Op, c.Count.Value)}
	case c.NotEncrypted:
		switch {
		case d.EncryptedUnusable == nil:
			return answer{v: unknown, desc: "encrypted_unusable unknown, " + reading(negate, "readable data", "encrypted data"), questions: []string{"encrypted_unusable"}}
		case *d.EncryptedUnusable:
			return answer{v: no, desc: "data was encrypted and the key not compromised (encrypted_unusable)"}
		}
		return answer{v: yes, desc: "data not encrypted_unusable"}
	case c.Cause != "":
		what := strings.ReplaceAll(c.Cause, "_", " ")
		v, open := ix.malicious, ix.maliciousOpen
		if c.Cause == "external_access" {
			v, open = ix.external, ix.externalOpen
		}
		switch v {
		case yes:
			return answer{v: yes, desc: "cause indicates " + what}
		case no:
			return answer{v: no, desc: "cause does not indicate " + what}
		}
		return answer{v: unknown, desc: "cause unknown (" + strings.Join(open, ", ") + " unanswered), " + reading(negate, what, "not "+what), questions: open}
	}
	return answer{v: no, desc: "empty condition"}
}

// elements tests an element set against the affected data categories on the
// incident's date (reference section 6): any listed category in force triggers; a
// category listed only under a condition the facts cannot express triggers with the
// condition shown to confirm; other alone never triggers but is flagged for review.
func (ix *index) elements(id string, negate bool) answer {
	es, ok := ix.sets[id]
	if !ok {
		return answer{v: no, desc: "no element set " + id}
	}
	if len(ix.cats) == 0 {
		return answer{v: unknown, questions: []string{"data_categories"},
			desc: "data_categories unknown, " + reading(negate, "including personal information under "+es.Citation, "including none")}
	}
	var plain, conditional, later, notes []string
	var confirm []string
	for _, e := range es.Elements {
		if !ix.cats[e.Category] {
			continue
		}
		if e.From != "" && ix.day != "" && ix.day < e.From {
			later = append(later, e.Category+" (listed from "+e.From+")")
			continue
		}
		if e.Note != "" {
			notes = append(notes, e.Category+": "+e.Note)
		}
		if e.Confirm != "" {
			conditional = append(conditional, e.Category)
			confirm = append(confirm, "confirm for "+e.Category+" ("+es.Citation+"): "+e.Confirm)
			continue
		}
		plain = append(plain, e.Category)
	}
	suffix := ""
	if len(notes) > 0 {
		suffix = " (" + strings.Join(notes, "; ") + ")"
	}
	switch {
	case len(plain) > 0:
		return answer{v: yes, desc: "data category " + strings.Join(plain, ", ") + " is personal information under " + es.Citation + " (with a name, assumed as in almost every help-desk breach)" + suffix}
	case len(conditional) > 0:
		return answer{v: yes, review: confirm,
			desc: "data category " + strings.Join(conditional, ", ") + " counts as personal information under " + es.Citation + " on a condition the facts cannot express, to confirm" + suffix}
	}
	desc := "no affected data category is personal information under " + es.Citation + " (" + strings.Join(ix.d.DataCategories, ", ") + " affected)"
	if len(later) > 0 {
		desc += "; not yet listed on " + ix.day + ": " + strings.Join(later, ", ")
	}
	var review []string
	if ix.cats["other"] {
		note := es.Other
		if note == "" {
			note = "check whether the other data holds an element " + es.Citation + " lists"
		}
		review = []string{"other data (" + es.Citation + "): never triggers this law alone, but it can hide a listed element: " + note}
	}
	return answer{v: no, desc: desc, review: review}
}

// country returns the ISO 3166-1 country of an ISO 3166-1 or 3166-2 code.
func country(code string) string { return facts.Country(code) }

// euMembers are the EU member states; the EEA adds Iceland, Liechtenstein, Norway.
var euMembers = map[string]string{
	"AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "HR": "Europe/Zagreb",
	"CY": "Asia/Nicosia", "CZ": "Europe/Prague", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn",
	"FI": "Europe/Helsinki", "FR": "Europe/Paris", "DE": "Europe/Berlin", "GR": "Europe/Athens",
	"HU": "Europe/Budapest", "IE": "Europe/Dublin", "IT": "Europe/Rome", "LV": "Europe/Riga",
	"LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "MT": "Europe/Malta", "NL": "Europe/Amsterdam",
	"PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest", "SK": "Europe/Bratislava",
	"SI": "Europe/Ljubljana", "ES": "Europe/Madrid", "SE": "Europe/Stockholm",
}

var eeaOnly = map[string]string{"IS": "Atlantic/Reykjavik", "LI": "Europe/Vaduz", "NO": "Europe/Oslo"}

// isEU reports EU membership of a country code.
func isEU(c string) bool { _, ok := euMembers[c]; return ok }

// isEEA reports EEA membership (the facts package owns the list).
func isEEA(c string) bool { return facts.IsEEA(c) }

// zoneOf is the time zone of the main establishment's country, for EU rules whose
// day-based deadlines run in "the entity's Member State" (DORA RTS Art. 5); Brussels
// when the establishment is unknown or outside the union.
func zoneOf(establishment string) string {
	c := country(establishment)
	if z, ok := euMembers[c]; ok {
		return z
	}
	if z, ok := eeaOnly[c]; ok {
		return z
	}
	return "Europe/Brussels"
}
