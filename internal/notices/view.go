package notices

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// view is what a template sees: the values drafted from the record, and the funcs
// need/has/get/list over them. need records what is missing instead of failing at
// the first gap, so one refusal names every missing fact.
type view struct {
	IncidentID   string
	Title        string
	Obligation   string
	Rule         string
	RuleTitle    string
	Citation     string
	Jurisdiction string
	Date         string
	// Late is true when the notice is drafted after the obligation's deadline.
	Late bool
	Due  string
	// CreditAgencies is true when identity numbers were involved, for which
	// California requires the credit reporting agencies' contact details
	// (Civ. Code 1798.82(d)(2)(G)).
	CreditAgencies bool

	values  map[string]string
	lists   map[string][]string
	missing []Missing
}

// categoryText names each facts data category in words a reader understands.
var categoryText = map[string]string{
	"contact":           "contact details (names, email addresses, phone numbers)",
	"credentials":       "login credentials (usernames, email addresses with passwords or security answers)",
	"government_id":     "government identification numbers",
	"financial":         "financial account information",
	"payment_card":      "payment card information",
	"health":            "health information",
	"genetic_biometric": "genetic or biometric data",
	"special_category":  "special categories of personal data (GDPR Art. 9)",
	"children":          "personal data of children",
	"location":          "location data",
	"other":             "other personal data",
}

// consequenceText is the likely consequence of each category (Art. 33(3)(c)).
var consequenceText = map[string]string{
	"contact":           "phishing and other unsolicited messages that use the people's names and contact details to look genuine",
	"credentials":       "unauthorised access to accounts that use the same credentials",
	"government_id":     "identity theft and fraud using identity document numbers",
	"financial":         "fraudulent transactions on financial accounts",
	"payment_card":      "fraudulent card payments",
	"health":            "disclosure of health information, with the distress or discrimination that can follow",
	"genetic_biometric": "misuse of biometric or genetic data, which cannot be changed",
	"special_category":  "disclosure of sensitive information, with the distress or discrimination that can follow",
	"children":          "risks to children, who are less able to recognise and avoid them",
	"location":          "tracking of people's whereabouts",
	"other":             "consequences that depend on the information involved, which is still being assessed",
}

// adviceText is what a person can do about each category (Art. 34(2) asks for
// measures to mitigate possible adverse effects; California for "What You Can Do").
var adviceText = map[string]string{
	"contact":       "Be wary of emails, calls or messages that mention this incident or ask for your details. We will never ask you for your password.",
	"credentials":   "Change your password for our service and anywhere else you use the same one, and turn on two-step verification.",
	"government_id": "Consider placing a fraud alert or a security freeze with the credit reporting agencies.",
	"financial":     "Check your account statements and tell your bank about any transaction you do not recognise.",
	"payment_card":  "Check your card statements and tell your card issuer about any payment you do not recognise.",
	"health":        "Check statements from your health insurer for services you did not receive.",
}

func newView(r Record) *view {
	o := r.Obligation
	v := &view{
		IncidentID:   r.IncidentID,
		Title:        r.Title,
		Obligation:   o.ID,
		Rule:         o.Rule,
		RuleTitle:    o.Title,
		Citation:     o.Citation,
		Jurisdiction: o.Jurisdiction,
		Date:         r.Now.UTC().Format("2 January 2006"),
		values:       map[string]string{},
		lists:        map[string][]string{},
	}
	if o.DueAt != nil {
		v.Due = o.DueAt.UTC().Format(time.RFC3339)
		v.Late = r.Now.After(*o.DueAt)
	}
	f := r.Facts
	set := func(k, val string) {
		if strings.TrimSpace(val) != "" {
			v.values[k] = strings.TrimSpace(val)
		}
	}
	set("summary", f.Summary)
	var cats, cons, advice []string
	for _, c := range f.DataCategories {
		if t, ok := categoryText[c]; ok {
			cats = append(cats, t)
		} else {
			cats = append(cats, c)
		}
		if c == "government_id" {
			v.CreditAgencies = true
		}
		if t, ok := consequenceText[c]; ok {
			cons = append(cons, t)
		}
		if t, ok := adviceText[c]; ok {
			advice = append(advice, t)
		}
	}
	if len(cats) > 0 {
		v.lists["data_categories"] = cats
		set("data_categories", joinAnd(cats))
	}
	if len(cons) > 0 {
		set("consequences", capitalise(joinAnd(cons))+".")
	}
	if len(advice) > 0 {
		advice = append(advice, "Stay alert to unexpected messages about this incident.")
		v.lists["what_you_can_do"] = advice
		set("what_you_can_do", strings.Join(advice, " "))
	}
	if len(f.Affected.Individuals) > 0 {
		var total int64
		parts := make([]string, 0, len(f.Affected.Individuals))
		for _, jc := range f.Affected.Individuals {
			total += jc.Count
			parts = append(parts, jc.Jurisdiction+": "+thousands(jc.Count))
		}
		sort.Strings(parts)
		set("affected.individuals", fmt.Sprintf("approximately %s (%s)", thousands(total), strings.Join(parts, "; ")))
		for _, jc := range f.Affected.Individuals {
			if jc.Jurisdiction == o.Jurisdiction {
				set("affected.individuals.here", thousands(jc.Count))
			}
		}
	}
	if f.Affected.Records != nil {
		set("affected.records", "approximately "+thousands(*f.Affected.Records))
	}
	if t := f.Timeline.AwareAt; t != nil {
		set("aware_at", t.UTC().Format("2 January 2006 15:04 MST"))
	}
	if t := f.Timeline.ZendeskNoticeReceivedAt; t != nil {
		set("zendesk_notice_received_at", t.UTC().Format("2 January 2006 15:04 MST"))
	}
	if w := f.Zendesk.Window; w != nil && w.From != nil {
		to := "an end not yet established"
		if w.To != nil {
			to = w.To.UTC().Format("2 January 2006")
		}
		set("breach_window", "between "+w.From.UTC().Format("2 January 2006")+" and "+to)
	}
	if len(r.Measures) > 0 {
		v.lists["measures_taken"] = r.Measures
		set("measures_taken", strings.Join(r.Measures, "; "))
	}
	for k, val := range r.Inputs {
		set(k, val)
		if k == "measures_taken" || k == "what_you_can_do" {
			v.lists[k] = []string{strings.TrimSpace(val)}
		}
	}
	return v
}

// need returns a fact's value, or records it as missing and returns a marker.
func (v *view) need(name string) string {
	if val, ok := v.values[name]; ok {
		return val
	}
	for _, m := range v.missing {
		if m.Fact == name {
			return "[missing: " + name + "]"
		}
	}
	v.missing = append(v.missing, Missing{Fact: name, Hint: hint(name)})
	return "[missing: " + name + "]"
}

func (v *view) has(name string) bool { _, ok := v.values[name]; return ok }

func (v *view) get(name string) string { return v.values[name] }

// list returns a fact as lines (the data categories, each measure), recording it as
// missing when absent.
func (v *view) list(name string) []string {
	if l, ok := v.lists[name]; ok && len(l) > 0 {
		return l
	}
	if val, ok := v.values[name]; ok {
		return []string{val}
	}
	v.need(name)
	return []string{"[missing: " + name + "]"}
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
