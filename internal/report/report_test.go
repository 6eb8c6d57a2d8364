package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"irflow/internal/containment"
	"irflow/internal/evidence"
	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/ownership"
	"irflow/internal/report"
	"irflow/internal/sqlite"
)

var (
	t0        = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	at        = func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	ptr       = func(t time.Time) *time.Time { return &t }
	generated = at(24 * 40)
)

// scripted is an incident as its workflow and clocks would have recorded it:
// activity from t0-36h, detected at t0, aware at t0+2h, three containment steps
// (one done, one skipped, one failed), an ownership override, evidence with one
// gap, and four obligations (on time, late with a reason, waived, still open).
func scripted(t testing.TB, timelineEntries int) (incident.State, []incident.ObligationRecord, evidence.Manifest) {
	doc := facts.Document{Version: 1, Summary: "Maya's admin account was taken over by credential stuffing",
		Timeline:       facts.Timeline{DetectedAt: ptr(t0), AwareAt: ptr(at(2))},
		DataCategories: []string{"contact", "tickets"},
		Affected:       facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: "DE", Count: 120}, {Jurisdiction: "US-CA", Count: 30}}},
		Zendesk:        facts.ZendeskScope{Window: &facts.Window{From: ptr(at(-36)), To: ptr(t0)}},
	}
	st := incident.State{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "Maya's account taken over",
		Playbook: "credential-compromise", Phase: incident.PhaseClosed, Facts: doc, Severity: "SEV2", SeverityReason: "admin account compromised",
		DeclaredAt: at(0.5), DeclaredBy: "alice", ClosedAt: ptr(at(24 * 20)), CloseReason: "contained; notices given"}
	st.Ownership = incident.OwnershipState{Determination: ownership.Determination{Owner: ownership.OwnerShared, Clauses: []string{"SRM-VI.S.i", "SRM-VI.S.iv"},
		Rationale:  "the attacker used the admin's password (cause.credentials_used: password) and a marketplace app",
		Confidence: ownership.Confirmed, OpenQuestions: []ownership.Question{{Field: "cause.mfa_enforced", Question: "Was MFA enforced for admins?"}}},
		Source: incident.OwnershipOverridden, DecidedBy: "carol", DecidedAt: ptr(at(5)), DecisionReason: "the app vendor confirmed its part"}
	st.OwnershipHistory = []incident.OwnershipRevision{
		{At: at(1), Actor: "system", From: incident.OwnershipBrief{}, To: incident.OwnershipBrief{Owner: ownership.OwnerSubscriber, Clauses: []string{"SRM-VI.S.i"}, Confidence: ownership.Probable}, Reason: "triage"},
		{At: at(5), Actor: "carol", From: incident.OwnershipBrief{Owner: ownership.OwnerSubscriber, Clauses: []string{"SRM-VI.S.i"}, Confidence: ownership.Probable}, To: incident.OwnershipBrief{Owner: ownership.OwnerShared, Clauses: []string{"SRM-VI.S.i", "SRM-VI.S.iv"}, Confidence: ownership.Confirmed}, Reason: "the app vendor confirmed its part"},
	}
	st.Steps = []incident.StepState{
		{Step: containment.Step{ID: "suspend-accounts", Action: "suspend_user", Reversible: true}, Status: incident.StepDone,
			ApprovedBy: "bob", ApprovedAt: ptr(at(3)), FinishedAt: ptr(at(3.25)),
			Approvals: []incident.Approval{{Actor: "bob", Via: "web", Reason: "confirmed with Maya by phone", At: at(3)}},
			Results:   []containment.ApplyResult{{StepID: "suspend-accounts", Action: "suspend_user", Target: containment.Target{Kind: containment.KindUser, ID: 372003}, Changed: true, RequestIDs: []string{"req-7f3a"}, At: at(3.25)}}},
		{Step: containment.Step{ID: "reset-password", Action: "reset_password"}, Status: incident.StepSkipped, SkippedBy: "bob", SkipReason: "admins cannot set passwords"},
		{Step: containment.Step{ID: "revoke-oauth", Action: "revoke_oauth_tokens"}, Status: incident.StepFailed, ApprovedBy: "bob", ApprovedAt: ptr(at(4)), Errors: []string{"oauth token 991: 403 Forbidden"}},
	}
	st.Evidence = incident.EvidenceStatus{Status: incident.EvidenceCollected, Files: 2, Records: 42,
		Gaps: []evidence.Gap{{Source: "access_logs", Reason: "needs the Advanced Data Privacy and Protection add-on"}}}
	kinds := []string{incident.KindNote, incident.KindStep, incident.KindObligation, incident.KindFacts}
	st.Timeline = []incident.TimelineEntry{
		{Seq: 1, At: at(0.5), Actor: "alice", Via: "web", Kind: incident.KindDeclared, Text: "declared with playbook credential-compromise"},
		{Seq: 2, At: at(1), Actor: "system", Kind: incident.KindOwnership, Text: "ownership subscriber (SRM-VI.S.i)"},
		{Seq: 3, At: at(3), Actor: "bob", Via: "web", Kind: incident.KindStep, Text: "suspend-accounts approved: <b>confirmed</b> | by phone → done"},
		{Seq: 4, At: at(3.5), Actor: "légal", Kind: incident.KindNote, Text: "fine of €20 000 — “unlikely”; ünïcödé ✓ 日本"},
	}
	for i := len(st.Timeline); i < timelineEntries; i++ {
		st.Timeline = append(st.Timeline, incident.TimelineEntry{Seq: i + 1, At: at(3 + float64(i)/100), Actor: "responder", Via: "slack",
			Kind: kinds[i%len(kinds)], Text: fmt.Sprintf("entry %d: checked the audit log for the attacker's IP addresses and recorded what was found", i+1)})
	}

	clock := func(id, audience, jur, citation string, due time.Time) incident.ObligationRecord {
		ob := obligations.Obligation{ID: id, Rule: strings.Split(id, "/")[0], Title: "Notice " + id, Audience: audience, Jurisdiction: jur, Citation: citation,
			Trigger: "aware_at", TriggerAt: ptr(at(2)), DueAt: ptr(due), DueText: "within the statutory period", Applicable: true}
		return incident.ObligationRecord{IncidentID: st.ID, ObligationID: id, ClockWorkflowID: "clock-" + id, Rule: ob.Rule, Audience: audience, Jurisdiction: jur,
			TriggerAt: ptr(at(2)), DueAt: ptr(due), Revision: 3, UpdatedAt: at(50),
			Clock: incident.ClockState{IncidentID: st.ID, Obligation: ob, Status: obligations.StatusOpen, TriggerAt: ptr(at(2)), DueAt: ptr(due)}}
	}
	onTime := clock("eu-gdpr-33-sa", "authority", "IE", "GDPR Art. 33", at(74))
	onTime.Clock.Status, onTime.Status = obligations.StatusFulfilled, obligations.StatusFulfilled
	onTime.Clock.Fulfilment = &incident.Fulfilment{At: at(50), Actor: "legal", Reference: "DPC-2026-0042"}
	onTime.FulfilledAt = ptr(at(50))
	late := clock("us-ca-1798-82-individuals", "individuals", "US-CA", "Cal. Civ. Code 1798.82", at(24*30+2))
	late.Clock.Status, late.Status = obligations.StatusFulfilled, obligations.StatusFulfilled
	late.Clock.Fulfilment = &incident.Fulfilment{At: at(24 * 32), Actor: "legal", Reference: "letters batch 1", LateReason: "the mail house lost batch 1"}
	waived := clock("eu-gdpr-34", "individuals", "EU", "GDPR Art. 34", at(74))
	waived.Clock.Status, waived.Status = incident.ClockWaived, incident.ClockWaived
	waived.Clock.Waiver = &incident.Waiver{Reason: "data encrypted and unusable (Art. 34(3)(a))", Actor: "legal", At: at(30)}
	open := clock("us-ca-1798-82-ag", "authority", "US-CA", "Cal. Civ. Code 1798.82(f)", at(24*47))
	// A retired clock of the open obligation, replaced by the one above: one duty.
	retired := clock("us-ca-1798-82-ag", "authority", "US-CA", "Cal. Civ. Code 1798.82(f)", at(24*45))
	retired.ClockWorkflowID, retired.Clock.Status, retired.Status, retired.Clock.RetiredReason = "clock-old", incident.ClockRetired, incident.ClockRetired, "facts changed"

	man := evidence.Manifest{Incident: st.ID,
		Sources: []evidence.Source{
			{Source: "audit_logs", Records: 40, Files: []evidence.File{{Path: "audit_logs.ndjson", SHA256: strings.Repeat("ab", 32), Records: 40}}},
			{Source: "users", Records: 2, Files: []evidence.File{{Path: "users.ndjson", SHA256: strings.Repeat("cd", 32), Records: 2}}},
		},
		Gaps: st.Evidence.Gaps}
	return st, []incident.ObligationRecord{onTime, late, waived, retired, open}, man
}

func build(t testing.TB, n int) report.Report {
	st, clocks, man := scripted(t, n)
	return report.Build(report.Record{State: st, Clocks: clocks, Manifest: &man,
		ManifestRecorded: &incident.EvidenceManifest{IncidentID: st.ID, SHA256: strings.Repeat("ef", 32), RecordedAt: at(6)},
		GeneratedAt:      generated, GeneratedBy: "legal"})
}

func TestBuildSections(t *testing.T) {
	r := build(t, 3)
	if r.ID != "INC-20260306-001" || r.Severity != "SEV2" || r.ClosedAt == nil {
		t.Fatalf("summary: %+v", r)
	}
	if r.Ownership.Owner != "shared" || r.Ownership.Source != "overridden" || !strings.Contains(r.Ownership.Decided, "carol") {
		t.Errorf("ownership: %+v", r.Ownership)
	}
	if len(r.Revisions) != 2 || r.Revisions[1].To != "shared (confirmed; SRM-VI.S.i, SRM-VI.S.iv)" || r.Revisions[1].Actor != "carol" {
		t.Errorf("revisions: %+v", r.Revisions)
	}
	if a := r.Containment[0]; a.ApprovedBy != "bob via web (confirmed with Maya by phone)" || !strings.Contains(a.Result, "user 372003: changed (Zendesk request req-7f3a)") {
		t.Errorf("containment[0]: %+v", a)
	}
	if a := r.Containment[1]; a.ApprovedBy != "skipped by bob: admins cannot set passwords" {
		t.Errorf("containment[1]: %+v", a)
	}
	if len(r.Evidence.Files) != 2 || r.Evidence.ManifestSHA256 != strings.Repeat("ef", 32) {
		t.Errorf("evidence: %+v", r.Evidence)
	}
	got := map[string]report.Obligation{}
	for _, o := range r.Obligations {
		got[o.ID] = o
	}
	if len(r.Obligations) != 4 {
		t.Errorf("obligations: want 4 (the retired clock folds into its replacement), got %d: %+v", len(r.Obligations), r.Obligations)
	}
	for id, want := range map[string][2]string{
		"eu-gdpr-33-sa":             {"on time", ""},
		"us-ca-1798-82-individuals": {"late", "the mail house lost batch 1"},
		"eu-gdpr-34":                {"waived", "data encrypted and unusable (Art. 34(3)(a))"},
		"us-ca-1798-82-ag":          {"open", "7d 0h left"},
	} {
		if o := got[id]; o.Timeliness != want[0] || o.Reason != want[1] {
			t.Errorf("obligation %s: timeliness %q reason %q, want %q %q", id, o.Timeliness, o.Reason, want[0], want[1])
		}
	}
	if got["eu-gdpr-33-sa"].Reference != "DPC-2026-0042" {
		t.Errorf("reference: %+v", got["eu-gdpr-33-sa"])
	}
	metrics := map[string]string{}
	for _, m := range r.Metrics {
		metrics[m.Name] = m.Value
	}
	// Detect: activity t0-36h to detected t0; contain: t0 to t0+3h15m; notify:
	// aware t0+2h to the first authority notice at t0+50h.
	if metrics["Time to detect"] != "1d 12h" || metrics["Time to contain"] != "3h 15m" || metrics["Time to notify"] != "2d 0h" {
		t.Errorf("metrics: %+v", r.Metrics)
	}
	follow := strings.Join(r.FollowUps, "\n")
	for _, want := range []string{"us-ca-1798-82-ag (Cal. Civ. Code 1798.82(f)) is open: due 2026-04-22 09:00 UTC, 7d 0h left", "revoke-oauth", "403 Forbidden", "Evidence gap access_logs", "Was MFA enforced", "fulfilled late"} {
		if !strings.Contains(follow, want) {
			t.Errorf("follow-ups lack %q:\n%s", want, follow)
		}
	}
}

// expected is what every format must show: each section's title and a value
// from each.
var expected = []string{
	report.SecSummary, "Maya's account taken over", "SEV2", "credential stuffing", "150 (DE 120, US-CA 30)",
	report.SecOwnership, "SRM-VI.S.iv", "the app vendor confirmed its part",
	report.SecRevisions, "carol",
	report.SecContainment, "suspend-accounts", "bob via web", "req-7f3a", "admins cannot set passwords", "403 Forbidden",
	report.SecEvidence, strings.Repeat("ab", 32), strings.Repeat("ef", 32), "access_logs",
	report.SecObligations, "DPC-2026-0042", "on time", "late", "the mail house lost batch 1", "waived",
	report.SecMetrics, "Time to detect", "1d 12h", "Time to contain", "3h 15m", "Time to notify",
	report.SecFollowUps, "Was MFA enforced",
	report.SecTimeline, "declared with playbook credential-compromise", "fine of €20 000 — “unlikely”; ünïcödé",
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := build(t, 3).Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range expected {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// A cell's pipe and markup are escaped, not read as table or HTML.
	if !strings.Contains(md, `&lt;b&gt;confirmed&lt;/b&gt; \| by phone → done`) {
		t.Errorf("markdown cell not escaped:\n%s", md)
	}
}

func TestHTML(t *testing.T) {
	var b bytes.Buffer
	if err := build(t, 3).HTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range expected {
		if !strings.Contains(page, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>confirmed</b>") || !strings.Contains(page, "&lt;b&gt;confirmed&lt;/b&gt;") {
		t.Errorf("html does not escape a timeline entry's markup")
	}
}

// TestPDF extracts the PDF's text with a PDF reader and finds every section in it.
func TestPDF(t *testing.T) {
	var b bytes.Buffer
	if err := build(t, 300).PDF(&b); err != nil {
		t.Fatal(err)
	}
	text, pages := pdfText(t, b.Bytes())
	if pages < 3 {
		t.Errorf("a 300-entry timeline fits on %d pages?", pages)
	}
	flat := strings.Join(strings.Fields(text), " ")
	words := map[string]bool{}
	for _, w := range strings.Fields(text) {
		words[w] = true
	}
	for _, want := range expected {
		if strings.Contains(flat, want) {
			continue
		}
		// A long value wraps inside its table cell, and the reader returns the
		// page's text line by line across the cells: every word must be there.
		for _, w := range strings.Fields(want) {
			if len(want) < 25 || !words[w] {
				t.Errorf("pdf text lacks %q", want)
				break
			}
		}
	}
	// The arrow outside Windows-1252 is spelled out, not dropped or garbled.
	if !strings.Contains(flat, "by phone -> done") {
		t.Errorf("pdf text lacks the spelled-out arrow")
	}
	if !strings.Contains(flat, "entry 300:") || !strings.Contains(flat, fmt.Sprintf("Page %d of %d", pages, pages)) {
		t.Errorf("pdf lacks the last timeline entry or the page count")
	}
}

// pdfText returns the text of every page, in order, and the page count. The
// reader gives positioned glyphs; they are put back into lines by their baseline,
// left to right, with a space wherever two glyphs are apart (a new cell or word).
func pdfText(t testing.TB, b []byte) (string, int) {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("read pdf: %v", err)
	}
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		lines := map[int][]pdf.Text{}
		for _, g := range p.Content().Text {
			y := int(g.Y*10 + 0.5)
			lines[y] = append(lines[y], g)
		}
		ys := make([]int, 0, len(lines))
		for y := range lines {
			ys = append(ys, y)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(ys))) // PDF's y grows upwards
		for _, y := range ys {
			glyphs := lines[y]
			sort.SliceStable(glyphs, func(a, b int) bool { return glyphs[a].X < glyphs[b].X })
			end := -1.0
			for _, g := range glyphs {
				if end >= 0 && g.X-end > 0.8 {
					sb.WriteString(" ")
				}
				sb.WriteString(g.S)
				end = g.X + g.W
			}
			sb.WriteString("\n")
		}
	}
	return sb.String(), r.NumPage()
}

// TestLoad reads the scripted incident back from a real SQLite store and its
// evidence folder, and reports a manifest that no longer matches its recorded hash.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, clocks, man := scripted(t, 5)
	evDir := filepath.Join(dir, "evidence", st.ID)
	if err := os.MkdirAll(evDir, 0o700); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(man)
	if err := os.WriteFile(filepath.Join(evDir, evidence.ManifestName), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	st.Evidence.ManifestPath, st.Evidence.ManifestSHA256 = filepath.Join(evDir, evidence.ManifestName), hex.EncodeToString(sum[:])
	tl := st.Timeline
	st.Timeline = nil
	stateJSON, _ := json.Marshal(st)
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: incident.Summary{ID: st.ID, WorkflowID: st.WorkflowID, Title: st.Title,
		Playbook: st.Playbook, Phase: st.Phase, DeclaredAt: st.DeclaredAt, UpdatedAt: at(1)}, StateJSON: string(stateJSON), Version: 1, Entries: tl}); err != nil {
		t.Fatal(err)
	}
	for _, c := range clocks {
		if err := db.SaveObligation(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SaveEvidenceManifest(ctx, incident.EvidenceManifest{IncidentID: st.ID, ManifestPath: st.Evidence.ManifestPath, SHA256: st.Evidence.ManifestSHA256, Files: 2, Records: 42}); err != nil {
		t.Fatal(err)
	}

	rec, err := report.Load(ctx, db, st.ID, report.LoadOptions{Now: generated, By: "legal"})
	if err != nil {
		t.Fatal(err)
	}
	r := report.Build(rec)
	if len(r.Timeline) != 5 || len(r.Obligations) != 4 || len(r.Evidence.Files) != 2 || r.Evidence.Problem != "" {
		t.Fatalf("loaded: timeline %d, obligations %d, evidence %+v", len(r.Timeline), len(r.Obligations), r.Evidence)
	}
	if r.Evidence.ManifestSHA256 != st.Evidence.ManifestSHA256 {
		t.Errorf("manifest hash %q, want the recorded %q", r.Evidence.ManifestSHA256, st.Evidence.ManifestSHA256)
	}

	// Tamper with the manifest: the report says so instead of trusting it.
	if err := os.WriteFile(filepath.Join(evDir, evidence.ManifestName), append(raw, ' '), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err = report.Load(ctx, db, st.ID, report.LoadOptions{Now: generated})
	if err != nil {
		t.Fatal(err)
	}
	if p := report.Build(rec).Evidence.Problem; !strings.Contains(p, "not the recorded") {
		t.Errorf("tampered manifest: problem %q", p)
	}

	if _, err := report.Load(ctx, db, "INC-20990101-001", report.LoadOptions{}); err == nil {
		t.Errorf("an unknown incident loads")
	}
}

// BenchmarkReport10kTimeline builds and renders the report of an incident with
// 10,000 timeline entries in each format (target: under 2 s each).
func BenchmarkReport10kTimeline(b *testing.B) {
	st, clocks, man := scripted(b, 10000)
	rec := report.Record{State: st, Clocks: clocks, Manifest: &man, GeneratedAt: generated}
	for _, f := range []struct {
		name   string
		render func(report.Report, *bytes.Buffer) error
	}{
		{"md", func(r report.Report, w *bytes.Buffer) error { return r.Markdown(w) }},
		{"html", func(r report.Report, w *bytes.Buffer) error { return r.HTML(w) }},
		{"pdf", func(r report.Report, w *bytes.Buffer) error { return r.PDF(w) }},
	} {
		b.Run(f.name, func(b *testing.B) {
			var w bytes.Buffer
			for i := 0; i < b.N; i++ {
				w.Reset()
				if err := f.render(report.Build(rec), &w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.Len()), "bytes")
		})
	}
}
