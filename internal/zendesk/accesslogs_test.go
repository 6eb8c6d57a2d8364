package zendesk_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

func TestAccessLogsWithoutAddonIs403(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	_, err := e.c.ListAccessLogs(zendesk.AccessLogFilter{}, zendesk.ListOptions{}).Next(ctx)
	ze := asError(t, err)
	if ze.StatusCode != http.StatusForbidden || ze.Message == "" {
		t.Fatalf("error = %+v, want a 403 with Zendesk's message", ze)
	}
}

func TestAccessLogsListFilterResume(t *testing.T) {
	e := newEnv(t, zdsim.Options{AccessLogsAddon: true})
	f := e.facts

	all, pages := collect(t, e, e.c.ListAccessLogs(zendesk.AccessLogFilter{}, zendesk.ListOptions{PageSize: 50}))
	if len(all) != f.AccessLogCount || pages < 2 {
		t.Fatalf("listed %d entries in %d pages, seed has %d", len(all), pages, f.AccessLogCount)
	}
	seen := map[string]bool{}
	for _, l := range all {
		if l.ID == "" || seen[l.ID] || l.UserID == "" || l.Timestamp.IsZero() || l.Method == "" || l.URL == "" || l.Status == 0 {
			t.Fatalf("entry decoded badly or repeated: %+v", l)
		}
		seen[l.ID] = true
	}

	// The attacker's ticket listings during the takeover, by path and window.
	flt := zendesk.AccessLogFilter{Start: f.TakeoverAt, End: f.TakeoverAt.Add(time.Hour), Path: "/api/v2/tickets.json"}
	listings, _ := collect(t, e, e.c.ListAccessLogs(flt, zendesk.ListOptions{}))
	if len(listings) == 0 {
		t.Fatal("no ticket listings in the takeover hour")
	}
	for _, l := range listings {
		if l.IPAddress != f.AttackerIP || l.Method != "GET" || !strings.HasPrefix(l.URL, "/api/v2/tickets.json") ||
			l.Timestamp.Before(f.TakeoverAt) || l.Timestamp.After(f.TakeoverAt.Add(time.Hour)) {
			t.Errorf("entry outside the filter: %+v", l)
		}
	}

	// The user filter, then resuming the same query from a cursor and a next URL.
	uf := zendesk.AccessLogFilter{UserID: strconv.FormatInt(f.CompromisedUserID, 10), Start: f.TakeoverAt}
	mine, _ := collect(t, e, e.c.ListAccessLogs(uf, zendesk.ListOptions{}))
	exports := 0
	for _, l := range mine {
		if l.UserID != uf.UserID || l.IPAddress != f.AttackerIP {
			t.Errorf("user filter: %+v", l)
		}
		if strings.Contains(l.URL, "/export") || strings.Contains(l.URL, "/incremental/") {
			exports++
		}
	}
	if len(mine) != f.AttackerAccessLogs || exports != f.AttackerExportRequests {
		t.Fatalf("compromised user since takeover: %d entries (%d exports), want %d (%d)", len(mine), exports, f.AttackerAccessLogs, f.AttackerExportRequests)
	}
	first, err := e.c.ListAccessLogs(uf, zendesk.ListOptions{PageSize: 7}).Next(ctx)
	if err != nil || !first.HasMore || first.AfterCursor == "" || first.NextURL == "" {
		t.Fatalf("first page: %+v %v", first, err)
	}
	restA, _ := collect(t, e, e.c.ListAccessLogs(uf, zendesk.ListOptions{PageSize: 7, After: first.AfterCursor}))
	restB, _ := collect(t, e, e.c.ListAccessLogs(zendesk.AccessLogFilter{}, zendesk.ListOptions{NextURL: first.NextURL}))
	for name, rest := range map[string][]zendesk.AccessLog{"after cursor": restA, "next url": restB} {
		got := append(append([]zendesk.AccessLog{}, first.Items...), rest...)
		if len(got) != len(mine) {
			t.Fatalf("%s: %d entries, want %d", name, len(got), len(mine))
		}
		for i := range got {
			if got[i].ID != mine[i].ID {
				t.Fatalf("%s: entry %d = %s, want %s", name, i, got[i].ID, mine[i].ID)
			}
		}
	}
}

func TestAccessLogFilterQueryAndErrors(t *testing.T) {
	var got string
	srv := newRecorder(t, &got, `{"access_logs":[],"meta":{"has_more":false},"links":{"next":null}}`)
	c, err := zendesk.New(fast(zendesk.Config{BaseURL: srv, Email: "a@b.example", APIToken: "t"}))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 2, 6, 0, 0, 0, time.FixedZone("CET", 3600))
	flt := zendesk.AccessLogFilter{Start: start, End: start.Add(90 * time.Minute), Path: "/api/v2/tickets.json", UserID: "6596848315901"}
	if _, err := c.ListAccessLogs(flt, zendesk.ListOptions{}).Next(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"filter%5Bstart%5D=2026-03-02T05%3A00%3A00Z", "filter%5Bend%5D=2026-03-02T06%3A30%3A00Z",
		"filter%5Bpath%5D=%2Fapi%2Fv2%2Ftickets.json", "filter%5Buser_id%5D=6596848315901", "page%5Bsize%5D=100"} {
		if !strings.Contains(got, want) {
			t.Errorf("query %q lacks %q", got, want)
		}
	}
	for _, tc := range []struct {
		f    zendesk.AccessLogFilter
		want string
	}{
		{zendesk.AccessLogFilter{Path: "/api/v2/tickets.json?page=1"}, "without a query string"},
		{zendesk.AccessLogFilter{Path: "api/v2/tickets"}, `must start with "/"`},
		{zendesk.AccessLogFilter{Start: start, End: start.Add(-time.Second)}, "End 2026-03-02T04:59:59Z is before Start"},
	} {
		got = ""
		if _, err := c.ListAccessLogs(tc.f, zendesk.ListOptions{}).Next(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.f, err, tc.want)
		}
		if got != "" {
			t.Errorf("%+v: an invalid filter was sent: %s", tc.f, got)
		}
	}
}

// newRecorder serves body to every request and stores the last raw query in *got.
func newRecorder(t *testing.T, got *string, body string) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}
