package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-pdf/fpdf"
)

// PDF layout, in millimetres on landscape A4 (the tables are wide).
const (
	pdfMargin = 12.0
	pdfLineH  = 4.2
	pdfFont   = "Helvetica"
)

// PDF writes the report as a PDF with github.com/go-pdf/fpdf. It uses the PDF
// core font Helvetica, which every reader has, so nothing is embedded and a
// 10,000-entry timeline stays small and quick; text is encoded in Windows-1252,
// the core fonts' encoding, with the few characters irflow writes outside it
// (arrows, ellipses, dashes) spelled out first.
func (r Report) PDF(w io.Writer) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(false, pdfMargin)
	pdf.SetTitle(r.ID+" post-incident report", true)
	pdf.SetAuthor(nonEmpty(r.GeneratedBy, "irflow"), true)
	pdf.SetCreator("irflow", true)
	pdf.AliasNbPages("{nb}")
	enc := pdf.UnicodeTranslatorFromDescriptor("") // cp1252
	tr := func(s string) string { return enc(pdfSafe.Replace(s)) }
	pdf.SetFooterFunc(func() {
		pdf.SetY(-9)
		pdf.SetFont(pdfFont, "", 8)
		pdf.SetTextColor(110, 110, 110)
		pdf.CellFormat(0, 4, tr(fmt.Sprintf("%s post-incident report, generated %s", r.ID, stamp(r.GeneratedAt))), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	p := &pdfWriter{pdf: pdf, tr: tr}
	pdf.AddPage()
	_, pageH := pdf.GetPageSize()
	p.bottom = pageH - pdfMargin - 4

	pdf.SetFont(pdfFont, "B", 16)
	pdf.MultiCell(0, 7, tr("Post-incident report: "+r.ID+" "+r.Title), "", "L", false)
	pdf.SetFont(pdfFont, "", 9)
	pdf.MultiCell(0, 5, tr(fmt.Sprintf("Generated %s by %s from irflow's record.", stamp(r.GeneratedAt), nonEmpty(r.GeneratedBy, "irflow"))), "", "L", false)

	p.heading(SecSummary)
	p.pairs(r.summaryRows())
	p.heading(SecOwnership)
	p.pairs(r.ownershipRows())
	p.subheading(SecRevisions)
	if len(r.Revisions) == 0 {
		p.para("No revision: the ownership determined at triage stands.")
	} else {
		p.table([]string{"When", "Who", "From", "To", "Reason"}, []float64{1, 1, 1.5, 1.5, 2.5}, len(r.Revisions), func(i int) []string {
			v := r.Revisions[i]
			return []string{stamp(v.At), v.Actor, v.From, v.To, v.Reason}
		})
	}
	p.heading(SecContainment)
	if len(r.Containment) == 0 {
		p.para("The playbook has no containment step.")
	} else {
		p.table([]string{"Step", "Action", "Status", "Approved by", "Approved at", "Finished at", "Result"}, []float64{1.2, 1.2, 0.8, 1.8, 1.25, 1.25, 2.5}, len(r.Containment), func(i int) []string {
			a := r.Containment[i]
			return []string{a.Step, a.Action, a.Status, a.ApprovedBy, optStamp(a.ApprovedAt), optStamp(a.FinishedAt), a.Result}
		})
	}
	if r.Rollback != "" {
		p.para("Rollback: " + r.Rollback)
	}
	p.heading(SecEvidence)
	p.pairs(r.evidenceRows())
	if len(r.Evidence.Files) > 0 {
		p.table([]string{"Source", "File", "Records", "SHA-256"}, []float64{1, 2, 0.6, 3}, len(r.Evidence.Files), func(i int) []string {
			f := r.Evidence.Files[i]
			return []string{f.Source, f.Path, fmt.Sprint(f.Records), f.SHA256}
		})
	}
	for _, g := range r.Evidence.Gaps {
		p.para("Gap " + g.Source + ": " + g.Reason)
	}
	p.heading(SecObligations)
	if len(r.Obligations) == 0 {
		p.para("No notification obligation applies to the recorded facts.")
	} else {
		p.table([]string{"Obligation", "Audience", "Citation", "Due", "Fulfilled", "Reference", "On time?", "Reason"}, []float64{1.7, 1, 1.4, 1.25, 1.25, 1.2, 0.8, 1.6}, len(r.Obligations), func(i int) []string {
			o := r.Obligations[i]
			return []string{o.ID, o.Audience + " " + o.Jurisdiction, o.Citation, dueOf(o), optStamp(o.FulfilledAt), o.Reference, o.Timeliness, o.Reason}
		})
	}
	p.heading(SecMetrics)
	p.table([]string{"Metric", "Value", "Measured"}, []float64{1, 0.8, 5}, len(r.Metrics), func(i int) []string {
		m := r.Metrics[i]
		return []string{m.Name, m.Value, m.Basis}
	})
	p.heading(SecFollowUps)
	if len(r.FollowUps) == 0 {
		p.para("Nothing left open.")
	}
	for _, f := range r.FollowUps {
		p.para("- " + f)
	}
	p.heading(SecTimeline)
	p.table([]string{"#", "When", "Who", "Kind", "What"}, []float64{0.4, 1.1, 1.4, 1.1, 6}, len(r.Timeline), func(i int) []string {
		e := r.Timeline[i]
		return []string{fmt.Sprint(e.Seq), stamp(e.At), actorOf(e.Actor, e.Via, e.ExternalID), e.Kind, e.Text}
	})
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render pdf report: %w", err)
	}
	return nil
}

// pdfSafe spells out the characters irflow's texts use that Windows-1252 lacks.
var pdfSafe = strings.NewReplacer("→", "->", "←", "<-", "≥", ">=", "≤", "<=", "✓", "v", "✗", "x", "\t", " ")

// pdfWriter lays out headings, paragraphs and tables that break across pages.
type pdfWriter struct {
	pdf    *fpdf.Fpdf
	tr     func(string) string
	bottom float64
}

func (p *pdfWriter) room(h float64) {
	if p.pdf.GetY()+h > p.bottom {
		p.pdf.AddPage()
	}
}

func (p *pdfWriter) heading(s string) {
	p.room(20)
	p.pdf.Ln(3)
	p.pdf.SetFont(pdfFont, "B", 13)
	p.pdf.CellFormat(0, 7, p.tr(s), "B", 1, "L", false, 0, "")
	p.pdf.Ln(1.5)
}

func (p *pdfWriter) subheading(s string) {
	p.room(14)
	p.pdf.SetFont(pdfFont, "B", 10.5)
	p.pdf.CellFormat(0, 6, p.tr(s), "", 1, "L", false, 0, "")
}

func (p *pdfWriter) para(s string) {
	p.pdf.SetFont(pdfFont, "", 9)
	lines := p.split(s, p.width())
	for _, l := range lines {
		p.room(pdfLineH)
		p.pdf.CellFormat(0, pdfLineH, l, "", 1, "L", false, 0, "")
	}
	p.pdf.Ln(1)
}

// split wraps s to lines of at most w, encoded for the core font. fpdf's
// SplitText measures runes by their code in the font's 256-entry width table, so
// it is given the Windows-1252 bytes as runes 0-255 (an em dash is byte 0x97, not
// U+2014), and the lines it returns are turned back into those bytes.
func (p *pdfWriter) split(s string, w float64) []string {
	enc := p.tr(s)
	runes := make([]rune, len(enc))
	for i := 0; i < len(enc); i++ {
		runes[i] = rune(enc[i])
	}
	lines := p.pdf.SplitText(string(runes), w)
	for i, l := range lines {
		b := make([]byte, 0, len(l))
		for _, r := range l {
			b = append(b, byte(r))
		}
		lines[i] = string(b)
	}
	return lines
}

func (p *pdfWriter) width() float64 {
	w, _ := p.pdf.GetPageSize()
	return w - 2*pdfMargin
}

// pairs writes label: value lines, the value wrapped beside its label.
func (p *pdfWriter) pairs(rows [][2]string) {
	labelW := 38.0
	valueW := p.width() - labelW
	for _, kv := range rows {
		p.pdf.SetFont(pdfFont, "", 9)
		lines := p.split(kv[1], valueW)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for i, l := range lines {
			p.room(pdfLineH)
			label := ""
			if i == 0 {
				label = p.tr(kv[0])
			}
			p.pdf.SetFont(pdfFont, "B", 9)
			p.pdf.CellFormat(labelW, pdfLineH, label, "", 0, "L", false, 0, "")
			p.pdf.SetFont(pdfFont, "", 9)
			p.pdf.CellFormat(valueW, pdfLineH, l, "", 1, "L", false, 0, "")
		}
	}
}

// table writes n rows with the given relative column widths; cells wrap, rows
// never split across pages, and the header repeats on each page.
func (p *pdfWriter) table(head []string, weights []float64, n int, row func(int) []string) {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	widths := make([]float64, len(weights))
	for i, w := range weights {
		widths[i] = p.width() * w / total
	}
	header := func() {
		p.pdf.SetFont(pdfFont, "B", 8.5)
		p.pdf.SetFillColor(236, 239, 244)
		for i, h := range head {
			p.pdf.CellFormat(widths[i], 5.5, p.tr(h), "1", 0, "L", true, 0, "")
		}
		p.pdf.Ln(-1)
		p.pdf.SetFont(pdfFont, "", 8)
	}
	p.room(12)
	header()
	const pad = 1.0
	cellLines := make([][]string, len(head))
	for i := 0; i < n; i++ {
		cells := row(i)
		lines := 1
		for c := range head {
			txt := ""
			if c < len(cells) {
				txt = cells[c]
			}
			cellLines[c] = p.split(txt, widths[c]-2*pad)
			if len(cellLines[c]) > lines {
				lines = len(cellLines[c])
			}
		}
		h := float64(lines)*3.6 + 1.2
		if p.pdf.GetY()+h > p.bottom {
			p.pdf.AddPage()
			header()
		}
		x, y := p.pdf.GetX(), p.pdf.GetY()
		for c := range head {
			p.pdf.Rect(x, y, widths[c], h, "D")
			for k, l := range cellLines[c] {
				p.pdf.SetXY(x+pad, y+0.6+float64(k)*3.6)
				p.pdf.CellFormat(widths[c]-2*pad, 3.6, l, "", 0, "L", false, 0, "")
			}
			x += widths[c]
		}
		p.pdf.SetXY(pdfMargin, y+h)
	}
	p.pdf.Ln(2)
}
