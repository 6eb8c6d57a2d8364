package zdsim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

type accessLogsPage struct {
	AccessLogs []map[string]any `json:"access_logs"`
	Meta       struct {
		HasMore bool `json:"has_more"`
	} `json:"meta"`
	Links struct {
		Next *string `json:"next"`
	} `json:"links"`
}

func (r rawResp) accessLogs(t *testing.T) accessLogsPage {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var p accessLogsPage
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return p
}

// isPlanForbidden checks the 403 {"error":{"title":"Forbidden","message":...}} shape
// (reference C5).
func isPlanForbidden(t *testing.T, r rawResp) {
	t.Helper()
	if r.status != 403 {
		t.Fatalf("status %d, want 403: %s", r.status, r.body)
	}
	var body struct {
		Error struct{ Title, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || body.Error.Title != "Forbidden" || body.Error.Message == "" {
		t.Fatalf("403 body %q is not the C5 Forbidden shape: %v", r.body, err)
	}
}

func TestAccessLogsNeedTheAddon(t *testing.T) {
	h := newHarness(t, Options{FrozenClock: true})
	isPlanForbidden(t, h.do("GET", "/api/v2/access_logs", h.admin(), ""))
	if h.sim.Facts().AccessLogCount == 0 {
		t.Fatal("the demo seed holds no access logs")
	}
	h.sim.SetAccessLogsAddon(true)
	if p := h.do("GET", "/api/v2/access_logs.json", h.admin(), "").accessLogs(t); len(p.AccessLogs) == 0 {
		t.Fatal("no entries with the add-on")
	}
	// Admin only: an agent is refused even with the add-on.
	f := h.sim.Facts()
	isPlanForbidden(t, h.do("GET", "/api/v2/access_logs", basic(f.AgentEmail, f.AdminAPIToken), ""))
}

func TestAccessLogsWireFormatAndFilters(t *testing.T) {
	h := newHarness(t, Options{FrozenClock: true, AccessLogsAddon: true})
	f := h.sim.Facts()

	// Walk every page with cursors: each entry once, newest first, ids are strings.
	seen := map[string]bool{}
	var last time.Time
	path := "/api/v2/access_logs?page[size]=37"
	pages := 0
	for path != "" {
		p := h.do("GET", path, h.admin(), "").accessLogs(t)
		pages++
		for _, e := range p.AccessLogs {
			id, ok := e["id"].(string)
			if !ok || len(id) != 26 || seen[id] {
				t.Fatalf("id %v: not a fresh 26-character string", e["id"])
			}
			seen[id] = true
			if _, ok := e["user_id"].(string); !ok {
				t.Fatalf("user_id %v is not a string", e["user_id"])
			}
			at, err := time.Parse(time.RFC3339, e["timestamp"].(string))
			if err != nil || (!last.IsZero() && at.After(last)) {
				t.Fatalf("timestamp %v not newest-first after %s: %v", e["timestamp"], last, err)
			}
			last = at
		}
		path = ""
		if p.Meta.HasMore {
			if p.Links.Next == nil || !strings.HasPrefix(*p.Links.Next, h.hs.URL+"/api/v2/access_logs.json?") {
				t.Fatalf("has_more without an absolute next link: %v", p.Links.Next)
			}
			path = strings.TrimPrefix(*p.Links.Next, h.hs.URL)
		}
	}
	if len(seen) != f.AccessLogCount || pages < 2 {
		t.Fatalf("walked %d entries in %d pages, seed has %d", len(seen), pages, f.AccessLogCount)
	}

	list := func(q url.Values) []map[string]any {
		t.Helper()
		q.Set("page[size]", "100")
		return h.do("GET", "/api/v2/access_logs?"+q.Encode(), h.admin(), "").accessLogs(t).AccessLogs
	}
	start, end := f.TakeoverAt.Format(accessLogTimeFormat), f.TakeoverAt.Add(time.Hour).Format(accessLogTimeFormat)
	tickets := list(url.Values{"filter[start]": {start}, "filter[end]": {end}, "filter[path]": {"/api/v2/tickets.json"}})
	if len(tickets) != 6 {
		t.Errorf("ticket listings in the takeover hour = %d, want the attacker's 6", len(tickets))
	}
	for _, e := range tickets {
		if e["ip_address"] != DemoAttackerIP || e["method"] != "GET" || !strings.HasPrefix(e["url"].(string), "/api/v2/tickets.json?") {
			t.Errorf("entry %v is not an attacker ticket listing", e)
		}
	}
	mine := list(url.Values{"filter[user_id]": {idStr(f.CompromisedUserID)}, "filter[start]": {start}})
	attacker := 0
	for _, e := range mine {
		if e["user_id"] != idStr(f.CompromisedUserID) {
			t.Fatalf("user filter let through %v", e)
		}
		if e["ip_address"] == DemoAttackerIP {
			attacker++
		}
	}
	if attacker != f.AttackerAccessLogs || len(mine) != attacker {
		t.Errorf("since takeover: %d entries for the user, %d from the attacker; want all %d from the attacker", len(mine), attacker, f.AttackerAccessLogs)
	}
	if n := len(list(url.Values{"filter[user_id]": {idStr(f.AgentUserID)}})); n == 0 {
		t.Error("no ordinary agent traffic")
	}

	for _, q := range []string{"filter[start]=2026-03-01", "filter[path]=/api/v2/tickets.json%3Fpage%3D1",
		"filter[start]=2026-03-02T00:00:00Z&filter[end]=2026-03-01T00:00:00Z"} {
		if r := h.do("GET", "/api/v2/access_logs?"+q, h.admin(), ""); r.status != 400 || !strings.Contains(r.body, "InvalidParameter") {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

// TestAccessLogsKeepNinetyDays: an entry older than 90 days is not served.
func TestAccessLogsKeepNinetyDays(t *testing.T) {
	h := newHarness(t, Options{FrozenClock: true, AccessLogsAddon: true})
	f := h.sim.Facts()
	old := &accessLog{ID: "00000000000000000000000001", Timestamp: f.Now.Add(-91 * 24 * time.Hour), UserID: idStr(f.AgentUserID),
		Method: "GET", URL: "/api/v2/tickets.json", Status: 200}
	kept := &accessLog{ID: "00000000000000000000000002", Timestamp: f.Now.Add(-89 * 24 * time.Hour), UserID: idStr(f.AgentUserID),
		Method: "GET", URL: "/api/v2/tickets.json", Status: 200}
	h.sim.mu.Lock()
	h.sim.st.accessLogs = append([]*accessLog{old, kept}, h.sim.st.accessLogs...)
	h.sim.mu.Unlock()
	p := h.do("GET", "/api/v2/access_logs?page[size]=100&filter[end]="+f.Now.Add(-80*24*time.Hour).Format(accessLogTimeFormat), h.admin(), "").accessLogs(t)
	if len(p.AccessLogs) != 1 || p.AccessLogs[0]["id"] != kept.ID {
		t.Fatalf("entries before day 80: %v, want only the 89-day-old one", p.AccessLogs)
	}
}

func TestNoAuditLogsPlan(t *testing.T) {
	h := newHarness(t, Options{FrozenClock: true, NoAuditLogs: true})
	isPlanForbidden(t, h.do("GET", "/api/v2/audit_logs", h.admin(), ""))
	isPlanForbidden(t, h.do("GET", "/api/v2/audit_logs/40000001", h.admin(), ""))
	h.sim.SetNoAuditLogs(false)
	if r := h.do("GET", "/api/v2/audit_logs", h.admin(), ""); r.status != 200 {
		t.Fatalf("audit logs back on the plan: %d %s", r.status, r.body)
	}
}
