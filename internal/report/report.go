// Package report builds the post-incident report from the durable record: the
// incident's state and timeline as its workflow saved them in the store, each
// obligation clock's row, and the evidence manifest whose hash the store recorded.
// Nothing in it is written from memory, so the report a regulator reads (GDPR
// Art. 33(5) asks the controller to document the facts, effects and remedial
// action) says what the record says.
//
// Build turns a Record into a Report, a plain model of the report's sections;
// Markdown, HTML and PDF render that one model, so the three formats never
// disagree. Build is pure (no I/O, no clock: GeneratedAt is given); Load reads a
// Record from a store.
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"irflow/internal/containment"
	"irflow/internal/evidence"
	"irflow/internal/incident"
	"irflow/internal/obligations"
)

// Record is what a report is generated from.
type Record struct {
	// State is the incident's state as its workflow last saved it, with the
	// timeline from the store.
	State incident.State
	// Clocks are the obligation clocks' rows: fulfilments, waivers, late reasons.
	// When empty, the obligations of State are used as the incident last saw them.
	Clocks []incident.ObligationRecord
	// Manifest is the evidence manifest read from its folder, when readable;
	// ManifestRecorded is the store's record of its hash.
	Manifest         *evidence.Manifest
	ManifestRecorded *incident.EvidenceManifest
	// ManifestProblem says why the manifest could not be read or does not match the
	// recorded hash; empty when it was read and matches.
	ManifestProblem string
	// GeneratedAt is when the report is generated; the time left of open
	// obligations is computed at it.
	GeneratedAt time.Time
	GeneratedBy string
}

// Report is the post-incident report's content, section by section.
type Report struct {
	ID             string                   `json:"id"`
	Title          string                   `json:"title"`
	Playbook       string                   `json:"playbook"`
	Phase          string                   `json:"phase"`
	Severity       string                   `json:"severity"`
	SeverityReason string                   `json:"severity_reason"`
	DeclaredAt     time.Time                `json:"declared_at"`
	DeclaredBy     string                   `json:"declared_by"`
	ClosedAt       *time.Time               `json:"closed_at"`
	CloseReason    string                   `json:"close_reason"`
	Summary        string                   `json:"summary"`
	GeneratedAt    time.Time                `json:"generated_at"`
	GeneratedBy    string                   `json:"generated_by"`
	Ownership      Ownership                `json:"ownership"`
	Revisions      []Revision               `json:"revisions"`
	Containment    []Action                 `json:"containment"`
	Rollback       string                   `json:"rollback"`
	Evidence       Evidence                 `json:"evidence"`
	Obligations    []Obligation             `json:"obligations"`
	Metrics        []Metric                 `json:"metrics"`
	FollowUps      []string                 `json:"follow_ups"`
	Timeline       []incident.TimelineEntry `json:"timeline"`
	AffectedPeople string                   `json:"affected_people"`
	AffectedRecs   string                   `json:"affected_records"`
	DataCategories string                   `json:"data_categories"`
}

// Ownership is the determination in force under SRM section VI.
type Ownership struct {
	Owner         string   `json:"owner"`
	Confidence    string   `json:"confidence"`
	Source        string   `json:"source"`
	Clauses       []string `json:"clauses"`
	Rationale     string   `json:"rationale"`
	Decided       string   `json:"decided"` // "by alice at ...: reason", empty when computed
	Disagreement  string   `json:"disagreement"`
	OpenQuestions []string `json:"open_questions"`
}

// Revision is one change of the ownership in force.
type Revision struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
}

// Action is one containment step: who approved it, when, and what happened.
type Action struct {
	Step       string     `json:"step"`
	Action     string     `json:"action"`
	Status     string     `json:"status"`
	ApprovedBy string     `json:"approved_by"` // "alice (reason), bob" or the skip
	ApprovedAt *time.Time `json:"approved_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Result     string     `json:"result"` // per target: "user 372003: changed (request r-1)"
}

// Evidence is the evidence manifest with its hashes.
type Evidence struct {
	Status         string         `json:"status"`
	ManifestSHA256 string         `json:"manifest_sha256"`
	RecordedAt     *time.Time     `json:"recorded_at"`
	Files          []EvidenceFile `json:"files"`
	Gaps           []evidence.Gap `json:"gaps"`
	Problem        string         `json:"problem"`
}

// EvidenceFile is one evidence file and its SHA-256.
type EvidenceFile struct {
	Source  string `json:"source"`
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Records int64  `json:"records"`
}

// Obligation is one notification duty and whether it was met on time.
type Obligation struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Audience     string     `json:"audience"`
	Jurisdiction string     `json:"jurisdiction"`
	Citation     string     `json:"citation"`
	Due          *time.Time `json:"due"`
	DueText      string     `json:"due_text"`
	Status       string     `json:"status"`
	FulfilledAt  *time.Time `json:"fulfilled_at"`
	Reference    string     `json:"reference"`
	// Timeliness is "on time", "late", "overdue", "open", "waived", "retired" or
	// "waiting for its trigger".
	Timeliness string `json:"timeliness"`
	// Reason is the late reason, the waiver's reason, the retirement's reason or
	// the time left.
	Reason string `json:"reason"`
}

// Metric is one measured interval, with what it ran from and to.
type Metric struct {
	Name  string `json:"name"`
	Value string `json:"value"` // "2d 3h", or "unknown"
	Basis string `json:"basis"` // "from zendesk.window.from (…) to timeline.detected_at (…)"
}

// Build computes the report's sections from the record.
func Build(rec Record) Report {
	st := rec.State
	r := Report{
		ID: st.ID, Title: st.Title, Playbook: st.Playbook, Phase: string(st.Phase),
		Severity: st.Severity, SeverityReason: st.SeverityReason,
		DeclaredAt: st.DeclaredAt, DeclaredBy: st.DeclaredBy, ClosedAt: st.ClosedAt, CloseReason: st.CloseReason,
		Summary: st.Facts.Summary, GeneratedAt: rec.GeneratedAt, GeneratedBy: rec.GeneratedBy,
		Timeline: st.Timeline,
	}
	r.AffectedPeople, r.AffectedRecs = affected(st)
	r.DataCategories = strings.Join(st.Facts.DataCategories, ", ")
	r.Ownership = ownershipOf(st.Ownership)
	for _, h := range st.OwnershipHistory {
		r.Revisions = append(r.Revisions, Revision{At: h.At, Actor: h.Actor, From: brief(h.From), To: brief(h.To), Reason: h.Reason})
	}
	for _, s := range st.Steps {
		r.Containment = append(r.Containment, actionOf(s))
	}
	if rb := st.Rollback; rb != nil {
		r.Rollback = fmt.Sprintf("rolled back by %s at %s", rb.Actor, stamp(rb.At))
		if rb.Reason != "" {
			r.Rollback += ": " + rb.Reason
		}
		if !rb.Complete {
			r.Rollback += " (not complete)"
		}
	}
	r.Evidence = evidenceOf(st.Evidence, rec)
	r.Obligations = obligationsOf(rec)
	r.Metrics = metricsOf(st, r.Obligations)
	r.FollowUps = followUps(st, r)
	return r
}

func affected(st incident.State) (people, records string) {
	var total int64
	var parts []string
	for _, j := range st.Facts.Affected.Individuals {
		total += j.Count
		parts = append(parts, fmt.Sprintf("%s %d", j.Jurisdiction, j.Count))
	}
	if len(parts) > 0 {
		people = fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
	}
	if n := st.Facts.Affected.Records; n != nil {
		records = fmt.Sprintf("%d", *n)
	}
	return people, records
}

func ownershipOf(o incident.OwnershipState) Ownership {
	out := Ownership{Owner: string(o.Owner), Confidence: string(o.Confidence), Source: o.Source,
		Clauses: o.Clauses, Rationale: o.Rationale, Disagreement: o.Disagreement}
	for _, q := range o.OpenQuestions {
		out.OpenQuestions = append(out.OpenQuestions, q.Question)
	}
	if o.DecidedBy != "" {
		out.Decided = "by " + o.DecidedBy
		if o.DecidedAt != nil {
			out.Decided += " at " + stamp(*o.DecidedAt)
		}
		if o.DecisionReason != "" {
			out.Decided += ": " + o.DecisionReason
		}
	}
	return out
}

func brief(b incident.OwnershipBrief) string {
	s := string(b.Owner)
	if s == "" {
		s = "none"
	}
	var extra []string
	if b.Confidence != "" {
		extra = append(extra, string(b.Confidence))
	}
	if len(b.Clauses) > 0 {
		extra = append(extra, strings.Join(b.Clauses, ", "))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, "; ") + ")"
	}
	return s
}

func actionOf(s incident.StepState) Action {
	a := Action{Step: s.Step.ID, Action: s.Step.Action, Status: string(s.Status), ApprovedAt: s.ApprovedAt, FinishedAt: s.FinishedAt}
	var who []string
	for _, ap := range s.Approvals {
		w := ap.Actor
		if ap.Via != "" {
			w += " via " + ap.Via
		}
		if ap.Reason != "" {
			w += " (" + ap.Reason + ")"
		}
		who = append(who, w)
	}
	if len(who) == 0 && s.ApprovedBy != "" {
		w := s.ApprovedBy
		if s.ApprovalReason != "" {
			w += " (" + s.ApprovalReason + ")"
		}
		who = append(who, w)
	}
	if s.Status == incident.StepSkipped {
		w := "skipped"
		if s.SkippedBy != "" {
			w += " by " + s.SkippedBy
		}
		if s.SkipReason != "" {
			w += ": " + s.SkipReason
		}
		who = append(who, w)
	}
	a.ApprovedBy = strings.Join(who, "; ")
	var res []string
	for _, ar := range s.Results {
		res = append(res, applied(ar))
	}
	res = append(res, s.Errors...)
	for _, u := range s.Undone {
		res = append(res, fmt.Sprintf("undone %s on %s", u.Action, u.Target))
	}
	a.Result = strings.Join(res, "; ")
	return a
}

func applied(ar containment.ApplyResult) string {
	what := "unchanged (already so)"
	if ar.Changed {
		what = "changed"
	}
	s := ar.Target.String() + ": " + what
	if len(ar.RequestIDs) > 0 {
		s += " (Zendesk request " + strings.Join(ar.RequestIDs, ", ") + ")"
	}
	return s
}

func evidenceOf(es incident.EvidenceStatus, rec Record) Evidence {
	ev := Evidence{Status: es.Summary(), ManifestSHA256: es.ManifestSHA256, Gaps: es.Gaps, Problem: rec.ManifestProblem}
	if ev.Status == "" {
		ev.Status = incident.EvidenceNotStarted
	}
	if m := rec.ManifestRecorded; m != nil {
		ev.ManifestSHA256 = m.SHA256
		at := m.RecordedAt
		ev.RecordedAt = &at
	}
	if m := rec.Manifest; m != nil {
		for _, src := range m.Sources {
			for _, f := range src.Files {
				ev.Files = append(ev.Files, EvidenceFile{Source: src.Source, Path: f.Path, SHA256: f.SHA256, Records: f.Records})
			}
		}
		if len(ev.Gaps) == 0 {
			ev.Gaps = m.Gaps
		}
	}
	return ev
}

// obligationsOf lists each obligation once: from the newest clock row of each
// obligation (a retired clock and the one that replaced it are one duty), else
// from the incident's state.
func obligationsOf(rec Record) []Obligation {
	var out []Obligation
	if len(rec.Clocks) == 0 {
		for _, o := range rec.State.Obligations {
			if !o.Applicable && o.ClockWorkflowID == "" {
				continue
			}
			ob := Obligation{ID: o.ID, Title: o.Title, Audience: o.Audience, Jurisdiction: o.Jurisdiction,
				Citation: o.Citation, Due: o.DueAt, DueText: o.DueText, Status: o.Status, FulfilledAt: o.FulfilledAt}
			ob.Timeliness, ob.Reason = timeliness(o.Status, o.DueAt, o.FulfilledAt, rec.GeneratedAt)
			if o.Retired != "" {
				ob.Timeliness, ob.Reason = "retired", o.Retired
			}
			out = append(out, ob)
		}
		return out
	}
	latest := map[string]incident.ObligationRecord{}
	for _, c := range rec.Clocks {
		cur, ok := latest[c.ObligationID]
		if !ok || preferred(c, cur) {
			latest[c.ObligationID] = c
		}
	}
	rows := make([]incident.ObligationRecord, 0, len(latest))
	for _, c := range latest {
		rows = append(rows, c)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].Clock.Obligation, rows[j].Clock.Obligation
		a.DueAt, b.DueAt = rows[i].DueAt, rows[j].DueAt
		if obligations.Less(&a, &b) != obligations.Less(&b, &a) {
			return obligations.Less(&a, &b)
		}
		return rows[i].ObligationID < rows[j].ObligationID
	})
	for _, c := range rows {
		cv := c.Clock.View(rec.GeneratedAt)
		o := cv.Obligation
		ob := Obligation{ID: c.ObligationID, Title: o.Title, Audience: c.Audience, Jurisdiction: c.Jurisdiction,
			Citation: o.Citation, Due: cv.DueAt, DueText: o.DueText, Status: cv.Status, FulfilledAt: c.FulfilledAt}
		if f := cv.Fulfilment; f != nil {
			at := f.At
			ob.FulfilledAt, ob.Reference = &at, f.Reference
		}
		ob.Timeliness, ob.Reason = timeliness(cv.Status, cv.DueAt, ob.FulfilledAt, rec.GeneratedAt)
		switch {
		case cv.Fulfilment != nil && cv.Fulfilment.LateReason != "":
			ob.Reason = cv.Fulfilment.LateReason
		case cv.Waiver != nil:
			ob.Reason = cv.Waiver.Reason
		case cv.Status == incident.ClockRetired:
			ob.Reason = cv.RetiredReason
		case cv.Paused != nil:
			ob.Timeliness = "paused"
			ob.Reason = fmt.Sprintf("until %s: %s", stamp(cv.Paused.Until), cv.Paused.Reason)
		}
		out = append(out, ob)
	}
	return out
}

// preferred orders two rows of one obligation: a clock that runs beats a retired
// one; then the one written last.
func preferred(a, b incident.ObligationRecord) bool {
	ar, br := a.Clock.Status == incident.ClockRetired, b.Clock.Status == incident.ClockRetired
	if ar != br {
		return br
	}
	return a.UpdatedAt.After(b.UpdatedAt)
}

// timeliness says whether a duty was met on time, and the time left of an open
// one.
func timeliness(status string, due, fulfilled *time.Time, now time.Time) (string, string) {
	switch {
	case status == obligations.StatusFulfilled && fulfilled != nil && due != nil && fulfilled.After(*due):
		return "late", ""
	case status == obligations.StatusFulfilled:
		return "on time", ""
	case status == incident.ClockWaived:
		return "waived", ""
	case status == incident.ClockRetired:
		return "retired", ""
	case due == nil:
		return "waiting for its trigger", ""
	case now.After(*due):
		return "overdue", incident.Span(now.Sub(*due)) + " overdue"
	}
	return "open", incident.Span(due.Sub(now)) + " left"
}

func metricsOf(st incident.State, obs []Obligation) []Metric {
	tl := st.Facts.Timeline
	var activity *time.Time
	if w := st.Facts.Zendesk.Window; w != nil {
		activity = w.From
	}
	detected, detectedName := first(tl.DetectedAt, "timeline.detected_at", tl.DiscoveredAt, "timeline.discovered_at", tl.AwareAt, "timeline.aware_at")
	if detected == nil {
		d := st.DeclaredAt
		detected, detectedName = &d, "declared_at"
	}
	var contained *time.Time
	for _, s := range st.Steps {
		if s.Status == incident.StepDone && s.FinishedAt != nil && (contained == nil || s.FinishedAt.After(*contained)) {
			contained = s.FinishedAt
		}
	}
	aware, awareName := first(tl.AwareAt, "timeline.aware_at", detected, detectedName)
	var notified *time.Time
	var notifiedName string
	for _, o := range obs {
		if o.Audience == "authority" && o.FulfilledAt != nil && (notified == nil || o.FulfilledAt.Before(*notified)) {
			notified, notifiedName = o.FulfilledAt, "the first authority notice ("+o.ID+")"
		}
	}
	return []Metric{
		interval("Time to detect", activity, "the start of the suspicious activity (zendesk.window.from)", detected, detectedName),
		interval("Time to contain", detected, detectedName, contained, "the last containment step done"),
		interval("Time to notify", aware, awareName, notified, notifiedName),
	}
}

func first(pairs ...any) (*time.Time, string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if t, ok := pairs[i].(*time.Time); ok && t != nil {
			return t, pairs[i+1].(string)
		}
	}
	return nil, ""
}

func interval(name string, from *time.Time, fromName string, to *time.Time, toName string) Metric {
	m := Metric{Name: name, Value: "unknown"}
	switch {
	case from == nil && to == nil:
		m.Basis = "neither end is recorded"
	case from == nil:
		m.Basis = "no record of " + fromName
	case to == nil && toName == "":
		m.Basis = "not yet (no authority notice recorded)"
	case to == nil:
		m.Basis = "not yet (no record of " + toName + ")"
	default:
		m.Value = incident.Span(to.Sub(*from))
		if to.Before(*from) {
			m.Value = "-" + m.Value
		}
		m.Basis = fmt.Sprintf("from %s (%s) to %s (%s)", fromName, stamp(*from), toName, stamp(*to))
	}
	return m
}

// followUps are the things the record says are not finished.
func followUps(st incident.State, r Report) []string {
	var out []string
	for _, o := range r.Obligations {
		switch o.Timeliness {
		case "open", "overdue", "paused":
			due := "no due date yet"
			if o.Due != nil {
				due = "due " + stamp(*o.Due)
			}
			out = append(out, fmt.Sprintf("Obligation %s (%s) is %s: %s, %s", o.ID, o.Citation, o.Timeliness, due, o.Reason))
		case "waiting for its trigger":
			out = append(out, fmt.Sprintf("Obligation %s (%s) waits for %s", o.ID, o.Citation, o.DueText))
		case "late":
			out = append(out, fmt.Sprintf("Obligation %s was fulfilled late: review why (%s)", o.ID, nonEmpty(o.Reason, "no reason recorded")))
		}
	}
	for _, s := range st.Steps {
		switch s.Status {
		case incident.StepFailed:
			out = append(out, fmt.Sprintf("Containment step %s (%s) failed: %s", s.Step.ID, s.Step.Action, strings.Join(s.Errors, "; ")))
		case incident.StepPending, incident.StepAwaitingApproval:
			out = append(out, fmt.Sprintf("Containment step %s (%s) was never run (%s)", s.Step.ID, s.Step.Action, s.Status))
		}
	}
	for _, g := range r.Evidence.Gaps {
		out = append(out, fmt.Sprintf("Evidence gap %s: %s", g.Source, g.Reason))
	}
	if r.Evidence.Problem != "" {
		out = append(out, "Evidence manifest: "+r.Evidence.Problem)
	}
	if st.Ownership.Disagreement != "" {
		out = append(out, "Ownership: "+st.Ownership.Disagreement)
	}
	for _, q := range r.Ownership.OpenQuestions {
		out = append(out, "Open question: "+q)
	}
	if st.Phase != incident.PhaseClosed {
		out = append(out, fmt.Sprintf("The incident is not closed (phase %s)", st.Phase))
	}
	return out
}

func nonEmpty(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// stamp renders an instant for the report: UTC, to the minute.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
