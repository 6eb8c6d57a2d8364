package zdsim

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// walk GETs path and every next page (links.next, next_page or after_url until
// end_of_stream), and returns the items under rootKey with their ids in order. It
// stops early when stop says a page reaches past what is wanted.
func (h *harness) walk(path, rootKey string, stop func(page map[string]any) bool) []map[string]any {
	h.t.Helper()
	var out []map[string]any
	next := path
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			h.t.Fatalf("%s: more than 1000 pages", path)
		}
		r := h.do("GET", next, h.admin(), "")
		if r.status != 200 {
			h.t.Fatalf("GET %s: %d %s", next, r.status, r.body)
		}
		page := r.json(h.t)
		items, _ := page[rootKey].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		link := ""
		switch {
		case page["links"] != nil:
			link, _ = page["links"].(map[string]any)["next"].(string)
		case page["end_of_stream"] == true:
		case page["after_url"] != nil:
			link, _ = page["after_url"].(string)
		default:
			link, _ = page["next_page"].(string)
		}
		if stop != nil && stop(page) {
			link = ""
		}
		next = strings.TrimPrefix(link, h.hs.URL)
	}
	return out
}

// distinctIDs counts the items' distinct ids (exports repeat records across pages).
func distinctIDs(items []map[string]any) int {
	seen := map[string]bool{}
	for _, it := range items {
		seen[fmt.Sprint(it["id"])] = true
	}
	return len(seen)
}

func inWindow(t *testing.T, v any, from, to time.Time) bool {
	t.Helper()
	at, err := time.Parse(time.RFC3339, fmt.Sprint(v))
	if err != nil {
		t.Fatalf("timestamp %v: %v", v, err)
	}
	return !at.Before(from) && !at.After(to)
}

// TestCountHelpersMatchTheAPI checks every counting helper against what the HTTP
// API lists for the same query, with no faults, on the demo seed (with the access
// log add-on so access logs are served), before and after deletions.
func TestCountHelpersMatchTheAPI(t *testing.T) {
	h := newHarness(t, Options{FrozenClock: true, AccessLogsAddon: true})
	f := h.sim.Facts()
	now := h.sim.Now()
	windows := []struct{ from, to time.Time }{
		{now.Add(-7 * 24 * time.Hour), now.Add(-2 * time.Minute)}, // the evidence default, clamped
		{f.FirstFailedLoginAt, f.TakeoverAt.Add(time.Hour)},       // the attack
		{now.Add(-400 * 24 * time.Hour), now.Add(-2 * time.Minute)},
	}
	nonzero := map[string]bool{}
	check := func(what string, got, want int) {
		t.Helper()
		if got != want {
			t.Errorf("%s: helper counts %d, the API lists %d", what, got, want)
		}
		if want > 0 {
			nonzero[strings.Fields(what)[0]] = true
		}
	}
	checkAll := func(stage string) {
		t.Helper()
		for _, w := range windows {
			q := url.Values{"filter[created_at][]": {w.from.Format(time.RFC3339), w.to.Format(time.RFC3339)}, "page[size]": {"25"}}
			n, ok := h.sim.CountAuditLogs(w.from, w.to)
			if !ok {
				t.Fatal("CountAuditLogs: not on plan, want audit logs")
			}
			check(fmt.Sprintf("audit_logs %s %s..%s", stage, w.from, w.to), n, len(h.walk("/api/v2/audit_logs?"+q.Encode(), "audit_logs", nil)))

			for _, uid := range []int64{0, f.CompromisedUserID, f.AgentUserID} {
				q := url.Values{"filter[start]": {w.from.Format(accessLogTimeFormat)}, "filter[end]": {w.to.Format(accessLogTimeFormat)}, "page[size]": {"30"}}
				if uid != 0 {
					q.Set("filter[user_id]", fmt.Sprint(uid))
				}
				n, ok := h.sim.CountAccessLogs(w.from, w.to, uid)
				if !ok {
					t.Fatal("CountAccessLogs: not on plan, want the add-on")
				}
				check(fmt.Sprintf("access_logs %s user %d %s..%s", stage, uid, w.from, w.to), n, len(h.walk("/api/v2/access_logs?"+q.Encode(), "access_logs", nil)))
			}

			events := h.walk(fmt.Sprintf("/api/v2/incremental/ticket_events?start_time=%d&per_page=5", w.from.Unix()), "ticket_events",
				func(p map[string]any) bool { return int64(p["end_time"].(float64)) > w.to.Unix() })
			events = slices.DeleteFunc(events, func(e map[string]any) bool { return int64(e["timestamp"].(float64)) > w.to.Unix() })
			check(fmt.Sprintf("ticket_events %s %s..%s", stage, w.from, w.to), h.sim.CountTicketEvents(w.from, w.to), distinctIDs(events))

			for _, exp := range []struct {
				source string
				count  func(from, to time.Time) int
			}{{"users", h.sim.CountUsersUpdated}, {"tickets", h.sim.CountTicketsUpdated}} {
				items := h.walk(fmt.Sprintf("/api/v2/incremental/%s/cursor?start_time=%d&per_page=3", exp.source, w.from.Unix()), exp.source, nil)
				items = slices.DeleteFunc(items, func(it map[string]any) bool { return !inWindow(t, it["updated_at"], w.from, w.to) })
				check(fmt.Sprintf("%s %s updated %s..%s", exp.source, stage, w.from, w.to), exp.count(w.from, w.to), distinctIDs(items))
			}
		}
		for _, id := range append([]int64{f.PhishingTicketID, f.PIITicketID}, f.AffectedTicketIDs...) {
			n, ok := h.sim.CountTicketAudits(id)
			if !ok {
				t.Fatalf("CountTicketAudits(%d): no such ticket", id)
			}
			check(fmt.Sprintf("ticket_audits %s ticket %d", stage, id), n, len(h.walk(fmt.Sprintf("/api/v2/tickets/%d/audits", id), "audits", nil)))
			updated, ok := h.sim.TicketUpdatedAt(id)
			got := h.do("GET", fmt.Sprintf("/api/v2/tickets/%d", id), h.admin(), "").json(t)["ticket"].(map[string]any)["updated_at"]
			if !ok || got != updated.Format(time.RFC3339) {
				t.Errorf("TicketUpdatedAt(%d) = %s %t, the API shows %v", id, updated, ok, got)
			}
		}
		for _, id := range []int64{f.CompromisedUserID, f.AgentUserID, f.AdminUserID} {
			n, ok := h.sim.CountUserSessions(id)
			if !ok {
				t.Fatalf("CountUserSessions(%d): no such user", id)
			}
			check(fmt.Sprintf("sessions %s user %d", stage, id), n, len(h.walk(fmt.Sprintf("/api/v2/users/%d/sessions?per_page=2", id), "sessions", nil)))
			updated, ok := h.sim.UserUpdatedAt(id)
			got := h.do("GET", fmt.Sprintf("/api/v2/users/%d", id), h.admin(), "").json(t)["user"].(map[string]any)["updated_at"]
			if !ok || got != updated.Format(time.RFC3339) {
				t.Errorf("UserUpdatedAt(%d) = %s %t, the API shows %v", id, updated, ok, got)
			}
		}
		check("api_tokens "+stage, h.sim.CountAPITokens(), len(h.walk("/api/v2/api_tokens", "api_tokens", nil)))
		check("oauth_tokens "+stage, h.sim.CountOAuthTokens(), len(h.walk("/api/v2/oauth/tokens?all=true&per_page=2", "tokens", nil)))
		check("app_installations "+stage, h.sim.CountAppInstallations(), len(h.walk("/api/v2/apps/installations", "installations", nil)))
		check("webhooks "+stage, h.sim.CountWebhooks(), len(h.walk("/api/v2/webhooks?page[size]=1", "webhooks", nil)))
	}
	checkAll("seed")
	for _, s := range []string{"audit_logs", "access_logs", "ticket_events", "users", "tickets", "ticket_audits", "sessions",
		"api_tokens", "oauth_tokens", "app_installations", "webhooks"} {
		if !nonzero[s] {
			t.Errorf("no check of %s saw a record: the comparison proves nothing", s)
		}
	}

	// Deletions: the counts follow, and Deleted names what went.
	for _, req := range []string{
		fmt.Sprintf("/api/v2/users/%d/sessions", f.CompromisedUserID),
		fmt.Sprintf("/api/v2/api_tokens/%d", f.RogueAPITokenID),
		fmt.Sprintf("/api/v2/oauth/tokens/%d", f.RogueOAuthTokenID),
		"/api/v2/webhooks/" + f.RogueWebhookID,
	} {
		if r := h.do("DELETE", req, h.admin(), ""); r.status != 204 {
			t.Fatalf("DELETE %s: %d %s", req, r.status, r.body)
		}
	}
	checkAll("after deletions")
	sessions := h.sim.Deleted(KindSession)
	slices.Sort(sessions)
	var want []string
	for _, id := range append(append([]int64{}, f.LegitSessionIDs...), f.AttackerSessionIDs...) {
		want = append(want, fmt.Sprint(id))
	}
	slices.Sort(want)
	if !slices.Equal(sessions, want) {
		t.Errorf("Deleted(session) = %v, want the compromised user's %v", sessions, want)
	}
	for kind, id := range map[string]string{KindAPIToken: fmt.Sprint(f.RogueAPITokenID), KindOAuthToken: fmt.Sprint(f.RogueOAuthTokenID), KindWebhook: f.RogueWebhookID} {
		if got := h.sim.Deleted(kind); !slices.Equal(got, []string{id}) {
			t.Errorf("Deleted(%s) = %v, want [%s]", kind, got, id)
		}
	}

	// Plans without the source say so instead of counting zero.
	h.sim.SetNoAuditLogs(true)
	h.sim.SetAccessLogsAddon(false)
	if _, ok := h.sim.CountAuditLogs(windows[0].from, windows[0].to); ok {
		t.Error("CountAuditLogs on a plan without audit logs: ok, want not on plan")
	}
	if _, ok := h.sim.CountAccessLogs(windows[0].from, windows[0].to, 0); ok {
		t.Error("CountAccessLogs without the add-on: ok, want not on plan")
	}
	if _, ok := h.sim.CountUserSessions(1); ok {
		t.Error("CountUserSessions of a user that does not exist: ok")
	}
}
