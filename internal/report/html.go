package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"time"
)

//go:embed report.html.tmpl
var htmlSource string

// htmlTemplate is parsed once; html/template escapes every value, so a title or a
// note with markup in it is shown, never run.
var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"stamp":    stamp,
	"optStamp": optStamp,
	"due":      dueOf,
	"actor":    actorOf,
	"sec": func(name string) string {
		return map[string]string{"summary": SecSummary, "ownership": SecOwnership, "revisions": SecRevisions,
			"containment": SecContainment, "evidence": SecEvidence, "obligations": SecObligations,
			"metrics": SecMetrics, "followups": SecFollowUps, "timeline": SecTimeline}[name]
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(htmlSource))

type htmlData struct {
	Report
	SummaryRows, OwnershipRows, EvidenceRows [][2]string
}

// HTML writes the report as one self-contained HTML page (styles inline, no
// script), readable on screen and printable.
func (r Report) HTML(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	d := htmlData{Report: r, SummaryRows: r.summaryRows(), OwnershipRows: r.ownershipRows(), EvidenceRows: r.evidenceRows()}
	if err := htmlTemplate.Execute(bw, d); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	return bw.Flush()
}
