// Package triage rates an incident's severity and suggests the playbooks that fit
// it, from the incident facts document alone. Like ownership, it is pure: no I/O, no
// clock, so the workflow can call it deterministically and legal and responders can
// run what-ifs from the CLI.
//
// Severity drives response urgency, not legal duties: which regulator must be told,
// and by when, is the obligations engine's job, from the reference notification
// rules. The thresholds below are operational choices, documented in one table.
package triage

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"irflow/internal/facts"
	"irflow/internal/ownership"
)

// Severity is SEV1 (most severe) to SEV4.
type Severity string

// The severity levels.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

var levels = []Severity{SEV1, SEV2, SEV3, SEV4}

// lower returns the next less severe level (SEV4 stays SEV4).
func (s Severity) lower() Severity {
	i := slices.Index(levels, s)
	return levels[min(i+1, len(levels)-1)]
}

// Result is the triage of an incident.
type Result struct {
	Severity Severity `json:"severity"`
	// SeverityReason says which rule set the severity, citing the facts it used.
	SeverityReason string `json:"severity_reason"`
	// SuggestedPlaybooks are the playbooks whose clauses or triggers match, best
	// first. Empty (never null) when none match.
	SuggestedPlaybooks []Suggestion `json:"suggested_playbooks"`
}

// Suggestion is one suggested playbook, with why it matched.
type Suggestion struct {
	ID string `json:"id"`
	// Score ranks suggestions: 3 per declared cause clause the ownership
	// determination cites (SRM-VI.S.i–iv, SRM-VI.Z), 1 per other cited clause, 1 per
	// trigger that holds.
	Score int `json:"score"`
	// Matched lists each clause and trigger that matched, in declaration order.
	Matched []string `json:"matched"`
}

// PlaybookRef is what triage needs to know of a playbook: its id, the SRM clauses it
// implements and the facts that trigger it. The playbook loader builds these from
// the playbook files.
type PlaybookRef struct {
	ID       string    `yaml:"id" json:"id"`
	Clauses  []string  `yaml:"clauses" json:"clauses"`
	Triggers []Trigger `yaml:"triggers" json:"triggers"`
}

// Trigger matches when the fact at Field (a dotted facts JSON path such as
// cause.credentials_used; booleans compare as "true"/"false"; for a list such as
// data_categories, any element) has one of the values In. Each trigger is an
// independent signal: a playbook need not match all of them.
type Trigger struct {
	Field string   `yaml:"field" json:"field"`
	In    []string `yaml:"in" json:"in"`
}

// ValidateTrigger reports whether t names a fact that exists and values that fact
// can take, so that a typo in a playbook file fails loading instead of never
// matching.
func ValidateTrigger(t Trigger) error {
	allowed, err := facts.Allowed(t.Field)
	if err != nil {
		return fmt.Errorf("trigger %w", err)
	}
	if len(t.In) == 0 {
		return fmt.Errorf("trigger %s: in must list at least one value", t.Field)
	}
	for i, v := range t.In {
		if allowed != nil && !slices.Contains(allowed, v) {
			return fmt.Errorf("trigger %s: in[%d]: %q is not one of %s", t.Field, i, v, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// ValidateRef checks a playbook reference: an id, valid triggers, and at least one
// clause the ownership rules can cite or one trigger, since a playbook with neither
// could never be suggested. Whether each clause id exists in the model is the
// playbook loader's check.
func ValidateRef(p PlaybookRef) error {
	if strings.TrimSpace(p.ID) == "" {
		return fmt.Errorf("playbook id must not be empty")
	}
	for i, t := range p.Triggers {
		if err := ValidateTrigger(t); err != nil {
			return fmt.Errorf("playbook %s: triggers[%d]: %w", p.ID, i, err)
		}
	}
	citable := ownership.Clauses()
	if len(p.Triggers) == 0 && !slices.ContainsFunc(p.Clauses, func(c string) bool { return slices.Contains(citable, c) }) {
		return fmt.Errorf("playbook %s: declares no trigger and no clause an ownership determination can cite (%s), "+
			"so it can never be suggested", p.ID, strings.Join(citable, ", "))
	}
	return nil
}

// Assess triages the incident described by d: its severity, and the playbooks
// that fit it, matched against the ownership determination of d.
func Assess(d facts.Document, playbooks []PlaybookRef) Result {
	return AssessWith(d, ownership.Determine(d), playbooks)
}

// AssessWith is Assess with an ownership determination the caller already has (the
// workflow records one per revision of the facts).
func AssessWith(d facts.Document, det ownership.Determination, playbooks []PlaybookRef) Result {
	sev, reason := Rate(d)
	return Result{Severity: sev, SeverityReason: reason, SuggestedPlaybooks: Suggest(d, det, playbooks)}
}

// causeClauses are the clauses that name a cause of the incident (SRM section VI).
// A playbook is suggested when it declares one that the determination cites, or when
// one of its triggers holds. The other clauses (duties such as SRM-VI.S.2, and the
// sections I–V clauses that explain a cause) only rank: a credential playbook that
// also cites SRM-VI.S.2 must not be suggested for every breach Zendesk reports.
var causeClauses = []string{"SRM-VI.S.i", "SRM-VI.S.ii", "SRM-VI.S.iii", "SRM-VI.S.iv", "SRM-VI.Z"}

// Suggest returns the playbooks that match d and its ownership determination, best
// first (by score, then id); see Suggestion.Score and causeClauses.
func Suggest(d facts.Document, det ownership.Determination, playbooks []PlaybookRef) []Suggestion {
	out := []Suggestion{}
	for _, p := range playbooks {
		s := Suggestion{ID: p.ID, Matched: []string{}}
		suggested := false
		for _, c := range p.Clauses {
			if !slices.Contains(det.Clauses, c) {
				continue
			}
			if slices.Contains(causeClauses, c) {
				s.Score += 3
				suggested = true
			} else {
				s.Score++
			}
			s.Matched = append(s.Matched, "clause "+c+" (ownership: "+string(det.Owner)+")")
		}
		for _, t := range p.Triggers {
			values, known, err := facts.Lookup(d, t.Field)
			if err != nil || !known {
				// An invalid trigger is the loader's to reject (ValidateTrigger); here it
				// simply never matches.
				continue
			}
			for _, v := range values {
				if slices.Contains(t.In, v) {
					s.Score++
					suggested = true
					s.Matched = append(s.Matched, t.Field+": "+v)
					break
				}
			}
		}
		if suggested {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID))
	})
	return out
}
