package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// Section titles, in the order every format renders them.
const (
	SecSummary     = "Summary"
	SecOwnership   = "Ownership"
	SecRevisions   = "Ownership revisions"
	SecContainment = "Containment actions"
	SecEvidence    = "Evidence manifest"
	SecObligations = "Notification obligations"
	SecMetrics     = "Metrics"
	SecFollowUps   = "Follow-ups"
	SecTimeline    = "Timeline"
)

// Markdown writes the report as GitHub-flavoured Markdown.
func (r Report) Markdown(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("# Post-incident report: %s %s\n\n", r.ID, mdText(r.Title))
	p("Generated %s by %s from irflow's record.\n\n", stamp(r.GeneratedAt), mdText(nonEmpty(r.GeneratedBy, "irflow")))

	p("## %s\n\n", SecSummary)
	for _, kv := range r.summaryRows() {
		p("- **%s:** %s\n", kv[0], mdText(kv[1]))
	}
	p("\n")

	p("## %s\n\n", SecOwnership)
	for _, kv := range r.ownershipRows() {
		p("- **%s:** %s\n", kv[0], mdText(kv[1]))
	}
	p("\n")
	p("### %s\n\n", SecRevisions)
	if len(r.Revisions) == 0 {
		p("No revision: the ownership determined at triage stands.\n\n")
	} else {
		mdTable(bw, []string{"When", "Who", "From", "To", "Reason"}, len(r.Revisions), func(i int) []string {
			v := r.Revisions[i]
			return []string{stamp(v.At), v.Actor, v.From, v.To, v.Reason}
		})
	}

	p("## %s\n\n", SecContainment)
	if len(r.Containment) == 0 {
		p("The playbook has no containment step.\n\n")
	} else {
		mdTable(bw, []string{"Step", "Action", "Status", "Approved by", "Approved at", "Finished at", "Result"}, len(r.Containment), func(i int) []string {
			a := r.Containment[i]
			return []string{a.Step, a.Action, a.Status, a.ApprovedBy, optStamp(a.ApprovedAt), optStamp(a.FinishedAt), a.Result}
		})
	}
	if r.Rollback != "" {
		p("Rollback: %s\n\n", mdText(r.Rollback))
	}

	p("## %s\n\n", SecEvidence)
	for _, kv := range r.evidenceRows() {
		p("- **%s:** %s\n", kv[0], mdText(kv[1]))
	}
	p("\n")
	if len(r.Evidence.Files) > 0 {
		mdTable(bw, []string{"Source", "File", "Records", "SHA-256"}, len(r.Evidence.Files), func(i int) []string {
			f := r.Evidence.Files[i]
			return []string{f.Source, f.Path, fmt.Sprint(f.Records), f.SHA256}
		})
	}
	if len(r.Evidence.Gaps) > 0 {
		for _, g := range r.Evidence.Gaps {
			p("- Gap **%s**: %s\n", mdText(g.Source), mdText(g.Reason))
		}
		p("\n")
	}

	p("## %s\n\n", SecObligations)
	if len(r.Obligations) == 0 {
		p("No notification obligation applies to the recorded facts.\n\n")
	} else {
		mdTable(bw, []string{"Obligation", "Audience", "Citation", "Due", "Fulfilled", "Reference", "On time?", "Reason"}, len(r.Obligations), func(i int) []string {
			o := r.Obligations[i]
			return []string{o.ID, o.Audience + " " + o.Jurisdiction, o.Citation, dueOf(o), optStamp(o.FulfilledAt), o.Reference, o.Timeliness, o.Reason}
		})
	}

	p("## %s\n\n", SecMetrics)
	mdTable(bw, []string{"Metric", "Value", "Measured"}, len(r.Metrics), func(i int) []string {
		m := r.Metrics[i]
		return []string{m.Name, m.Value, m.Basis}
	})

	p("## %s\n\n", SecFollowUps)
	if len(r.FollowUps) == 0 {
		p("Nothing left open.\n\n")
	} else {
		for _, f := range r.FollowUps {
			p("- [ ] %s\n", mdText(f))
		}
		p("\n")
	}

	p("## %s\n\n", SecTimeline)
	mdTable(bw, []string{"#", "When", "Who", "Kind", "What"}, len(r.Timeline), func(i int) []string {
		e := r.Timeline[i]
		return []string{fmt.Sprint(e.Seq), stamp(e.At), actorOf(e.Actor, e.Via, e.ExternalID), e.Kind, e.Text}
	})
	return bw.Flush()
}

// summaryRows are the summary section's label and value pairs.
func (r Report) summaryRows() [][2]string {
	rows := [][2]string{
		{"Incident", r.ID + " " + r.Title},
		{"Playbook", r.Playbook},
		{"Phase", r.Phase},
		{"Severity", strings.TrimSpace(r.Severity + " " + paren(r.SeverityReason))},
		{"Declared", stamp(r.DeclaredAt) + " by " + nonEmpty(r.DeclaredBy, "unknown")},
	}
	if r.ClosedAt != nil {
		rows = append(rows, [2]string{"Closed", stamp(*r.ClosedAt) + ": " + nonEmpty(r.CloseReason, "no reason given")})
	} else {
		rows = append(rows, [2]string{"Closed", "not closed"})
	}
	if r.Summary != "" {
		rows = append(rows, [2]string{"What happened", r.Summary})
	}
	if r.AffectedPeople != "" {
		rows = append(rows, [2]string{"People affected", r.AffectedPeople})
	}
	if r.AffectedRecs != "" {
		rows = append(rows, [2]string{"Records affected", r.AffectedRecs})
	}
	if r.DataCategories != "" {
		rows = append(rows, [2]string{"Data categories", r.DataCategories})
	}
	return rows
}

func (r Report) ownershipRows() [][2]string {
	o := r.Ownership
	rows := [][2]string{
		{"Owner", nonEmpty(o.Owner, "undetermined") + " (" + nonEmpty(o.Confidence, "unknown") + ", " + nonEmpty(o.Source, "computed") + ")"},
		{"Clauses", nonEmpty(strings.Join(o.Clauses, ", "), "none")},
		{"Rationale", nonEmpty(o.Rationale, "none recorded")},
	}
	if o.Decided != "" {
		rows = append(rows, [2]string{"Decided", o.Decided})
	}
	if o.Disagreement != "" {
		rows = append(rows, [2]string{"Disagreement", o.Disagreement})
	}
	return rows
}

func (r Report) evidenceRows() [][2]string {
	e := r.Evidence
	rows := [][2]string{{"Status", e.Status}, {"Manifest SHA-256", nonEmpty(e.ManifestSHA256, "none recorded")}}
	if e.RecordedAt != nil {
		rows = append(rows, [2]string{"Recorded", stamp(*e.RecordedAt)})
	}
	if e.Problem != "" {
		rows = append(rows, [2]string{"Problem", e.Problem})
	}
	return rows
}

func dueOf(o Obligation) string {
	if o.Due != nil {
		return stamp(*o.Due)
	}
	return o.DueText
}

func optStamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return stamp(*t)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func actorOf(actor, via, externalID string) string {
	if via != "" {
		actor += " via " + via
		if externalID != "" {
			// The person's id in that channel (a Slack user id), as recorded.
			actor += " " + externalID
		}
	}
	return actor
}

// mdTable writes a Markdown table of n rows.
func mdTable(w *bufio.Writer, head []string, n int, row func(int) []string) {
	w.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		w.WriteString(" --- |")
	}
	w.WriteString("\n")
	for i := 0; i < n; i++ {
		w.WriteString("|")
		for _, c := range row(i) {
			w.WriteString(" ")
			w.WriteString(mdCell(c))
			w.WriteString(" |")
		}
		w.WriteString("\n")
	}
	w.WriteString("\n")
}

var mdCellEscaper = strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "<", "&lt;", ">", "&gt;")

// mdCell escapes a table cell: a pipe would end the cell, a newline the row, and
// angle brackets would be read as HTML by most renderers.
func mdCell(s string) string { return mdCellEscaper.Replace(s) }

var mdTextEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "\r\n", " ", "\n", " ")

// mdText escapes running text: no HTML, one line.
func mdText(s string) string { return mdTextEscaper.Replace(s) }
