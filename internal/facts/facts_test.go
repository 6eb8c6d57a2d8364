package facts

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseContractExample(t *testing.T) {
	data, err := os.ReadFile("testdata/contract-example.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatalf("the contract's own example must parse: %v", err)
	}
	if d.Version != 1 || d.Cause.CredentialsUsed != "password" || d.Cause.WeakCredentials != "yes" {
		t.Errorf("cause decoded wrong: %+v", d.Cause)
	}
	if d.Cause.MFAEnforced == nil || *d.Cause.MFAEnforced {
		t.Errorf("mfa_enforced: want explicit false, got %v", d.Cause.MFAEnforced)
	}
	if d.Cause.UserContent == nil || *d.Cause.UserContent || d.Cause.MonitoringGap == nil || !*d.Cause.MonitoringGap {
		t.Errorf("user_content/monitoring_gap decoded wrong: %+v", d.Cause)
	}
	if d.Cause.Integration.Kind != nil || d.Cause.Integration.Involved == nil || *d.Cause.Integration.Involved {
		t.Errorf("integration decoded wrong: %+v", d.Cause.Integration)
	}
	want := []JurisdictionCount{{"DE", 12000}, {"US-CA", 800}}
	if !slices.Equal(d.Affected.Individuals, want) {
		t.Errorf("individuals = %v, want %v", d.Affected.Individuals, want)
	}
	if d.Affected.Records == nil || *d.Affected.Records != 40000 {
		t.Errorf("records = %v", d.Affected.Records)
	}
	if got := d.Timeline.AwareAt; got == nil || !got.Equal(time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("aware_at = %v", got)
	}
	if d.Timeline.AssessedAt != nil {
		t.Errorf("assessed_at: null must stay unknown, got %v", d.Timeline.AssessedAt)
	}
	if !slices.Equal(d.Zendesk.Users, []int64{35436}) || d.Zendesk.Window == nil || d.Zendesk.Window.To == nil {
		t.Errorf("zendesk scope decoded wrong: %+v", d.Zendesk)
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{`{}`, 1, ""},
		{`{"version": 1}`, 1, ""},
		{`{"version": 0}`, 1, ""},
		{`{"version": 2}`, 0, "version: 2 is not supported: this irflow reads facts version 1"},
		{`{"version": -1}`, 0, "version: -1 is not supported"},
		{`{"version": "1"}`, 0, `version: must be a whole number, got the string "1" (line 1, column 13)`},
		{`{"version": 1.5}`, 0, "version: must be a whole number, got 1.5"},
	}
	for _, tt := range tests {
		d, err := Parse([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%s) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || d.Version != tt.want {
			t.Errorf("Parse(%s) = version %d, %v; want %d", tt.in, d.Version, err, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // every problem, in order
	}{
		{"unknown nested field",
			`{"cause": {"integration": {"kynd": "webhook"}}}`,
			[]string{`cause.integration.kynd: unknown field (did you mean "kind"?) (line 1, column 28)`}},
		{"unknown top-level field without a close match",
			`{"severity": "SEV1"}`,
			[]string{`severity: unknown field (line 1, column 2)`}},
		{"unknown field inside an array element",
			"{\"affected\": {\"individuals\": [\n  {\"jurisdiction\": \"DE\", \"count\": 1},\n  {\"jurisdiction\": \"FR\", \"cnt\": 2}\n]}}",
			[]string{`affected.individuals[1].cnt: unknown field (did you mean "count"?) (line 3, column 26)`}},
		{"duplicate field",
			`{"risk": "high", "risk": "unlikely"}`,
			[]string{`risk: duplicate field (line 1, column 18)`}},
		{"wrong types, all reported",
			"{\n\"ongoing\": \"yes\",\n\"zendesk\": {\"users\": [1, \"two\"]},\n\"cause\": []\n}",
			[]string{
				`ongoing: must be true or false, got the string "yes" (line 2, column 12)`,
				`zendesk.users[1]: must be a whole number, got the string "two" (line 3, column 26)`,
				`cause: must be an object, got an array (line 4, column 10)`,
			}},
		{"bad timestamp",
			`{"timeline": {"aware_at": "2026-03-06 16:00"}}`,
			[]string{`timeline.aware_at: "2026-03-06 16:00" is not an RFC 3339 timestamp such as 2026-03-06T14:00:00Z (line 1, column 27)`}},
		{"timestamp without zone",
			`{"zendesk": {"window": {"from": "2026-03-06T16:00:00"}}}`,
			[]string{`zendesk.window.from: "2026-03-06T16:00:00" is not an RFC 3339 timestamp`}},
		{"malformed: trailing comma",
			"{\n  \"summary\": \"x\",\n}",
			[]string{`malformed JSON: invalid character '}' looking for beginning of object key string (line 3, column 1)`}},
		{"malformed: bad literal",
			"{\"ongoing\": tru}",
			[]string{`malformed JSON: invalid character '}' in literal true (expecting 'e') (line 1, column 16)`}},
		{"malformed: truncated",
			"{\"summary\": \"x\"",
			[]string{`malformed JSON: unexpected end of input (line 1, column 16)`}},
		{"malformed: empty input",
			"",
			[]string{`malformed JSON: unexpected end of input (line 1, column 1)`}},
		{"not an object",
			`["DE"]`,
			[]string{`the document must be a JSON object, got an array (line 1, column 1)`}},
		{"trailing document",
			"{}\n{}",
			[]string{`more JSON (an object) after the end of the document (line 2, column 1)`}},
		{"columns count characters, not bytes",
			`{"summary": "Zürich", "x": 1}`,
			[]string{`x: unknown field (line 1, column 23)`}},
		{"schema and value problems together",
			`{"risk": "severe", "cause": {"weak_credentials": "maybe", "insidr": true}}`,
			[]string{
				`cause.insidr: unknown field (did you mean "insider"?) (line 1, column 59)`,
				`cause.weak_credentials: "maybe" is not one of yes, no, unknown`,
				`risk: "severe" is not one of unlikely, risk, high`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems:\n%v\nwant %d:\n%s", len(errs), err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	str := func(s string) *string { return &s }
	at := func(s string) *time.Time { tm, _ := time.Parse(time.RFC3339, s); return &tm }
	tests := []struct {
		name string
		edit func(d *Document)
		want []string
	}{
		{"empty document is valid", func(d *Document) {}, nil},
		{"bad enums name their field", func(d *Document) {
			d.Cause.ServiceVulnerability = "perhaps"
			d.Cause.CredentialsUsed = "passwd"
			d.Cause.Integration.Kind = str("plugin")
			d.Cause.Integration.ChosenBy = str("vendor")
			d.Organization.Role = "owner"
			d.Organization.Flags = []string{"nis2_entity", "hipaa"}
		}, []string{
			`cause.service_vulnerability: "perhaps" is not one of yes, no, unknown`,
			`cause.credentials_used: "passwd" is not one of none, password, api_token, oauth_token, session, sso, unknown`,
			`cause.integration.kind: "plugin" is not one of marketplace_app, api_client, webhook, channel, contractor, other`,
			`cause.integration.chosen_by: "vendor" is not one of subscriber, zendesk`,
			`organization.role: "owner" is not one of controller, processor`,
			`organization.flags[1]: "hipaa" is not one of`,
		}},
		{"explicit unknown is a valid answer", func(d *Document) {
			d.Cause.ServiceVulnerability, d.Cause.WeakCredentials, d.Cause.CredentialsUsed = "unknown", "unknown", "unknown"
		}, nil},
		{"negative counts", func(d *Document) {
			d.Affected.Individuals = []JurisdictionCount{{"DE", 3}, {"FR", -1}}
			d.Affected.Records = i64(-2)
		}, []string{
			`affected.individuals[1].count: must not be negative, got -1`,
			`affected.records: must not be negative, got -2`,
		}},
		{"jurisdictions", func(d *Document) {
			d.Affected.Individuals = []JurisdictionCount{
				{"ZZ", 1}, {"US-XX", 1}, {"de", 1}, {"", 1}, {"FR-IDFX", 1}, {"US-CA", 1}, {"US-CA", 2},
			}
			d.Organization.MainEstablishment = "UK"
		}, []string{
			`affected.individuals[0].jurisdiction: "ZZ" is not an ISO 3166-1 alpha-2 country code`,
			`affected.individuals[1].jurisdiction: "US-XX" is not an ISO 3166-2 subdivision of US`,
			`affected.individuals[2].jurisdiction: "de" must be upper case: "DE"`,
			`affected.individuals[3].jurisdiction: must be an ISO 3166 code`,
			`affected.individuals[4].jurisdiction: "FR-IDFX" is not an ISO 3166-2 code`,
			`affected.individuals[6].jurisdiction: US-CA is already counted at affected.individuals[5]`,
			`organization.main_establishment: "UK" is not an ISO 3166-1 alpha-2 country code (use GB)`,
		}},
		{"zendesk scope", func(d *Document) {
			d.Zendesk.Users = []int64{5, 0}
			d.Zendesk.Tickets = []int64{-3}
			d.Zendesk.Webhooks = []string{"01HX", " "}
			d.Zendesk.IPAddresses = []string{"203.0.113.7", "2001:db8::/32", "10.0.0.300"}
			d.Zendesk.Window = &Window{From: at("2026-03-06T00:00:00Z"), To: at("2026-03-05T00:00:00Z")}
		}, []string{
			`zendesk.users[1]: Zendesk ids are positive, got 0`,
			`zendesk.tickets[0]: Zendesk ids are positive, got -3`,
			`zendesk.webhooks[1]: must not be empty`,
			`zendesk.ip_addresses[2]: "10.0.0.300" is not an IP address or CIDR prefix`,
			`zendesk.window.to: 2026-03-05T00:00:00Z is before zendesk.window.from 2026-03-06T00:00:00Z`,
		}},
		{"data categories", func(d *Document) {
			d.DataCategories = []string{"health", "ssn"}
			d.Risk = "medium"
		}, []string{
			`data_categories[1]: "ssn" is not one of contact,`,
			`risk: "medium" is not one of unlikely, risk, high`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Document{Version: 1}
			tt.edit(&d)
			err := d.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Validate() = %v, want Errors", err)
			}
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems:\n%v\nwant %d:\n%s", len(errs), err, len(tt.want), strings.Join(tt.want, "\n"))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("problem %d = %q, want prefix %q", i, errs[i].Error(), w)
				}
			}
		})
	}
}

func TestJurisdictions(t *testing.T) {
	if len(countries) != 249 {
		t.Errorf("ISO 3166-1 assigns 249 alpha-2 codes; table has %d", len(countries))
	}
	if n := len(subdivisions["US"]); n != 57 {
		t.Errorf("US subdivisions: want 50 states + DC + 6 outlying areas = 57, got %d", n)
	}
	if n := len(subdivisions["CA"]); n != 13 {
		t.Errorf("Canadian provinces and territories: want 13, got %d", n)
	}
	if n := len(subdivisions["AU"]); n != 8 {
		t.Errorf("Australian states and territories: want 8, got %d", n)
	}
	tests := []struct {
		code    string
		valid   bool
		country string
		eea     bool
	}{
		{"DE", true, "DE", true},
		{"GR", true, "GR", true},
		{"NO", true, "NO", true},
		{"IS", true, "IS", true},
		{"LI", true, "LI", true},
		{"CH", true, "CH", false},
		{"GB", true, "GB", false},
		{"RE", true, "RE", true},    // Réunion: outermost region of the EU
		{"AX", true, "AX", true},    // Åland: part of Finland
		{"GL", true, "GL", false},   // Greenland: outside the EU
		{"FO", true, "FO", false},   // Faroe Islands: outside the EU
		{"ES-CN", true, "ES", true}, // Canary Islands: other-country subdivision, syntax only
		{"FR-75", true, "FR", true},
		{"US-CA", true, "US", false},
		{"US-DC", true, "US", false},
		{"US-PR", true, "US", false},
		{"CA-QC", true, "CA", false},
		{"AU-NSW", true, "AU", false},
		{"BR-SP", true, "BR", false},
		{"US-ZZ", false, "", false},
		{"CA-XX", false, "", false},
		{"AU-NS", false, "", false},
		{"UK", false, "", false},
		{"EU", false, "", false},
		{"XK", false, "", false},
		{"DEU", false, "", false},
		{"DE-", false, "", false},
		{"DE-BY-X", false, "", false},
		{"us-ca", false, "", false},
		{"", false, "", false},
	}
	for _, tt := range tests {
		err := CheckJurisdiction(tt.code)
		if (err == nil) != tt.valid {
			t.Errorf("CheckJurisdiction(%q) = %v, want valid=%v", tt.code, err, tt.valid)
		}
		if got := Country(tt.code); got != tt.country {
			t.Errorf("Country(%q) = %q, want %q", tt.code, got, tt.country)
		}
		if got := IsEEA(tt.code); got != tt.eea {
			t.Errorf("IsEEA(%q) = %v, want %v", tt.code, got, tt.eea)
		}
	}
	n := 0
	for c := range countries {
		if IsEEA(c) {
			n++
		}
	}
	if n != 27+3+7 {
		t.Errorf("EEA: want 27 EU states + IS, LI, NO + 7 separately coded EU territories = 37, got %d", n)
	}
}

func TestMerge(t *testing.T) {
	base, err := Parse([]byte(`{
		"summary": "agent account takeover",
		"cause": {"credentials_used": "password", "weak_credentials": "unknown", "mfa_enforced": false,
		          "integration": {"involved": true, "kind": "marketplace_app", "name": "Acme"}},
		"affected": {"individuals": [{"jurisdiction": "DE", "count": 10}], "records": 100},
		"data_categories": ["contact"],
		"zendesk": {"users": [35436], "tickets": [1, 2]}
	}`))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("partial update", func(t *testing.T) {
		got, err := Merge(base, []byte(`{
			"cause": {"weak_credentials": "yes", "integration": {"kind": null}},
			"affected": {"individuals": [{"jurisdiction": "FR", "count": 5}]},
			"zendesk": {"users": [35436, 777]},
			"timeline": {"aware_at": "2026-03-06T16:00:00Z"},
			"ongoing": true
		}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Cause.WeakCredentials != "yes" || got.Cause.CredentialsUsed != "password" {
			t.Errorf("scalar merge: %+v", got.Cause)
		}
		if got.Cause.MFAEnforced == nil || *got.Cause.MFAEnforced {
			t.Errorf("untouched explicit false must survive: %v", got.Cause.MFAEnforced)
		}
		if got.Cause.Integration.Kind != nil {
			t.Errorf("null must clear integration.kind, got %q", *got.Cause.Integration.Kind)
		}
		if got.Cause.Integration.Name == nil || *got.Cause.Integration.Name != "Acme" {
			t.Errorf("sibling integration.name must survive: %v", got.Cause.Integration.Name)
		}
		if !slices.Equal(got.Affected.Individuals, []JurisdictionCount{{"FR", 5}}) {
			t.Errorf("arrays replace: individuals = %v", got.Affected.Individuals)
		}
		if got.Affected.Records == nil || *got.Affected.Records != 100 {
			t.Errorf("records must survive: %v", got.Affected.Records)
		}
		if !slices.Equal(got.Zendesk.Users, []int64{35436, 777}) || !slices.Equal(got.Zendesk.Tickets, []int64{1, 2}) {
			t.Errorf("zendesk scope: %+v", got.Zendesk)
		}
		if got.Timeline.AwareAt == nil || got.Ongoing == nil || !*got.Ongoing || got.Summary != "agent account takeover" {
			t.Errorf("new facts not merged: %+v", got)
		}
		// base is a value and must not have changed.
		if base.Cause.WeakCredentials != "unknown" || base.Cause.Integration.Kind == nil || len(base.Zendesk.Users) != 1 {
			t.Errorf("Merge modified base: %+v", base.Cause)
		}
	})

	t.Run("null clears objects and lists", func(t *testing.T) {
		got, err := Merge(base, []byte(`{"cause": null, "data_categories": null, "summary": null}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Cause.CredentialsUsed != "" || got.Cause.MFAEnforced != nil || got.Cause.Integration.Involved != nil {
			t.Errorf("cause not cleared: %+v", got.Cause)
		}
		if got.DataCategories != nil || got.Summary != "" || got.Version != 1 {
			t.Errorf("not cleared: %+v", got)
		}
	})

	t.Run("empty patch is identity", func(t *testing.T) {
		got, err := Merge(base, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary != base.Summary || !slices.Equal(got.Zendesk.Users, base.Zendesk.Users) ||
			*got.Cause.Integration.Kind != "marketplace_app" {
			t.Errorf("identity merge changed the document: %+v", got)
		}
	})

	errTests := []struct {
		name, patch, want string
	}{
		{"unknown field", `{"cause": {"integration": {"kynd": "webhook"}}}`, `facts patch: cause.integration.kynd: unknown field (did you mean "kind"?) (line 1, column 28)`},
		{"wrong type", `{"cause": {"insider": "no"}}`, `facts patch: cause.insider: must be true or false, got the string "no"`},
		{"malformed", `{"cause": `, `facts patch: malformed JSON: unexpected end of input (line 1, column 11)`},
		{"not an object", `null`, `facts patch: the document must be a JSON object, got null`},
		{"invalid result", `{"affected": {"individuals": [{"jurisdiction": "US-ZZ", "count": -1}]}}`,
			"merged facts: affected.individuals[0].jurisdiction: \"US-ZZ\" is not an ISO 3166-2 subdivision of US\naffected.individuals[0].count: must not be negative, got -1"},
		{"bad version", `{"version": 3}`, `merged facts: version: 3 is not supported`},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(base, []byte(tt.patch))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Merge error = %v\nwant prefix %q", err, tt.want)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Errorf("Merge error %T does not unwrap to Errors", err)
			}
		})
	}
}

func TestLookupAndWith(t *testing.T) {
	d, err := Parse([]byte(`{"cause": {"service_vulnerability": "unknown", "credentials_used": "api_token",
		"mfa_enforced": false, "integration": {"kind": "webhook"}}, "data_categories": ["contact", "health"]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path  string
		want  []string
		known bool
	}{
		{"cause.service_vulnerability", nil, false}, // "unknown" is not known
		{"cause.credentials_used", []string{"api_token"}, true},
		{"cause.mfa_enforced", []string{"false"}, true},
		{"cause.insider", nil, false},
		{"cause.integration.kind", []string{"webhook"}, true},
		{"cause.integration.chosen_by", nil, false},
		{"data_categories", []string{"contact", "health"}, true},
		{"organization.flags", nil, false},
	}
	for _, tt := range tests {
		got, known, err := Lookup(d, tt.path)
		if err != nil || known != tt.known || !slices.Equal(got, tt.want) {
			t.Errorf("Lookup(%s) = %v, %v, %v; want %v, %v", tt.path, got, known, err, tt.want, tt.known)
		}
	}
	if _, _, err := Lookup(d, "cause.credential_used"); err == nil || !strings.Contains(err.Error(), "cause.credential_used: not a fact") {
		t.Errorf("Lookup of an unknown path: %v", err)
	}

	d2, err := With(d, "cause.insider", "true")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, _ := Lookup(d2, "cause.insider"); !slices.Equal(v, []string{"true"}) {
		t.Errorf("With did not set insider: %v", v)
	}
	if d.Cause.Insider != nil {
		t.Error("With wrote through to the original document")
	}
	d3, _ := With(d, "data_categories", "children")
	if !slices.Equal(d3.DataCategories, []string{"contact", "health", "children"}) || len(d.DataCategories) != 2 {
		t.Errorf("With on a list: %v (original %v)", d3.DataCategories, d.DataCategories)
	}
	if _, err := With(d, "cause.weak_credentials", "maybe"); err == nil {
		t.Error("With accepted a value outside the enumeration")
	}
	if vals, _ := Allowed("cause.integration.chosen_by"); !slices.Equal(vals, []string{"subscriber", "zendesk"}) {
		t.Errorf("Allowed(chosen_by) = %v", vals)
	}
	if vals, _ := Allowed("cause.integration.name"); vals != nil {
		t.Errorf("Allowed(name) = %v, want nil for free text", vals)
	}
	// Every path in the table must exist in the JSON schema, so a typo in the table
	// cannot create a phantom fact.
	for _, p := range Paths() {
		if err := CheckPath(p); err != nil {
			t.Errorf("field table path %q is not a JSON path of Document: %v", p, err)
		}
	}
}

func TestCheckPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"zendesk.users", ""},
		{"zendesk.window", ""},
		{"zendesk.window.from", ""},
		{"timeline.aware_at", ""},
		{"affected.individuals", ""},
		{"affected.individuals.count", ""},
		{"cause.integration.kind", ""},
		{"data_categories", ""},
		{"cause.credential_used", `cause.credential_used: not a field of the facts document (did you mean "cause.credentials_used"?)`},
		{"severity", "severity: not a field of the facts document"},
		{"timeline.aware_at.day", "timeline.aware_at.day: timeline.aware_at has no fields"},
		{"summary.x", "summary.x: summary has no fields"},
		{"", ": not a field of the facts document"},
	}
	for _, tt := range tests {
		err := CheckPath(tt.path)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	for _, p := range Paths() {
		if err := CheckPath(p); err != nil {
			t.Errorf("testable fact %s: %v", p, err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/contract-example.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMerge(b *testing.B) {
	data, _ := os.ReadFile("testdata/contract-example.json")
	base, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	patch := []byte(`{"cause": {"service_vulnerability": "no"}, "zendesk": {"users": [35436, 777]}}`)
	for b.Loop() {
		if _, err := Merge(base, patch); err != nil {
			b.Fatal(err)
		}
	}
}

// TestImpact: the impact block (NIS2 Art. 23(3)) reads like every other part of the
// document: null or absent is not assessed, a wrong type names its path, line and
// column, and a merge patch sets or clears one answer without touching the others.
func TestImpact(t *testing.T) {
	data, err := os.ReadFile("testdata/contract-example.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ImpactFields {
		if d.Impact.Get(f) != nil {
			t.Errorf("impact.%s: null must stay not assessed, got %v", f, *d.Impact.Get(f))
		}
		if _, known, err := Lookup(d, "impact."+f); err != nil || known {
			t.Errorf("Lookup(impact.%s) = known %v, %v; want unknown", f, known, err)
		}
	}

	_, err = Parse([]byte("{\"version\": 1,\n \"impact\": {\"financial_loss\": \"yes\"}}"))
	if err == nil || err.Error() != `impact.financial_loss: must be true or false, got the string "yes" (line 2, column 31)` {
		t.Errorf("wrong type: %v", err)
	}
	_, err = Parse([]byte(`{"impact": {"financial_los": true}}`))
	if err == nil || !strings.Contains(err.Error(), `impact.financial_los: unknown field (did you mean "financial_loss"?) (line 1, column 13)`) {
		t.Errorf("unknown impact field: %v", err)
	}
	_, err = Parse([]byte(`{"impact": true}`))
	if err == nil || !strings.Contains(err.Error(), `impact: must be an object, got true (line 1, column 12)`) {
		t.Errorf("impact not an object: %v", err)
	}

	set, err := Merge(d, []byte(`{"impact": {"severe_operational_disruption": true, "financial_loss": false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := set.Impact.SevereOperationalDisruption; p == nil || !*p {
		t.Errorf("merge set severe_operational_disruption: %v", p)
	}
	if p := set.Impact.FinancialLoss; p == nil || *p {
		t.Errorf("merge set financial_loss false: %v", p)
	}
	if set.Impact.ConsiderableDamageToOthers != nil {
		t.Errorf("untouched considerable_damage_to_others: %v", *set.Impact.ConsiderableDamageToOthers)
	}
	cleared, err := Merge(set, []byte(`{"impact": {"financial_loss": null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cleared.Impact.FinancialLoss != nil || cleared.Impact.SevereOperationalDisruption == nil {
		t.Errorf("null clears one answer only: %+v", cleared.Impact)
	}
	if _, err := Merge(set, []byte(`{"impact": {"financial_loss": 1}}`)); err == nil ||
		!strings.Contains(err.Error(), "facts patch: impact.financial_loss: must be true or false, got the number 1 (line 1, column 31)") {
		t.Errorf("patch of the wrong type: %v", err)
	}
}

// TestCheckInstants: timeline instants before 1900 or more than a day ahead are
// refused, each naming its field (issue 17 item 1).
func TestCheckInstants(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	ok := Document{Timeline: Timeline{AwareAt: at("1900-01-01T00:00:00Z"), DiscoveredAt: at("2026-12-01T23:00:00Z")}}
	if err := ok.CheckInstants(now); err != nil {
		t.Errorf("in range: %v", err)
	}
	bad := Document{Timeline: Timeline{AwareAt: at("0001-01-01T00:00:00Z"), DeterminedAt: at("2026-12-03T00:00:00Z")}}
	err := bad.CheckInstants(now)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 2 || errs[0].Path != "timeline.aware_at" || errs[1].Path != "timeline.determined_at" ||
		!strings.Contains(errs[0].Msg, "before 1900") || !strings.Contains(errs[1].Msg, "in the future") {
		t.Errorf("out of range: %v", err)
	}
}
