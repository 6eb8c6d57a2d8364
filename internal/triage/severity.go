package triage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"irflow/internal/facts"
)

// Operational thresholds (not legal ones: notification thresholds come only from
// the reference notification rules, in the obligations engine).
const (
	// largeScale people or records make an incident large: at that size, end-user
	// notification is a project of its own and regulators ask for a contact point.
	largeScale = 10_000
	// massScale people or records make a high-risk incident a SEV1 even without
	// sensitive data.
	massScale = 100_000
)

// sensitiveCategories are the data categories whose exposure can directly harm
// people (fraud, account takeover, discrimination) and that most breach laws single
// out. The others (contact, location, other) are personal data, but not sensitive.
var sensitiveCategories = []string{
	"credentials", "government_id", "financial", "payment_card",
	"health", "genetic_biometric", "special_category", "children",
}

// signals are the facts severity looks at, read once from the document.
type signals struct {
	sensitive  []string // sensitive categories present, in document order
	categories []string
	people     int64
	peopleOK   bool
	records    int64
	recordsOK  bool
	ongoing    *bool
	privileged string // why access was privileged, "" when it was not (or is unknown)
	risk       string
	encrypted  bool
}

// scale is the size of the incident: the larger of people and records, when known.
func (s signals) scale() (int64, bool) {
	switch {
	case s.peopleOK && s.recordsOK:
		return max(s.people, s.records), true
	case s.peopleOK:
		return s.people, true
	case s.recordsOK:
		return s.records, true
	}
	return 0, false
}

func (s signals) scaleText() string {
	var parts []string
	if s.peopleOK {
		parts = append(parts, thousands(s.people)+" people (affected.individuals)")
	}
	if s.recordsOK {
		parts = append(parts, thousands(s.records)+" records (affected.records)")
	}
	return strings.Join(parts, " in ")
}

// severityRule is one row of the severity table. dataDriven rows rate what was
// exposed; data encrypted with an uncompromised key (encrypted_unusable) lowers
// them one level. Rows about the attacker's access do not: encryption does not stop
// an attacker who is still inside.
type severityRule struct {
	id         string
	level      Severity
	dataDriven bool
	when       func(s signals) bool
	reason     func(s signals) string
}

// severityRules is the severity table. The first row that holds sets the severity;
// rows are ordered from most to least severe, except that the SEV4 rows come before
// the SEV3 ones so that "nothing was exposed" beats "personal data was involved".
var severityRules = []severityRule{
	{
		id: "ongoing-privileged", level: SEV1,
		when: func(s signals) bool { return s.ongoing != nil && *s.ongoing && s.privileged != "" },
		reason: func(s signals) string {
			return "the attacker is still active (ongoing: true) with privileged access: " + s.privileged
		},
	},
	{
		id: "sensitive-at-scale", level: SEV1, dataDriven: true,
		when: func(s signals) bool { n, ok := s.scale(); return len(s.sensitive) > 0 && ok && n >= largeScale },
		reason: func(s signals) string {
			return fmt.Sprintf("sensitive data (data_categories: %s) of %s, at least %s",
				strings.Join(s.sensitive, ", "), s.scaleText(), thousands(largeScale))
		},
	},
	{
		id: "high-risk-mass", level: SEV1, dataDriven: true,
		when: func(s signals) bool { n, ok := s.scale(); return s.risk == "high" && ok && n >= massScale },
		reason: func(s signals) string {
			return fmt.Sprintf("high risk to people (risk: high) across %s, at least %s",
				s.scaleText(), thousands(massScale))
		},
	},
	{
		id: "ongoing", level: SEV2,
		when:   func(s signals) bool { return s.ongoing != nil && *s.ongoing },
		reason: func(s signals) string { return "the incident is still going on (ongoing: true)" },
	},
	{
		id: "privileged", level: SEV2,
		when:   func(s signals) bool { return s.privileged != "" },
		reason: func(s signals) string { return "privileged access was used: " + s.privileged },
	},
	{
		id: "sensitive", level: SEV2, dataDriven: true,
		when: func(s signals) bool { return len(s.sensitive) > 0 },
		reason: func(s signals) string {
			r := "sensitive data (data_categories: " + strings.Join(s.sensitive, ", ") + ")"
			if t := s.scaleText(); t != "" {
				r += " of " + t
			}
			return r
		},
	},
	{
		id: "large", level: SEV2, dataDriven: true,
		when: func(s signals) bool { n, ok := s.scale(); return ok && n >= largeScale },
		reason: func(s signals) string {
			return fmt.Sprintf("%s, at least %s", s.scaleText(), thousands(largeScale))
		},
	},
	{
		id: "high-risk", level: SEV2, dataDriven: true,
		when:   func(s signals) bool { return s.risk == "high" },
		reason: func(s signals) string { return "high risk to people's rights and freedoms (risk: high)" },
	},
	{
		id: "nothing-exposed", level: SEV4, dataDriven: true,
		when: func(s signals) bool { n, ok := s.scale(); return ok && n == 0 },
		reason: func(s signals) string {
			return "no affected people or records (" + s.scaleText() + ")"
		},
	},
	{
		id: "risk-unlikely", level: SEV4, dataDriven: true,
		when: func(s signals) bool { return s.risk == "unlikely" },
		reason: func(s signals) string {
			return "a risk to people is assessed as unlikely (risk: unlikely), with no sensitive data"
		},
	},
	{
		id: "personal-data", level: SEV3, dataDriven: true,
		when: func(s signals) bool {
			n, ok := s.scale()
			return len(s.categories) > 0 || (ok && n > 0) || s.risk != ""
		},
		reason: func(s signals) string {
			var parts []string
			if len(s.categories) > 0 {
				parts = append(parts, "data_categories: "+strings.Join(s.categories, ", "))
			}
			if t := s.scaleText(); t != "" {
				parts = append(parts, t)
			}
			if s.risk != "" {
				parts = append(parts, "risk: "+s.risk)
			}
			return "personal data without sensitive categories (" + strings.Join(parts, "; ") + ")"
		},
	},
	{
		// Too little is known to rate it lower: treat it as a real incident until the
		// facts say otherwise.
		id: "scope-unknown", level: SEV3,
		when: func(signals) bool { return true },
		reason: func(signals) string {
			return "what was exposed is not yet known (no data_categories, affected counts or risk); " +
				"rated SEV3 until the facts say otherwise"
		},
	},
}

func readSignals(d facts.Document) signals {
	s := signals{categories: d.DataCategories, ongoing: d.Ongoing, risk: d.Risk}
	for _, c := range d.DataCategories {
		if slices.Contains(sensitiveCategories, c) && !slices.Contains(s.sensitive, c) {
			s.sensitive = append(s.sensitive, c)
		}
	}
	for _, ind := range d.Affected.Individuals {
		s.people += ind.Count
		s.peopleOK = true
	}
	if d.Affected.Records != nil {
		s.records, s.recordsOK = *d.Affected.Records, true
	}
	s.encrypted = d.EncryptedUnusable != nil && *d.EncryptedUnusable
	// Privileged access: a Zendesk API token authenticates as any user named with it,
	// admins included, so a leaked token is account-wide access; an OAuth client can be
	// granted tokens for any user who authorises it. The facts contract has no explicit
	// "admin account" fact, so these are the privileged accesses it can show.
	switch {
	case d.Cause.CredentialsUsed == "api_token":
		s.privileged = "an API token, which acts as any user of the instance, admins included (cause.credentials_used: api_token)"
	case len(d.Zendesk.APITokens) > 0:
		s.privileged = "an API token, which acts as any user of the instance, admins included (zendesk.api_tokens)"
	case len(d.Zendesk.OAuthClients) > 0:
		s.privileged = "an OAuth client, which can obtain tokens for the users who authorise it (zendesk.oauth_clients)"
	}
	return s
}

// Rate returns the severity of the incident described by d and the reason, from
// the first row of the severity table that holds.
func Rate(d facts.Document) (Severity, string) {
	s := readSignals(d)
	for _, r := range severityRules {
		if !r.when(s) {
			continue
		}
		level, reason := r.level, r.reason(s)
		if r.dataDriven && s.encrypted && level != SEV4 {
			level = level.lower()
			reason += fmt.Sprintf("; lowered from %s to %s because the data was encrypted and the key was not "+
				"compromised (encrypted_unusable: true)", r.level, level)
		}
		return level, reason
	}
	panic("triage: the severity table has no default row") // scope-unknown always holds
}

// thousands formats n with comma separators: 12800 -> "12,800".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
