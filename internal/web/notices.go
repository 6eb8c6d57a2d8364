package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"irflow/internal/incident"
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

type noticeData struct {
	IncidentID string
	noticeRow
	View incident.NoticeView
}

// noticePage shows one notice: its full text and sha256, the approval, the
// delivery's progress and the notice's history; legal approves it here, exactly
// the text shown.
func (s *Server) noticePage(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.showNotice(w, r, rc, http.StatusOK, "")
}

func (s *Server) showNotice(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string) {
	id, ob := r.PathValue("id"), r.PathValue("obligation")
	ns, err := s.svc.NoticeStatus(rc.ctx, id, ob, "", 0, 0)
	if err != nil {
		s.fail(w, r, rc, err)
		return
	}
	d := noticeData{IncidentID: id, noticeRow: noticeRow{Notice: ns.Notice, Counts: ns.Counts}, View: ns.NoticeView}
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
		status := statusOf(ie.Code)
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
