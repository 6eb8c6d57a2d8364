// Package srm lists the clause ids of Zendesk's shared responsibility model, as
// rendered in English with stable ids in shared/reference/shared-responsibility-model.md
// (source: the French text in shared/seed, change log dated 16 June 2023). Playbooks,
// ownership determinations and reports cite these ids; validators reject any other.
package srm

import "sort"

// Clause is one clause of the model.
type Clause struct {
	ID      string
	Summary string
}

// clauses is the model's clause list, in document order. Section VI is the one the
// playbooks encode.
var clauses = []Clause{
	{"SRM-I.S", "Subscriber: all access controls to its instances"},
	{"SRM-I.S.1", "Subscriber: provisioning, hygiene and deprovisioning of all users"},
	{"SRM-I.S.2", "Subscriber: choosing and configuring the authentication method (passwords, MFA, SSO)"},
	{"SRM-I.S.3", "Subscriber: configuring and monitoring session handling"},
	{"SRM-I.S.4", "Subscriber: allowing or denying Zendesk support staff access"},
	{"SRM-I.S.5", "Subscriber: configuring access to Zendesk's REST API services"},
	{"SRM-I.S.6", "Subscriber: configuring product IP restrictions"},
	{"SRM-I.S.7", "Subscriber: other, non-product access controls"},
	{"SRM-I.Z", "Zendesk: access controls to the systems underlying the service"},
	{"SRM-I.Z.1", "Zendesk: secure provisioning and deprovisioning of its staff"},
	{"SRM-I.Z.2", "Zendesk: RBAC, least privilege and MFA for its staff"},
	{"SRM-I.Z.3", "Zendesk: spot checks of its access controls"},
	{"SRM-II.S", "Subscriber: security implications of every third-party integration it chooses"},
	{"SRM-II.S.1", "Subscriber: integrations through the API and/or SDK"},
	{"SRM-II.S.2", "Subscriber: installing Marketplace apps or enabling third-party channels"},
	{"SRM-II.S.3", "Subscriber: third parties that provide staff, tools or code"},
	{"SRM-II.Z", "Zendesk: integrating trustworthy third parties into the Service"},
	{"SRM-II.Z.1", "Zendesk: due diligence on sub-processors"},
	{"SRM-II.Z.2", "Zendesk: integrating acquisitions securely"},
	{"SRM-II.Z.3", "Zendesk: product partnerships and integrations respect security needs"},
	{"SRM-III.S", "Subscriber: handling the data it obtains and uses"},
	{"SRM-III.S.1", "Subscriber: understanding the data types of its use case"},
	{"SRM-III.S.2", "Subscriber: processing data under its policies and applicable law"},
	{"SRM-III.S.3", "Subscriber: choosing which channels may communicate with its instances"},
	{"SRM-III.S.4", "Subscriber: compliance of instances and Service Data with applicable frameworks"},
	{"SRM-III.S.5", "Subscriber: TLS certificates for host mapping"},
	{"SRM-III.S.6", "Subscriber: channels where data may not be encrypted in transit"},
	{"SRM-III.S.7", "Subscriber: data types respect the Main Services Agreement"},
	{"SRM-III.S.8", "Subscriber: availability level and recovery plan meet its policies"},
	{"SRM-III.Z", "Zendesk: data protection at the Service level"},
	{"SRM-III.Z.1", "Zendesk: protecting Service Data from disclosure at the Service level"},
	{"SRM-III.Z.2", "Zendesk: encrypting data in transit over public networks"},
	{"SRM-III.Z.3", "Zendesk: encrypting all data at rest"},
	{"SRM-III.Z.4", "Zendesk: informing about cookie data"},
	{"SRM-III.Z.5", "Zendesk: describing its use of Service Data"},
	{"SRM-III.Z.6", "Zendesk: tools that help the subscriber meet its personal-data duties"},
	{"SRM-III.Z.7", "Zendesk: complying with the laws relevant to its offers"},
	{"SRM-III.Z.8", "Zendesk: independent third-party compliance assurances"},
	{"SRM-IV.S", "Subscriber: monitoring all activity in its instances"},
	{"SRM-IV.S.1", "Subscriber: monitoring user activity"},
	{"SRM-IV.S.2", "Subscriber: diligence about communications from unknown parties or unapproved content"},
	{"SRM-IV.S.3", "Subscriber: keeping logs of data extracted from the Service"},
	{"SRM-IV.Z", "Zendesk: monitoring the Service itself"},
	{"SRM-IV.Z.1", "Zendesk: privileged access in production"},
	{"SRM-IV.Z.2", "Zendesk: inbound traffic"},
	{"SRM-IV.Z.3", "Zendesk: availability"},
	{"SRM-IV.Z.4", "Zendesk: abnormal behaviour in corporate or production resources"},
	{"SRM-IV.Z.5", "Zendesk: security of code, infrastructure, traffic and staff"},
	{"SRM-V.S", "Subscriber: maintaining systems and code beyond Zendesk's boundaries"},
	{"SRM-V.S.1", "Subscriber: its own infrastructure and middleware"},
	{"SRM-V.S.2", "Subscriber: its own non-standard code"},
	{"SRM-V.Z", "Zendesk: maintaining everything inside its boundaries"},
	{"SRM-V.Z.1", "Zendesk: infrastructure at hosting providers"},
	{"SRM-V.Z.2", "Zendesk: its corporate environment"},
	{"SRM-V.Z.3", "Zendesk: the proprietary code bases of the Services"},
	{"SRM-V.note", "Marketplace apps are not covered by the Main Services Agreement; their developers maintain them"},
	{"SRM-VI.S", "Subscriber: security incidents within its instances not due to the Service itself"},
	{"SRM-VI.S.1", "Subscriber: investigating and remediating breaches in its instance"},
	{"SRM-VI.S.i", "Subscriber: insufficient access control or data hygiene, including weak or exploitable credentials"},
	{"SRM-VI.S.ii", "Subscriber: insufficient monitoring of user activity"},
	{"SRM-VI.S.iii", "Subscriber: lack of diligence about communications or unapproved content from users"},
	{"SRM-VI.S.iv", "Subscriber: incidents due to a third-party integration it chose"},
	{"SRM-VI.S.2", "Subscriber: mandatory notifications, including after a breach notice from Zendesk"},
	{"SRM-VI.Z", "Zendesk: investigating and notifying breaches through the Service itself"},
	{"SRM-VI.Z.1", "Zendesk: security-incident response policy and staff"},
	{"SRM-VI.Z.2", "Zendesk: investigating abnormal activity"},
	{"SRM-VI.Z.3", "Zendesk: containing confirmed breaches of Service Data"},
	{"SRM-VI.Z.4", "Zendesk: notifying affected subscribers, authorities and law enforcement"},
	{"SRM-VI.Z.5", "Zendesk: tested backup and recovery processes"},
}

var byID = func() map[string]Clause {
	m := make(map[string]Clause, len(clauses))
	for _, c := range clauses {
		m[c.ID] = c
	}
	return m
}()

// Lookup returns the clause with id.
func Lookup(id string) (Clause, bool) {
	c, ok := byID[id]
	return c, ok
}

// Valid reports whether id is a clause id of the model.
func Valid(id string) bool { _, ok := byID[id]; return ok }

// All returns every clause in document order.
func All() []Clause { return append([]Clause(nil), clauses...) }

// IDs returns every clause id, sorted.
func IDs() []string {
	ids := make([]string, 0, len(clauses))
	for _, c := range clauses {
		ids = append(ids, c.ID)
	}
	sort.Strings(ids)
	return ids
}
