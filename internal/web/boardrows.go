package web

import (
	"html/template"
	"strings"

	"irflow/internal/incident"
)

// boardRows renders the deadline board's rows. The board is the one page with
// thousands of rows, and html/template's reflection costs about 40 µs a row, so
// its rows are written here with the same escaping (template.HTMLEscapeString for
// text, template.URLQueryEscaper for path and query parts): a 10,000-clock board
// renders in a few tens of milliseconds instead of half a second. The columns
// must match board.tmpl's header.
func boardRows(rows []incident.Deadline, p page) template.HTML {
	canFulfil, canPause, canWaive, canTrigger := p.Can(string(incident.ActFulfil)), p.Can(string(incident.ActPause)),
		p.Can(string(incident.ActWaive)), p.Can(string(incident.ActSetTrigger))
	var b strings.Builder
	b.Grow(len(rows) * 900)
	esc := template.HTMLEscapeString
	for i := range rows {
		r := &rows[i]
		v := &r.View
		inc, ob := esc(r.IncidentID), esc(r.ObligationID)
		base := "/incidents/" + template.URLQueryEscaper(r.IncidentID) + "/obligations/" + template.URLQueryEscaper(r.ObligationID)
		b.WriteString(`<tr class="u-`)
		b.WriteString(urgency(v))
		b.WriteString(`" data-incident="`)
		b.WriteString(inc)
		b.WriteString(`" data-obligation="`)
		b.WriteString(ob)
		b.WriteString(`"><td class="left">`)
		if v.DueAt != nil {
			b.WriteString(`<time class="countdown" data-due="`)
			b.WriteString(v.DueAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
			b.WriteString(`">`)
			b.WriteString(esc(left(v.TimeLeft)))
			b.WriteString(`</time>`)
		} else {
			b.WriteString(esc(v.Obligation.DueText))
		}
		b.WriteString(`</td><td>`)
		if v.DueAt != nil {
			b.WriteString(v.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
		}
		b.WriteString(`</td><td><strong>`)
		b.WriteString(ob)
		b.WriteString(`</strong><br><span class="hint">`)
		b.WriteString(esc(v.Obligation.Citation))
		b.WriteString(`</span></td><td><a href="/incidents/`)
		b.WriteString(template.URLQueryEscaper(r.IncidentID))
		b.WriteString(`">`)
		b.WriteString(inc)
		b.WriteString(`</a><br><span class="hint">`)
		b.WriteString(esc(r.Incident.Title))
		b.WriteString(`</span></td><td>`)
		b.WriteString(esc(r.Audience))
		b.WriteString(`</td><td>`)
		b.WriteString(esc(r.Jurisdiction))
		b.WriteString(`</td><td>`)
		b.WriteString(esc(v.Status))
		b.WriteString(`</td><td class="actions">`)
		if canFulfil {
			b.WriteString(`<a class="button" href="` + base + `/fulfil?next=/board">Mark fulfilled</a> `)
		}
		if canPause {
			if v.Paused != nil {
				b.WriteString(`<a class="button secondary" href="` + base + `/resume?next=/board">Resume</a> `)
			} else {
				b.WriteString(`<a class="button secondary" href="` + base + `/pause?next=/board">Pause</a> `)
			}
		}
		if canWaive {
			b.WriteString(`<a class="button secondary" href="` + base + `/waive?next=/board">Waive</a> `)
		}
		if canTrigger && isTriggerField(v.Obligation.Trigger) {
			b.WriteString(`<a class="button secondary" href="/incidents/` + template.URLQueryEscaper(r.IncidentID) + `/trigger?field=` +
				template.URLQueryEscaper(v.Obligation.Trigger) + `&amp;next=/board">Move trigger</a>`)
		}
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String())
}

func isTriggerField(f string) bool {
	for _, t := range triggerFields {
		if t == f {
			return true
		}
	}
	return false
}
