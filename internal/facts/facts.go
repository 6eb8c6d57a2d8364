// Package facts defines the incident facts document (version 1), the single JSON
// description of what is known about an incident. Triage, ownership, severity and
// notification obligations are all pure functions of it.
//
// The contract lives in shared/contracts/incident-facts.md; field names here are
// that contract and must not change without a new version number.
//
// Every field is optional: a nil pointer or empty value means "unknown", which is
// different from false or zero. That is why booleans that carry a legal meaning are
// *bool: "we do not know whether MFA was enforced" must not read as "MFA was off".
//
// Parse and Decode read a document strictly (an unknown field, a wrong type or a
// malformed timestamp is an error naming the field's path, line and column) and
// validate it; Validate checks enumerations, counts and ISO 3166 jurisdiction codes;
// Merge applies a partial update as a JSON merge patch. An absent version is read as
// version 1, so hand-written what-if files may leave it out; any other is an error.
// Lookup, With, Allowed and Paths give the rule engines (ownership, triage triggers)
// one table of testable facts and their allowed values.
package facts

import "time"

// Version is the facts document version this package reads and writes.
const Version = 1

// Document is the incident facts document, version 1.
type Document struct {
	Version           int          `json:"version"`
	Summary           string       `json:"summary,omitempty"`
	Timeline          Timeline     `json:"timeline"`
	Cause             Cause        `json:"cause"`
	Affected          Affected     `json:"affected"`
	DataCategories    []string     `json:"data_categories,omitempty"`
	EncryptedUnusable *bool        `json:"encrypted_unusable,omitempty"`
	Risk              string       `json:"risk,omitempty"`
	Ongoing           *bool        `json:"ongoing,omitempty"`
	Impact            Impact       `json:"impact"`
	Organization      Organization `json:"organization"`
	Zendesk           ZendeskScope `json:"zendesk"`
}

// Timeline holds the instants different laws start their clocks at. A nil field is
// unknown; engines that need it fall back (normally to AwareAt) and say so.
type Timeline struct {
	DetectedAt              *time.Time `json:"detected_at"`
	AwareAt                 *time.Time `json:"aware_at"`
	DiscoveredAt            *time.Time `json:"discovered_at"`
	DeterminedAt            *time.Time `json:"determined_at"`
	AssessedAt              *time.Time `json:"assessed_at"`
	MaterialityDeterminedAt *time.Time `json:"materiality_determined_at"`
	ClassifiedMajorAt       *time.Time `json:"classified_major_at"`
	RansomPaidAt            *time.Time `json:"ransom_paid_at"`
	ZendeskNoticeReceivedAt *time.Time `json:"zendesk_notice_received_at"`
}

// Cause describes how the incident happened, in the terms of SRM section VI.
type Cause struct {
	// ServiceVulnerability is "yes", "no" or "unknown": a vulnerability or incident in
	// Zendesk's Service itself (SRM-VI.Z).
	ServiceVulnerability string `json:"service_vulnerability,omitempty"`
	// ReportedByZendesk is true when Zendesk notified the subscriber.
	ReportedByZendesk *bool `json:"reported_by_zendesk,omitempty"`
	// CredentialsUsed is one of none, password, api_token, oauth_token, session, sso, unknown.
	CredentialsUsed string `json:"credentials_used,omitempty"`
	// WeakCredentials is "yes", "no" or "unknown" (weak, reused, leaked, phished, no MFA).
	WeakCredentials string      `json:"weak_credentials,omitempty"`
	MFAEnforced     *bool       `json:"mfa_enforced,omitempty"`
	Integration     Integration `json:"integration"`
	UserContent     *bool       `json:"user_content,omitempty"`
	MonitoringGap   *bool       `json:"monitoring_gap,omitempty"`
	Insider         *bool       `json:"insider,omitempty"`
}

// Integration describes a third-party integration's part in the incident (SRM-VI.S.iv).
type Integration struct {
	Involved *bool `json:"involved,omitempty"`
	// Kind is one of marketplace_app, api_client, webhook, channel, contractor, other.
	Kind *string `json:"kind"`
	// ChosenBy is "subscriber" or "zendesk".
	ChosenBy *string `json:"chosen_by"`
	Name     *string `json:"name"`
}

// Affected counts the people and records involved.
type Affected struct {
	Individuals []JurisdictionCount `json:"individuals,omitempty"`
	Records     *int64              `json:"records,omitempty"`
}

// JurisdictionCount is the number of affected people in one jurisdiction:
// ISO 3166-1 alpha-2 for countries, ISO 3166-2 for sub-national units.
type JurisdictionCount struct {
	Jurisdiction string `json:"jurisdiction"`
	Count        int64  `json:"count"`
}

// Impact holds the tests that make an incident significant under NIS2 Art. 23(3)
// (added after the first release of version 1; every field optional). A nil field is
// not yet assessed, which is different from false: for a nis2_entity with none of
// them answered the NIS2 obligations need assessment, they are not dropped.
type Impact struct {
	// SevereOperationalDisruption: severe operational disruption of the entity's
	// services (Art. 23(3)(a)).
	SevereOperationalDisruption *bool `json:"severe_operational_disruption,omitempty"`
	// FinancialLoss: financial loss to the entity (Art. 23(3)(a)).
	FinancialLoss *bool `json:"financial_loss,omitempty"`
	// ConsiderableDamageToOthers: considerable material or non-material damage to
	// other natural or legal persons (Art. 23(3)(b)).
	ConsiderableDamageToOthers *bool `json:"considerable_damage_to_others,omitempty"`
}

// ImpactFields are the impact block's fields by their JSON names, in the order of
// the contract.
var ImpactFields = []string{"severe_operational_disruption", "financial_loss", "considerable_damage_to_others"}

// Get returns the answer to the impact field named by its JSON name, nil when it is
// not assessed or the name is not an impact field.
func (i Impact) Get(name string) *bool {
	switch name {
	case "severe_operational_disruption":
		return i.SevereOperationalDisruption
	case "financial_loss":
		return i.FinancialLoss
	case "considerable_damage_to_others":
		return i.ConsiderableDamageToOthers
	}
	return nil
}

// Organization describes the subscriber organisation's legal position.
type Organization struct {
	// Role is "controller" or "processor" toward the affected data.
	Role              string   `json:"role,omitempty"`
	MainEstablishment string   `json:"main_establishment,omitempty"`
	Flags             []string `json:"flags,omitempty"`
}

// ZendeskScope names the objects of the subscriber's Zendesk instance the incident
// involves. Playbook steps and evidence sources take their targets from here.
type ZendeskScope struct {
	Users            []int64 `json:"users,omitempty"`
	APITokens        []int64 `json:"api_tokens,omitempty"`
	OAuthClients     []int64 `json:"oauth_clients,omitempty"`
	OAuthTokens      []int64 `json:"oauth_tokens,omitempty"`
	AppInstallations []int64 `json:"app_installations,omitempty"`
	// Webhooks are identified by strings in Zendesk (ULID-like ids).
	Webhooks    []string `json:"webhooks,omitempty"`
	Tickets     []int64  `json:"tickets,omitempty"`
	IPAddresses []string `json:"ip_addresses,omitempty"`
	Window      *Window  `json:"window,omitempty"`
}

// Window is the interval of suspicious activity.
type Window struct {
	From *time.Time `json:"from"`
	To   *time.Time `json:"to"`
}
