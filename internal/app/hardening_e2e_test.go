package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestDeclareProbes replays issue 17's declare probes against the whole dev stack
// through the HTTP API: over-limit input is 400 naming the field and uses up no id,
// a key reused for another incident is 409 naming the incident, and a retry with
// the same key is the same incident.
func TestDeclareProbes(t *testing.T) {
	t.Parallel()
	d := startDev(t, t.TempDir())
	type answer struct {
		ID    string `json:"id"`
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	declare := func(body map[string]any) (int, answer) {
		var a answer
		code := httpJSON(t, d, http.MethodPost, "/api/incidents", body, &a)
		return code, a
	}
	base := func() map[string]any {
		return map[string]any{"playbook": "credential-compromise", "title": "Maya's account taken over", "actor": "alice"}
	}

	probe := base()
	probe["title"] = strings.Repeat("x", 150_000)
	if code, a := declare(probe); code != http.StatusBadRequest || !strings.Contains(a.Error, "title") || !strings.Contains(a.Error, "200") {
		t.Errorf("150,000-character title: %d %+v, want 400 naming the title and its limit", code, a)
	}
	probe = base()
	probe["facts"] = map[string]any{"version": 1, "summary": strings.Repeat("x", 320<<10)}
	if code, a := declare(probe); code != http.StatusBadRequest {
		t.Errorf("320 KB summary: %d %+v, want 400", code, a)
	}
	probe = base()
	probe["facts"] = map[string]any{"version": 1, "timeline": map[string]any{"aware_at": "9999-01-01T00:00:00Z"},
		"affected": map[string]any{"individuals": []any{map[string]any{"jurisdiction": "DE", "count": 10}}}}
	if code, a := declare(probe); code != http.StatusBadRequest || !strings.Contains(a.Error, "aware_at") {
		t.Errorf("aware_at in year 9999: %d %+v, want 400 naming aware_at", code, a)
	}
	probe = base()
	probe["title"] = "Takeover\x1b[2J\u202e"
	if code, a := declare(probe); code != http.StatusBadRequest || !strings.Contains(a.Error, "control character") {
		t.Errorf("escape in the title: %d %+v, want 400", code, a)
	}

	// Nothing above used an id: the first declared incident is the day's first.
	first := base()
	first["idempotency_key"] = "pagerduty-Q1ABC"
	code, a := declare(first)
	want := "INC-" + time.Now().UTC().Format("20060102") + "-001"
	if code != http.StatusCreated || a.ID != want {
		t.Fatalf("declare: %d %+v, want 201 and %s", code, a, want)
	}
	if code, again := declare(first); code != http.StatusOK || again.ID != a.ID {
		t.Errorf("retry with the same key: %d %+v, want 200 and %s", code, again, a.ID)
	}
	other := base()
	other["idempotency_key"] = "pagerduty-Q1ABC"
	other["title"] = "An unrelated incident"
	if code, c := declare(other); code != http.StatusConflict || !strings.Contains(c.Error, a.ID) {
		t.Errorf("same key, another title: %d %+v, want 409 naming %s", code, c, a.ID)
	}
	other["title"], other["playbook"] = first["title"], "api-token-leak"
	if code, c := declare(other); code != http.StatusConflict || !strings.Contains(c.Error, a.ID) {
		t.Errorf("same key, another playbook: %d %+v, want 409 naming %s", code, c, a.ID)
	}
	waitState(t, d.Service, a.ID, 10*time.Second, "the incident to run", func(s incident.State) bool { return s.ID == a.ID && s.Phase != "" })
}
