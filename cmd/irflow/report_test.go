package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/auth"
	"irflow/internal/incident"
)

// TestReportCommand writes an incident's report from the store in each format,
// and names what is wrong with bad input.
func TestReportCommand(t *testing.T) {
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	store := openTestStore(t, dir)
	at := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	st := incident.State{ID: "INC-20260306-001", Title: "Maya's account taken over", Playbook: "credential-compromise", Phase: incident.PhaseClosed,
		Severity: "SEV2", DeclaredAt: at, DeclaredBy: "alice", ClosedAt: &at, CloseReason: "contained"}
	raw, _ := json.Marshal(st)
	if err := store.SaveIncident(context.Background(), incident.IncidentSave{Summary: incident.Summary{ID: st.ID, WorkflowID: "incident-" + st.ID,
		Title: st.Title, Playbook: st.Playbook, Phase: st.Phase, DeclaredAt: at, ClosedAt: &at, UpdatedAt: at}, StateJSON: string(raw), Version: 1,
		Entries: []incident.TimelineEntry{{Seq: 1, At: at, Actor: "alice", Via: "cli", Kind: incident.KindDeclared, Text: "declared with playbook credential-compromise"}}}); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCLI(t, "report", st.ID)
	if code != 0 || !strings.Contains(out, "# Post-incident report: INC-20260306-001 Maya's account taken over") ||
		!strings.Contains(out, "## Metrics") || !strings.Contains(out, "declared with playbook credential-compromise") {
		t.Errorf("md: exit %d %s %s", code, out, errOut)
	}
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	if code, _, errOut := runCLI(t, "report", st.ID, "--format", "pdf", "--out", pdf); code != 0 || !strings.Contains(errOut, "wrote the pdf report") {
		t.Fatalf("pdf: exit %d %s", code, errOut)
	}
	if b, err := os.ReadFile(pdf); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("pdf file: %v %.10q", err, b)
	}
	if code, out, _ := runCLI(t, "report", st.ID, "--format", "html"); code != 0 || !strings.Contains(out, "<h2 id=\"timeline\">Timeline</h2>") {
		t.Errorf("html: %d", code)
	}
	if code, out, _ := runCLI(t, "report", st.ID, "--json"); code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("json: %d %s", code, out)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report", "INC-20990101-001"}, 3, "not found"},
		{[]string{"report", "nonsense"}, 2, "not an incident id"},
		{[]string{"report", st.ID, "--format", "docx"}, 2, "use md, html or pdf"},
		{[]string{"report", st.ID, "--format", "pdf"}, 2, "needs --out"},
	} {
		code, _, errOut := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, code, errOut, c.code, c.msg)
		}
	}
}

// TestUsersPasswd sets a web password from standard input or generated, stores
// only its hash, and refuses a short one or an unknown user.
func TestUsersPasswd(t *testing.T) {
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	if code, _, errOut := runCLI(t, "users", "add", "dora", "--role", "legal"); code != 0 {
		t.Fatal(errOut)
	}
	withStdin := func(input string, args ...string) (int, string, string) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := os.Stdin
		os.Stdin = r
		defer func() { os.Stdin = old; r.Close() }()
		_, _ = w.WriteString(input)
		w.Close()
		return runCLI(t, args...)
	}
	if code, out, errOut := withStdin("a long enough passphrase\n", "users", "passwd", "dora", "--password-stdin"); code != 0 || !strings.Contains(out, "Set dora's web password.") {
		t.Fatalf("passwd: %d %s %s", code, out, errOut)
	}
	store := openTestStore(t, dir)
	hash, err := store.PasswordHash(context.Background(), "dora")
	if ok, _ := auth.CheckPassword("a long enough passphrase", hash); err != nil || !ok || strings.Contains(hash, "passphrase") {
		t.Errorf("stored hash %q does not check", hash)
	}
	if code, _, errOut := withStdin("short\n", "users", "passwd", "dora", "--password-stdin"); code != 2 || !strings.Contains(errOut, "at least 12") {
		t.Errorf("short: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "users", "passwd", "nobody", "--generate"); code != 3 {
		t.Errorf("unknown user: %d %s", code, errOut)
	}
	code, out, _ := runCLI(t, "users", "passwd", "dora", "--generate", "--json")
	var got struct {
		Password string `json:"password"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Password) != 24 {
		t.Fatalf("generate: %d %s", code, out)
	}
	hash, _ = store.PasswordHash(context.Background(), "dora")
	if ok, _ := auth.CheckPassword(got.Password, hash); !ok {
		t.Errorf("the generated password does not check")
	}
	if code, _, _ := runCLI(t, "users", "passwd", "dora", "--clear"); code != 0 {
		t.Errorf("clear: %d", code)
	}
	if hash, _ = store.PasswordHash(context.Background(), "dora"); hash != "" {
		t.Errorf("cleared hash %q", hash)
	}
	if code, _, _ := runCLI(t, "users", "passwd", "dora", "--clear", "--generate"); code != 2 {
		t.Errorf("two modes: %d", code)
	}
}
