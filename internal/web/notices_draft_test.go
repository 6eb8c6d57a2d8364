package web_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"irflow/internal/incident"
)

// TestDraftNoticeMissingFacts: a commander drafts the notice of an obligation that
// has none from the incident page. The service refuses for the facts the record
// lacks; the form comes back naming each with an input for it, keeps what was typed,
// and the draft goes through once they are given, with them as the notice's inputs.
func TestDraftNoticeMissingFacts(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	c := s.browser()
	c.signIn("cora")
	inc := c.get(noticeBase)
	if !strings.Contains(inc.Body, `href="/incidents/`+noticeIncident+`/notices/ob-1/draft">Draft notice</a>`) {
		t.Fatalf("no Draft notice button for an obligation without a notice: %s", inc.Body)
	}
	form := c.get(noticeBase + "/notices/ob-1/draft")
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `id="action-form"`) || !strings.Contains(form.Body, "Draft notice") {
		t.Fatalf("draft form: %d %s", form.Status, form.Body)
	}

	r := c.post(noticeBase + "/notices/ob-1/draft")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "cannot be drafted") {
		t.Fatalf("draft without the facts: %d %s", r.Status, r.Body)
	}
	missing := missingInputs(r.Body)
	if len(missing) == 0 {
		t.Fatalf("the refusal names no input field: %s", r.Body)
	}
	for _, m := range missing {
		if !strings.Contains(r.Body, " notice needs "+m+"</p>") {
			t.Errorf("field %s is not marked missing", m)
		}
	}
	if !strings.Contains(r.Body, `<a href="/incidents/`+noticeIncident+`">Cancel</a>`) {
		t.Errorf("Cancel does not go back to the incident page")
	}
	if ups := s.ft.Updates(); len(ups) != 0 {
		t.Fatalf("a refused draft reached Temporal: %+v", ups)
	}

	// Give the first only: it is kept, and the others are still asked for.
	if len(missing) > 1 {
		r = c.post(noticeBase+"/notices/ob-1/draft", missing[0], "the first fact")
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "the first fact") {
			t.Fatalf("partial facts: %d %s", r.Status, r.Body)
		}
		for _, m := range missing[1:] {
			if !strings.Contains(r.Body, `name="`+m+`"`) {
				t.Errorf("the still missing %s has no field any more", m)
			}
		}
	}

	n := incident.Notice{IncidentID: noticeIncident, ObligationID: "ob-1", Rule: "rule-DE", Template: "gdpr-33-authority",
		Status: incident.NoticeDrafted, Text: "drafted\n", TextSHA256: textSHA("drafted\n"), DraftedBy: "cora"}
	s.ft.Results["draft_notice"] = incident.NoticeView{Notice: n}
	kv := []string{}
	for _, m := range missing {
		kv = append(kv, m, "given "+m)
	}
	r = c.post(noticeBase+"/notices/ob-1/draft", kv...)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != noticeBase+"/notices/ob-1" {
		t.Fatalf("draft with the facts: %d %s", r.Status, r.Body)
	}
	ups := s.ft.Updates()
	if len(ups) != 1 || ups[0].WorkflowID != noticeWorkflow || ups[0].UpdateName != "draft_notice" {
		t.Fatalf("updates %+v", ups)
	}
	req, ok := ups[0].Args[0].(incident.DraftNoticeRequest)
	if !ok || req.By == nil || req.By.ID != "cora" || req.By.Via != incident.ViaWeb || strings.Contains(req.Text, "[missing") {
		t.Fatalf("draft_notice request %+v", ups[0].Args[0])
	}
	for _, m := range missing {
		if req.Inputs[m] != "given "+m {
			t.Errorf("input %s = %q", m, req.Inputs[m])
		}
	}
	s.saveNotice("drafted\n", incident.NoticeDrafted, 1)
	if after := c.get(noticeBase + "/notices/ob-1"); !strings.Contains(after.Body, "is drafted by cora") {
		t.Errorf("no flash after drafting: %s", after.Body)
	}
	if inc := c.get(noticeBase); !strings.Contains(inc.Body, "Redraft notice") {
		t.Errorf("a drafted notice offers no Redraft")
	}
}

// missingInputs lists the form's fields marked missing, in order.
func missingInputs(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<div class="field invalid">`)[1:] {
		if i := strings.Index(part, `name="`); i >= 0 {
			name := part[i+len(`name="`):]
			out = append(out, name[:strings.Index(name, `"`)])
		}
	}
	return out
}

// TestEditNotice: legal edits an approved notice's text on the notice page; the
// edit_notice Update carries the new text, the flash says the approval is
// withdrawn, and a refused edit comes back with the text as typed.
func TestEditNotice(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	n := s.saveNotice("Dear authority <old>,\n", incident.NoticeDrafted, 1)
	now := s.clock.Now()
	n.Status, n.ApprovedText, n.ApprovedSHA256, n.ApprovedBy, n.ApprovedAt, n.Revision = incident.NoticeApproved, n.Text, n.TextSHA256, "lena", &now, 2
	if err := s.store.SaveNotice(context.Background(), n); err != nil {
		t.Fatal(err)
	}

	l := s.browser()
	l.signIn("lena")
	page := l.get(noticeBase + "/notices/ob-1")
	for _, want := range []string{`id="edit-notice-form"`, `name="text" rows="20">` + html.EscapeString(n.Text) + `</textarea>`,
		`name="subject" value="Personal data breach notification"`, "the approval by lena is withdrawn"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the notice page lacks %q", want)
		}
	}

	s.ft.Results["edit_notice"] = temporal.NewApplicationError("the edit changes nothing", "NoticeRefused")
	r := l.post(noticeBase+"/notices/ob-1/edit", "subject", n.Subject, "text", "typed but refused\r\n")
	if r.Status == http.StatusSeeOther || !strings.Contains(r.Body, "the edit changes nothing") || !strings.Contains(r.Body, ">typed but refused\n</textarea>") {
		t.Fatalf("refused edit: %d %s", r.Status, r.Body)
	}

	edited := n
	edited.Text, edited.TextSHA256, edited.Status, edited.ApprovedSHA256, edited.ApprovedBy = "Dear authority,\n", textSHA("Dear authority,\n"), incident.NoticeDrafted, "", ""
	s.ft.Results["edit_notice"] = incident.NoticeView{Notice: edited}
	r = l.post(noticeBase+"/notices/ob-1/edit", "subject", n.Subject, "text", "Dear authority,\r\n")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != noticeBase+"/notices/ob-1" {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	ups := s.ft.Updates()
	if len(ups) != 2 || ups[1].WorkflowID != noticeWorkflow || ups[1].UpdateName != "edit_notice" {
		t.Fatalf("updates %+v", ups)
	}
	req, ok := ups[1].Args[0].(incident.EditNoticeRequest)
	if !ok || req.Text != "Dear authority,\n" || req.Subject != "" || req.By == nil || req.By.ID != "lena" || req.By.Via != incident.ViaWeb {
		t.Errorf("edit_notice request %+v", ups[1].Args[0])
	}
	if after := l.get(noticeBase + "/notices/ob-1"); !strings.Contains(after.Body, "The approval by lena is withdrawn") {
		t.Errorf("the page does not say the approval is withdrawn: %s", after.Body)
	}
}

// TestDraftEditForbidden: a viewer sees neither Draft notice nor Edit text, and
// forged posts are refused with 403 naming the role; a bad CSRF token is refused
// before the service.
func TestDraftEditForbidden(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour), dur(40*time.Hour))
	s.saveNotice("Dear customer,\n", incident.NoticeDrafted, 1)
	s.ft.Results["draft_notice"] = incident.NoticeView{}
	s.ft.Results["edit_notice"] = incident.NoticeView{}

	v := s.browser()
	v.signIn("vic")
	for _, path := range []string{noticeBase, noticeBase + "/notices/ob-1"} {
		r := v.get(path)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "Draft notice") || strings.Contains(r.Body, "Redraft") ||
			strings.Contains(r.Body, "edit-notice") || !strings.Contains(r.Body, "Dear customer,") {
			t.Errorf("viewer's %s: %d, a draft or edit button shown", path, r.Status)
		}
	}
	if r := v.get(noticeBase + "/notices/ob-2/draft"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "vic may not draft_notice") {
		t.Errorf("viewer's draft form: %d", r.Status)
	}
	for _, p := range []struct{ path, field string }{{"/notices/ob-2/draft", "contact_point"}, {"/notices/ob-1/edit", "text"}} {
		r := v.post(noticeBase+p.path, p.field, "forged")
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "vic may not draft_notice: it needs the role") {
			t.Errorf("viewer posts %s: %d %s", p.path, r.Status, r.Body)
		}
	}

	l := s.browser()
	l.signIn("lena")
	l.get(noticeBase + "/notices/ob-1")
	for _, path := range []string{"/notices/ob-1/edit", "/notices/ob-2/draft"} {
		l.csrf = "forged"
		if r := l.post(noticeBase+path, "text", "x"); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "CSRF check failed") {
			t.Errorf("bad CSRF token on %s: %d", path, r.Status)
		}
	}
	if ups := s.ft.Updates(); len(ups) != 0 {
		t.Errorf("refused drafts or edits reached Temporal: %+v", ups)
	}
}

// TestDraftNoticeFactsElsewhere: a fact the form cannot take (the facts' data
// categories) is named with where to record it, not given a field the service would
// refuse.
func TestDraftNoticeFactsElsewhere(t *testing.T) {
	s := newStack(t)
	st := s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	st.Facts.DataCategories = nil
	s.ft.States[st.WorkflowID] = st
	c := s.browser()
	c.signIn("cora")
	c.get(noticeBase + "/notices/ob-1/draft")
	r := c.post(noticeBase+"/notices/ob-1/draft", "contact_point", "DPO, dpo@example.com")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Record on the incident: data_categories: set the facts") {
		t.Fatalf("draft for a clock awaiting its trigger: %d %s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, `name="data_categories"`) || !strings.Contains(r.Body, ">DPO, dpo@example.com</textarea>") {
		t.Errorf("data_categories has a field, or the contact point typed is lost")
	}
}
