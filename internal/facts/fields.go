package facts

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The tri-state answers of yes/no/unknown fields such as cause.service_vulnerability.
const (
	Yes     = "yes"
	No      = "no"
	Unknown = "unknown"
)

// The enumerations of the contract (shared/contracts/incident-facts.md). They are
// unexported so that no caller can change what a valid document is; Allowed gives a
// copy by field path.
var (
	triState        = []string{Yes, No, Unknown}
	credentialKinds = []string{"none", "password", "api_token", "oauth_token", "session", "sso", Unknown}
	integrationKind = []string{"marketplace_app", "api_client", "webhook", "channel", "contractor", "other"}
	chosenBy        = []string{"subscriber", "zendesk"}
	dataCategories  = []string{"contact", "credentials", "government_id", "financial", "payment_card",
		"health", "genetic_biometric", "special_category", "children", "location", "other"}
	riskLevels = []string{"unlikely", "risk", "high"}
	orgRoles   = []string{"controller", "processor"}
	orgFlags   = []string{"sec_registrant", "sec_regsp_covered", "hipaa_covered_entity",
		"hipaa_business_associate", "nydfs_covered_entity", "nis2_entity",
		"trust_service_provider", "dora_financial_entity", "glba_financial_institution",
		"us_bank", "critical_infrastructure", "phr_vendor", "payment_card_merchant"}
	booleans = []string{"true", "false"}
)

// field is one scalar (or list-of-scalar) fact that rules and playbook triggers may
// test by its dotted JSON path. Values is the closed set of allowed values, or nil for
// free text. get returns the fact's values as strings (booleans as "true"/"false")
// and false when the fact is unknown; set records a value (used for what-if analysis).
type field struct {
	path   string
	values []string
	list   bool
	get    func(d *Document) ([]string, bool)
	set    func(d *Document, v string)
}

// fields is the table of every fact that can be looked up by path. Validation of
// enumerated values, ownership rules and playbook triggers all read it, so a field
// name or an allowed value is spelled in exactly one place.
var fields = []field{
	strField("cause.service_vulnerability", triState, func(d *Document) *string { return &d.Cause.ServiceVulnerability }),
	boolField("cause.reported_by_zendesk", func(d *Document) **bool { return &d.Cause.ReportedByZendesk }),
	strField("cause.credentials_used", credentialKinds, func(d *Document) *string { return &d.Cause.CredentialsUsed }),
	strField("cause.weak_credentials", triState, func(d *Document) *string { return &d.Cause.WeakCredentials }),
	boolField("cause.mfa_enforced", func(d *Document) **bool { return &d.Cause.MFAEnforced }),
	boolField("cause.integration.involved", func(d *Document) **bool { return &d.Cause.Integration.Involved }),
	strPtrField("cause.integration.kind", integrationKind, func(d *Document) **string { return &d.Cause.Integration.Kind }),
	strPtrField("cause.integration.chosen_by", chosenBy, func(d *Document) **string { return &d.Cause.Integration.ChosenBy }),
	strPtrField("cause.integration.name", nil, func(d *Document) **string { return &d.Cause.Integration.Name }),
	boolField("cause.user_content", func(d *Document) **bool { return &d.Cause.UserContent }),
	boolField("cause.monitoring_gap", func(d *Document) **bool { return &d.Cause.MonitoringGap }),
	boolField("cause.insider", func(d *Document) **bool { return &d.Cause.Insider }),
	listField("data_categories", dataCategories, func(d *Document) *[]string { return &d.DataCategories }),
	boolField("encrypted_unusable", func(d *Document) **bool { return &d.EncryptedUnusable }),
	strField("risk", riskLevels, func(d *Document) *string { return &d.Risk }),
	boolField("ongoing", func(d *Document) **bool { return &d.Ongoing }),
	boolField("impact.severe_operational_disruption", func(d *Document) **bool { return &d.Impact.SevereOperationalDisruption }),
	boolField("impact.financial_loss", func(d *Document) **bool { return &d.Impact.FinancialLoss }),
	boolField("impact.considerable_damage_to_others", func(d *Document) **bool { return &d.Impact.ConsiderableDamageToOthers }),
	strField("organization.role", orgRoles, func(d *Document) *string { return &d.Organization.Role }),
	strField("organization.main_establishment", nil, func(d *Document) *string { return &d.Organization.MainEstablishment }),
	listField("organization.flags", orgFlags, func(d *Document) *[]string { return &d.Organization.Flags }),
}

func strField(path string, values []string, ref func(*Document) *string) field {
	return field{
		path: path, values: values,
		get: func(d *Document) ([]string, bool) {
			v := *ref(d)
			// "unknown" is an explicit answer that the fact is unknown.
			if v == "" || (v == Unknown && slices.Contains(values, Unknown)) {
				return nil, false
			}
			return []string{v}, true
		},
		set: func(d *Document, v string) { *ref(d) = v },
	}
}

func strPtrField(path string, values []string, ref func(*Document) **string) field {
	return field{
		path: path, values: values,
		get: func(d *Document) ([]string, bool) {
			p := *ref(d)
			if p == nil || *p == "" {
				return nil, false
			}
			return []string{*p}, true
		},
		set: func(d *Document, v string) { *ref(d) = &v },
	}
}

func boolField(path string, ref func(*Document) **bool) field {
	return field{
		path: path, values: booleans,
		get: func(d *Document) ([]string, bool) {
			p := *ref(d)
			if p == nil {
				return nil, false
			}
			return []string{strconv.FormatBool(*p)}, true
		},
		set: func(d *Document, v string) { b := v == "true"; *ref(d) = &b },
	}
}

func listField(path string, values []string, ref func(*Document) *[]string) field {
	return field{
		path: path, values: values, list: true,
		get: func(d *Document) ([]string, bool) {
			l := *ref(d)
			if len(l) == 0 {
				return nil, false
			}
			return slices.Clone(l), true
		},
		set: func(d *Document, v string) { *ref(d) = append(slices.Clone(*ref(d)), v) },
	}
}

func lookupField(path string) (*field, error) {
	for i := range fields {
		if fields[i].path == path {
			return &fields[i], nil
		}
	}
	return nil, fmt.Errorf("%s: not a fact that can be tested (known: %s)", path, strings.Join(Paths(), ", "))
}

// Paths lists the dotted JSON paths that Lookup, Allowed and With accept, in the
// order of the contract.
func Paths() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.path
	}
	return out
}

// Allowed returns the closed set of values the fact at path may take (booleans as
// "true" and "false"), or nil when it is free text. An unknown path is an error.
func Allowed(path string) ([]string, error) {
	f, err := lookupField(path)
	if err != nil {
		return nil, err
	}
	return slices.Clone(f.values), nil
}

// Lookup returns the value of the fact at path as strings (one for a scalar, every
// element for a list; booleans as "true"/"false"). known is false when the fact is
// absent, null, empty or "unknown". An unknown path is an error.
func Lookup(d Document, path string) (values []string, known bool, err error) {
	f, err := lookupField(path)
	if err != nil {
		return nil, false, err
	}
	values, known = f.get(&d)
	return values, known, nil
}

// With returns a copy of d in which the fact at path has value (appended, for a list).
// It is how the ownership engine asks "what if this unknown fact were X?". The value
// must be one of Allowed(path), unless the field is free text.
func With(d Document, path, value string) (Document, error) {
	f, err := lookupField(path)
	if err != nil {
		return Document{}, err
	}
	if f.values != nil && !slices.Contains(f.values, value) {
		return Document{}, fmt.Errorf("%s: %q is not one of %s", path, value, strings.Join(f.values, ", "))
	}
	// d is a copy; set replaces pointers and clones slices, so the caller's document
	// is never written through.
	f.set(&d, value)
	return d, nil
}

// CheckPath reports whether path (dotted JSON names, e.g. "zendesk.window" or
// "affected.individuals") names a field of the facts document, at any depth; arrays
// of objects are stepped through without an index ("affected.individuals.count").
// Playbook triage questions use it; playbook triggers need the narrower set of
// testable facts (Paths, Allowed).
func CheckPath(path string) error {
	t := docType
	walked := ""
	for _, part := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType {
			return fmt.Errorf("%s: %s has no fields", path, walked)
		}
		known := jsonFields(t)
		ft, ok := known[part]
		if !ok {
			msg := fmt.Sprintf("%s: not a field of the facts document", path)
			if s := suggest(part, known); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", joinPath(walked, s))
			}
			return errors.New(msg)
		}
		walked = joinPath(walked, part)
		t = ft
	}
	return nil
}
