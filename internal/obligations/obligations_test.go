package obligations

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"irflow/internal/facts"
	"irflow/playbooks/regimes"
)

var cat = regimes.MustLoad()

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func ptr[T any](v T) *T { return &v }

type mod func(*facts.Document)

// base is a controller with a high-risk breach of readable contact data through a
// stolen password, every trigger instant known, no organisation flags and no affected
// individuals yet: each case adds the facts its rule turns on.
func base(mods ...mod) facts.Document {
	d := facts.Document{
		Version: 1,
		Timeline: facts.Timeline{
			DetectedAt:              ts("2026-03-06T14:00:00Z"),
			AwareAt:                 ts("2026-03-06T16:00:00Z"), // a Friday
			DiscoveredAt:            ts("2026-03-06T16:00:00Z"),
			DeterminedAt:            ts("2026-03-07T09:00:00Z"),
			AssessedAt:              ts("2026-03-09T10:00:00Z"),
			MaterialityDeterminedAt: ts("2026-03-10T15:00:00Z"),
			ClassifiedMajorAt:       ts("2026-03-06T20:00:00Z"),
		},
		Cause:             facts.Cause{CredentialsUsed: "password", Insider: ptr(false), UserContent: ptr(false), ServiceVulnerability: "no"},
		DataCategories:    []string{"contact"},
		EncryptedUnusable: ptr(false),
		Risk:              "high",
		Organization:      facts.Organization{Role: "controller"},
	}
	for _, m := range mods {
		m(&d)
	}
	return d
}

func in(j string, n int64) mod {
	return func(d *facts.Document) {
		d.Affected.Individuals = append(d.Affected.Individuals, facts.JurisdictionCount{Jurisdiction: j, Count: n})
	}
}
func flags(f ...string) mod {
	return func(d *facts.Document) { d.Organization.Flags = append(d.Organization.Flags, f...) }
}
func cats(c ...string) mod  { return func(d *facts.Document) { d.DataCategories = c } }
func role(r string) mod     { return func(d *facts.Document) { d.Organization.Role = r } }
func risk(r string) mod     { return func(d *facts.Document) { d.Risk = r } }
func est(c string) mod      { return func(d *facts.Document) { d.Organization.MainEstablishment = c } }
func encrypted(b bool) mod  { return func(d *facts.Document) { d.EncryptedUnusable = &b } }
func ransomAt(s string) mod { return func(d *facts.Document) { d.Timeline.RansomPaidAt = ts(s) } }
func assessed(s string) mod { return func(d *facts.Document) { d.Timeline.AssessedAt = tsOrNil(s) } }
func classified(s string) mod {
	return func(d *facts.Document) { d.Timeline.ClassifiedMajorAt = tsOrNil(s) }
}
func material(s string) mod {
	return func(d *facts.Document) { d.Timeline.MaterialityDeterminedAt = tsOrNil(s) }
}
func detected(s string) mod { return func(d *facts.Document) { d.Timeline.DetectedAt = tsOrNil(s) } }
func aware(s string) mod {
	return func(d *facts.Document) { d.Timeline.AwareAt, d.Timeline.DiscoveredAt = tsOrNil(s), tsOrNil(s) }
}
func discovered(s string) mod {
	return func(d *facts.Document) { d.Timeline.DiscoveredAt = tsOrNil(s) }
}

// noImpact: the NIS2 Art. 23(3) impact tests are assessed and all answered no.
func noImpact(d *facts.Document) {
	d.Impact = facts.Impact{SevereOperationalDisruption: ptr(false), FinancialLoss: ptr(false), ConsiderableDamageToOthers: ptr(false)}
}

func severe(b bool) mod { return func(d *facts.Document) { d.Impact.SevereOperationalDisruption = &b } }

// pii: the data includes an element every catalogued US state lists (reference
// section 6): a government ID number, beside the contact data.
func pii(d *facts.Document) { d.DataCategories = []string{"contact", "government_id"} }

// benign: the cause is known and shows neither wrongful purpose nor outside access.
func benign(d *facts.Document) {
	d.Cause = facts.Cause{CredentialsUsed: "none", Insider: ptr(false), UserContent: ptr(false), ServiceVulnerability: "no"}
}

func tsOrNil(s string) *time.Time {
	if s == "" {
		return nil
	}
	return ts(s)
}

type ruleCase struct {
	name       string
	id         string // obligation id
	d          facts.Document
	fulfilled  map[string]time.Time
	applicable bool
	due        string // RFC 3339, "" for null
	status     string // checked when set
	reason     string // substring of reason (or due_text for awaiting statuses), when set
}

func done(id, at string) map[string]time.Time { return map[string]time.Time{id: *ts(at)} }

// asOf is before every due date in the table, so open clocks are "open".
var asOf = time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC)

// ruleCases covers every rule of the catalogue: at least one case where it applies
// (with its exact due instant) and one where it does not, plus each count threshold
// on both sides of its edge.
var ruleCases = []ruleCase{
	// --- EU / UK GDPR
	{"GDPR SA: lead authority of the main establishment", "eu-gdpr-33-sa", base(in("DE", 100), est("IE")), nil, true, "2026-03-09T16:00:00Z", StatusOpen, "lead authority of the main establishment in IE"},
	{"GDPR SA: non-EEA controller notifies each affected country", "eu-gdpr-33-sa:FR", base(in("DE", 100), in("FR", 3), est("US")), nil, true, "2026-03-09T16:00:00Z", StatusOpen, "3 affected individuals in FR"},
	{"GDPR SA: risk assessed unlikely", "eu-gdpr-33-sa:DE", base(in("DE", 100), risk("unlikely")), nil, false, "", StatusNotApplicable, "risk is unlikely, below risk"},
	{"GDPR SA: processor has no SA duty", "eu-gdpr-33-sa:DE", base(in("DE", 100), role("processor")), nil, false, "", "", "this duty binds a controller"},
	{"GDPR SA: nobody in the EEA", "eu-gdpr-33-sa", base(in("US-CA", 100)), nil, false, "", "", "no affected individuals in EEA"},
	{"GDPR processor", "eu-gdpr-33-2-processor", base(in("NO", 5), role("processor")), nil, true, "", StatusOpen, "organization.role is processor"},
	{"GDPR processor: controller", "eu-gdpr-33-2-processor", base(in("NO", 5)), nil, false, "", "", "binds a processor"},
	{"GDPR individuals: high risk", "eu-gdpr-34-individuals", base(in("DE", 1)), nil, true, "", StatusOpen, "risk is high"},
	{"GDPR individuals: risk not high", "eu-gdpr-34-individuals", base(in("DE", 1), risk("risk")), nil, false, "", "", "below high"},
	{"GDPR individuals: encrypted", "eu-gdpr-34-individuals", base(in("DE", 1), encrypted(true)), nil, false, "", "", "encrypted_unusable"},
	{"UK ICO", "uk-gdpr-33-ico", base(in("GB", 10)), nil, true, "2026-03-09T16:00:00Z", StatusOpen, "10 affected individuals in GB"},
	{"UK ICO: only EU people", "uk-gdpr-33-ico", base(in("DE", 10)), nil, false, "", "", "no affected individuals in GB"},
	{"UK individuals", "uk-gdpr-34-individuals", base(in("GB", 10)), nil, true, "", StatusOpen, ""},
	{"UK individuals: risk only", "uk-gdpr-34-individuals", base(in("GB", 10), risk("risk")), nil, false, "", "", "below high"},
	// --- NIS2
	{"NIS2 early warning", "eu-nis2-23-authority", base(in("DE", 10), flags("nis2_entity")), nil, true, "2026-03-07T16:00:00Z", StatusOpen, "organization flag nis2_entity"},
	{"NIS2 early warning: not an entity", "eu-nis2-23-authority", base(in("DE", 10)), nil, false, "", "", "none of nis2_entity"},
	{"NIS2 early warning: EEA-only country is not EU", "eu-nis2-23-authority", base(in("NO", 10), flags("nis2_entity")), nil, false, "", "", "no affected individuals in EU"},
	{"NIS2 notification", "eu-nis2-23-authority/notification", base(in("DE", 10), flags("nis2_entity")), nil, true, "2026-03-09T16:00:00Z", StatusOpen, ""},
	{"NIS2 final awaits the notification", "eu-nis2-23-authority/final", base(in("DE", 10), flags("nis2_entity"), est("DE")), nil, true, "", StatusAwaitingPredecessor, "eu-nis2-23-authority/notification"},
	{"NIS2 final one month after the notification, Berlin time", "eu-nis2-23-authority/final", base(in("DE", 10), flags("nis2_entity"), est("DE")), done("eu-nis2-23-authority/notification", "2026-03-09T10:00:00Z"), true, "2026-04-09T23:59:59+02:00", StatusOpen, ""},
	{"NIS2 trust service", "eu-nis2-23-trust-service", base(in("FR", 10), flags("trust_service_provider")), nil, true, "2026-03-07T16:00:00Z", StatusOpen, ""},
	{"NIS2 trust service: risk only, no impact", "eu-nis2-23-trust-service", base(in("FR", 10), flags("trust_service_provider"), risk("risk"), noImpact), nil, false, "", "", "below high"},
	{"NIS2 recipients", "eu-nis2-23-recipients", base(in("FR", 10), flags("nis2_entity")), nil, true, "", StatusOpen, ""},
	{"NIS2 recipients: not an entity", "eu-nis2-23-recipients", base(in("FR", 10)), nil, false, "", "", "none of nis2_entity"},
	// --- DORA
	{"DORA initial: 4 h after classification", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity")), nil, true, "2026-03-07T00:00:00Z", StatusOpen, ""},
	{"DORA initial: 24 h backstop from awareness", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity"), classified("2026-03-07T14:00:00Z")), nil, true, "2026-03-07T16:00:00Z", StatusOpen, ""},
	{"DORA initial: classified after 24 h, 4 h from classification", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity"), classified("2026-03-07T17:00:00Z")), nil, true, "2026-03-07T21:00:00Z", StatusOpen, ""},
	{"DORA initial: not yet classified, needs assessment from awareness", "eu-dora-19-major-incident", base(in("DE", 10), flags("dora_financial_entity"), classified("")), nil, true, "2026-03-06T20:00:00Z", StatusOpen, "needs assessment: timeline.classified_major_at unknown"},
	{"DORA initial: not a financial entity", "eu-dora-19-major-incident", base(in("DE", 10)), nil, false, "", "", "none of dora_financial_entity"},
	{"DORA intermediate: 72 h after the initial notice", "eu-dora-19-major-incident/intermediate", base(in("DE", 10), flags("dora_financial_entity")), done("eu-dora-19-major-incident", "2026-03-06T23:00:00Z"), true, "2026-03-09T23:00:00Z", StatusOpen, ""},
	{"DORA final: one month after the intermediate report, Dublin time", "eu-dora-19-major-incident/final", base(in("DE", 10), flags("dora_financial_entity"), est("IE")), done("eu-dora-19-major-incident/intermediate", "2026-03-09T20:00:00Z"), true, "2026-04-09T23:59:59+01:00", StatusOpen, ""},
	{"DORA clients", "eu-dora-19-clients", base(in("DE", 10), flags("dora_financial_entity"), cats("financial")), nil, true, "", StatusOpen, "data category financial"},
	{"DORA clients: no financial data", "eu-dora-19-clients", base(in("DE", 10), flags("dora_financial_entity")), nil, false, "", "", "none of"},
	// --- HIPAA
	{"HIPAA individuals: 60 days, New York time", "us-hipaa-individuals", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 10)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, ""},
	{"HIPAA individuals: secured PHI", "us-hipaa-individuals", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 10), encrypted(true)), nil, false, "", "", "encrypted_unusable"},
	{"HIPAA individuals: no health data", "us-hipaa-individuals", base(flags("hipaa_covered_entity"), in("US-TX", 10)), nil, false, "", "", "no affected data category among health"},
	{"HIPAA media: 501 in one State", "us-hipaa-media", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 501), in("US-CA", 400)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, "501 affected individuals in US-TX"},
	{"HIPAA media: 500 in one State is not more than 500", "us-hipaa-media", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 500), in("US-CA", 400)), nil, false, "", "", "not > 500"},
	{"HIPAA HHS: 500 in total", "us-hipaa-hhs-500plus", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 250), in("US-CA", 250)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, "500 affected individuals in total >= 500"},
	{"HIPAA HHS: 499 in total", "us-hipaa-hhs-500plus", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 499)), nil, false, "", "", "not >= 500"},
	{"HIPAA HHS annual: 60 days after year end", "us-hipaa-hhs-under500", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 499)), nil, true, "2027-03-01T23:59:59-05:00", StatusOpen, ""},
	{"HIPAA HHS annual: leap year", "us-hipaa-hhs-under500", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 2), discovered("2027-06-01T12:00:00Z")), nil, true, "2028-02-29T23:59:59-05:00", StatusOpen, ""},
	{"HIPAA HHS annual: 500", "us-hipaa-hhs-under500", base(flags("hipaa_covered_entity"), cats("health"), in("US-TX", 500)), nil, false, "", "", "not < 500"},
	{"HIPAA business associate", "us-hipaa-business-associate", base(flags("hipaa_business_associate"), cats("health"), role("processor")), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, ""},
	{"HIPAA business associate: not one", "us-hipaa-business-associate", base(cats("health")), nil, false, "", "", "none of hipaa_business_associate"},
	// --- SEC, FTC, banking, CIRCIA, NYDFS
	{"SEC 8-K: 4 business days", "us-sec-8k-105", base(flags("sec_registrant")), nil, true, "2026-03-16T23:59:59-04:00", StatusOpen, ""},
	{"SEC 8-K: over the observed Independence Day", "us-sec-8k-105", base(flags("sec_registrant"), material("2026-07-02T14:00:00Z")), nil, true, "2026-07-09T23:59:59-04:00", StatusOpen, ""},
	{"SEC 8-K: materiality not yet determined", "us-sec-8k-105", base(flags("sec_registrant"), material("")), nil, true, "", StatusAwaitingTrigger, "materiality_determined_at is not in the facts"},
	{"SEC 8-K: not a registrant", "us-sec-8k-105", base(), nil, false, "", "", "none of sec_registrant"},
	{"Reg S-P individuals", "us-sec-regsp-individuals", base(flags("sec_regsp_covered")), nil, true, "2026-04-05T23:59:59-04:00", StatusOpen, ""},
	{"Reg S-P individuals: harm unlikely", "us-sec-regsp-individuals", base(flags("sec_regsp_covered"), risk("unlikely")), nil, false, "", "", "below risk"},
	{"Reg S-P service provider", "us-sec-regsp-service-provider", base(flags("sec_regsp_covered"), role("processor")), nil, true, "2026-03-09T16:00:00Z", StatusOpen, ""},
	{"Reg S-P service provider: controller", "us-sec-regsp-service-provider", base(flags("sec_regsp_covered")), nil, false, "", "", "binds a processor"},
	{"FTC Safeguards: 500 consumers", "us-ftc-safeguards", base(flags("glba_financial_institution"), in("US-NY", 500)), nil, true, "2026-04-05T23:59:59-04:00", StatusOpen, ">= 500"},
	{"FTC Safeguards: 499 consumers", "us-ftc-safeguards", base(flags("glba_financial_institution"), in("US-NY", 499)), nil, false, "", "", "not >= 500"},
	{"FTC Safeguards: banks are not FTC's", "us-ftc-safeguards", base(flags("glba_financial_institution", "us_bank"), in("US-NY", 900)), nil, false, "", "", "excluded: organization flag us_bank"},
	{"FTC HBNR individuals", "us-ftc-hbnr", base(flags("phr_vendor"), cats("health"), in("US-FL", 10)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, ""},
	{"FTC HBNR: HIPAA entities are out", "us-ftc-hbnr", base(flags("phr_vendor", "hipaa_covered_entity"), cats("health")), nil, false, "", "", "excluded"},
	{"FTC HBNR to the FTC: 500", "us-ftc-hbnr/ftc", base(flags("phr_vendor"), cats("health"), in("US-FL", 500)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, ""},
	{"FTC HBNR to the FTC: 499", "us-ftc-hbnr/ftc", base(flags("phr_vendor"), cats("health"), in("US-FL", 499)), nil, false, "", "", "not >= 500"},
	{"FTC HBNR annual log", "us-ftc-hbnr/ftc-annual-log", base(flags("phr_vendor"), cats("health"), in("US-FL", 10)), nil, true, "2027-03-01T23:59:59-05:00", StatusOpen, ""},
	{"FTC HBNR media: 501 in Florida", "us-ftc-hbnr/media", base(flags("phr_vendor"), cats("health"), in("US-FL", 501)), nil, true, "2026-05-05T23:59:59-04:00", StatusOpen, ""},
	{"FTC HBNR media: 500 in Florida", "us-ftc-hbnr/media", base(flags("phr_vendor"), cats("health"), in("US-FL", 500)), nil, false, "", "", "not > 500"},
	{"Bank 36 hours", "us-bank-36h", base(flags("us_bank")), nil, true, "2026-03-08T21:00:00Z", StatusOpen, ""},
	{"Bank 36 hours: not material", "us-bank-36h", base(flags("us_bank"), risk("risk")), nil, false, "", "", "below high"},
	{"Bank service provider", "us-bank-service-provider", base(flags("us_bank"), role("processor")), nil, true, "", StatusOpen, ""},
	{"Bank service provider: controller", "us-bank-service-provider", base(flags("us_bank")), nil, false, "", "", "binds a processor"},
	{"CIRCIA is proposed, not in force", "us-circia-incident", base(flags("critical_infrastructure")), nil, false, "", "", "proposed rule, not in force"},
	{"CIRCIA ransom supplemental is proposed too", "us-circia-incident/ransom-supplemental", base(flags("critical_infrastructure"), ransomAt("2026-03-08T12:00:00Z")), nil, false, "", "", "not in force"},
	{"CIRCIA ransom is proposed, not in force", "us-circia-ransom", base(flags("critical_infrastructure"), ransomAt("2026-03-08T12:00:00Z")), nil, false, "", "", "not in force"},
	{"NYDFS 72 hours from determination", "us-ny-dfs-500-17-incident", base(flags("nydfs_covered_entity")), nil, true, "2026-03-10T09:00:00Z", StatusOpen, ""},
	{"NYDFS: not covered", "us-ny-dfs-500-17-incident", base(), nil, false, "", "", "none of nydfs_covered_entity"},
	{"NYDFS extortion: 24 hours from payment", "us-ny-dfs-500-17-extortion-notice", base(flags("nydfs_covered_entity"), ransomAt("2026-03-08T12:00:00Z")), nil, true, "2026-03-09T12:00:00Z", StatusOpen, ""},
	{"NYDFS extortion: no payment", "us-ny-dfs-500-17-extortion-notice", base(flags("nydfs_covered_entity")), nil, false, "", "", "ransom_paid_at is not in the facts"},
	{"NYDFS extortion: written description in 30 days", "us-ny-dfs-500-17-extortion-notice/written-description", base(flags("nydfs_covered_entity"), ransomAt("2026-03-08T12:00:00Z")), nil, true, "2026-04-07T23:59:59-04:00", StatusOpen, ""},
	// --- California
	{"CA residents: 30 days, Los Angeles time", "us-ca-1798-82-individuals", base(pii, in("US-CA", 800)), nil, true, "2026-04-05T23:59:59-07:00", StatusOpen, "800 affected individuals in US-CA"},
	{"CA residents: encrypted", "us-ca-1798-82-individuals", base(pii, in("US-CA", 800), encrypted(true)), nil, false, "", "", "encrypted_unusable"},
	{"CA residents: nobody in California", "us-ca-1798-82-individuals", base(pii, in("US-NV", 800)), nil, false, "", "", "no affected individuals in US-CA"},
	{"CA AG: waits for the resident notice", "us-ca-1798-82-ag", base(pii, in("US-CA", 501)), nil, true, "", StatusAwaitingPredecessor, "us-ca-1798-82-individuals"},
	{"CA AG: 15 days after residents were notified", "us-ca-1798-82-ag", base(pii, in("US-CA", 501)), done("us-ca-1798-82-individuals", "2026-03-20T18:00:00Z"), true, "2026-04-04T23:59:59-07:00", StatusOpen, "501 affected individuals in US-CA > 500"},
	{"CA AG: 500 is not more than 500", "us-ca-1798-82-ag", base(pii, in("US-CA", 500)), nil, false, "", "", "not > 500"},
	{"CA maintainer", "us-ca-1798-82-maintainer", base(pii, in("US-CA", 5), role("processor")), nil, true, "", StatusOpen, ""},
	{"CA maintainer: owner", "us-ca-1798-82-maintainer", base(pii, in("US-CA", 5)), nil, false, "", "", "binds a processor"},
	// --- New York
	{"NY residents", "us-ny-899aa-individuals", base(pii, in("US-NY", 10)), nil, true, "2026-04-05T23:59:59-04:00", StatusOpen, ""},
	{"NY residents: none", "us-ny-899aa-individuals", base(pii, in("US-NJ", 10)), nil, false, "", "", "no affected individuals in US-NY"},
	{"NY regulators", "us-ny-899aa-regulators", base(pii, in("US-NY", 1)), nil, true, "", StatusOpen, ""},
	{"NY regulators: processor", "us-ny-899aa-regulators", base(pii, in("US-NY", 1), role("processor")), nil, false, "", "", "binds a controller"},
	{"NY CRAs: 5,001", "us-ny-899aa-cra", base(pii, in("US-NY", 5001)), nil, true, "", StatusAwaitingPredecessor, ""},
	{"NY CRAs: 5,000", "us-ny-899aa-cra", base(pii, in("US-NY", 5000)), nil, false, "", "", "not > 5000"},
	{"NY HIPAA AG: 5 business days after the HHS notice", "us-ny-899aa-hipaa-ag", base(flags("hipaa_covered_entity"), cats("health"), in("US-NY", 600)), done("us-hipaa-hhs-500plus", "2026-07-01T14:00:00Z"), true, "2026-07-09T23:59:59-04:00", StatusOpen, ""},
	{"NY HIPAA AG: chained to the annual HHS log under 500", "us-ny-899aa-hipaa-ag", base(flags("hipaa_covered_entity"), cats("health"), in("US-NY", 10)), nil, true, "", StatusAwaitingPredecessor, "us-hipaa-hhs-under500"},
	{"NY HIPAA AG: no HHS notice applies", "us-ny-899aa-hipaa-ag", base(flags("hipaa_covered_entity"), in("US-NY", 10)), nil, false, "", "", "does not apply"},
	// --- Texas
	{"TX individuals: 60 days, Chicago time", "us-tx-521-053-individuals", base(pii, in("US-TX", 10)), nil, true, "2026-05-06T23:59:59-05:00", StatusOpen, ""},
	{"TX individuals: processor", "us-tx-521-053-individuals", base(pii, in("US-TX", 10), role("processor")), nil, false, "", "", "binds a controller"},
	{"TX AG: 250", "us-tx-521-053-ag", base(pii, in("US-TX", 250)), nil, true, "2026-04-06T23:59:59-05:00", StatusOpen, "250 affected individuals in US-TX >= 250"},
	{"TX AG: 249", "us-tx-521-053-ag", base(pii, in("US-TX", 249)), nil, false, "", "", "not >= 250"},
	{"TX CRAs: 10,001 persons in all", "us-tx-521-053-cra", base(pii, in("US-TX", 1), in("US-CA", 10000)), nil, true, "", StatusAwaitingPredecessor, ""},
	{"TX CRAs: 10,000", "us-tx-521-053-cra", base(pii, in("US-TX", 1), in("US-CA", 9999)), nil, false, "", "", "not > 10000"},
	{"TX maintainer", "us-tx-521-053-maintainer", base(pii, in("US-TX", 1), role("processor")), nil, true, "", StatusOpen, ""},
	{"TX maintainer: owner", "us-tx-521-053-maintainer", base(pii, in("US-TX", 1)), nil, false, "", "", "binds a processor"},
	// --- Florida
	{"FL individuals", "us-fl-501-171-individuals", base(pii, in("US-FL", 10)), nil, true, "2026-04-06T23:59:59-04:00", StatusOpen, ""},
	{"FL individuals: no reasonable likelihood of harm", "us-fl-501-171-individuals", base(pii, in("US-FL", 10), risk("unlikely")), nil, false, "", "", "below risk"},
	{"FL DLA: 500", "us-fl-501-171-dla", base(pii, in("US-FL", 500)), nil, true, "2026-04-06T23:59:59-04:00", StatusOpen, ""},
	{"FL DLA: 499", "us-fl-501-171-dla", base(pii, in("US-FL", 499)), nil, false, "", "", "not >= 500"},
	{"FL CRAs: 1,001", "us-fl-501-171-cra", base(pii, in("US-FL", 1001)), nil, true, "", StatusAwaitingPredecessor, ""},
	{"FL CRAs: 1,000", "us-fl-501-171-cra", base(pii, in("US-FL", 1000)), nil, false, "", "", "not > 1000"},
	{"FL third-party agent: 10 days", "us-fl-501-171-third-party-agent", base(pii, in("US-FL", 1), role("processor")), nil, true, "2026-03-17T23:59:59-04:00", StatusOpen, ""},
	{"FL third-party agent: covered entity", "us-fl-501-171-third-party-agent", base(pii, in("US-FL", 1)), nil, false, "", "", "binds a processor"},
	// --- Colorado
	{"CO residents: Denver time", "us-co-6-1-716-individuals", base(pii, in("US-CO", 10)), nil, true, "2026-04-06T23:59:59-06:00", StatusOpen, ""},
	{"CO residents: misuse unlikely", "us-co-6-1-716-individuals", base(pii, in("US-CO", 10), risk("unlikely")), nil, false, "", "", "below risk"},
	{"CO AG: 500", "us-co-6-1-716-ag", base(pii, in("US-CO", 500)), nil, true, "2026-04-06T23:59:59-06:00", StatusOpen, ""},
	{"CO AG: 499", "us-co-6-1-716-ag", base(pii, in("US-CO", 499)), nil, false, "", "", "not >= 500"},
	{"CO CRAs: 1,001", "us-co-6-1-716-cra", base(pii, in("US-CO", 1001)), nil, true, "", StatusAwaitingPredecessor, ""},
	{"CO CRAs: 1,000", "us-co-6-1-716-cra", base(pii, in("US-CO", 1000)), nil, false, "", "", "not > 1000"},
	// --- Washington
	{"WA residents", "us-wa-19-255-individuals", base(pii, in("US-WA", 10)), nil, true, "2026-04-05T23:59:59-07:00", StatusOpen, ""},
	{"WA residents: secured data", "us-wa-19-255-individuals", base(pii, in("US-WA", 10), encrypted(true)), nil, false, "", "", "encrypted_unusable"},
	{"WA AG: 501", "us-wa-19-255-ag", base(pii, in("US-WA", 501)), nil, true, "2026-04-05T23:59:59-07:00", StatusOpen, ""},
	{"WA AG: 500", "us-wa-19-255-ag", base(pii, in("US-WA", 500)), nil, false, "", "", "not > 500"},
	// --- Vermont
	{"VT AG preliminary: 14 business days", "us-vt-2435-ag-preliminary", base(pii, in("US-VT", 1)), nil, true, "2026-03-26T23:59:59-04:00", StatusOpen, ""},
	{"VT AG preliminary: no Vermonters", "us-vt-2435-ag-preliminary", base(pii, in("US-NH", 1)), nil, false, "", "", "no affected individuals in US-VT"},
	{"VT follow-up waits for the consumer notice", "us-vt-2435-ag-preliminary/follow-up", base(pii, in("US-VT", 1)), nil, true, "", StatusAwaitingPredecessor, "us-vt-2435-individuals"},
	{"VT consumers: 45 days", "us-vt-2435-individuals", base(pii, in("US-VT", 1)), nil, true, "2026-04-20T23:59:59-04:00", StatusOpen, ""},
	{"VT consumers: none", "us-vt-2435-individuals", base(pii, in("US-NH", 1)), nil, false, "", "", "no affected individuals in US-VT"},
	// --- Canada
	{"PIPEDA OPC: any province", "ca-pipeda-opc", base(in("CA-ON", 10)), nil, true, "", StatusOpen, "10 affected individuals in CA"},
	{"PIPEDA OPC: no RROSH", "ca-pipeda-opc", base(in("CA-ON", 10), risk("risk")), nil, false, "", "", "below high"},
	{"PIPEDA individuals", "ca-pipeda-individuals", base(in("CA-BC", 10)), nil, true, "", StatusOpen, ""},
	{"PIPEDA individuals: no RROSH", "ca-pipeda-individuals", base(in("CA-BC", 10), risk("unlikely")), nil, false, "", "", "below high"},
	{"Quebec CAI", "ca-qc-law25-cai", base(in("CA-QC", 10)), nil, true, "", StatusOpen, ""},
	{"Quebec CAI: Ontario only", "ca-qc-law25-cai", base(in("CA-ON", 10)), nil, false, "", "", "no affected individuals in CA-QC"},
	{"Quebec persons concerned", "ca-qc-law25-individuals", base(in("CA-QC", 10)), nil, true, "", StatusOpen, ""},
	{"Quebec persons concerned: no serious injury", "ca-qc-law25-individuals", base(in("CA-QC", 10), risk("risk")), nil, false, "", "", "below high"},
	// --- Australia
	{"AU assessment: 30 days, Sydney time", "au-ndb-assessment", base(in("AU", 10)), nil, true, "2026-04-06T23:59:59+10:00", StatusOpen, ""},
	{"AU assessment: nobody in Australia", "au-ndb-assessment", base(in("NZ", 10)), nil, false, "", "", "no affected individuals in AU"},
	{"AU OAIC", "au-ndb-oaic", base(in("AU", 10)), nil, true, "", StatusOpen, ""},
	{"AU OAIC: no serious harm", "au-ndb-oaic", base(in("AU", 10), risk("risk")), nil, false, "", "", "below high"},
	{"AU individuals follow the OAIC statement", "au-ndb-individuals", base(in("AU", 10)), nil, true, "", StatusAwaitingPredecessor, "au-ndb-oaic"},
	{"AU individuals: no serious harm", "au-ndb-individuals", base(in("AU", 10), risk("risk")), nil, false, "", "", "below high"},
	// --- Brazil
	{"ANPD: 3 dias úteis", "br-lgpd-anpd", base(in("BR", 10), cats("credentials")), nil, true, "2026-03-11T23:59:59-03:00", StatusOpen, "data category credentials"},
	{"ANPD: over Good Friday", "br-lgpd-anpd", base(in("BR", 10), cats("health"), aware("2026-04-01T13:00:00Z")), nil, true, "2026-04-07T23:59:59-03:00", StatusOpen, ""},
	{"ANPD: contact data only", "br-lgpd-anpd", base(in("BR", 10)), nil, false, "", "", "none of: no affected data category"},
	{"ANPD: not significant", "br-lgpd-anpd", base(in("BR", 10), cats("credentials"), risk("risk")), nil, false, "", "", "below high"},
	{"ANPD complement: 20 business days", "br-lgpd-anpd/complement", base(in("BR", 10), cats("credentials")), done("br-lgpd-anpd", "2026-03-10T15:00:00Z"), true, "2026-04-08T23:59:59-03:00", StatusOpen, ""},
	{"LGPD data subjects", "br-lgpd-titulares", base(in("BR", 10), cats("children")), nil, true, "2026-03-11T23:59:59-03:00", StatusOpen, ""},
	{"LGPD data subjects: controller established in Brazil", "br-lgpd-titulares", base(in("US-CA", 10), cats("financial"), est("BR")), nil, true, "2026-03-11T23:59:59-03:00", StatusOpen, "main establishment BR"},
	{"LGPD data subjects: no Brazilian link", "br-lgpd-titulares", base(in("AR", 10), cats("financial")), nil, false, "", "", "no affected individuals in BR"},
	// --- Singapore
	{"PDPC assessment", "sg-pdpa-assessment", base(in("SG", 1)), nil, true, "", StatusOpen, ""},
	{"PDPC assessment: nobody in Singapore", "sg-pdpa-assessment", base(in("MY", 1)), nil, false, "", "", "no affected individuals in SG"},
	{"PDPC: 3 calendar days after the assessment day", "sg-pdpa-pdpc", base(in("SG", 1)), nil, true, "2026-03-12T23:59:59+08:00", StatusOpen, "risk is high"},
	{"PDPC: not yet assessed", "sg-pdpa-pdpc", base(in("SG", 1), assessed("")), nil, true, "", StatusAwaitingTrigger, "assessed_at is not in the facts"},
	{"PDPC: significant scale, 500", "sg-pdpa-pdpc", base(in("SG", 500), risk("unlikely")), nil, true, "2026-03-12T23:59:59+08:00", StatusOpen, "500 affected individuals in total >= 500"},
	{"PDPC: neither harm nor scale, 499", "sg-pdpa-pdpc", base(in("SG", 499), risk("unlikely")), nil, false, "", "", "none of"},
	{"PDPA individuals after the PDPC notice", "sg-pdpa-individuals", base(in("SG", 1)), done("sg-pdpa-pdpc", "2026-03-10T02:00:00Z"), true, "", StatusOpen, ""},
	{"PDPA individuals: scale limb only", "sg-pdpa-individuals", base(in("SG", 600), risk("risk")), nil, false, "", "", "below high"},
	{"PDPA data intermediary", "sg-pdpa-data-intermediary", base(in("SG", 1), role("processor")), nil, true, "", StatusOpen, ""},
	{"PDPA data intermediary: organisation", "sg-pdpa-data-intermediary", base(in("SG", 1)), nil, false, "", "", "binds a processor"},
	// --- Japan
	{"APPI preliminary: wrongful purpose", "jp-appi-ppc-preliminary", base(in("JP", 1)), nil, true, "", StatusOpen, "cause indicates malicious"},
	{"APPI preliminary: 1,001 persons", "jp-appi-ppc-preliminary", base(in("JP", 1001), benign), nil, true, "", StatusOpen, "1001 affected individuals in total > 1000"},
	{"APPI preliminary: 1,000 persons, nothing else", "jp-appi-ppc-preliminary", base(in("JP", 1000), benign), nil, false, "", "", "not > 1000"},
	{"APPI preliminary: highly encrypted", "jp-appi-ppc-preliminary", base(in("JP", 5000), encrypted(true)), nil, false, "", "", "encrypted_unusable"},
	{"APPI final: 30 days, Tokyo time", "jp-appi-ppc-preliminary/final", base(in("JP", 1001), benign), nil, true, "2026-04-06T23:59:59+09:00", StatusOpen, ""},
	{"APPI final: wrongful purpose gets 60 days instead", "jp-appi-ppc-preliminary/final", base(in("JP", 1001)), nil, false, "", "", "excluded: cause indicates malicious"},
	{"APPI final (malicious): 60 days", "jp-appi-ppc-final-malicious", base(in("JP", 1)), nil, true, "2026-05-06T23:59:59+09:00", StatusOpen, ""},
	{"APPI final (malicious): benign cause", "jp-appi-ppc-final-malicious", base(in("JP", 5000), benign), nil, false, "", "", "does not indicate malicious"},
	{"APPI individuals", "jp-appi-individuals", base(in("JP", 1), cats("health"), benign), nil, true, "", StatusOpen, "data category health"},
	{"APPI individuals: not reportable", "jp-appi-individuals", base(in("JP", 3), benign), nil, false, "", "", "none of"},
	// --- Korea
	{"PIPA data subjects: 72 hours", "kr-pipa-individuals", base(in("KR", 1)), nil, true, "2026-03-09T16:00:00Z", StatusOpen, ""},
	{"PIPA data subjects: nobody in Korea", "kr-pipa-individuals", base(in("JP", 1)), nil, false, "", "", "no affected individuals in KR"},
	{"PIPC: 1,000 data subjects", "kr-pipa-pipc", base(in("KR", 1000), benign), nil, true, "2026-03-09T16:00:00Z", StatusOpen, ">= 1000"},
	{"PIPC: 999 data subjects, nothing else", "kr-pipa-pipc", base(in("KR", 999), benign), nil, false, "", "", "not >= 1000"},
	{"PIPC: outside access", "kr-pipa-pipc", base(in("KR", 2)), nil, true, "2026-03-09T16:00:00Z", StatusOpen, "external access"},
	// --- India
	{"CERT-In: 6 hours from detection", "in-certin-6h", base(in("IN", 1)), nil, true, "2026-03-06T20:00:00Z", StatusOpen, ""},
	{"CERT-In: detection unknown, falls back to awareness", "in-certin-6h", base(in("IN", 1), detected("")), nil, true, "2026-03-06T22:00:00Z", StatusOpen, "trigger assumed: detected_at unknown, using aware_at"},
	{"CERT-In: nobody in India", "in-certin-6h", base(in("LK", 1)), nil, false, "", "", "no affected individuals in IN"},
	{"DPDP Board: not in force in 2026", "in-dpdp-board", base(in("IN", 1)), nil, false, "", "", "effective from 2027-05-13"},
	{"DPDP Board detailed report: 72 hours, in force from May 2027", "in-dpdp-board", base(in("IN", 1), aware("2027-06-01T00:00:00Z")), nil, true, "2027-06-04T00:00:00Z", StatusOpen, ""},
	{"DPDP Board intimation without delay", "in-dpdp-board/intimation", base(in("IN", 1), aware("2027-06-01T00:00:00Z")), nil, true, "", StatusOpen, "without delay"},
	{"DPDP individuals: in force", "in-dpdp-individuals", base(in("IN", 1), aware("2027-06-01T00:00:00Z")), nil, true, "", StatusOpen, ""},
	{"DPDP individuals: not in force", "in-dpdp-individuals", base(in("IN", 1)), nil, false, "", "", "not yet in force"},
	// --- Switzerland
	{"FDPIC: high risk", "ch-fadp-fdpic", base(in("CH", 1)), nil, true, "", StatusOpen, ""},
	{"FDPIC: not high", "ch-fadp-fdpic", base(in("CH", 1), risk("risk")), nil, false, "", "", "below high"},
	{"FADP processor", "ch-fadp-processor", base(in("CH", 1), role("processor"), risk("unlikely")), nil, true, "", StatusOpen, ""},
	{"FADP processor: controller", "ch-fadp-processor", base(in("CH", 1)), nil, false, "", "", "binds a processor"},
	{"FADP data subjects", "ch-fadp-individuals", base(in("CH", 1)), nil, true, "", StatusOpen, ""},
	{"FADP data subjects: not high", "ch-fadp-individuals", base(in("CH", 1), risk("risk")), nil, false, "", "", "below high"},
	{"ISA: 24 hours from discovery", "ch-isa-ncsc-24h", base(est("CH"), flags("critical_infrastructure")), nil, true, "2026-03-07T16:00:00Z", StatusOpen, "main establishment CH"},
	{"ISA: operator established elsewhere", "ch-isa-ncsc-24h", base(est("DE"), in("CH", 100), flags("critical_infrastructure")), nil, false, "", "", "is not in CH"},
	{"ISA completion: 14 days, Zurich time", "ch-isa-ncsc-24h/completion", base(est("CH"), flags("critical_infrastructure")), done("ch-isa-ncsc-24h", "2026-03-07T10:00:00Z"), true, "2026-03-21T23:59:59+01:00", StatusOpen, ""},
	// --- PCI
	{"PCI DSS", "pci-dss-12-10-1", base(flags("payment_card_merchant"), cats("payment_card")), nil, true, "", StatusOpen, ""},
	{"PCI DSS: no card data", "pci-dss-12-10-1", base(flags("payment_card_merchant")), nil, false, "", "", "no affected data category among payment_card"},
	{"Visa: immediately", "pci-visa-wtdic", base(flags("payment_card_merchant"), cats("payment_card")), nil, true, "", StatusOpen, ""},
	{"Visa: not a merchant", "pci-visa-wtdic", base(cats("payment_card")), nil, false, "", "", "none of payment_card_merchant"},
	{"Visa incident report: 3 working days", "pci-visa-wtdic/incident-report", base(flags("payment_card_merchant"), cats("payment_card")), done("pci-visa-wtdic", "2026-03-06T18:00:00Z"), true, "2026-03-11T23:59:59Z", StatusOpen, ""},
	{"Visa account numbers: 10 business days", "pci-visa-wtdic/account-numbers", base(flags("payment_card_merchant"), cats("payment_card")), done("pci-visa-wtdic", "2026-03-06T18:00:00Z"), true, "2026-03-20T23:59:59Z", StatusOpen, ""},
	// --- China
	{"PIPL 57", "cn-pipl-57", base(in("CN", 1)), nil, true, "", StatusOpen, ""},
	{"PIPL 57: nobody in China", "cn-pipl-57", base(in("HK", 1)), nil, false, "", "", "no affected individuals in CN"},
	{"CAC: 4 hours", "cn-cac-incident-measures", base(in("CN", 1)), nil, true, "2026-03-06T20:00:00Z", StatusOpen, ""},
	{"CAC: one million people", "cn-cac-incident-measures", base(in("CN", 1000000), risk("risk")), nil, true, "2026-03-06T20:00:00Z", StatusOpen, ">= 1000000"},
	{"CAC: below relatively major", "cn-cac-incident-measures", base(in("CN", 999999), risk("risk")), nil, false, "", "", "none of"},
	{"CAC CII: 1 hour", "cn-cac-incident-measures/cii", base(in("CN", 1), flags("critical_infrastructure")), nil, true, "2026-03-06T17:00:00Z", StatusOpen, ""},
	{"CAC CII: not CII", "cn-cac-incident-measures/cii", base(in("CN", 1)), nil, false, "", "", "none of critical_infrastructure"},
}

func find(obs []Obligation, id string) (Obligation, bool) {
	for _, o := range obs {
		if o.ID == id {
			return o, true
		}
	}
	return Obligation{}, false
}

func TestEveryRule(t *testing.T) {
	for _, tt := range ruleCases {
		t.Run(tt.name, func(t *testing.T) {
			obs := Evaluate(tt.d, cat, asOf, Options{All: true, Fulfilled: tt.fulfilled})
			o, ok := find(obs, tt.id)
			if !ok {
				var ids []string
				for _, o := range obs {
					if strings.HasPrefix(o.ID, strings.SplitN(tt.id, "/", 2)[0]) {
						ids = append(ids, o.ID)
					}
				}
				t.Fatalf("no obligation %s (have %v)", tt.id, ids)
			}
			if o.Applicable != tt.applicable {
				t.Fatalf("applicable = %v, want %v (reason: %s)", o.Applicable, tt.applicable, o.Reason)
			}
			got := ""
			if o.DueAt != nil {
				got = o.DueAt.Format(time.RFC3339)
			}
			if got != tt.due {
				t.Errorf("due_at = %q, want %q (%s)", got, tt.due, o.DueText)
			}
			if tt.status != "" && o.Status != tt.status {
				t.Errorf("status = %s, want %s", o.Status, tt.status)
			}
			if tt.reason != "" && !strings.Contains(o.Reason+" | "+o.DueText, tt.reason) {
				t.Errorf("reason %q\n due_text %q\n do not mention %q", o.Reason, o.DueText, tt.reason)
			}
			if o.Citation == "" || o.Verification == "" || o.Rule == "" {
				t.Errorf("citation/verification/rule missing: %+v", o)
			}
		})
	}
}

// TestTableCoversEveryRuleBothWays keeps the table honest: a rule added to the
// catalogue without a case that applies and one that does not fails here.
func TestTableCoversEveryRuleBothWays(t *testing.T) {
	applies, not := map[string]bool{}, map[string]bool{}
	for _, tt := range ruleCases {
		rule := strings.SplitN(strings.SplitN(tt.id, ":", 2)[0], "/", 2)[0]
		if tt.applicable {
			applies[rule] = true
		} else {
			not[rule] = true
		}
	}
	for _, id := range cat.IDs() {
		if !applies[id] && id != "us-circia-incident" && id != "us-circia-ransom" { // proposed: never applies
			t.Errorf("no case where %s applies", id)
		}
		if !not[id] {
			t.Errorf("no case where %s does not apply", id)
		}
	}
}

func TestNoTriggerInstantGivesNullDueAndAnExplanation(t *testing.T) {
	d := base(in("DE", 100), in("US-CA", 900), flags("sec_registrant"))
	d.Timeline = facts.Timeline{}
	obs := Compute(d, cat, asOf)
	if len(obs) == 0 {
		t.Fatal("no obligations")
	}
	for _, o := range obs {
		if o.DueAt != nil {
			t.Errorf("%s: due_at %v without any trigger instant", o.ID, o.DueAt)
		}
		if o.TriggerAt != nil || o.TriggerAssumed {
			t.Errorf("%s: trigger_at %v assumed %v", o.ID, o.TriggerAt, o.TriggerAssumed)
		}
		if o.Status != StatusAwaitingTrigger && o.Status != StatusAwaitingPredecessor {
			t.Errorf("%s: status %s", o.ID, o.Status)
		}
	}
	gdpr, ok := find(obs, "eu-gdpr-33-sa:DE")
	if !ok {
		t.Fatal("GDPR SA obligation missing")
	}
	for _, want := range []string{"no due date", "aware_at (nor discovered_at, detected_at) is not in the facts", "does not guess"} {
		if !strings.Contains(gdpr.DueText, want) {
			t.Errorf("due_text %q lacks %q", gdpr.DueText, want)
		}
	}
}

func TestStatusAndSortOrder(t *testing.T) {
	d := base(pii, in("DE", 100), in("US-CA", 900), in("KR", 5), est("IE"))
	late := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	obs := Evaluate(d, cat, late, Options{Fulfilled: map[string]time.Time{"kr-pipa-individuals": *ts("2026-03-07T00:00:00Z")}})
	var ids []string
	for _, o := range obs {
		ids = append(ids, o.ID+"="+o.Status)
	}
	want := []string{
		"eu-gdpr-33-sa=overdue", "kr-pipa-individuals=fulfilled", "kr-pipa-pipc=overdue", // 2026-03-09T16:00Z, by id
		"us-ca-1798-82-individuals=open",                                       // 2026-04-05
		"eu-gdpr-34-individuals=open", "us-ca-1798-82-ag=awaiting_predecessor", // null due, by id
	}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", ids, want)
	}
	for i := 1; i < len(obs); i++ {
		a, b := obs[i-1].DueAt, obs[i].DueAt
		if a == nil && b != nil {
			t.Errorf("null due before a due date at %d", i)
		}
		if a != nil && b != nil && a.After(*b) {
			t.Errorf("not sorted at %d", i)
		}
	}
}

func TestUniqueIDsAndJSONFieldNames(t *testing.T) {
	var js []string
	for _, c := range []string{"DE", "FR", "IT", "ES", "NL"} {
		js = append(js, c)
	}
	d := base(est("US"), flags("nis2_entity", "sec_registrant"))
	for _, j := range js {
		in(j, 10)(&d)
	}
	obs := ComputeAll(d, cat, asOf)
	seen := map[string]bool{}
	for _, o := range obs {
		if seen[o.ID] {
			t.Errorf("duplicate obligation id %s", o.ID)
		}
		seen[o.ID] = true
	}
	o, _ := find(obs, "us-sec-8k-105")
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "rule", "audience", "jurisdiction", "citation", "trigger", "trigger_at", "trigger_assumed",
		"due_at", "due_text", "business_days", "calendar", "depends_on", "applicable", "reason", "verification", "status"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if m["calendar"] != "us-federal" || m["due_at"] != "2026-03-16T23:59:59-04:00" || m["business_days"] != true || m["depends_on"] != nil {
		t.Errorf("JSON values: %s", b)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if _, ok := m["Spec"]; ok {
		t.Errorf("internal Spec leaked into JSON: %v", keys)
	}
}

func TestContractExample(t *testing.T) {
	b, err := os.ReadFile("testdata/contract-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var d facts.Document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	obs := Compute(d, cat, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC))
	var got []string
	for _, o := range obs {
		due := "null"
		if o.DueAt != nil {
			due = o.DueAt.Format(time.RFC3339)
		}
		got = append(got, o.ID+"@"+due)
	}
	want := []string{
		"eu-gdpr-33-sa@2026-03-09T16:00:00Z",
		"us-ca-1798-82-individuals@2026-04-05T23:59:59-07:00",
		"eu-gdpr-34-individuals@null",
		"us-ca-1798-82-ag@null",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestSpecDueRearmsFromANewTrigger(t *testing.T) {
	obs := Compute(base(pii, in("US-CA", 600)), cat, asOf)
	o, _ := find(obs, "us-ca-1798-82-individuals")
	if o.Spec == nil {
		t.Fatal("no spec")
	}
	// aware/discovery moved two days earlier, to a Wednesday evening in California.
	due, err := o.Spec.Due(*ts("2026-03-05T06:30:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if got := due.Format(time.RFC3339); got != "2026-04-03T23:59:59-07:00" {
		t.Errorf("re-armed due = %s", got)
	}
}
