package web

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"irflow/internal/httpapi"
	"irflow/internal/incident"
)

// calendar serves the user's calendar feed (RFC 5545): every open obligation with
// a due date as an event at its due instant, with a reminder a day before. A
// calendar program polls it, so it follows the clocks as triggers move, pauses
// extend deadlines and notices are recorded. It takes the user's calendar token
// (shown on the deadline board) instead of a session, since calendar programs
// cannot sign in; the token opens this feed only.
func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	userID, ok := s.sess.calendarUser(r.URL.Query().Get("token"))
	if !ok {
		http.Error(w, "calendar.ics needs the token from your deadline board: /calendar.ics?token=...", http.StatusUnauthorized)
		return
	}
	u, err := s.users.GetUser(r.Context(), userID)
	if err != nil || u.Disabled {
		http.Error(w, "this calendar token's user no longer exists or is disabled", http.StatusUnauthorized)
		return
	}
	ctx := incident.WithIdentity(r.Context(), incident.Identity{User: u, Via: incident.ViaWeb})
	rows, err := s.svc.Deadlines(ctx, incident.ObligationFilter{Open: true})
	if err != nil {
		status := http.StatusInternalServerError
		if ie, ok := err.(*incident.Error); ok {
			status = httpapi.StatusOf(ie.Code)
		}
		http.Error(w, "cannot read the obligations", status)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="irflow-deadlines.ics"`)
	_ = writeICS(w, rows, baseURL(r), s.now())
}

// writeICS writes rows as an iCalendar document. Each event's UID is its clock's
// workflow id, so a moved deadline updates the event instead of adding another.
func writeICS(w http.ResponseWriter, rows []incident.Deadline, base string, now time.Time) error {
	bw := bufio.NewWriter(w)
	line := func(name, value string) { foldLine(bw, name+":"+value) }
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//irflow//deadline board//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", "irflow notification deadlines")
	line("REFRESH-INTERVAL;VALUE=DURATION", "PT15M")
	for _, d := range rows {
		if d.View.DueAt == nil {
			continue
		}
		o := d.View.Obligation
		title := o.Title
		if title == "" {
			title = d.ObligationID
		}
		line("BEGIN", "VEVENT")
		line("UID", icsText(d.ClockWorkflowID+"@irflow"))
		line("DTSTAMP", stamp(now))
		line("LAST-MODIFIED", stamp(d.UpdatedAt))
		line("SEQUENCE", fmt.Sprint(d.Revision))
		line("DTSTART", stamp(*d.View.DueAt))
		line("DTEND", stamp(d.View.DueAt.Add(30*time.Minute)))
		line("SUMMARY", icsText(fmt.Sprintf("Due: %s (%s) - %s", title, d.IncidentID, d.View.Status)))
		desc := fmt.Sprintf("Obligation %s of incident %s (%s).\n%s, %s, %s.\nStatus: %s. Deadline: %s.\n%s",
			d.ObligationID, d.IncidentID, d.Incident.Title, o.Citation, d.Audience, d.Jurisdiction, d.View.Status, o.DueText,
			base+"/incidents/"+d.IncidentID)
		line("DESCRIPTION", icsText(desc))
		line("URL", base+"/incidents/"+d.IncidentID)
		line("CATEGORIES", icsText(strings.Join(nonEmptyAll(d.Rule, d.Audience, d.Jurisdiction), ",")))
		line("BEGIN", "VALARM")
		line("ACTION", "DISPLAY")
		line("DESCRIPTION", icsText("Due in 24 hours: "+title+" ("+d.IncidentID+")"))
		line("TRIGGER", "-PT24H")
		line("END", "VALARM")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return bw.Flush()
}

func nonEmptyAll(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var icsEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`)

// icsText escapes a TEXT value (RFC 5545 section 3.3.11).
func icsText(s string) string { return icsEscaper.Replace(s) }

// foldLine writes a content line folded at 75 octets, never inside a UTF-8
// character, with CRLF endings (RFC 5545 section 3.1).
func foldLine(w *bufio.Writer, s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}
