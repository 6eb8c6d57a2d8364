package regimes

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"irflow/internal/calendar"
	"irflow/internal/facts"
)

// OrgFlags are the organization.flags of the facts contract (version 1).
var OrgFlags = []string{
	"sec_registrant", "sec_regsp_covered", "hipaa_covered_entity", "hipaa_business_associate",
	"nydfs_covered_entity", "nis2_entity", "trust_service_provider", "dora_financial_entity",
	"glba_financial_institution", "us_bank", "critical_infrastructure", "phr_vendor",
	"payment_card_merchant",
}

// DataCategories are the data_categories of the facts contract (version 1).
var DataCategories = []string{
	"contact", "credentials", "government_id", "financial", "payment_card", "health",
	"genetic_biometric", "special_category", "children", "location", "other",
}

// provenance records where a rule was read, so errors can name file and line.
type provenance struct {
	file   string
	line   int
	fields map[string]int // top-level key -> line
}

// ValidationError is one problem with one rule: the file, the line where the rule (or
// the field) starts, the rule id and the field path.
type ValidationError struct {
	File   string
	Line   int
	RuleID string
	Field  string
	Msg    string
}

func (e *ValidationError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("%s: rule %s: %s: %s", loc, e.RuleID, e.Field, e.Msg)
}

type fileDoc struct {
	Rules       []Rule       `yaml:"rules"`
	ElementSets []ElementSet `yaml:"element_sets"`
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// parseFile decodes one catalogue file strictly: an unknown key is an error, because a
// misspelt threshold must not silently drop a condition.
func parseFile(name string, data []byte) (fileDoc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil {
		return fileDoc{}, yamlError(name, err)
	}
	// A second pass over the node tree finds each rule's (and element set's) line and
	// its keys' lines.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fileDoc{}, yamlError(name, err)
	}
	lists := map[string][]*yaml.Node{}
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i+1].Kind == yaml.SequenceNode {
				lists[m.Content[i].Value] = m.Content[i+1].Content
			}
		}
	}
	if len(lists["rules"]) != len(doc.Rules) || len(lists["element_sets"]) != len(doc.ElementSets) {
		return fileDoc{}, fmt.Errorf("%s: expected a top-level \"rules:\" list (and optionally \"element_sets:\")", name)
	}
	prov := func(it *yaml.Node) provenance {
		p := provenance{file: name, line: it.Line, fields: map[string]int{}}
		for j := 0; j+1 < len(it.Content); j += 2 {
			p.fields[it.Content[j].Value] = it.Content[j].Line
		}
		return p
	}
	for i, it := range lists["rules"] {
		doc.Rules[i].prov = prov(it)
	}
	for i, it := range lists["element_sets"] {
		doc.ElementSets[i].prov = prov(it)
	}
	return doc, nil
}

func yamlError(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var errs []error
		for _, e := range te.Errors {
			errs = append(errs, lineError(name, e))
		}
		return errors.Join(errs...)
	}
	return lineError(name, err.Error())
}

func lineError(name, msg string) error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// LoadFS parses every *.yaml file at the root of fsys, in name order, and validates
// the result as one catalogue.
func LoadFS(fsys fs.FS) (Catalogue, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return Catalogue{}, fmt.Errorf("list catalogue files: %w", err)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return Catalogue{}, errors.New("no catalogue files (*.yaml)")
	}
	var c Catalogue
	var sets []ElementSet
	var errs []error
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return Catalogue{}, fmt.Errorf("read %s: %w", n, err)
		}
		doc, err := parseFile(path.Base(n), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.Rules = append(c.Rules, doc.Rules...)
		sets = append(sets, doc.ElementSets...)
	}
	if len(errs) > 0 {
		return Catalogue{}, errors.Join(errs...)
	}
	c.Elements = map[string]ElementSet{}
	var dup []error
	for _, es := range sets {
		if old, ok := c.Elements[es.ID]; ok {
			dup = append(dup, fmt.Errorf("%s:%d: element set %s: duplicate id (also at %s:%d)", es.prov.file, es.prov.line, es.ID, old.prov.file, old.prov.line))
			continue
		}
		c.Elements[es.ID] = es
	}
	if len(dup) > 0 {
		return Catalogue{}, errors.Join(dup...)
	}
	if err := c.Validate(); err != nil {
		return Catalogue{}, err
	}
	return c, nil
}

var (
	idPattern           = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	jurisdictionPattern = regexp.MustCompile(`^(EU|EEA|INTL|[A-Z]{2}|[A-Z]{2}-[A-Z0-9]{1,3})$`)
)

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// Validate checks every rule and builds the id index. It reports all problems at once,
// each naming file, line, rule id and field.
func (c *Catalogue) Validate() error {
	var errs []error
	c.byID = make(map[string]int, len(c.Rules))
	stageKeys := map[string]bool{} // "rule/stage"
	for i, r := range c.Rules {
		bad := func(field, format string, args ...any) {
			line := r.prov.line
			top := field
			if k := strings.IndexAny(field, ".["); k > 0 {
				top = field[:k]
			}
			if l, ok := r.prov.fields[top]; ok {
				line = l
			}
			id := r.ID
			if id == "" {
				id = fmt.Sprintf("#%d", i+1)
			}
			errs = append(errs, &ValidationError{File: r.prov.file, Line: line, RuleID: id, Field: field, Msg: fmt.Sprintf(format, args...)})
		}
		if !idPattern.MatchString(r.ID) {
			bad("id", "want lower-case words joined by hyphens, got %q", r.ID)
		} else if j, dup := c.byID[r.ID]; dup {
			bad("id", "duplicate id (also at %s:%d)", c.Rules[j].prov.file, c.Rules[j].prov.line)
		} else {
			c.byID[r.ID] = i
		}
		for _, s := range r.Stages {
			stageKeys[r.ID+"/"+s.Key] = true
		}
		validateRule(r, c.Elements, bad)
	}
	for _, id := range sortedSetIDs(c.Elements) {
		validateElementSet(c.Elements[id], func(field, format string, args ...any) {
			es := c.Elements[id]
			line := es.prov.line
			if l, ok := es.prov.fields[strings.SplitN(field, "[", 2)[0]]; ok {
				line = l
			}
			errs = append(errs, fmt.Errorf("%s:%d: element set %s: %s: %s", es.prov.file, line, id, field, fmt.Sprintf(format, args...)))
		})
	}
	// Chains are checked once every id is known: no dangling reference, no cycle.
	exists := func(ref string) bool {
		if _, ok := c.byID[ref]; ok {
			return true
		}
		return stageKeys[ref]
	}
	deps := map[string][]string{}
	for _, r := range c.Rules {
		check := func(field, node string, refs []string) {
			for _, ref := range refs {
				if !exists(ref) {
					errs = append(errs, &ValidationError{File: r.prov.file, Line: r.prov.fields[strings.SplitN(field, ".", 2)[0]], RuleID: r.ID, Field: field, Msg: fmt.Sprintf("depends on unknown rule or stage %q", ref)})
				}
			}
			deps[node] = refs
		}
		check("depends_on", r.ID, r.DependsOn)
		for j, s := range r.Stages {
			check(fmt.Sprintf("stages[%d].depends_on", j), r.ID+"/"+s.Key, s.DependsOn)
		}
		for _, ref := range r.AlternativeTo {
			if !exists(ref) {
				errs = append(errs, &ValidationError{File: r.prov.file, Line: r.prov.fields["alternative_to"], RuleID: r.ID, Field: "alternative_to", Msg: fmt.Sprintf("unknown rule or stage %q", ref)})
			}
		}
	}
	for node := range deps {
		if cyc := findCycle(node, deps, map[string]bool{}); cyc != "" {
			r := c.Rules[c.byID[strings.SplitN(node, "/", 2)[0]]]
			errs = append(errs, &ValidationError{File: r.prov.file, Line: r.prov.line, RuleID: r.ID, Field: "depends_on", Msg: "chain loops back on itself: " + cyc})
			break
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func findCycle(start string, deps map[string][]string, onPath map[string]bool) string {
	var walk func(n string, trail []string) string
	walk = func(n string, trail []string) string {
		if onPath[n] {
			return strings.Join(append(trail, n), " -> ")
		}
		onPath[n] = true
		defer delete(onPath, n)
		for _, d := range deps[n] {
			if c := walk(d, append(trail, n)); c != "" {
				return c
			}
		}
		return ""
	}
	return walk(start, nil)
}

func sortedSetIDs(m map[string]ElementSet) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// validateElementSet checks one element set: its source, and every element's
// category and date.
func validateElementSet(es ElementSet, bad func(field, format string, args ...any)) {
	if !jurisdictionPattern.MatchString(es.ID) {
		bad("id", "want an ISO 3166 code, got %q", es.ID)
	}
	if strings.TrimSpace(es.Citation) == "" {
		bad("citation", "an element set must cite the definition it carries")
	}
	if strings.TrimSpace(es.SourceURL) == "" {
		bad("source_url", "an element set must name the source it was read in")
	}
	if !oneOf(es.Verification, Verified, Partial, Unverified) {
		bad("verification", "want verified, partial or UNVERIFIED, got %q", es.Verification)
	}
	if len(es.Elements) == 0 {
		bad("elements", "an element set lists at least one data category")
	}
	seen := map[string]bool{}
	for i, e := range es.Elements {
		p := fmt.Sprintf("elements[%d]", i)
		if !oneOf(e.Category, DataCategories...) {
			bad(p+".category", "unknown data category %q", e.Category)
		} else if e.Category == "other" {
			bad(p+".category", "other never triggers a law (reference section 6); describe it in other: for legal review")
		} else if seen[e.Category] {
			bad(p+".category", "duplicate category %q", e.Category)
		}
		seen[e.Category] = true
		if e.From != "" {
			if _, err := time.Parse("2006-01-02", e.From); err != nil {
				bad(p+".from", "want YYYY-MM-DD, got %q", e.From)
			}
		}
	}
}

func validateRule(r Rule, sets map[string]ElementSet, bad func(field, format string, args ...any)) {
	if strings.TrimSpace(r.Citation) == "" {
		bad("citation", "a rule must cite its legal source")
	}
	if strings.TrimSpace(r.SourceURL) == "" {
		bad("source_url", "a rule must name the source it was read in")
	}
	if !oneOf(r.Verification, Verified, Partial, Unverified) {
		bad("verification", "want verified, partial or UNVERIFIED, got %q", r.Verification)
	}
	if !oneOf(r.Audience, AudienceAuthority, AudienceIndividuals, AudienceController, AudienceMedia, AudienceOther) {
		bad("audience", "want authority, individuals, controller, media or other, got %q", r.Audience)
	}
	if !jurisdictionPattern.MatchString(r.Jurisdiction) {
		bad("jurisdiction", "want an ISO 3166 code, EU, EEA or INTL, got %q", r.Jurisdiction)
	}
	if !oneOf(r.Scope, ScopeAffected, ScopeAffectedOrEstablished, ScopeEstablished, ScopeAny) {
		bad("scope", "want affected, affected_or_established, established or any, got %q", r.Scope)
	}
	if !oneOf(r.Routing, "", RoutingSingle, RoutingLeadOrEach) {
		bad("routing", "want single or lead_or_each, got %q", r.Routing)
	}
	if r.EffectiveFrom != "" {
		if _, err := time.Parse("2006-01-02", r.EffectiveFrom); err != nil {
			bad("effective_from", "want YYYY-MM-DD, got %q", r.EffectiveFrom)
		}
	}
	if d := r.LawEnforcementDelay; d != nil && (strings.TrimSpace(d.Citation) == "" || strings.TrimSpace(d.Text) == "") {
		bad("law_enforcement_delay", "a law-enforcement delay needs the citation of the provision and its text")
	}
	dayBased := validateClock("", r.Clock, bad)
	validateThreshold("threshold", r.Threshold, true, sets, bad)
	keys := map[string]bool{}
	for i, s := range r.Stages {
		p := fmt.Sprintf("stages[%d]", i)
		if !idPattern.MatchString(s.Key) {
			bad(p+".key", "want lower-case words joined by hyphens, got %q", s.Key)
		} else if keys[s.Key] {
			bad(p+".key", "duplicate stage key %q", s.Key)
		}
		keys[s.Key] = true
		if s.Title == "" {
			bad(p+".title", "a stage needs a title")
		}
		if s.Audience != "" && !oneOf(s.Audience, AudienceAuthority, AudienceIndividuals, AudienceController, AudienceMedia, AudienceOther) {
			bad(p+".audience", "unknown audience %q", s.Audience)
		}
		if s.Verification != "" && !oneOf(s.Verification, Verified, Partial, Unverified) {
			bad(p+".verification", "want verified, partial or UNVERIFIED, got %q", s.Verification)
		}
		if s.Threshold != nil {
			validateThreshold(p+".threshold", *s.Threshold, false, sets, bad)
		}
		if validateClock(p+".", s.Clock, bad) {
			dayBased = true
		}
	}
	for i, ph := range r.Phases {
		p := fmt.Sprintf("phases[%d]", i)
		if ph.Name == "" {
			bad(p+".name", "a phase needs a name")
		}
		if ph.Deadline != "" {
			if _, err := ParseDuration(ph.Deadline); err != nil {
				bad(p+".deadline", "%v", err)
			}
		}
		if ph.Stage != "" && !keys[ph.Stage] {
			bad(p+".stage", "no stage with key %q", ph.Stage)
		}
	}
	if dayBased && r.TimeZone == "" {
		bad("time_zone", "day-based deadlines end at 23:59:59 local time: name the IANA zone (or \"establishment\")")
	}
	if r.TimeZone != "" && r.TimeZone != "establishment" {
		if _, err := time.LoadLocation(r.TimeZone); err != nil {
			bad("time_zone", "unknown IANA time zone %q", r.TimeZone)
		}
	}
}

func knownTrigger(f string) bool { return oneOf(f, TimelineFields...) }

// validateClock checks one clock and reports whether its deadline is day-based.
func validateClock(prefix string, c Clock, bad func(field, format string, args ...any)) bool {
	t := c.Trigger
	switch {
	case t.Field == FulfilledAt:
		if len(c.DependsOn) == 0 {
			bad(prefix+"trigger.field", "fulfilled_at needs depends_on naming the obligation it runs from")
		}
	case !knownTrigger(t.Field):
		bad(prefix+"trigger.field", "unknown trigger %q (want one of %s, or fulfilled_at)", t.Field, strings.Join(TimelineFields, ", "))
	}
	if len(c.DependsOn) > 0 && t.Field != FulfilledAt {
		bad(prefix+"depends_on", "a chained clock runs from fulfilled_at, not %q", t.Field)
	}
	if strings.TrimSpace(t.Text) == "" {
		bad(prefix+"trigger.text", "keep the reference's wording of the trigger")
	}
	for _, f := range t.Fallback {
		if !knownTrigger(f) {
			bad(prefix+"trigger.fallback", "unknown trigger %q", f)
		}
	}
	if !oneOf(t.WhenMissing, "", MissingFallback, MissingPending, MissingNotApplicable, MissingAssess) {
		bad(prefix+"trigger.when_missing", "want fallback, pending, not_applicable or assess, got %q", t.WhenMissing)
	}
	if t.WhenMissing == MissingAssess && len(t.Fallback) == 0 {
		bad(prefix+"trigger.fallback", "when_missing assess runs the clock from the earliest instant the event can have: name it in fallback")
	}
	dayBased := false
	if c.Deadline != "" {
		d, err := ParseDuration(c.Deadline)
		if err != nil {
			bad(prefix+"deadline", "%v", err)
		} else {
			dayBased = d.DayBased()
			if c.BusinessDays && (d.Years != 0 || d.Months != 0 || !d.DayBased()) {
				bad(prefix+"deadline", "business days count days (PnD), got %q", c.Deadline)
			}
		}
	} else if strings.TrimSpace(c.DueText) == "" {
		bad(prefix+"due_text", "a clock without a deadline must say what the law requires instead")
	}
	if c.BusinessDays {
		if _, err := calendar.ByName(c.Calendar); err != nil {
			bad(prefix+"calendar", "%v", err)
		}
	} else if c.Calendar != "" {
		bad(prefix+"calendar", "calendar %q is set but business_days is false", c.Calendar)
	}
	if c.NoLaterThan != nil {
		if !knownTrigger(c.NoLaterThan.Field) {
			bad(prefix+"no_later_than.field", "unknown trigger %q", c.NoLaterThan.Field)
		}
		if d, err := ParseDuration(c.NoLaterThan.Deadline); err != nil {
			bad(prefix+"no_later_than.deadline", "%v", err)
		} else if !d.TimeBased() {
			bad(prefix+"no_later_than.deadline", "a backstop is an hour period, got %q", c.NoLaterThan.Deadline)
		}
	}
	if c.FromYearEnd && !dayBased {
		bad(prefix+"from_year_end", "needs a day-based deadline")
	}
	if r := c.Reminders; r != nil {
		for i, b := range r.Before {
			if d, err := ParseDuration(b); err != nil {
				bad(fmt.Sprintf("%sreminders.before[%d]", prefix, i), "%v", err)
			} else if !d.TimeBased() {
				bad(fmt.Sprintf("%sreminders.before[%d]", prefix, i), "want an hour/minute span such as PT4H, got %q", b)
			}
		}
		if r.OverdueEvery != "" {
			if d, err := ParseDuration(r.OverdueEvery); err != nil {
				bad(prefix+"reminders.overdue_every", "%v", err)
			} else if d.Years+d.Months != 0 {
				bad(prefix+"reminders.overdue_every", "want days or hours, got %q", r.OverdueEvery)
			}
		}
	}
	return dayBased
}

func validateThreshold(p string, t Threshold, needText bool, sets map[string]ElementSet, bad func(field, format string, args ...any)) {
	if needText && strings.TrimSpace(t.Text) == "" {
		bad(p+".text", "keep the reference's wording of the threshold")
	}
	for name, list := range map[string][]Condition{"all": t.All, "any": t.Any, "none": t.None} {
		for i, c := range list {
			validateCondition(fmt.Sprintf("%s.%s[%d]", p, name, i), c, sets, bad)
		}
	}
	if a := t.Assess; a != nil {
		if len(a.When) == 0 {
			bad(p+".assess.when", "say when the obligation needs assessment")
		}
		for i, c := range a.When {
			validateCondition(fmt.Sprintf("%s.assess.when[%d]", p, i), c, sets, bad)
		}
		if len(a.Questions) == 0 {
			bad(p+".assess.questions", "name the facts whose answers decide it")
		}
		for i, q := range a.Questions {
			if err := facts.CheckPath(q); err != nil {
				bad(fmt.Sprintf("%s.assess.questions[%d]", p, i), "%v", err)
			}
		}
		if strings.TrimSpace(a.Text) == "" {
			bad(p+".assess.text", "say what legal decides")
		}
	}
}

func validateCondition(p string, c Condition, sets map[string]ElementSet, bad func(field, format string, args ...any)) {
	set := 0
	if c.Impact != nil {
		set++
		if len(c.Impact) == 0 {
			bad(p+".impact", "name at least one impact field")
		}
		for _, f := range c.Impact {
			if !oneOf(f, facts.ImpactFields...) {
				bad(p+".impact", "unknown impact field %q (want %s)", f, strings.Join(facts.ImpactFields, ", "))
			}
		}
	}
	if c.Elements != "" {
		set++
		if _, ok := sets[c.Elements]; !ok {
			bad(p+".elements", "no element set %q", c.Elements)
		}
	}
	if c.All != nil {
		set++
		if len(c.All) == 0 {
			bad(p+".all", "a conjunction needs conditions")
		}
		for i, sub := range c.All {
			validateCondition(fmt.Sprintf("%s.all[%d]", p, i), sub, sets, bad)
		}
	}
	if c.Role != "" {
		set++
		if !oneOf(c.Role, "controller", "processor") {
			bad(p+".role", "want controller or processor, got %q", c.Role)
		}
	}
	if c.RiskAtLeast != "" {
		set++
		if !oneOf(c.RiskAtLeast, "risk", "high") {
			bad(p+".risk_at_least", "want risk or high, got %q", c.RiskAtLeast)
		}
	}
	if c.Flags != nil {
		set++
		for _, f := range c.Flags {
			if !oneOf(f, OrgFlags...) {
				bad(p+".flags", "unknown organisation flag %q", f)
			}
		}
	}
	if c.Categories != nil {
		set++
		for _, f := range c.Categories {
			if !oneOf(f, DataCategories...) {
				bad(p+".data_categories", "unknown data category %q", f)
			}
		}
	}
	if c.Count != nil {
		set++
		if !oneOf(c.Count.Of, "jurisdiction", "each", "total") {
			bad(p+".count.of", "want jurisdiction, each or total, got %q", c.Count.Of)
		}
		if !oneOf(c.Count.Op, ">", ">=", "<", "<=") {
			bad(p+".count.op", "want >, >=, < or <=, got %q", c.Count.Op)
		}
		if c.Count.Value < 0 {
			bad(p+".count.value", "must not be negative")
		}
	}
	if c.NotEncrypted {
		set++
	}
	if c.Cause != "" {
		set++
		if !oneOf(c.Cause, "malicious", "external_access") {
			bad(p+".cause", "want malicious or external_access, got %q", c.Cause)
		}
	}
	if set != 1 {
		bad(p, "a condition sets exactly one test, this one sets %d", set)
	}
}
