package obligations

import (
	"fmt"
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
	causeKnown    bool
	malicious     bool
	external      bool
	// memo caches, per rule jurisdiction, the affected codes inside it and their sum.
	memo map[string]jmemo
}

type jmemo struct {
	codes []string
	count int64
}

func newIndex(d facts.Document) *index {
	ix := &index{d: &d, counts: map[string]int64{}, flags: map[string]bool{}, cats: map[string]bool{}, memo: map[string]jmemo{}}
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

	c := d.Cause
	credentials := oneOf(c.CredentialsUsed, "password", "api_token", "oauth_token", "session", "sso")
	insider := c.Insider != nil && *c.Insider
	userContent := c.UserContent != nil && *c.UserContent
	vuln := c.ServiceVulnerability == "yes"
	ransom := d.Timeline.RansomPaidAt != nil
	ix.causeKnown = (c.CredentialsUsed != "" && c.CredentialsUsed != "unknown") || c.Insider != nil ||
		c.UserContent != nil || c.ServiceVulnerability == "yes" || c.ServiceVulnerability == "no" || ransom
	// Wrongful purpose (APPI category 3): someone used the instance's credentials
	// without authority, an insider acted, malicious content came in, or a ransom was
	// demanded and paid.
	ix.malicious = credentials || insider || userContent || ransom
	// External unauthorised access (PIPA Art. 34(3)): an outsider got in, through
	// credentials, content or a Service vulnerability.
	ix.external = (credentials || userContent || vuln) && !insider
	return ix
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

// check evaluates a threshold for the target jurisdiction. It returns what decided
// it, what was assumed for unknown facts, and, when it is not met, why not.
func (ix *index) check(th regimes.Threshold, j string) (reasons, assumed []string, fail string) {
	for _, c := range th.All {
		v, desc := ix.cond(c, j)
		switch v {
		case no:
			return nil, nil, desc
		case unknown:
			assumed = append(assumed, desc)
		default:
			reasons = append(reasons, desc)
		}
	}
	if len(th.Any) > 0 {
		var unk, fails []string
		met := ""
		for _, c := range th.Any {
			v, desc := ix.cond(c, j)
			switch v {
			case yes:
				if met == "" {
					met = desc
				}
			case unknown:
				unk = append(unk, desc)
			default:
				fails = append(fails, desc)
			}
		}
		switch {
		case met != "":
			reasons = append(reasons, met)
		case len(unk) > 0:
			assumed = append(assumed, strings.Join(unk, " or "))
		default:
			return nil, nil, "none of: " + strings.Join(fails, "; ")
		}
	}
	for _, c := range th.None {
		v, desc := ix.cond(c, j)
		switch v {
		case yes:
			return nil, nil, "excluded: " + desc
		case unknown:
			assumed = append(assumed, "not "+desc)
		}
	}
	return reasons, assumed, ""
}

var riskLevel = map[string]int{"unlikely": 0, "risk": 1, "high": 2}

// cond evaluates one condition: yes, no, or unknown (a fact missing from the
// document), with words saying which.
func (ix *index) cond(c regimes.Condition, j string) (tri, string) {
	d := ix.d
	switch {
	case c.Role != "":
		switch d.Organization.Role {
		case "":
			if c.Role == "controller" {
				return unknown, "organization.role unknown, treated as controller"
			}
			return no, "organization.role unknown; this duty binds a " + c.Role + " (irflow treats an unknown role as controller)"
		case c.Role:
			return yes, "organization.role is " + c.Role
		}
		return no, "organization.role is " + d.Organization.Role + ", this duty binds a " + c.Role
	case c.RiskAtLeast != "":
		lvl, ok := riskLevel[d.Risk]
		if !ok {
			return unknown, "risk not assessed, treated as at least " + c.RiskAtLeast + " until assessed"
		}
		if lvl >= riskLevel[c.RiskAtLeast] {
			return yes, "risk is " + d.Risk + " (at least " + c.RiskAtLeast + ")"
		}
		return no, "risk is " + d.Risk + ", below " + c.RiskAtLeast
	case c.Flags != nil:
		for _, f := range c.Flags {
			if ix.flags[f] {
				return yes, "organization flag " + f
			}
		}
		return no, "organization.flags has none of " + strings.Join(c.Flags, ", ")
	case c.Categories != nil:
		if len(ix.cats) == 0 {
			return unknown, "data categories unknown, assumed to include " + strings.Join(c.Categories, "/")
		}
		for _, cat := range c.Categories {
			if ix.cats[cat] {
				return yes, "data category " + cat + " affected"
			}
		}
		return no, "no affected data category among " + strings.Join(c.Categories, ", ")
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
				return unknown, "affected-individual counts unknown, assumed " + c.Count.Op + " " + fmt.Sprint(c.Count.Value) + " until counted"
			}
			return no, "affected-individual counts unknown; this duty needs " + c.Count.Op + " " + fmt.Sprint(c.Count.Value)
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
			return yes, fmt.Sprintf("%d %s %s %d", n, what, c.Count.Op, c.Count.Value)
		}
		return no, fmt.Sprintf("%d %s, not %s %d", n, what, c.Count.Op, c.Count.Value)
	case c.NotEncrypted:
		switch {
		case d.EncryptedUnusable == nil:
			return unknown, "encryption unknown, data treated as readable"
		case *d.EncryptedUnusable:
			return no, "data was encrypted and the key not compromised (encrypted_unusable)"
		}
		return yes, "data not encrypted_unusable"
	case c.Cause != "":
		if !ix.causeKnown {
			return unknown, "cause unknown, treated as " + strings.ReplaceAll(c.Cause, "_", " ")
		}
		hit := ix.malicious
		if c.Cause == "external_access" {
			hit = ix.external
		}
		if hit {
			return yes, "cause indicates " + strings.ReplaceAll(c.Cause, "_", " ")
		}
		return no, "cause does not indicate " + strings.ReplaceAll(c.Cause, "_", " ")
	}
	return no, "empty condition"
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
