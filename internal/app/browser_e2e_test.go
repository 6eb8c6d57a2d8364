package app_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"irflow/internal/incident"
	"irflow/internal/service"
)

// chromium returns the Chromium to drive: IRFLOW_TEST_CHROMIUM (make test sets it
// through scripts/test-chromium, which installs Debian's chromium when missing),
// else chromium on PATH. Without either the browser tests skip and say how to get
// one; with IRFLOW_TEST_CHROMIUM set, a missing binary fails them.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("IRFLOW_TEST_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("IRFLOW_TEST_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: run make test (scripts/test-chromium installs Debian's chromium) or set IRFLOW_TEST_CHROMIUM")
	return ""
}

// newBrowser starts a headless Chromium for the test and returns its context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // the tests may run as root, where Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// The first call starts the browser, which lives as long as its context: no
	// timeout on that one; the steps after it get one, so a hang fails the test.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return tctx
}

// TestBrowserDeadlineBoard is the "done when" in a real browser on the dev
// stack: the local admin signs in with the password irflow dev wrote, sees the
// demo incident and its clocks on the deadline board with live countdowns, marks
// the residents' notice fulfilled there, and the change is in the incident
// workflow's state query and the store; a request without a session and a form
// with a bad CSRF token are refused.
func TestBrowserDeadlineBoard(t *testing.T) {
	ctx := newBrowser(t)
	d := startDev(t, t.TempDir())
	if d.AdminPassword == "" || !strings.HasSuffix(d.AdminPasswordPath, "admin.password") {
		t.Fatalf("irflow dev made no admin password: %q", d.AdminPasswordPath)
	}
	svc := d.Service
	id := declareDemo(t, svc, "Maya's account taken over")
	waitState(t, svc, id, 10*time.Second, "the notification clocks to start", func(s incident.State) bool {
		for _, o := range s.Obligations {
			if o.ID == residentsNotice && o.ClockWorkflowID != "" {
				return true
			}
		}
		return false
	})
	if _, err := svc.SetTrigger(context.Background(), id, incident.SetIncidentTriggerRequest{Field: "aware_at", At: time.Now().Add(-time.Hour).UTC(),
		Actor: "dpo", Reason: "certainty at the call"}); err != nil {
		t.Fatal(err)
	}
	waitObligation(t, svc, id, residentsNotice, "the residents' clock to be armed", func(v incident.ObligationView) bool {
		return v.Clock != nil && v.Clock.DueAt != nil
	})

	base := "http://" + d.HTTPAddr
	row := `tr[data-incident="` + id + `"][data-obligation="` + residentsNotice + `"]`
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/board"), // no session: the sign-in page
		chromedp.WaitVisible(css(`#login`)),
		chromedp.SendKeys(css(`#user`), "admin"),
		chromedp.SendKeys(css(`#password`), d.AdminPassword),
		chromedp.Submit(css(`#login`)),
		chromedp.WaitVisible(css(`#board`)), // back where it was going
		chromedp.WaitVisible(css(row+` time.countdown`)),
	)
	if err != nil {
		t.Fatalf("sign in and open the board: %v", err)
	}
	first, err := chromedp.Run(ctx, chromedp.Text(css(row+` time.countdown`)))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	second, err := chromedp.Run(ctx, chromedp.Text(css(row+` time.countdown`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(first, " left") || first == second {
		t.Errorf("the countdown does not count: %q then %q", first, second)
	}
	if dir := os.Getenv("IRFLOW_TEST_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "board.png"), png, 0o644)
		}
	}

	// The demo incident is on the incidents list.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/incidents")); err != nil {
		t.Fatal(err)
	}
	incidents, err := chromedp.Run(ctx, chromedp.Text(css(`#incidents`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(incidents, id) || !strings.Contains(incidents, "Maya's account taken over") {
		t.Errorf("the incidents list lacks the demo incident: %q", incidents)
	}

	// A form posted with a bad CSRF token is refused, from inside the signed-in page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/board"), chromedp.WaitVisible(css(row))); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/incidents/`+id+`/obligations/`+residentsNotice+`/fulfil", {method: "POST",
			body: new URLSearchParams({csrf: "forged", reference: "x"})}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusForbidden {
		t.Errorf("bad CSRF token: status %d, want 403", status)
	}
	// Without a session: refused, and a page view goes to the sign-in page.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noRedirect.PostForm(base+"/incidents/"+id+"/obligations/"+residentsNotice+"/fulfil", url.Values{"reference": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("fulfil without a session: %d", res.StatusCode)
	}
	if res, err = noRedirect.Get(base + "/board"); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Errorf("board without a session: %v %v", res.StatusCode, err)
	}

	// Mark the residents' notice fulfilled from the board.
	err = chromedp.Do(ctx,
		chromedp.Click(css(row+` a.button[href$="/fulfil?next=/board"]`)),
		chromedp.WaitVisible(css(`#f-reference`)),
		chromedp.SendKeys(css(`#f-reference`), "letters mailed, batch 1"),
		chromedp.Submit(css(`#action-form`)),
		chromedp.WaitVisible(css(`p.flash`)),
	)
	if err != nil {
		t.Fatalf("mark fulfilled: %v", err)
	}
	flash, err := chromedp.Run(ctx, chromedp.Text(css(`p.flash`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(flash, residentsNotice+" of "+id+" marked fulfilled") {
		t.Errorf("flash %q", flash)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('`+row+`').length`))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("the fulfilled clock is still on the board of open deadlines")
	}

	if dir := os.Getenv("IRFLOW_TEST_SCREENSHOTS"); dir != "" {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/incidents/"+id), chromedp.WaitVisible(css(`#timeline`))); err == nil {
			if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
				_ = os.WriteFile(filepath.Join(dir, "incident.png"), png, 0o644)
			}
		}
	}

	// The workflow's state query has it, with the verified actor via web.
	waitState(t, svc, id, 10*time.Second, "the fulfilment in the incident's state", func(s incident.State) bool {
		for _, o := range s.Obligations {
			if o.ID == residentsNotice {
				return o.Status == "fulfilled" && o.LastEvent != nil && o.LastEvent.Actor == "admin" && o.LastEvent.Via == incident.ViaWeb
			}
		}
		return false
	})
	waitObligation(t, svc, id, residentsNotice, "the fulfilment in the store, by admin with the reference typed", func(v incident.ObligationView) bool {
		if v.Clock == nil || v.Clock.Fulfilment == nil {
			return false
		}
		f := v.Clock.Fulfilment
		return f.Reference == "letters mailed, batch 1" && f.Actor == "admin"
	})

	// Legal approves the regulator's notice from its page: the approval reaches the
	// notice workflow with the hash of the text shown, by admin via web.
	ob := obligationByRule(t, svc, id, "eu-gdpr-33-sa")
	draft, err := svc.DraftNotice(context.Background(), id, ob, service.DraftNoticeRequest{Actor: "dana", Inputs: map[string]string{
		"controller": "Example GmbH", "contact_point": "dpo@example.com", "measures_taken": "Suspended the compromised account."}})
	if err != nil {
		t.Fatalf("draft the regulator's notice: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/incidents/"+id+"/notices/"+ob),
		chromedp.WaitVisible(css(`#approve-notice`)),
	)
	if err != nil {
		t.Fatalf("open the notice: %v", err)
	}
	if dir := os.Getenv("IRFLOW_TEST_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "notice.png"), png, 0o644)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.Submit(css(`#approve-notice`)),
		chromedp.WaitVisible(css(`p.flash`)),
	)
	if err != nil {
		t.Fatalf("approve the notice: %v", err)
	}
	waitNotice(t, svc, id, ob, 10*time.Second, "the approval by admin via web", func(n service.NoticeStatus) bool {
		if len(n.History) == 0 {
			return false
		}
		last := n.History[len(n.History)-1]
		return n.Status == incident.NoticeApproved && n.ApprovedBy == "admin" && n.ApprovedSHA256 == draft.TextSHA256 &&
			last.Kind == "approved" && last.Via == incident.ViaWeb
	})
}
