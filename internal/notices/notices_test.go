package notices_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/internal/notices"
	"irflow/internal/obligations"
)

var (
	aware = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	due   = aware.Add(72 * time.Hour)
)

func demoFacts(t *testing.T) facts.Document {
	t.Helper()
	records := int64(40000)
	from, to := aware.Add(-48*time.Hour), aware.Add(-2*time.Hour)
	return facts.Document{
		Version:        1,
		Summary:        "An administrator account was taken over by credential stuffing and used to export ticket data.",
		Timeline:       facts.Timeline{AwareAt: &aware},
		Affected:       facts.Affected{Individuals: []facts.JurisdictionCount{{Jurisdiction: "DE", Count: 12000}, {Jurisdiction: "US-CA", Count: 800}}, Records: &records},
		DataCategories: []string{"contact", "credentials"},
		Zendesk:        facts.ZendeskScope{Window: &facts.Window{From: &from, To: &to}},
	}
}

func record(t *testing.T, rule string) notices.Record {
	d := due
	return notices.Record{
		IncidentID: "INC-20261201-001",
		Title:      "Admin takeover",
		Facts:      demoFacts(t),
		Obligation: obligations.Obligation{ID: rule, Rule: rule, Title: "Notice", Citation: "GDPR Art. 33", Jurisdiction: "EEA", DueAt: &d},
		Measures:   []string{"Suspended the compromised administrator (user 372003)", "Revoked API token 203"},
		Inputs:     map[string]string{"controller": "Example GmbH", "contact_point": "Data Protection Officer, dpo@example.com, +49 30 1234567"},
		Now:        aware.Add(24 * time.Hour),
	}
}

func TestTemplateContents(t *testing.T) {
	cases := []struct {
		rule, template string
		want           []string
		notWant        []string
	}{
		{rule: "eu-gdpr-33-sa", template: notices.TemplateRegulator, want: []string{
			"Example GmbH",
			"## (a) Nature of the personal data breach", "credential stuffing",
			"between 29 November 2026 and 1 December 2026",
			"We became aware of the breach on 1 December 2026 09:00 UTC",
			"Approximate number of data subjects concerned: approximately 12,800 (DE: 12,000; US-CA: 800)",
			"Categories of personal data concerned: contact details (names, email addresses, phone numbers) and login credentials",
			"Approximate number of personal data records concerned: approximately 40,000",
			"## (b) Contact point", "dpo@example.com",
			"## (c) Likely consequences", "Phishing and other unsolicited messages",
			"## (d) Measures taken or proposed", "- Suspended the compromised administrator (user 372003)", "- Revoked API token 203",
			"Article 33(4)",
		}, notWant: []string{"Reasons for the delay", "[missing"}},
		{rule: "uk-gdpr-33-ico", template: notices.TemplateRegulator, want: []string{"## (c) Likely consequences"}},
		{rule: "eu-gdpr-34-individuals", template: notices.TemplateIndividuals, want: []string{
			"Dear customer", "## What happened", "## What information was involved", "- login credentials",
			"## What this could mean for you", "## What we have done", "## What you can do",
			"- Change your password for our service", "We will never ask you for your password",
			"## Who to contact", "dpo@example.com",
		}, notWant: []string{"Article 33", "Approximate number"}},
		{rule: "us-ca-1798-82-individuals", template: notices.TemplateCalifornia, want: []string{
			"Subject: Notice of Data Breach", "NOTICE OF DATA BREACH", "Date of this notice: 2 December 2026",
			"## What Happened", "## What Information Was Involved", "## What We Are Doing", "## What You Can Do", "## For More Information",
			"was not delayed as a result of a law enforcement investigation",
		}, notWant: []string{"Equifax"}},
		{rule: "us-tx-521-053-individuals", template: notices.TemplateGeneric, want: []string{
			"## Description of the incident", "## Information involved", "## People affected", "## Measures taken", "## Contact",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			if got := notices.TemplateFor(tc.rule); got != tc.template {
				t.Fatalf("TemplateFor = %s, want %s", got, tc.template)
			}
			d, err := notices.Render(record(t, tc.rule))
			if err != nil {
				t.Fatal(err)
			}
			full := "Subject: " + d.Subject + "\n" + d.Text
			for _, w := range tc.want {
				if !strings.Contains(full, w) {
					t.Errorf("missing %q in:\n%s", w, full)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(full, w) {
					t.Errorf("unexpected %q in:\n%s", w, full)
				}
			}
			if strings.Contains(d.Text, "\n\n\n") {
				t.Errorf("runs of blank lines:\n%s", d.Text)
			}
		})
	}
}

func TestCaliforniaHeadingsInOrder(t *testing.T) {
	d, err := notices.Render(record(t, "us-ca-1798-82-individuals"))
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for _, h := range []string{"What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information"} {
		i := strings.Index(d.Text, "## "+h+"\n")
		if i <= last {
			t.Fatalf("heading %q at %d, after %d", h, i, last)
		}
		last = i
	}
}

func TestCaliforniaCreditAgenciesForIdentityNumbers(t *testing.T) {
	r := record(t, "us-ca-1798-82-individuals")
	r.Facts.DataCategories = []string{"government_id"}
	d, err := notices.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Equifax", "Experian", "TransUnion", "government identification numbers", "fraud alert"} {
		if !strings.Contains(d.Text, w) {
			t.Errorf("missing %q", w)
		}
	}
}

func TestRefusesAndNamesEveryMissingFact(t *testing.T) {
	cases := []struct {
		name   string
		change func(*notices.Record)
		want   []string
	}{
		{"no contact point", func(r *notices.Record) { delete(r.Inputs, "contact_point") }, []string{"contact_point"}},
		{"no counts, no aware_at", func(r *notices.Record) {
			r.Facts.Affected = facts.Affected{}
			r.Facts.Timeline.AwareAt = nil
		}, []string{"aware_at", "affected.individuals", "affected.records"}},
		{"no categories: no consequences either", func(r *notices.Record) { r.Facts.DataCategories = nil }, []string{"data_categories", "consequences"}},
		{"nothing done", func(r *notices.Record) { r.Measures = nil }, []string{"measures_taken"}},
		{"late without reasons", func(r *notices.Record) { r.Now = due.Add(time.Hour) }, []string{"delay_reason"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := record(t, "eu-gdpr-33-sa")
			tc.change(&r)
			_, err := notices.Render(r)
			var me *notices.MissingError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want a MissingError", err)
			}
			var got []string
			for _, m := range me.Missing {
				got = append(got, m.Fact)
				if m.Hint == "" {
					t.Errorf("%s has no hint", m.Fact)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("missing = %v, want %v", got, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestLateWithReason(t *testing.T) {
	r := record(t, "eu-gdpr-33-sa")
	r.Now = due.Add(time.Hour)
	r.Inputs["delay_reason"] = "The scope was confirmed only after Zendesk's forensic report."
	d, err := notices.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Text, "## Reasons for the delay (Article 33(1))") || !strings.Contains(d.Text, "forensic report") {
		t.Errorf("no delay section:\n%s", d.Text)
	}
}

func TestInputsOverrideAndUnknownInputRefused(t *testing.T) {
	r := record(t, "eu-gdpr-33-sa")
	r.Inputs["consequences"] = "Targeted phishing."
	d, err := notices.Render(r)
	if err != nil || !strings.Contains(d.Text, "Targeted phishing.") {
		t.Fatalf("override: %v\n%s", err, d.Text)
	}
	r.Inputs["contact"] = "x"
	if _, err := notices.Render(r); err == nil || !strings.Contains(err.Error(), `"contact"`) {
		t.Errorf("unknown input: %v", err)
	}
}

func TestHTMLEscapesAndStructures(t *testing.T) {
	h, err := notices.HTML("Notice <1>", "Intro & more\n\n## What Happened\n<script>alert(1)</script>\n\n- one\n- two\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<title>Notice &lt;1&gt;</title>", "<h2>What Happened</h2>", "&lt;script&gt;", "<li>one</li><li>two</li>", "Intro &amp; more"} {
		if !strings.Contains(h, w) {
			t.Errorf("missing %q in %s", w, h)
		}
	}
	if strings.Contains(h, "<script>") {
		t.Error("script not escaped")
	}
}

func TestHashIsOfTheText(t *testing.T) {
	if notices.Hash("a") == notices.Hash("a ") || len(notices.Hash("a")) != 64 {
		t.Error("hash")
	}
}
