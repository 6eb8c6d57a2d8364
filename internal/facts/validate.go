package facts

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Validate checks the values of a decoded document against the contract and returns
// every problem, each naming its field path, as an Errors value; nil when the
// document is valid. A version of 0 is read as "not given" and accepted (Parse sets
// it to 1); any version other than 0 or 1 is an error.
func (d Document) Validate() error {
	var errs Errors
	add := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
	}

	if d.Version != 0 && d.Version != Version {
		add("version", "%d is not supported: this irflow reads facts version %d", d.Version, Version)
	}

	// Enumerated facts, from the one table in fields.go.
	for _, f := range fields {
		if f.values == nil {
			continue
		}
		vals, _ := f.get(&d)
		for i, v := range vals {
			if slices.Contains(f.values, v) {
				continue
			}
			p := f.path
			if f.list {
				p = fmt.Sprintf("%s[%d]", f.path, i)
			}
			add(p, "%q is not one of %s", v, strings.Join(f.values, ", "))
		}
	}

	seen := map[string]int{}
	for i, ind := range d.Affected.Individuals {
		p := fmt.Sprintf("affected.individuals[%d]", i)
		if err := CheckJurisdiction(ind.Jurisdiction); err != nil {
			add(p+".jurisdiction", "%v", err)
		} else if j, dup := seen[ind.Jurisdiction]; dup {
			// Two counts for one jurisdiction would be summed by one engine and
			// overwritten by another; make the responder say which is right.
			add(p+".jurisdiction", "%s is already counted at affected.individuals[%d]", ind.Jurisdiction, j)
		} else {
			seen[ind.Jurisdiction] = i
		}
		if ind.Count < 0 {
			add(p+".count", "must not be negative, got %d", ind.Count)
		}
	}
	if r := d.Affected.Records; r != nil && *r < 0 {
		add("affected.records", "must not be negative, got %d", *r)
	}

	if me := d.Organization.MainEstablishment; me != "" {
		if err := CheckJurisdiction(me); err != nil {
			add("organization.main_establishment", "%v", err)
		}
	}

	z := d.Zendesk
	positive := func(name string, ids []int64) {
		for i, id := range ids {
			if id <= 0 {
				add(fmt.Sprintf("zendesk.%s[%d]", name, i), "Zendesk ids are positive, got %d", id)
			}
		}
	}
	positive("users", z.Users)
	positive("api_tokens", z.APITokens)
	positive("oauth_clients", z.OAuthClients)
	positive("oauth_tokens", z.OAuthTokens)
	positive("app_installations", z.AppInstallations)
	positive("tickets", z.Tickets)
	for i, w := range z.Webhooks {
		if strings.TrimSpace(w) == "" {
			add(fmt.Sprintf("zendesk.webhooks[%d]", i), "must not be empty")
		}
	}
	for i, ip := range z.IPAddresses {
		if _, err := netip.ParseAddr(ip); err != nil {
			if _, perr := netip.ParsePrefix(ip); perr != nil {
				add(fmt.Sprintf("zendesk.ip_addresses[%d]", i), "%q is not an IP address or CIDR prefix", ip)
			}
		}
	}
	if w := z.Window; w != nil && w.From != nil && w.To != nil && w.To.Before(*w.From) {
		add("zendesk.window.to", "%s is before zendesk.window.from %s",
			w.To.Format("2006-01-02T15:04:05Z07:00"), w.From.Format("2006-01-02T15:04:05Z07:00"))
	}

	if len(errs) == 0 {
		return nil
	}
	return errs
}
