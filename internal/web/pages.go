package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"irflow/internal/evidence"
	"irflow/internal/incident"
	"irflow/internal/report"
)

type incidentsData struct {
	Query, Phase string
	Open         bool
	Phases       []incident.Phase
	Incidents    []incident.Summary
}

var phases = []incident.Phase{incident.PhaseDeclared, incident.PhaseTriage, incident.PhaseContainment, incident.PhaseNotification, incident.PhaseClosed}

// incidents is the incidents list with search (id, title, playbook) and filters.
func (s *Server) incidents(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	d := incidentsData{Query: strings.TrimSpace(q.Get("q")), Phase: q.Get("phase"), Open: q.Get("open") == "on", Phases: phases}
	if d.Phase != "" && !slices.Contains(phases, incident.Phase(d.Phase)) {
		s.errorPage(w, r, rc, http.StatusBadRequest, fmt.Sprintf("phase %q is not one of declared, triage, containment, notification, closed", d.Phase))
		return
	}
	list, err := s.svc.List(rc.ctx, incident.ListFilter{Query: d.Query, Phase: d.Phase, Open: d.Open, Limit: 500})
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d.Incidents = list
	s.render(w, r, rc, http.StatusOK, "incidents.tmpl", page{Title: "Incidents", Nav: "incidents", Data: d})
}

type incidentData struct {
	State       incident.State
	Obligations []incident.ObligationView
	Evidence    report.Evidence
	Verify      *evidence.Report
	FactsJSON   string
	Triggers    []string
	// Notices are the notices drafted for the obligations, by obligation id.
	Notices  []noticeRow
	NoticeOf map[string]noticeRow
}

// incidentPage shows one incident: phase, severity, ownership with its clauses,
// rationale and history, facts, timeline, containment steps and their results,
// the evidence manifest, the obligations with live countdowns, and their notices
// with legal's Approve button.
func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	d, err := s.incidentData(rc, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	s.render(w, r, rc, http.StatusOK, "incident.tmpl", page{Title: d.State.ID + " " + d.State.Title, Nav: "incidents", Data: d})
}

func (s *Server) incidentData(rc *reqCtx, id string) (*incidentData, error) {
	st, err := s.svc.Show(rc.ctx, id)
	if err != nil {
		return nil, err
	}
	obs, err := s.svc.Obligations(rc.ctx, id, false)
	if err != nil {
		return nil, err
	}
	d := &incidentData{State: st, Obligations: obs, Triggers: triggerFields, NoticeOf: map[string]noticeRow{}}
	if d.Notices, err = s.noticeRows(rc.ctx, id, st); err != nil {
		return nil, err
	}
	for _, n := range d.Notices {
		d.NoticeOf[n.ObligationID] = n
	}
	if b, err := json.MarshalIndent(st.Facts, "", "  "); err == nil {
		d.FactsJSON = string(b)
	}
	// The evidence manifest's files and hashes come from the durable record.
	if rec, err := s.svc.Record(rc.ctx, id, report.LoadOptions{EvidenceDirs: s.cfg.EvidenceDirs}); err == nil {
		d.Evidence = report.Build(rec).Evidence
	} else {
		d.Evidence = report.Evidence{Status: st.Evidence.Status, ManifestSHA256: st.Evidence.ManifestSHA256, Gaps: st.Evidence.Gaps}
	}
	return d, nil
}

// verifyEvidence recomputes the incident's evidence hashes and shows the result
// on the incident page.
func (s *Server) verifyEvidence(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	rep, err := s.svc.VerifyEvidence(rc.ctx, id, s.cfg.EvidenceDirs)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d, err := s.incidentData(rc, id)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d.Verify = &rep
	status := http.StatusOK
	if !rep.OK {
		status = http.StatusConflict
	}
	s.render(w, r, rc, status, "incident.tmpl", page{Title: d.State.ID + " " + d.State.Title, Nav: "incidents", Data: d})
}

// report downloads the post-incident report in md, html or pdf.
func (s *Server) report(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id := r.PathValue("id")
	format := r.URL.Query().Get("format")
	rec, err := s.svc.Record(rc.ctx, id, report.LoadOptions{EvidenceDirs: s.cfg.EvidenceDirs, By: rc.User.ID})
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	rep := report.Build(rec)
	var buf bytes.Buffer
	var ctype string
	switch format {
	case "md":
		err, ctype = rep.Markdown(&buf), "text/markdown; charset=utf-8"
	case "html":
		err, ctype = rep.HTML(&buf), "text/html; charset=utf-8"
		// The report is one self-contained file with its own inline styles.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	case "pdf":
		err, ctype = rep.PDF(&buf), "application/pdf"
	default:
		s.errorPage(w, r, rc, http.StatusBadRequest, fmt.Sprintf("format %q: use md, html or pdf", format))
		return
	}
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-report.%s"`, id, format))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

type boardData struct {
	Rule, Jurisdiction, Audience string
	Rules, Jurisdictions         []string
	Audiences                    []string
	Rows                         []incident.Deadline
	RowsHTML                     template.HTML
	Counts                       map[string]int
	AsOf                         time.Time
	CalendarURL                  string
}

// board is legal's deadline board: every open obligation clock across all
// incidents, by time left, coloured by urgency, filterable by rule, jurisdiction
// and audience.
func (s *Server) board(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	q := r.URL.Query()
	d, err := s.boardData(rc, q.Get("rule"), q.Get("jurisdiction"), q.Get("audience"))
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d.CalendarURL = baseURL(r) + "/calendar.ics?token=" + s.sess.calendarToken(rc.User.ID)
	p := page{Title: "Deadline board", Nav: "board", Data: d, User: rc.User}
	d.RowsHTML = boardRows(d.Rows, p)
	s.render(w, r, rc, http.StatusOK, "board.tmpl", p)
}

func (s *Server) boardData(rc *reqCtx, rule, jurisdiction, audience string) (*boardData, error) {
	all, err := s.svc.Deadlines(rc.ctx, incident.ObligationFilter{Open: true})
	if err != nil {
		return nil, err
	}
	d := &boardData{Rule: rule, Jurisdiction: jurisdiction, Audience: audience, Counts: map[string]int{}, AsOf: s.now()}
	rules, jurs, auds := map[string]bool{}, map[string]bool{}, map[string]bool{}
	// The service answers by due date, clocks without one last (the store's
	// order): the board's order, by time left. Rows are filtered in place, since
	// each carries a clock's whole state twice.
	d.Rows = all[:0]
	for i := range all {
		row := &all[i]
		rules[row.Rule], jurs[row.Jurisdiction], auds[row.Audience] = true, true, true
		if (rule != "" && row.Rule != rule) || (jurisdiction != "" && row.Jurisdiction != jurisdiction) || (audience != "" && row.Audience != audience) {
			continue
		}
		d.Counts[urgency(&row.View)]++
		d.Rows = append(d.Rows, *row)
	}
	d.Rules, d.Jurisdictions, d.Audiences = keys(rules), keys(jurs), keys(auds)
	return d, nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// baseURL is the scheme and host the browser used, for links that leave the page
// (the calendar feed's address, links inside calendar events).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// register exports the GDPR Art. 33(5) breach register as CSV: every incident,
// notifiable or not, with its facts, effects and remedial action.
func (s *Server) register(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	states, err := s.svc.SavedStates(rc.ctx, incident.ListFilter{})
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	var buf bytes.Buffer
	if err := report.WriteRegister(&buf, states); err != nil {
		s.fail(w, r, rc, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="breach-register-%s.csv"`, s.now().UTC().Format("20060102")))
	_, _ = w.Write(buf.Bytes())
}
