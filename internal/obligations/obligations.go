// Package obligations decides which notification obligations an incident triggers and
// when each is due: facts + the rules catalogue + an "as of" instant in, a sorted list
// of obligations out. It is pure (no I/O, no clock of its own), so the incident
// workflow can call it on every set_facts and the CLI can show the same answer.
//
// Conventions (see the issue "Notification obligations"): an hour-based deadline is
// the exact instant trigger + hours (GDPR Art. 33's 72 hours run through weekends and
// nights); a day-based deadline ends at 23:59:59 local time, in the rule's time zone,
// on the last day; business days count on the rule's calendar (internal/calendar). A
// law that sets no number ("without undue delay", "promptly") gives due_at null and
// due_text saying so. A trigger instant that is not in the facts is never guessed: the
// rule's documented fallback is used and flagged trigger_assumed, or due_at stays null
// with an explanation.
package obligations

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"irflow/internal/calendar"
	"irflow/internal/facts"
	"irflow/playbooks/regimes"
)

// Statuses of an obligation as computed from the facts. The obligation clock
// workflow adds paused, waived and retired.
const (
	StatusNotApplicable       = "not_applicable"
	StatusAwaitingTrigger     = "awaiting_trigger"
	StatusAwaitingPredecessor = "awaiting_predecessor"
	StatusOpen                = "open"
	StatusOverdue             = "overdue"
	StatusFulfilled           = "fulfilled"
)

// Obligation is one notice the incident requires (or, with Options.All, one that a
// rule would require and why it does not). The JSON field names are a contract with
// the CLI and the incident workflow.
type Obligation struct {
	// ID is unique within the incident: the rule id, "<rule>/<stage>" for a stage,
	// and ":<country>" appended when a rule routes to each affected country.
	ID    string `json:"id"`
	Rule  string `json:"rule"`
	Stage string `json:"stage,omitempty"`
	Title string `json:"title"`
	// Audience is authority, individuals, controller, media or other.
	Audience     string `json:"audience"`
	Jurisdiction string `json:"jurisdiction"`
	Citation     string `json:"citation"`
	// Trigger is the facts timeline field the clock runs from, or "fulfilled_at" for
	// a clock chained to DependsOn.
	Trigger   string     `json:"trigger"`
	TriggerAt *time.Time `json:"trigger_at"`
	// TriggerAssumed is true when Trigger was unknown and a fallback field was used.
	TriggerAssumed bool       `json:"trigger_assumed"`
	DueAt          *time.Time `json:"due_at"`
	DueText        string     `json:"due_text"`
	BusinessDays   bool       `json:"business_days"`
	Calendar       *string    `json:"calendar"`
	TimeZone       string     `json:"time_zone,omitempty"`
	DependsOn      *string    `json:"depends_on"`
	Applicable     bool       `json:"applicable"`
	// Reason says which threshold, flag or fact decided applicability, and what was
	// assumed.
	Reason string `json:"reason"`
	// NeedsAssessment is true when the obligation applies on a reading of facts that
	// are not yet known (an empty data_categories, an unassessed impact, an unknown
	// cause, a DORA classification not yet made): its clock runs on the earliest
	// reading, and Questions are the facts paths whose answers decide it. When they
	// are answered the obligation is re-evaluated like on any fact change.
	NeedsAssessment bool     `json:"needs_assessment"`
	Questions       []string `json:"questions,omitempty"`
	// Review are conditions the facts cannot express, for legal to confirm or
	// dismiss: an access code taken with a card number, biometrics rather than only
	// genetic data, location data from an ALPR system (applicable obligations), or
	// "other" data that may hide a listed element (obligations that do not apply).
	Review       []string   `json:"review,omitempty"`
	Verification string     `json:"verification"`
	Status       string     `json:"status"`
	FulfilledAt  *time.Time `json:"fulfilled_at,omitempty"`
	SourceURL    string     `json:"source_url,omitempty"`
	// LawEnforcementDelay is the law's provision for delaying this notice at law
	// enforcement's request; absent when the law has none, and then its clock cannot
	// be paused.
	LawEnforcementDelay *regimes.Delay `json:"law_enforcement_delay,omitempty"`

	// Spec is how the deadline is computed, for the obligation clock workflow to
	// re-arm it when a trigger moves. Not part of the JSON output.
	Spec *Spec `json:"-"`
}

// Options tunes Evaluate.
type Options struct {
	// All includes the obligations that do not apply, with their reasons. Without it,
	// an obligation that does not apply is listed only when it carries a note for
	// legal review (Review).
	All bool
	// Fulfilled maps obligation ids to the instant they were fulfilled. Chained
	// clocks (California's AG notice 15 days after residents are notified) run from
	// these instants; without one their due_at stays null.
	Fulfilled map[string]time.Time
}

// Compute returns the obligations that apply to the incident described by d, sorted
// by due_at (null last), as of asOf.
func Compute(d facts.Document, cat regimes.Catalogue, asOf time.Time) []Obligation {
	return Evaluate(d, cat, asOf, Options{})
}

// ComputeAll is Compute including the obligations that do not apply, with reasons.
func ComputeAll(d facts.Document, cat regimes.Catalogue, asOf time.Time) []Obligation {
	return Evaluate(d, cat, asOf, Options{All: true})
}

// Fulfilled recomputes obligations after obligation id was fulfilled at at: the
// chained clocks that run from it get their due dates. fulfilled may be nil.
func Fulfilled(d facts.Document, cat regimes.Catalogue, asOf time.Time, fulfilled map[string]time.Time, id string, at time.Time) []Obligation {
	f := make(map[string]time.Time, len(fulfilled)+1)
	for k, v := range fulfilled {
		f[k] = v
	}
	f[id] = at
	return Evaluate(d, cat, asOf, Options{Fulfilled: f})
}

// Anchored lists the catalogue's clocks ("rule" or "rule/stage") that run from the
// fulfilment of obligation id (a ":<country>" suffix is ignored): the notices whose
// deadlines the instant id is given decides.
func Anchored(cat regimes.Catalogue, id string) []string {
	id, _, _ = strings.Cut(id, ":")
	var out []string
	for _, r := range cat.Rules {
		if slices.Contains(r.DependsOn, id) {
			out = append(out, r.ID)
		}
		for _, s := range r.Stages {
			if slices.Contains(s.DependsOn, id) {
				out = append(out, r.ID+"/"+s.Key)
			}
		}
	}
	return out
}

// template is one obligation-producing clock of the catalogue: a rule's main clock
// or one of its stages.
type template struct {
	rule  *regimes.Rule
	stage *regimes.Stage
	id    string // rule id or rule/stage
	clock regimes.Clock
}

// Evaluate is Compute with options.
func Evaluate(d facts.Document, cat regimes.Catalogue, asOf time.Time, opts Options) []Obligation {
	ix := newIndex(d, cat.Elements)
	e := &evaluator{ix: ix, asOf: asOf, opts: opts, done: map[string][]Obligation{}, templates: map[string]template{}}
	var order []string
	for i := range cat.Rules {
		r := &cat.Rules[i]
		e.templates[r.ID] = template{rule: r, id: r.ID, clock: r.Clock}
		order = append(order, r.ID)
		for j := range r.Stages {
			s := &r.Stages[j]
			id := r.ID + "/" + s.Key
			e.templates[id] = template{rule: r, stage: s, id: id, clock: s.Clock}
			order = append(order, id)
		}
	}
	for _, id := range order {
		e.eval(id)
	}
	for _, id := range order {
		if t := e.templates[id]; t.stage == nil {
			for _, alt := range t.rule.AlternativeTo {
				e.alternatives(id, alt)
			}
		}
	}
	var out []Obligation
	for _, id := range order {
		for _, o := range e.done[id] {
			if o.Applicable || opts.All || len(o.Review) > 0 {
				out = append(out, o)
			}
		}
	}
	Sort(out)
	return out
}

// alternatives settles two clocks that are the same notice under different readings
// of the facts (regimes.Rule.AlternativeTo): when an unknown fact lets both apply,
// the one with the earlier deadline stays and the other does not apply, each saying
// which reading was taken.
func (e *evaluator) alternatives(a, b string) {
	for i := range e.done[a] {
		x := &e.done[a][i]
		for j := range e.done[b] {
			y := &e.done[b][j]
			if x.Jurisdiction != y.Jurisdiction || !x.Applicable || !y.Applicable || !(x.NeedsAssessment || y.NeedsAssessment) {
				continue
			}
			keep, drop := x, y
			if e.laterThan(x, y) {
				keep, drop = y, x
			}
			questions := appendNew(append([]string(nil), keep.Questions...), drop.Questions...)
			q := strings.Join(questions, ", ")
			keep.NeedsAssessment, keep.Questions = true, questions
			keep.Reason += fmt.Sprintf("; the earlier of two readings: while %s are unanswered irflow takes this deadline; if the answers point the other way, %s (%s) applies instead", q, drop.ID, drop.DueText)
			*drop = notApplicable(*drop, fmt.Sprintf("%s and %s are the same notice under different readings of %s; irflow takes the earlier deadline, %s (%s), until they are answered", drop.ID, keep.ID, q, keep.ID, keep.DueText))
		}
	}
}

// laterThan reports whether x is due later than y: by due date, or without one by
// the deadline each would give from the same trigger.
func (e *evaluator) laterThan(x, y *Obligation) bool {
	if x.DueAt != nil && y.DueAt != nil {
		return x.DueAt.After(*y.DueAt)
	}
	if x.Spec == nil || y.Spec == nil {
		return x.Spec == nil && y.Spec != nil
	}
	ref := e.asOf
	if x.TriggerAt != nil {
		ref = *x.TriggerAt
	}
	dx, errx := x.Spec.Due(ref)
	dy, erry := y.Spec.Due(ref)
	switch {
	case errx != nil || erry != nil || dy == nil:
		return false
	case dx == nil:
		return true
	}
	return dx.After(*dy)
}

// Sort orders obligations: applicable first, by due_at (null last), then by id.
func Sort(obs []Obligation) {
	// Sort indices, not the structs: an Obligation is large and swapping it dominates.
	idx := make([]int, len(obs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return Less(&obs[idx[i]], &obs[idx[j]]) })
	sorted := make([]Obligation, len(obs))
	for i, k := range idx {
		sorted[i] = obs[k]
	}
	copy(obs, sorted)
}

// Less orders obligations for display: applicable ones first, by due date (none
// last), then by id.
func Less(a, b *Obligation) bool {
	if a.Applicable != b.Applicable {
		return a.Applicable
	}
	switch {
	case a.DueAt != nil && b.DueAt != nil && !a.DueAt.Equal(*b.DueAt):
		return a.DueAt.Before(*b.DueAt)
	case (a.DueAt == nil) != (b.DueAt == nil):
		return a.DueAt != nil
	}
	return a.ID < b.ID
}

type evaluator struct {
	ix        *index
	asOf      time.Time
	opts      Options
	templates map[string]template
	done      map[string][]Obligation
	visiting  []string
}

func (e *evaluator) eval(id string) []Obligation {
	if obs, ok := e.done[id]; ok {
		return obs
	}
	for _, v := range e.visiting {
		if v == id { // the catalogue validator rejects cycles; never loop regardless
			return nil
		}
	}
	e.visiting = append(e.visiting, id)
	obs := e.evalTemplate(e.templates[id])
	e.visiting = e.visiting[:len(e.visiting)-1]
	e.done[id] = obs
	return obs
}

func (e *evaluator) evalTemplate(t template) []Obligation {
	r := t.rule
	base := Obligation{
		Rule: r.ID, Title: r.Title, Audience: r.Audience, Citation: r.Citation,
		Trigger: t.clock.Trigger.Field, BusinessDays: t.clock.BusinessDays,
		Verification: r.Verification, SourceURL: r.SourceURL, LawEnforcementDelay: r.LawEnforcementDelay,
	}
	if t.stage != nil {
		base.Stage = t.stage.Key
		base.Title = t.stage.Title
		if t.stage.Audience != "" {
			base.Audience = t.stage.Audience
		}
		if t.stage.Verification != "" {
			base.Verification = t.stage.Verification
		}
	}
	if t.clock.Calendar != "" {
		c := t.clock.Calendar
		base.Calendar = &c
	}

	targets, why := e.ix.targets(r)
	if len(targets) == 0 {
		o := base
		o.ID, o.Jurisdiction = t.id, r.Jurisdiction
		return []Obligation{notApplicable(o, why)}
	}
	obs := make([]Obligation, 0, len(targets))
	for _, tg := range targets {
		o := base
		o.ID = t.id
		if tg.suffix {
			o.ID += ":" + tg.code
		}
		o.Jurisdiction = tg.code
		obs = append(obs, e.evalTarget(t, o, tg))
	}
	return obs
}

func notApplicable(o Obligation, reason string) Obligation {
	o.Applicable = false
	o.Status = StatusNotApplicable
	o.Reason = reason
	o.DueAt = nil
	if o.DueText == "" {
		o.DueText = "not applicable"
	}
	return o
}

func (e *evaluator) evalTarget(t template, o Obligation, tg target) (res Obligation) {
	r := t.rule
	c := t.clock
	// Thresholds: the rule's, plus the stage's own.
	e.ix.day = e.incidentDay(r.Clock)
	v := e.ix.check(r.Threshold, tg.code)
	if v.fail != "" {
		v, _ = e.ix.assess(r.Threshold, tg.code, v)
	}
	if v.fail == "" && t.stage != nil && t.stage.Threshold != nil {
		sv := e.ix.check(*t.stage.Threshold, tg.code)
		if sv.fail != "" {
			sv, _ = e.ix.assess(*t.stage.Threshold, tg.code, sv)
		}
		v.add(sv)
	}
	o.Review = v.review
	if v.fail != "" {
		return notApplicable(o, v.fail+" ("+r.Threshold.Text+")")
	}

	spec := e.spec(r, c)
	o.Spec = &spec
	o.TimeZone = spec.TimeZone
	o.Applicable = true
	// The reason is written once the trigger is known: a missing one can add to what
	// needs assessment.
	defer func() {
		if !res.Applicable {
			return
		}
		why := tg.why
		if len(v.met) > 0 {
			why += "; " + strings.Join(v.met, "; ")
		}
		if len(v.unknown) > 0 {
			why += "; needs assessment: " + strings.Join(v.unknown, "; ")
		}
		if r.Threshold.Note != "" {
			why += " [" + r.Threshold.Note + "]"
		}
		if t.stage != nil && t.stage.Threshold != nil && t.stage.Threshold.Note != "" {
			why += " [" + t.stage.Threshold.Note + "]"
		}
		res.Reason = "applies: " + why + res.Reason
		res.NeedsAssessment = len(v.unknown) > 0
		res.Questions = v.questions
	}()
	o.Reason = ""

	// A proposed rule never applies; an effective-dated one is checked against the
	// trigger below, and against asOf while the trigger is unknown.
	if ok, why := r.InForceAt(e.asOf.UTC().Format("2006-01-02")); !ok && (r.InForce != nil && !*r.InForce) {
		return notApplicable(o, why)
	}

	// Resolve the trigger instant.
	var trig *time.Time
	switch {
	case c.Trigger.Field == regimes.FulfilledAt:
		pred, depReason := e.predecessor(c.DependsOn, tg)
		if pred == nil {
			return notApplicable(o, depReason)
		}
		dep := pred.ID
		o.DependsOn = &dep
		if pred.NeedsAssessment {
			// A notice that follows one needing assessment needs it too: if the
			// answers retire the first, this one goes with it.
			v.unknown = append(v.unknown, "runs from "+dep+", which needs assessment")
			v.questions = appendNew(v.questions, pred.Questions...)
		}
		if at, ok := e.opts.Fulfilled[dep]; ok {
			at := at
			trig = &at
		} else {
			o.Status = StatusAwaitingPredecessor
			o.DueText = dueText(c, r, spec) + " — runs from the fulfilment of " + dep + ", not yet recorded"
			return e.fulfilment(o)
		}
	default:
		at, field := e.ix.instant(c.Trigger.Field)
		if at == nil {
			switch c.Trigger.WhenMissing {
			case regimes.MissingNotApplicable:
				return notApplicable(o, c.Trigger.Field+" is not in the facts: "+c.Trigger.Text+" has not happened")
			case regimes.MissingPending:
			case regimes.MissingAssess:
				// The event decides whether the duty exists (DORA: classification as
				// major): until it is known, the clock runs from the earliest instant
				// it can have.
				for _, fb := range c.Trigger.Fallback {
					if at, field = e.ix.instant(fb); at != nil {
						o.TriggerAssumed = true
						break
					}
				}
				from := "no earlier instant is known either"
				if at != nil {
					from = "the clock runs from " + field + ", the earliest it can be, until it is known"
				}
				v.unknown = append(v.unknown, "timeline."+c.Trigger.Field+" unknown ("+c.Trigger.Text+"): "+from)
				v.questions = appendNew(v.questions, "timeline."+c.Trigger.Field)
			default:
				for _, fb := range c.Trigger.Fallback {
					if at, field = e.ix.instant(fb); at != nil {
						o.TriggerAssumed = true
						o.Reason += "; trigger assumed: " + c.Trigger.Field + " unknown, using " + field
						break
					}
				}
			}
		}
		if at == nil {
			if ok, why := r.InForceAt(e.asOf.UTC().Format("2006-01-02")); !ok {
				return notApplicable(o, why)
			}
			o.Status = StatusAwaitingTrigger
			missing := c.Trigger.Field
			if c.Trigger.WhenMissing != regimes.MissingPending && c.Trigger.WhenMissing != regimes.MissingNotApplicable && len(c.Trigger.Fallback) > 0 {
				missing += " (nor " + strings.Join(c.Trigger.Fallback, ", ") + ")"
			}
			o.DueText = "no due date: " + missing + " is not in the facts, and irflow does not guess it; the clock runs from " + c.Trigger.Text + ". " + dueText(c, r, spec)
			return e.fulfilment(o)
		}
		trig = at
	}
	tt := *trig
	o.TriggerAt = &tt
	if ok, why := r.InForceAt(tt.UTC().Format("2006-01-02")); !ok {
		return notApplicable(o, why)
	}
	var backstopAt *time.Time
	if c.NoLaterThan != nil {
		backstopAt, _ = e.ix.instant(c.NoLaterThan.Field)
	}
	spec.BackstopAt = backstopAt
	o.Spec = &spec
	due, err := spec.Due(tt)
	if err != nil {
		return notApplicable(o, "cannot compute deadline: "+err.Error())
	}
	o.DueAt = due
	o.DueText = dueText(c, r, spec)
	o.Status = StatusOpen
	if due != nil && e.asOf.After(*due) {
		o.Status = StatusOverdue
	}
	return e.fulfilment(o)
}

// incidentDay is the date (YYYY-MM-DD, UTC) the law in force is read at for
// effective-dated elements (reference section 4, pitfall 9): the rule's trigger
// instant when it is a timeline field, else the first of discovery, awareness and
// detection that is known, else asOf.
func (e *evaluator) incidentDay(c regimes.Clock) string {
	fields := append([]string{c.Trigger.Field}, c.Trigger.Fallback...)
	fields = append(fields, "discovered_at", "aware_at", "detected_at")
	for _, f := range fields {
		if at, _ := e.ix.instant(f); at != nil {
			return at.UTC().Format("2006-01-02")
		}
	}
	return e.asOf.UTC().Format("2006-01-02")
}

func (e *evaluator) fulfilment(o Obligation) Obligation {
	if at, ok := e.opts.Fulfilled[o.ID]; ok {
		at := at
		o.FulfilledAt = &at
		o.Status = StatusFulfilled
	}
	return o
}

// predecessor picks the first obligation in refs that applies to this incident, with
// the same country suffix when the predecessor is routed per country.
func (e *evaluator) predecessor(refs []string, tg target) (*Obligation, string) {
	var tried []string
	for _, ref := range refs {
		for _, p := range e.eval(ref) {
			if !p.Applicable {
				continue
			}
			if p.ID == ref || (tg.suffix && p.ID == ref+":"+tg.code) {
				return &p, ""
			}
		}
		tried = append(tried, ref)
	}
	return nil, "runs from the fulfilment of " + strings.Join(tried, " or ") + ", which does not apply to this incident"
}

func (e *evaluator) spec(r *regimes.Rule, c regimes.Clock) Spec {
	s := Spec{
		Deadline: c.Deadline, BusinessDays: c.BusinessDays, Calendar: c.Calendar,
		FromYearEnd: c.FromYearEnd, Reminders: c.Reminders.Resolve(),
	}
	if c.NoLaterThan != nil {
		s.BackstopField = c.NoLaterThan.Field
		s.BackstopDeadline = c.NoLaterThan.Deadline
	}
	switch tz := r.TimeZone; tz {
	case "":
		s.TimeZone = "UTC"
	case "establishment":
		s.TimeZone = zoneOf(e.ix.establishment)
	default:
		s.TimeZone = tz
	}
	return s
}

// dueText says in words when the obligation is due.
func dueText(c regimes.Clock, r *regimes.Rule, s Spec) string {
	if c.DueText != "" {
		return c.DueText
	}
	if c.Deadline == "" {
		return "no fixed deadline"
	}
	d, err := regimes.ParseDuration(c.Deadline)
	if err != nil {
		return c.Deadline
	}
	from := c.Trigger.Field
	if from == regimes.FulfilledAt {
		from = "the predecessor's fulfilment"
	}
	switch {
	case d.TimeBased():
		return fmt.Sprintf("within %s of %s (exact instant)", humanSpan(d), from)
	case c.BusinessDays:
		return fmt.Sprintf("within %d business days (%s calendar) of %s, ending 23:59:59 %s", d.TotalDays(), c.Calendar, from, s.TimeZone)
	default:
		return fmt.Sprintf("within %s of %s, ending 23:59:59 %s", humanDays(d), from, s.TimeZone)
	}
}

func humanSpan(d regimes.Duration) string {
	if d.Minutes == 0 && d.Seconds == 0 {
		return fmt.Sprintf("%d hours", d.Hours)
	}
	return d.Span().String()
}

func humanDays(d regimes.Duration) string {
	switch {
	case d.Months == 1 && d.Years+d.TotalDays() == 0:
		return "one month"
	case d.Months > 0 && d.Years+d.TotalDays() == 0:
		return fmt.Sprintf("%d months", d.Months)
	default:
		return fmt.Sprintf("%d calendar days", d.TotalDays())
	}
}

// Spec is everything needed to compute an obligation's due instant from its trigger,
// so the obligation clock can re-arm when a trigger moves. It is plain data (it
// travels in workflow inputs).
type Spec struct {
	Deadline     string `json:"deadline,omitempty"`
	BusinessDays bool   `json:"business_days,omitempty"`
	Calendar     string `json:"calendar,omitempty"`
	// TimeZone is the IANA zone day-based deadlines end in.
	TimeZone    string `json:"time_zone"`
	FromYearEnd bool   `json:"from_year_end,omitempty"`
	// BackstopField/BackstopDeadline/BackstopAt: an earlier-ending deadline from a
	// second trigger (DORA: 24 h from awareness), used only while the main trigger
	// falls before it expires.
	BackstopField    string            `json:"backstop_field,omitempty"`
	BackstopDeadline string            `json:"backstop_deadline,omitempty"`
	BackstopAt       *time.Time        `json:"backstop_at,omitempty"`
	Reminders        regimes.Reminders `json:"reminders"`
}

// Due returns the due instant for a clock triggered at trigger, or nil when the law
// sets no deadline.
func (s Spec) Due(trigger time.Time) (*time.Time, error) {
	if s.Deadline == "" {
		return nil, nil
	}
	d, err := regimes.ParseDuration(s.Deadline)
	if err != nil {
		return nil, err
	}
	var due time.Time
	if d.TimeBased() {
		due = trigger.Add(d.Span()).UTC()
	} else {
		loc, err := location(s.TimeZone)
		if err != nil {
			return nil, err
		}
		start := trigger.In(loc)
		if s.FromYearEnd {
			start = time.Date(start.Year(), time.December, 31, 12, 0, 0, 0, loc)
		}
		if s.BusinessDays {
			cal, err := businessCalendar(s.Calendar, loc)
			if err != nil {
				return nil, err
			}
			due = calendar.EndOfDay(cal.AddBusinessDays(start, d.TotalDays()), loc)
		} else {
			y, m, dd := d.AddDate(start.Date())
			due = time.Date(y, m, dd, 23, 59, 59, 0, loc)
		}
	}
	if s.BackstopAt != nil && s.BackstopDeadline != "" {
		b, err := regimes.ParseDuration(s.BackstopDeadline)
		if err != nil {
			return nil, err
		}
		bd := s.BackstopAt.Add(b.Span()).UTC()
		// The backstop binds only while the main trigger falls inside it (DORA RTS
		// 2025/301 Art. 5: classified after 24 h, 4 h from classification).
		if !trigger.After(bd) && bd.Before(due) {
			due = bd
		}
	}
	return &due, nil
}

var (
	locCache sync.Map // zone name -> *time.Location
	calCache sync.Map // calendar|zone -> *calendar.Calendar
)

// location loads an IANA zone once; LoadLocation parses zone data on every call.
func location(name string) (*time.Location, error) {
	if l, ok := locCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	locCache.Store(name, l)
	return l, nil
}

func businessCalendar(name string, loc *time.Location) (*calendar.Calendar, error) {
	key := name + "|" + loc.String()
	if c, ok := calCache.Load(key); ok {
		return c.(*calendar.Calendar), nil
	}
	c, err := calendar.ByName(name)
	if err != nil {
		return nil, err
	}
	c = c.In(loc)
	calCache.Store(key, c)
	return c, nil
}
