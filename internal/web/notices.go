package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"irflow/internal/httpapi"
	"irflow/internal/incident"
	"irflow/internal/notices"
	"irflow/internal/service"
)

// noticeRow is a notice as the incident page and the notice page show it: its
// text, where it stands, and its recipients counted by delivery state.
type noticeRow struct {
	incident.Notice
	Counts map[string]int
}

// Delivery renders the recipients' counts in display order: "sent 3 · failed 1".
func (n noticeRow) Delivery() string {
	var parts []string
	for _, st := range incident.RecipientStates {
		if c := n.Counts[st]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, c))
		}
	}
	if len(parts) == 0 {
		return "no recipients yet"
	}
	return strings.Join(parts, " · ")
}

// Approvable reports whether the text waits for legal's approval: a draft, or a
// text edited after an approval (an edit makes it a draft again).
func (n noticeRow) Approvable() bool { return n.Status == incident.NoticeDrafted }

// Sendable reports whether the approved text may be sent (again, after a send
// that failed for some recipients).
func (n noticeRow) Sendable() bool {
	return n.ApprovedSHA256 != "" && n.ApprovedSHA256 == n.TextSHA256 &&
		(n.Status == incident.NoticeApproved || n.Status == incident.NoticeFailed)
}

// noticeRows reads an incident's notices, with their texts, from the store.
func (s *Server) noticeRows(ctx context.Context, id string, st incident.State) ([]noticeRow, error) {
	list, err := s.svc.ListNotices(ctx, id)
	if err != nil {
		var ie *incident.Error
		if errors.As(err, &ie) && ie.Code == incident.EUNAVAILABLE {
			return nil, nil // a store without notices
		}
		return nil, err
	}
	counts := map[string]map[string]int{}
	for _, n := range st.Notices {
		counts[n.ObligationID] = n.Recipients
	}
	rows := make([]noticeRow, 0, len(list))
	for _, n := range list {
		rows = append(rows, noticeRow{Notice: n, Counts: counts[n.ObligationID]})
	}
	return rows, nil
}

// Editable reports whether the text may still change (drafted again or edited): a
// notice being sent or sent may not.
func (n noticeRow) Editable() bool {
	return n.Status != incident.NoticeSending && n.Status != incident.NoticeSent
}

type noticeData struct {
	IncidentID string
	noticeRow
	View incident.NoticeView
	// Edit is what the Edit text form shows: the text as it stands, or as typed
	// when an edit was refused.
	Edit noticeEdit
}

// noticeEdit is the Edit text form's values.
type noticeEdit struct{ Subject, Text string }

// noticePage shows one notice: its full text and sha256, the approval, the
// delivery's progress and the notice's history; legal approves it here, exactly
// the text shown.
func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.showNotice(w, r, rc, http.StatusOK, "")
}

func (s *Server) showNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string) {
	s.showNoticeEdit(w, r, rc, status, msg, nil)
}

// showNoticeEdit shows the notice page; edit, when set, is the refused edit's text
// for the Edit text form.
func (s *Server) showNoticeEdit(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string, edit *noticeEdit) {
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	ns, err := s.svc.NoticeStatus(rc.ctx, id, ob, "", 0, 0)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d := noticeData{IncidentID: id, noticeRow: noticeRow{Notice: ns.Notice, Counts: ns.Counts}, View: ns.NoticeView,
		Edit: noticeEdit{Subject: ns.Subject, Text: ns.Text}}
	if edit != nil {
		d.Edit = *edit
	}
	s.render(w, r, rc, status, "notice.tmpl", page{Title: "Notice for " + ob + " of " + id, Nav: "incidents", Error: msg, Data: d})
}

// approveNotice approves a notice's text through the same service method as the
// CLI and the API. The form carries the sha256 of the text it displayed, so legal
// approves what they read: a text changed since is refused by the notice
// workflow's validator, and the notice page comes back with the text as it stands
// and the refusal. The service checks the legal role and audits the decision.
func (s *Server) approveNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	sum := strings.TrimSpace(r.PostFormValue("sha256"))
	v, err := s.svc.ApproveNotice(rc.ctx, id, ob, incident.ApproveNoticeRequest{SHA256: sum})
	var ie *incident.Error
	switch {
	case errors.As(err, &ie) && (ie.Code == incident.EINVALID || ie.Code == incident.ECONFLICT):
		status := httpapi.StatusOf(ie.Code)
		if cur, rerr := s.svc.ShowNotice(rc.ctx, id, ob); rerr == nil && sum != "" && !strings.HasPrefix(cur.TextSHA256, strings.ToLower(sum)) {
			// The text displayed is not the text that stands: a stale read.
			status = http.StatusConflict
		}
		s.showNotice(w, r, rc, status, ie.Message)
		return
	case err != nil:
		s.fail(w, r, rc, err)
		return
	}
	s.sess.setFlash(w, fmt.Sprintf("The notice for %s of %s is approved by %s: sha256 %s.", ob, id, v.ApprovedBy, incident.ShortHash(v.ApprovedSHA256)))
	// The notice page reads the notice workflow, which has the approval already;
	// the store the incident page reads follows a moment later.
	http.Redirect(w, r, "/incidents/"+id+"/notices/"+ob, http.StatusSeeOther)
}

// sendAction is the Send button's form: the approved text to the addresses given,
// one per line, and/or the requesters of the incident's tickets.
func (s *Server) sendAction() action {
	return action{Pattern: "/incidents/{id}/notices/{obligation}/send", Act: incident.ActSendNotice,
		Title: func(r *http.Request) string {
			return "Send the notice for " + r.PathValue("obligation") + " of " + r.PathValue("id")
		},
		Intro:  "Send the approved text by email, one message to each recipient. An address already on the notice's list is not added twice; when every recipient is sent, the obligation is marked fulfilled with the delivery record's reference.",
		Submit: "Send",
		Fields: func(*http.Request) []field {
			return []field{
				{Name: "to", Label: "Recipients", Kind: "textarea", Help: "email addresses, one per line"},
				{Name: "requesters", Label: "Also the requesters of the incident's tickets", Kind: "select", Options: []string{"no", "yes"}, Value: "no",
					Help: "read from Zendesk for the tickets the incident's facts name (zendesk.tickets)"},
			}
		},
		Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
			var rs []incident.NoticeRecipientInput
			for _, line := range strings.Split(v["to"], "\n") {
				if a := strings.TrimSpace(line); a != "" {
					rs = append(rs, incident.NoticeRecipientInput{Address: a})
				}
			}
			requesters := v["requesters"] == "yes"
			if len(rs) == 0 && !requesters {
				return "", &fieldError{"to", "give at least one address, or choose the requesters"}
			}
			_, err := s.svc.SendNotice(ctx, r.PathValue("id"), r.PathValue("obligation"), service.SendNoticeRequest{Recipients: rs, Requesters: requesters})
			return "Sending the notice for " + r.PathValue("obligation") + ": this page follows the delivery.",
				fieldFrom(err, "recipient", "to", "--requesters", "requesters")
		},
		Next: func(r *http.Request) string {
			return "/incidents/" + r.PathValue("id") + "/notices/" + r.PathValue("obligation")
		}}
}

// draftTitle is the draft form's heading.
func draftTitle(r *http.Request) string {
	return "Draft the notice for " + r.PathValue("obligation") + " of " + r.PathValue("id")
}

// draftAction is the Draft notice form; Cancel goes back to the incident page (the
// notice may not exist yet), a draft to the notice's page. Its fields are the notice inputs the form
// carries; the service's refusal for missing facts adds one for each fact the
// drafter can give (notices.Inputs), so the form comes back naming them.
func (s *Server) draftAction() action {
	return action{Pattern: "/incidents/{id}/notices/{obligation}/draft", Act: incident.ActDraftNotice, Title: draftTitle,
		Intro: "Draft the notice from the incident record with the template the obligation's rule picks; a draft not yet sent is replaced, " +
			"and an approval of it is withdrawn. A fact the record lacks is named below: give it here, or record it on the incident.",
		Submit: "Draft notice"}
}

// inputField is the form field for a notice input.
func inputField(name, value string) field {
	return field{Name: name, Label: name, Kind: "textarea", Value: value, Help: notices.Inputs[name]}
}

func (s *Server) draftForm(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a := s.draftAction()
	if !incident.Allowed(rc.User.Roles, a.Act) {
		s.errorPage(w, r, rc, http.StatusForbidden, incident.Forbidden(incident.Identity{User: rc.User}, a.Act).Message)
		return
	}
	s.renderForm(w, r, rc, http.StatusOK, a, nil, a.next(r, r.URL.Query().Get("next")), "")
}

// draftNotice drafts through the same service method as the CLI. The inputs typed
// are kept across a refusal; a blank one is left out (the service would take it as
// removing an input the earlier draft had).
func (s *Server) draftNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	a := s.draftAction()
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	next := a.next(r, r.PostFormValue("next"))
	names := make([]string, 0, len(notices.Inputs))
	for n := range notices.Inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var fields []field
	inputs := map[string]string{}
	for _, n := range names {
		if _, ok := r.PostForm[n]; !ok {
			continue
		}
		v := r.PostFormValue(n)
		fields = append(fields, inputField(n, v))
		if strings.TrimSpace(v) != "" {
			inputs[n] = strings.TrimSpace(v)
		}
	}
	v, err := s.svc.DraftNotice(rc.ctx, id, ob, service.DraftNoticeRequest{Inputs: inputs})
	var mf *service.MissingFactsError
	var ie *incident.Error
	switch {
	case errors.As(err, &mf):
		var elsewhere []string
		for _, m := range mf.Missing {
			if _, ok := notices.Inputs[m.Fact]; !ok {
				elsewhere = append(elsewhere, m.Fact+": "+m.Hint)
				continue
			}
			i := slices.IndexFunc(fields, func(f field) bool { return f.Name == m.Fact })
			if i < 0 {
				fields = append(fields, inputField(m.Fact, ""))
				i = len(fields) - 1
			}
			fields[i].Required, fields[i].Error = true, "missing: the "+mf.Template+" notice needs "+m.Fact
		}
		msg := fmt.Sprintf("The %s notice cannot be drafted: %d fact(s) missing from the incident record.", mf.Template, len(mf.Missing))
		if len(fields) > 0 {
			msg += " Give the ones marked below."
		}
		if len(elsewhere) > 0 {
			msg += " Record on the incident: " + strings.Join(elsewhere, "; ") + "."
		}
		s.renderForm(w, r, rc, http.StatusBadRequest, a, fields, next, msg)
		return
	case errors.As(err, &ie) && (ie.Code == incident.EINVALID || ie.Code == incident.ECONFLICT):
		s.renderForm(w, r, rc, httpapi.StatusOf(ie.Code), a, fields, next, ie.Message)
		return
	case err != nil:
		s.fail(w, r, rc, err)
		return
	}
	s.sess.setFlash(w, fmt.Sprintf("The notice for %s of %s is drafted by %s: sha256 %s. Legal approves the text before it can be sent.",
		ob, id, v.DraftedBy, incident.ShortHash(v.TextSHA256)))
	http.Redirect(w, r, "/incidents/"+id+"/notices/"+ob, http.StatusSeeOther)
}

// editNotice replaces the notice's text (and subject, when given) through the same
// service method as the CLI. The notice workflow withdraws an approval; the flash
// says so. A refusal comes back on the notice page with the text as typed.
func (s *Server) editNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	text := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
	subject := strings.TrimSpace(r.PostFormValue("subject"))
	prev, _ := s.svc.ShowNotice(rc.ctx, id, ob)
	if subject == prev.Subject {
		subject = ""
	}
	v, err := s.svc.EditNotice(rc.ctx, id, ob, incident.EditNoticeRequest{Subject: subject, Text: text})
	var ie *incident.Error
	switch {
	case errors.As(err, &ie) && (ie.Code == incident.EINVALID || ie.Code == incident.ECONFLICT):
		s.showNoticeEdit(w, r, rc, httpapi.StatusOf(ie.Code), ie.Message, &noticeEdit{Subject: r.PostFormValue("subject"), Text: text})
		return
	case err != nil:
		s.fail(w, r, rc, err)
		return
	}
	msg := fmt.Sprintf("The text of the notice for %s of %s is edited by %s: sha256 %s.", ob, id, rc.User.ID, incident.ShortHash(v.TextSHA256))
	if prev.ApprovedSHA256 != "" {
		msg += " The approval by " + prev.ApprovedBy + " is withdrawn: legal approves the new text before it can be sent."
	} else {
		msg += " Legal approves it before it can be sent."
	}
	s.sess.setFlash(w, msg)
	http.Redirect(w, r, "/incidents/"+id+"/notices/"+ob, http.StatusSeeOther)
}
