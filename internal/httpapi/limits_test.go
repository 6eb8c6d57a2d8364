package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"irflow/internal/httpapi"
	"irflow/internal/service"
	"irflow/internal/service/servicetest"
	"irflow/internal/sqlite"
)

// TestOversizedRequests: a 10 MB body is 413 whether or not it says its length,
// without reaching Temporal; a body the server reads but whose field is over its
// limit is 400 naming the field and the limit, never a 500 from Temporal's payload
// limit.
func TestOversizedRequests(t *testing.T) {
	ft := servicetest.New()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	h := httpapi.New(&service.Service{Client: ft, Store: store}, slog.New(slog.DiscardHandler))

	tenMB := `{"actor":"bob","text":"` + strings.Repeat("x", 10<<20) + `"}`
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"with Content-Length", strings.NewReader(tenMB)},
		{"chunked", io.MultiReader(strings.NewReader(tenMB))}, // no length known
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/incidents", "/api/incidents/" + id + "/notes"} {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, path, tc.body)
				if tc.name == "chunked" {
					req.ContentLength = -1
				}
				h.ServeHTTP(rec, asBob(req))
				if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"too_large"`) {
					t.Errorf("POST %s with 10 MB: %d %s, want 413 too_large", path, rec.Code, rec.Body)
				}
				tc.body = strings.NewReader(tenMB)
			}
		})
	}

	// A facts document over its limit is refused before it is decoded (issue 17
	// item 3): 413, naming the limit, even though the body as a whole is readable.
	bigFacts := `{"playbook":"credential-compromise","title":"t","actor":"bob","facts":{"summary":"` + strings.Repeat("x", 200<<10) + `"}}`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, asBob(httptest.NewRequest(http.MethodPost, "/api/incidents", strings.NewReader(bigFacts))))
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "limit is 65536") {
		t.Errorf("POST /api/incidents with 200 KB of facts: %d %.300s, want 413 naming the limit", rec.Code, rec.Body)
	}

	for _, tc := range []struct {
		path, body string
		want       []string
	}{
		{"/notes", `{"actor":"bob","text":"` + strings.Repeat("x", 600<<10) + `"}`, []string{"text", "limit is 10000"}},
		{"/close", `{"actor":"bob","reason":"` + strings.Repeat("x", 5000) + `"}`, []string{"reason", "limit is 2000"}},
		{"/facts", `{"actor":"bob","patch":{"summary":"` + strings.Repeat("x", 320<<10) + `"},"reason":"r"}`, []string{"patch", "limit is 65536"}},
		{"/facts", `{"actor":"bob","patch":{"timeline":{"aware_at":"9999-01-01T00:00:00Z"}},"reason":"r"}`, []string{"patch.timeline.aware_at", "out of range"}},
		{"/trigger", `{"field":"aware_at","at":"9999-01-01T00:00:00Z","actor":"bob","reason":"r"}`, []string{"at", "out of range"}},
		{"/steps/kill\u202esessions/skip", `{"actor":"bob"}`, []string{"step", "U+202E"}},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, asBob(httptest.NewRequest(http.MethodPost, "/api/incidents/"+id+tc.path, strings.NewReader(tc.body))))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("POST %s: %d %.200s, want 400", tc.path, rec.Code, rec.Body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("POST %s: %s does not name %q", tc.path, rec.Body, w)
			}
		}
	}
	if calls := ft.Calls(); len(calls) != 0 {
		t.Errorf("oversized requests reached Temporal: %v", calls)
	}

	// Issue 17 item 10: a 60,000-character search was a 500 from SQLite ("LIKE or
	// GLOB pattern too complex"); it is a 400 naming q and its limit.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, asBob(httptest.NewRequest(http.MethodGet, "/api/incidents?q="+strings.Repeat("a%25_", 20000), nil)))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "q: 60000 characters, the limit is 200") {
		t.Errorf("GET /api/incidents?q=(60,000 characters): %d %.300s, want 400 naming q", rec.Code, rec.Body)
	}
}
