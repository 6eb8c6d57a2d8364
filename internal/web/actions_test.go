package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/evidence"
	"irflow/internal/incident"
)

// TestVerifyButton recomputes the evidence hashes against the manifest hash the
// store recorded: OK on the collected folder, MISMATCH naming the file once a
// record is changed; a viewer has no Verify button and is refused.
func TestVerifyButton(t *testing.T) {
	s := newStack(t)
	st := s.seed("INC-20260306-001", "takeover", "DE", true, dur(30*time.Hour))
	dir := filepath.Join(t.TempDir(), st.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.ndjson"), []byte("{\"id\":1}\n{\"id\":2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := evidence.DescribeFile(dir, "users.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := evidence.WriteManifest(dir, evidence.Manifest{Incident: st.ID, Sources: []evidence.Source{{Source: "users", Records: 2, Files: []evidence.File{f}}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.store.SaveEvidenceManifest(context.Background(), incident.EvidenceManifest{IncidentID: st.ID, ManifestPath: filepath.Join(dir, evidence.ManifestName), SHA256: sum, Files: 1, Records: 2}); err != nil {
		t.Fatal(err)
	}
	v := s.browser()
	v.signIn("vic")
	if r := v.get("/incidents/" + st.ID); strings.Contains(r.Body, `id="verify"`) || !strings.Contains(r.Body, f.SHA256) {
		t.Errorf("viewer's incident page: verify button shown or hashes missing")
	}
	if r := v.post("/incidents/" + st.ID + "/evidence/verify"); r.Status != http.StatusForbidden {
		t.Errorf("viewer verifies: %d", r.Status)
	}
	b := s.browser()
	b.signIn("lena")
	b.get("/incidents/" + st.ID)
	ok := b.post("/incidents/" + st.ID + "/evidence/verify")
	if ok.Status != 200 || !strings.Contains(ok.Body, "<strong>OK</strong>: 1 files, 2 records") {
		t.Fatalf("verify: %d %s", ok.Status, ok.Body)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.ndjson"), []byte("{\"id\":1}\n{\"id\":3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := b.post("/incidents/" + st.ID + "/evidence/verify")
	if bad.Status != http.StatusConflict || !strings.Contains(bad.Body, "MISMATCH") || !strings.Contains(bad.Body, "users.ndjson") {
		t.Errorf("tampered evidence: %d %s", bad.Status, bad.Body)
	}
}

// TestLegalActions: pause needs a future expiry and re-displays the form naming the
// field; waive and a moved trigger reach their Updates with the verified actor.
func TestLegalActions(t *testing.T) {
	s := newStack(t)
	s.seed("INC-20260306-001", "takeover", "DE", true, dur(30*time.Hour))
	s.ft.Results["pause"] = incident.ClockState{Status: "paused"}
	s.ft.Results["waive"] = incident.ClockState{Status: "waived"}
	s.ft.Results["set_trigger"] = []incident.IncidentObligation{}
	b := s.browser()
	b.signIn("lena")
	base := "/incidents/INC-20260306-001"
	b.get(base + "/obligations/ob-1/pause")
	if r := b.post(base+"/obligations/ob-1/pause", "reason", "police request", "until", "next week"); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, "until: &#34;next week&#34; is not a time") || !strings.Contains(r.Body, "police request") {
		t.Errorf("bad until: %d %s", r.Status, r.Body)
	}
	if r := b.post(base+"/obligations/ob-1/pause", "reason", "police request", "until", "2026-03-20 09:00", "next", "/board"); r.Status != http.StatusSeeOther {
		t.Errorf("pause: %d %s", r.Status, r.Body)
	}
	if r := b.post(base+"/obligations/ob-1/waive", "reason", ""); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "reason: required") {
		t.Errorf("waive without reason: %d", r.Status)
	}
	if r := b.post(base+"/obligations/ob-1/waive", "reason", "encrypted and unusable"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != base {
		t.Errorf("waive: %d %q", r.Status, r.Header.Get("Location"))
	}
	if r := b.post(base+"/trigger", "field", "aware_at", "at", "2026-03-06T10:00:00Z", "reason", "DPO call"); r.Status != http.StatusSeeOther {
		t.Errorf("trigger: %d %s", r.Status, r.Body)
	}
	var names []string
	for _, u := range s.ft.Updates() {
		names = append(names, u.WorkflowID+" "+u.UpdateName)
		switch req := u.Args[0].(type) {
		case incident.PauseRequest:
			if req.By == nil || req.By.ID != "lena" || req.By.Via != "web" || !req.Until.Equal(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("pause %+v", req)
			}
		case incident.SetIncidentTriggerRequest:
			if req.Field != "aware_at" || req.By == nil || req.By.ID != "lena" || !req.At.Equal(time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("trigger %+v", req)
			}
		}
	}
	want := "clock-INC-20260306-001-ob-1 pause; clock-INC-20260306-001-ob-1 waive; incident-INC-20260306-001 set_trigger"
	if strings.Join(names, "; ") != want {
		t.Errorf("updates %v, want %s", names, want)
	}
}
