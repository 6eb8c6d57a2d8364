package obligations

import (
	"testing"
	"time"

	"irflow/internal/facts"
)

// sixtyJurisdictions is a worst-case incident: people in every EEA country (so GDPR
// routes to 30 authorities), 20 US states and 10 other countries, and an organisation
// carrying most regulatory flags.
func sixtyJurisdictions() facts.Document {
	codes := []string{
		"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
		"LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
		"US-CA", "US-NY", "US-TX", "US-FL", "US-CO", "US-WA", "US-VT", "US-MA", "US-IL", "US-NJ",
		"US-GA", "US-PA", "US-OH", "US-MI", "US-NC", "US-VA", "US-AZ", "US-OR", "US-MN", "US-NV",
		"GB", "CA-QC", "AU", "BR", "SG", "JP", "KR", "IN", "CH", "CN",
	}
	d := base(est("US"), cats("contact", "credentials", "health", "financial", "payment_card"),
		flags("sec_registrant", "hipaa_covered_entity", "nis2_entity", "dora_financial_entity",
			"nydfs_covered_entity", "payment_card_merchant", "glba_financial_institution"))
	for i, c := range codes {
		in(c, int64(100+i*37))(&d)
	}
	return d
}

func TestSixtyJurisdictionsDocument(t *testing.T) {
	d := sixtyJurisdictions()
	if n := len(d.Affected.Individuals); n != 60 {
		t.Fatalf("%d jurisdictions, want 60", n)
	}
	obs := Compute(d, cat, asOf)
	gdpr := 0
	for _, o := range obs {
		if o.Rule == "eu-gdpr-33-sa" {
			gdpr++
		}
	}
	if gdpr != 30 {
		t.Errorf("%d GDPR SA obligations, want one per EEA country (30)", gdpr)
	}
}

// BenchmarkCompute60Jurisdictions is the performance target: under 1 ms
// median for a facts document with 60 jurisdictions.
func BenchmarkCompute60Jurisdictions(b *testing.B) {
	d := sixtyJurisdictions()
	at := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if obs := Compute(d, cat, at); len(obs) == 0 {
			b.Fatal("no obligations")
		}
	}
}
