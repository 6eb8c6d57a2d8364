package ownership

// This file is the whole of the shared-responsibility reasoning as data: which facts
// point to which party, under which clause of Zendesk's shared responsibility model
// (shared/reference/shared-responsibility-model.md), which combinations of facts
// contradict each other, what to ask when a fact is missing, and which third parties
// an integration brings in. ownership.go only combines these rows.

// side is the party a rule's facts point to.
type side int

const (
	// subscriberSide rules are the causes of SRM-VI.S.i–iv: incidents within the
	// subscriber's instance not due to the Service itself.
	subscriberSide side = iota + 1
	// zendeskSide rules are breaches through the Service itself (SRM-VI.Z), including
	// integrations Zendesk built into it (SRM-II.Z.3).
	zendeskSide
	// noticeSide rules decide no owner but add to whatever owner is decided.
	noticeSide
)

// strength says how directly the facts show a rule's cause.
type strength int

const (
	// stated: a fact records the cause itself ("the credentials were phished").
	stated strength = iota + 1
	// inferred: a fact makes the cause likely without recording it ("valid credentials
	// were used": they may have been stolen through the Service). Inferred evidence
	// decides ownership only when nothing is stated, and never overrides a stated
	// cause of the other party.
	inferred
)

// cond tests one fact by its facts JSON path. With in, the fact must be known and
// have one of the values; with notIn, it must not have any of them (an unknown fact
// passes). Facts tested with in are cited in the rationale.
type cond struct {
	field string
	in    []string
	notIn []string
}

// rule is one way the facts point to an owner, with the clauses it rests on (the
// section VI clause first, then the sections that say why the party answers for it).
type rule struct {
	id       string
	side     side
	strength strength
	clauses  []string
	when     []cond
	// finding says in plain English what the facts show; the facts tested with `in`
	// are appended to it as citations, e.g. "(cause.weak_credentials: yes)".
	finding string
}

var integrationKinds = []string{"marketplace_app", "api_client", "webhook", "channel", "contractor"}

// rules is every rule of section VI. The order is the order of the rationale.
var rules = []rule{
	// SRM-VI.S.i: insufficient access control or data hygiene, "including weak or
	// exploitable credentials".
	{
		id: "weak-credentials", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.i"},
		when:    []cond{{field: "cause.weak_credentials", in: []string{"yes"}}},
		finding: "the credentials used were weak, reused, leaked or phished",
	},
	{
		// SRM-I.S.2: choosing and configuring the authentication method (MFA) is the
		// subscriber's.
		id: "mfa-not-enforced", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.i", "SRM-I.S.2"},
		when: []cond{
			{field: "cause.mfa_enforced", in: []string{"false"}},
			{field: "cause.credentials_used", in: []string{"password", "session"}},
		},
		finding: "an account was used with its password or session while the subscriber did not enforce MFA",
	},
	{
		// SRM-I.S.5: configuring access to the REST API is the subscriber's. An
		// insider's own access is covered by the insider rule instead, and when an
		// integration is known to be involved the credentials used were most likely
		// its own grant, covered by the integration rules.
		id: "api-credentials-used", side: subscriberSide, strength: inferred,
		clauses: []string{"SRM-VI.S.i", "SRM-I.S.5"},
		when: []cond{
			{field: "cause.credentials_used", in: []string{"api_token", "oauth_token"}},
			{field: "cause.insider", notIn: []string{"true"}},
			{field: "cause.integration.involved", notIn: []string{"true"}},
			{field: "cause.integration.chosen_by", notIn: []string{"subscriber", "zendesk"}},
		},
		finding: "valid API credentials of the instance were used",
	},
	{
		// Same exclusions as api-credentials-used.
		id: "valid-credentials-used", side: subscriberSide, strength: inferred,
		clauses: []string{"SRM-VI.S.i"},
		when: []cond{
			{field: "cause.credentials_used", in: []string{"password", "session", "sso"}},
			{field: "cause.insider", notIn: []string{"true"}},
			{field: "cause.integration.involved", notIn: []string{"true"}},
			{field: "cause.integration.chosen_by", notIn: []string{"subscriber", "zendesk"}},
		},
		finding: "valid sign-in credentials of the instance were used",
	},

	// SRM-VI.S.ii: insufficient monitoring of user activity (SRM-IV.S.1).
	{
		id: "monitoring-gap", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.ii", "SRM-IV.S.1"},
		when:    []cond{{field: "cause.monitoring_gap", in: []string{"true"}}},
		finding: "the activity went unnoticed for lack of monitoring of user activity",
	},
	{
		// An authorised user acting maliciously is what monitoring of user activity
		// (SRM-IV.S.1) and entitlement hygiene (SRM-I.S.1) exist to catch.
		id: "insider", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.ii", "SRM-I.S.1"},
		when:    []cond{{field: "cause.insider", in: []string{"true"}}},
		finding: "an authorised user of the instance acted maliciously",
	},

	// SRM-VI.S.iii: lack of diligence about communications or content from users
	// (SRM-IV.S.2).
	{
		id: "user-content", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iii", "SRM-IV.S.2"},
		when:    []cond{{field: "cause.user_content", in: []string{"true"}}},
		finding: "the incident came in through content from users (a phishing ticket, malicious attachment or link)",
	},

	// SRM-VI.S.iv: a third-party integration the subscriber made at its own
	// discretion, with the section II clause for its kind. An integration whose
	// involvement is not recorded but whose chooser is, is taken as involved.
	{
		// SRM-II.S.2 installing Marketplace apps; SRM-V.note: the developer maintains
		// the app under its own terms, outside Zendesk's Main Services Agreement.
		id: "subscriber-marketplace-app", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iv", "SRM-II.S.2", "SRM-V.note"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"subscriber"}},
			{field: "cause.integration.kind", in: []string{"marketplace_app"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
		},
		finding: "a Marketplace app the subscriber installed was involved",
	},
	{
		id: "subscriber-api-integration", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iv", "SRM-II.S.1"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"subscriber"}},
			{field: "cause.integration.kind", in: []string{"api_client", "webhook"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
		},
		finding: "an API or webhook integration the subscriber set up was involved",
	},
	{
		id: "subscriber-channel", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iv", "SRM-II.S.2"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"subscriber"}},
			{field: "cause.integration.kind", in: []string{"channel"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
		},
		finding: "a third-party channel the subscriber enabled was involved",
	},
	{
		id: "subscriber-contractor", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iv", "SRM-II.S.3"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"subscriber"}},
			{field: "cause.integration.kind", in: []string{"contractor"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
		},
		finding: "a contractor the subscriber engaged to work on its instance was involved",
	},
	{
		id: "subscriber-integration", side: subscriberSide, strength: stated,
		clauses: []string{"SRM-VI.S.iv"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"subscriber"}},
			{field: "cause.integration.kind", notIn: integrationKinds},
			{field: "cause.integration.involved", notIn: []string{"false"}},
		},
		finding: "a third-party integration the subscriber chose was involved",
	},

	// SRM-VI.Z: breaches through the Service itself. Zendesk investigates, contains
	// and notifies the subscriber; the subscriber still owes its own notifications
	// "related to breach notifications ... received from Zendesk" (SRM-VI.S.2).
	{
		id: "service-vulnerability", side: zendeskSide, strength: stated,
		clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"},
		when:    []cond{{field: "cause.service_vulnerability", in: []string{"yes"}}},
		finding: "the breach went through a vulnerability or incident in Zendesk's Service itself",
	},
	{
		// SRM-II.Z.3: integrations Zendesk builds are part of the Service. If the
		// Service is known not to be at fault, the integration was only the path.
		id: "zendesk-integration", side: zendeskSide, strength: stated,
		clauses: []string{"SRM-VI.Z", "SRM-II.Z.3", "SRM-VI.S.2"},
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"zendesk"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
			{field: "cause.service_vulnerability", notIn: []string{"no"}},
		},
		finding: "an integration that Zendesk built into the Service was involved",
	},
	{
		// SRM-VI.Z.4: Zendesk notifies subscribers of breaches through the Service, so
		// its notice points there until the cause is confirmed either way.
		id: "reported-by-zendesk", side: zendeskSide, strength: inferred,
		clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"},
		when: []cond{
			{field: "cause.reported_by_zendesk", in: []string{"true"}},
			{field: "cause.service_vulnerability", notIn: []string{"yes", "no"}},
		},
		finding: "Zendesk notified the subscriber of the breach, as it does for breaches through the Service (SRM-VI.Z.4)",
	},
	{
		// SRM-VI.S.2: whatever the owner, notifications "related to breach
		// notifications about Service Data ... received from Zendesk" are the
		// subscriber's.
		id: "zendesk-notice", side: noticeSide, strength: stated,
		clauses: []string{"SRM-VI.S.2"},
		when:    []cond{{field: "cause.reported_by_zendesk", in: []string{"true"}}},
		finding: "Zendesk notified the subscriber, so the subscriber's own notifications relate to Zendesk's notice",
	},
}

// contradiction is a combination of facts that cannot all be true. Any contradiction
// makes the determination undetermined: a confident answer built on contradictory
// facts would be wrong for at least one of them.
type contradiction struct {
	when []cond
	// unlessSubscriberCause: the combination is consistent when a subscriber-side
	// cause explains the incident (Zendesk may report a compromise it saw inside an
	// instance; a Zendesk-built integration may merely have been the path).
	unlessSubscriberCause bool
	text                  string
	// field and question are the open question that resolves it.
	field    string
	question string
}

var contradictions = []contradiction{
	{
		when: []cond{
			{field: "cause.reported_by_zendesk", in: []string{"true"}},
			{field: "cause.service_vulnerability", in: []string{"no"}},
		},
		unlessSubscriberCause: true,
		text: "Zendesk reported a breach (cause.reported_by_zendesk: true), which it does for breaches through " +
			"the Service (SRM-VI.Z.4), yet the Service is recorded as not vulnerable (cause.service_vulnerability: no) " +
			"and no subscriber-side cause (SRM-VI.S.i–iv) is recorded",
		field: "cause.service_vulnerability",
		question: "Zendesk's notice and the recorded cause disagree: does the notice describe a vulnerability or " +
			"incident in Zendesk's Service, or a compromise inside your instance (and then, what caused it)?",
	},
	{
		when: []cond{
			{field: "cause.integration.chosen_by", in: []string{"zendesk"}},
			{field: "cause.integration.involved", notIn: []string{"false"}},
			{field: "cause.service_vulnerability", in: []string{"no"}},
		},
		unlessSubscriberCause: true,
		text: "an integration Zendesk built into the Service was involved (cause.integration.chosen_by: zendesk), " +
			"and such integrations are part of the Service (SRM-II.Z.3), yet the Service is recorded as not " +
			"vulnerable (cause.service_vulnerability: no) and no subscriber-side cause is recorded",
		field: "cause.integration.chosen_by",
		question: "Was the integration really built by Zendesk into the Service? If so, was the Service at fault; " +
			"if not, who chose it?",
	},
	{
		when: []cond{
			{field: "cause.integration.involved", in: []string{"false"}},
			{field: "cause.integration.chosen_by", in: []string{"subscriber", "zendesk"}},
		},
		text: "no integration is recorded as involved (cause.integration.involved: false), yet " +
			"cause.integration.chosen_by says who chose one",
		field:    "cause.integration.involved",
		question: "Was a third-party integration involved in the incident? Clear cause.integration if not.",
	},
	{
		when: []cond{
			{field: "cause.integration.involved", in: []string{"false"}},
			{field: "cause.integration.kind", in: []string{"marketplace_app", "api_client", "webhook", "channel", "contractor", "other"}},
		},
		text: "no integration is recorded as involved (cause.integration.involved: false), yet " +
			"cause.integration.kind names its kind",
		field:    "cause.integration.involved",
		question: "Was a third-party integration involved in the incident? Clear cause.integration if not.",
	},
	{
		when: []cond{
			{field: "cause.weak_credentials", in: []string{"yes"}},
			{field: "cause.credentials_used", in: []string{"none"}},
		},
		text: "weak credentials are recorded as a cause (cause.weak_credentials: yes), yet no credentials " +
			"were used (cause.credentials_used: none)",
		field:    "cause.credentials_used",
		question: "Were credentials of your instance used in the incident, and which kind?",
	},
}

// questions holds the question to ask a responder for each cause fact, in the order
// they are asked. Every fact the rules test is here, so the engine can ask about
// any fact that would change its answer.
var questions = []struct{ field, question string }{
	{"cause.service_vulnerability", "Was this a vulnerability or incident in Zendesk's Service itself? " +
		"Check Zendesk's breach notice, or ask security@zendesk.com."},
	{"cause.reported_by_zendesk", "Did Zendesk notify you of this breach?"},
	{"cause.credentials_used", "Were valid credentials of your instance used, and which: password, API token, " +
		"OAuth token, session or SSO? The actor in the audit log shows it."},
	{"cause.weak_credentials", "Were the credentials used weak, reused, leaked or phished?"},
	{"cause.mfa_enforced", "Was MFA enforced for the accounts that were used?"},
	{"cause.integration.involved", "Was a third-party integration involved: a Marketplace app, API client, " +
		"webhook, channel or contractor?"},
	{"cause.integration.chosen_by", "Was a third-party integration involved, and who chose it: your " +
		"organisation, or Zendesk as part of the Service?"},
	{"cause.integration.kind", "What kind of integration was involved: Marketplace app, API client, webhook, " +
		"channel, contractor or other?"},
	{"cause.user_content", "Did the incident start with content from users: a phishing ticket, a malicious " +
		"attachment or link?"},
	{"cause.monitoring_gap", "Did the activity go unnoticed for lack of monitoring of user activity?"},
	{"cause.insider", "Did an authorised user of your instance act maliciously?"},
}

// thirdPartyRoles says who an integration of each kind brings in, the clause that
// places them, and what is owed between them and the subscriber. kind "" is the row
// for an integration whose kind is unknown.
var thirdPartyRoles = []struct {
	kind, role, clause, defaultName, owes string
}{
	{"marketplace_app", "marketplace_app_developer", "SRM-V.note", "the Marketplace app's developer",
		"Maintains and fixes its app under the terms between you and the developer, not Zendesk's Main " +
			"Services Agreement (SRM-V.note): ask it for its findings and a fixed version, and check those terms " +
			"for the breach notice it owes you. Whether to suspend the app meanwhile is your decision (SRM-VI.S.iv)."},
	{"api_client", "integration_vendor", "SRM-II.S.1", "the API client's vendor",
		"Owes you what your contract with it says about security incidents; you answer for the integration's " +
			"security toward Zendesk and your end users (SRM-II.S.1, SRM-VI.S.iv): revoke its tokens and ask it for " +
			"its findings."},
	{"webhook", "webhook_receiver", "SRM-II.S.1", "the operator of the webhook's endpoint",
		"Received data your instance sent it; it owes you what your contract with it says about security " +
			"incidents, and you answer for having sent the data there (SRM-II.S.1, SRM-VI.S.iv)."},
	{"channel", "channel_provider", "SRM-II.S.2", "the third-party channel's provider",
		"Owes you what your contract with it says about security incidents; you answer for having enabled the " +
			"channel (SRM-II.S.2, SRM-VI.S.iv)."},
	{"contractor", "contractor", "SRM-II.S.3", "the contractor",
		"Provides staff, tools or code for your instance and owes you what your contract with it says about " +
			"security incidents and cooperation; you answer for its access (SRM-II.S.3, SRM-VI.S.iv)."},
	{"other", "integration_provider", "SRM-VI.S.iv", "the integration's provider",
		"Owes you what your contract with it says about security incidents; you answer for the integration you " +
			"chose (SRM-VI.S.iv)."},
	{"", "integration_provider", "SRM-VI.S.iv", "the integration's provider",
		"Owes you what your contract with it says about security incidents; you answer for the integration you " +
			"chose (SRM-VI.S.iv). Record its kind (cause.integration.kind) to say more."},
}

// zendeskParty is Zendesk's part when the breach went through the Service.
var zendeskParty = ThirdParty{
	Name:   "Zendesk",
	Role:   "service_provider",
	Clause: "SRM-VI.Z",
	Owes: "Controls the investigation of the breach through its Service, contains it and notifies you " +
		"(SRM-VI.Z.2–Z.4). Ask it for the details your own notifications need: which Service Data of your " +
		"instance was affected, and when (SRM-VI.S.2).",
}

// clauseOrder is the order clauses are listed in: the owner's section VI clauses,
// then the clauses of sections I–V that explain them.
var clauseOrder = []string{
	"SRM-VI.Z", "SRM-II.Z.3",
	"SRM-VI.S.i", "SRM-VI.S.ii", "SRM-VI.S.iii", "SRM-VI.S.iv", "SRM-VI.S.2",
	"SRM-I.S.1", "SRM-I.S.2", "SRM-I.S.5",
	"SRM-II.S.1", "SRM-II.S.2", "SRM-II.S.3",
	"SRM-IV.S.1", "SRM-IV.S.2",
	"SRM-V.note",
}
