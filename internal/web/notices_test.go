package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"irflow/internal/incident"
)

const (
	noticeIncident = "INC-20260306-001"
	// noticeWorkflow is the notice workflow's id for ob-1 (workflows.NoticeWorkflowID).
	noticeWorkflow = "notice-" + noticeIncident + "-ob-1"
	noticeBase     = "/incidents/" + noticeIncident
)

func textSHA(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// saveNotice stores the notice of ob-1 as the notice workflow saves it: the store
// is the read model the incident page shows.
func (s *stack) saveNotice(text, status string, revision int64) incident.Notice {
	s.t.Helper()
	n := incident.Notice{IncidentID: noticeIncident, ObligationID: "ob-1", Rule: "rule-DE", Template: "gdpr-33-authority",
		Status: status, Subject: "Personal data breach notification", Text: text, TextSHA256: textSHA(text),
		DraftedBy: "cora", DraftedAt: t0, Revision: revision, UpdatedAt: t0}
	if err := s.store.SaveNotice(context.Background(), n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

var shaField = regexp.MustCompile(`name="sha256" value="([0-9a-f]+)"`)

// TestApproveNotice: legal reads a drafted notice on the incident page and the
// notice page and approves it with the Approve button; the approve_notice Update
// carries the hash of the text displayed and legal's verified identity via web.
func TestApproveNotice(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	text := "To the supervisory authority:\n\nWe report a breach <of 12 accounts>.\n"
	n := s.saveNotice(text, incident.NoticeDrafted, 1)
	approved := n
	now := s.clock.Now()
	approved.Status, approved.ApprovedText, approved.ApprovedSHA256, approved.ApprovedBy, approved.ApprovedAt = incident.NoticeApproved, text, n.TextSHA256, "lena", &now
	s.ft.Results["approve_notice"] = incident.NoticeView{Notice: approved}

	b := s.browser()
	b.signIn("lena")
	inc := b.get(noticeBase)
	for _, want := range []string{`id="notices"`, "notice drafted", html.EscapeString(text), "Approve notice", n.TextSHA256[:12],
		`href="/incidents/` + noticeIncident + `/notices/ob-1"`} {
		if !strings.Contains(inc.Body, want) {
			t.Errorf("legal's incident page lacks %q", want)
		}
	}
	page := b.get(noticeBase + "/notices/ob-1")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, n.TextSHA256) || !strings.Contains(page.Body, html.EscapeString(text)) ||
		!strings.Contains(page.Body, `id="approve-notice"`) {
		t.Fatalf("notice page: %d %s", page.Status, page.Body)
	}
	m := shaField.FindStringSubmatch(page.Body)
	if m == nil || m[1] != n.TextSHA256 {
		t.Fatalf("the approve form's sha256 is %v, want the displayed text's %s", m, n.TextSHA256)
	}
	r := b.post(noticeBase+"/notices/ob-1/approve", "sha256", m[1])
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != noticeBase+"/notices/ob-1" {
		t.Fatalf("approve: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if after := b.get(r.Header.Get("Location")); !strings.Contains(after.Body, "approved by lena: sha256 "+n.TextSHA256[:12]) {
		t.Errorf("no flash after approving: %s", after.Body)
	}
	ups := s.ft.Updates()
	if len(ups) != 1 || ups[0].WorkflowID != noticeWorkflow || ups[0].UpdateName != "approve_notice" {
		t.Fatalf("updates %+v", ups)
	}
	req, ok := ups[0].Args[0].(incident.ApproveNoticeRequest)
	if !ok || req.SHA256 != n.TextSHA256 || req.By == nil || req.By.ID != "lena" || req.By.Via != incident.ViaWeb {
		t.Errorf("approve_notice request %+v", ups[0].Args[0])
	}

	// Once approved (the workflow saved it), the button is gone.
	approved.Revision = 2
	if err := s.store.SaveNotice(context.Background(), approved); err != nil {
		t.Fatal(err)
	}
	if inc := b.get(noticeBase); strings.Contains(inc.Body, "Approve notice") || !strings.Contains(inc.Body, "notice approved") {
		t.Errorf("an approved notice still offers the Approve button, or its status is not shown")
	}
}

// TestApproveNoticeForbidden: a commander sees the notice but no Approve button, and
// a forged approval is refused with 403 naming the legal role, in the audit log; a
// form with a bad CSRF token is refused before it reaches the service.
func TestApproveNoticeForbidden(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	n := s.saveNotice("Dear customer,\n", incident.NoticeDrafted, 1)
	s.ft.Results["approve_notice"] = incident.NoticeView{Notice: n}

	c := s.browser()
	c.signIn("cora")
	for _, path := range []string{noticeBase, noticeBase + "/notices/ob-1"} {
		if r := c.get(path); r.Status != http.StatusOK || strings.Contains(r.Body, "Approve notice") || !strings.Contains(r.Body, "Dear customer,") {
			t.Errorf("commander's %s: %d, Approve shown or text missing", path, r.Status)
		}
	}
	r := c.post(noticeBase+"/notices/ob-1/approve", "sha256", n.TextSHA256)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "cora may not approve_notice: it needs the role legal") {
		t.Errorf("commander approves: %d %s", r.Status, r.Body)
	}
	log, err := s.store.AuditLog(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) == 0 || log[0].ActorID != "cora" || log[0].Action != incident.ActApproveNotice || log[0].Allowed || log[0].Via != incident.ViaWeb ||
		log[0].IncidentID != noticeIncident || log[0].Target != "ob-1" {
		t.Errorf("audit log %+v", log)
	}

	l := s.browser()
	l.signIn("lena")
	l.get(noticeBase + "/notices/ob-1")
	l.csrf = "forged"
	if r := l.post(noticeBase+"/notices/ob-1/approve", "sha256", n.TextSHA256); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "CSRF check failed") {
		t.Errorf("bad CSRF token: %d %s", r.Status, r.Body)
	}
	if ups := s.ft.Updates(); len(ups) != 0 {
		t.Errorf("refused approvals reached Temporal: %+v", ups)
	}
}

// TestApproveNoticeStale: a text edited after the page was shown is refused by the
// notice workflow; the notice page comes back with the refusal, the text as it now
// stands and a form for its hash.
func TestApproveNoticeStale(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	read := s.saveNotice("first text\n", incident.NoticeDrafted, 1)

	b := s.browser()
	b.signIn("lena")
	b.get(noticeBase + "/notices/ob-1")
	// Someone edits the text while legal reads it; the workflow's validator refuses
	// the hash of the text read.
	edited := s.saveNotice("second text\n", incident.NoticeDrafted, 2)
	s.ft.Results["approve_notice"] = temporal.NewApplicationError("the text changed since you read it: its sha256 is now "+edited.TextSHA256+
		", not "+read.TextSHA256+"; read it again", "NoticeRefused")

	r := b.post(noticeBase+"/notices/ob-1/approve", "sha256", read.TextSHA256)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "the text changed since you read it") {
		t.Fatalf("stale approval: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, "second text") || strings.Contains(r.Body, "first text") {
		t.Errorf("the page does not show the text as it stands")
	}
	if m := shaField.FindStringSubmatch(r.Body); m == nil || m[1] != edited.TextSHA256 {
		t.Errorf("the re-displayed form approves %v, want the edited text's %s", m, edited.TextSHA256)
	}
}

// TestSendNotice: the Send button is offered to a commander once the text is
// approved; the form names the wrong field, and a send reaches send_notice with the
// recipients on the store's list.
func TestSendNotice(t *testing.T) {
	s := newStack(t)
	s.seed(noticeIncident, "takeover", "DE", true, dur(30*time.Hour))
	n := s.saveNotice("Dear customer,\n", incident.NoticeDrafted, 1)
	c := s.browser()
	c.signIn("cora")
	if r := c.get(noticeBase + "/notices/ob-1"); strings.Contains(r.Body, `id="send-notice"`) {
		t.Errorf("Send offered before approval")
	}
	now := s.clock.Now()
	n.Status, n.ApprovedText, n.ApprovedSHA256, n.ApprovedBy, n.ApprovedAt, n.Revision = incident.NoticeApproved, n.Text, n.TextSHA256, "lena", &now, 2
	if err := s.store.SaveNotice(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if r := c.get(noticeBase + "/notices/ob-1"); !strings.Contains(r.Body, `id="send-notice"`) {
		t.Errorf("no Send for an approved notice: %s", r.Body)
	}
	v := s.browser()
	v.signIn("vic")
	if r := v.get(noticeBase + "/notices/ob-1"); strings.Contains(r.Body, `id="send-notice"`) {
		t.Errorf("a viewer is offered Send")
	}

	c.get(noticeBase + "/notices/ob-1/send")
	if r := c.post(noticeBase+"/notices/ob-1/send", "to", "", "requesters", "no"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "to: give at least one address") {
		t.Errorf("send without recipients: %d", r.Status)
	}
	s.ft.Results["send_notice"] = incident.NoticeView{Notice: n}
	r := c.post(noticeBase+"/notices/ob-1/send", "to", "breach@dpa.example.org\n\n  dpo@example.com \n", "requesters", "no")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != noticeBase+"/notices/ob-1" {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	ups := s.ft.Updates()
	if len(ups) != 1 || ups[0].UpdateName != "send_notice" || ups[0].WorkflowID != noticeWorkflow {
		t.Fatalf("updates %+v", ups)
	}
	if req, ok := ups[0].Args[0].(incident.SendNoticeRequest); !ok || req.Recipients != 2 || req.By == nil || req.By.ID != "cora" || req.By.Via != incident.ViaWeb {
		t.Errorf("send_notice request %+v", ups[0].Args[0])
	}
	if r := c.get(noticeBase + "/notices/ob-1"); !strings.Contains(r.Body, "queued 2") {
		t.Errorf("the notice page does not count the queued recipients")
	}
}
