package zdsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Demo credentials. They exist only in the simulator.
const (
	DemoSubdomain       = "acme-demo"
	DemoAdminEmail      = "ada.admin@acme.example"
	DemoAdminAPIToken   = "zdsim-demo-admin-api-token-0001"
	DemoAdminOAuthToken = "zdsimoauth-admin-0001-read-write"
	DemoAgentEmail      = "tom.agent@acme.example"
	DemoAttackerIP      = "203.0.113.7"
	DemoAttackerDomain  = "sync-helpdesk.example.net"
)

// DemoFacts names the demo seed's key objects so tests, docs and demos can refer to
// them. The story: a credential-stuffing run against Maya Lopez (a team lead with
// admin rights) from rotating addresses in 203.0.113.0/24 ends in a successful
// sign-in from 203.0.113.7; the attacker opens sessions, exports views, creates an API
// token and an OAuth token, adds a webhook that ships ticket events to an attacker
// domain, and posts a phishing comment on customer tickets.
type DemoFacts struct {
	Seed      string    `json:"seed"`
	Subdomain string    `json:"subdomain"`
	Now       time.Time `json:"now"`

	// AdminEmail + AdminAPIToken authenticate as the account owner (Basic
	// "{email}/token:{token}"); AdminOAuthToken is a Bearer token for the same
	// admin. Present in every seed.
	AdminUserID     int64  `json:"admin_user_id"`
	AdminEmail      string `json:"admin_email"`
	AdminAPIToken   string `json:"admin_api_token"`
	AdminOAuthToken string `json:"admin_oauth_token"`
	// AgentEmail is a non-admin agent: with AdminAPIToken it authenticates as an
	// agent (API tokens are not tied to users), for 403 tests.
	AgentUserID int64  `json:"agent_user_id"`
	AgentEmail  string `json:"agent_email"`

	CompromisedUserID       int64  `json:"compromised_user_id"`
	CompromisedEmail        string `json:"compromised_email"`
	CompromisedName         string `json:"compromised_name"`
	CompromisedOriginalRole string `json:"compromised_original_role"`

	AttackerIP     string   `json:"attacker_ip"`
	StuffingIPs    []string `json:"stuffing_ips"`
	AttackerDomain string   `json:"attacker_domain"`
	FailedLogins   int      `json:"failed_logins"`
	// FirstFailedLoginAt is the first credential-stuffing attempt; TakeoverAt the
	// attacker's first successful sign-in.
	FirstFailedLoginAt time.Time `json:"first_failed_login_at"`
	TakeoverAt         time.Time `json:"takeover_at"`

	AttackerSessionIDs []int64 `json:"attacker_session_ids"`
	LegitSessionIDs    []int64 `json:"legit_session_ids"`

	RogueAPITokenID      int64  `json:"rogue_api_token_id"`
	RogueAPITokenValue   string `json:"rogue_api_token_value"`
	RogueOAuthTokenID    int64  `json:"rogue_oauth_token_id"`
	RogueOAuthClientID   int64  `json:"rogue_oauth_client_id"`
	RogueWebhookID       string `json:"rogue_webhook_id"`
	RogueWebhookEndpoint string `json:"rogue_webhook_endpoint"`
	LegitWebhookID       string `json:"legit_webhook_id"`
	ExportedViews        int    `json:"exported_views"`

	// AffectedTicketIDs were touched by the attacker; PhishingCommentID is the
	// public comment carrying the attacker's link, on PhishingTicketID.
	AffectedTicketIDs []int64 `json:"affected_ticket_ids"`
	PhishingTicketID  int64   `json:"phishing_ticket_id"`
	PhishingCommentID int64   `json:"phishing_comment_id"`
	// PIICommentID is a customer comment holding an ID number ("847564"), for
	// redaction demos, on PIITicketID.
	PIITicketID  int64 `json:"pii_ticket_id"`
	PIICommentID int64 `json:"pii_comment_id"`

	OrganizationIDs   []int64 `json:"organization_ids"`
	AppInstallationID int64   `json:"app_installation_id"`
	TargetID          int64   `json:"target_id"`
	CustomRoleIDs     []int64 `json:"custom_role_ids"`
	AuditLogCount     int     `json:"audit_log_count"`
	// AccessLogCount is the number of seeded access-log entries and
	// AttackerAccessLogs those from AttackerIP. The seed holds them whatever the
	// plan; GET /access_logs serves them only with Options.AccessLogsAddon.
	AccessLogCount     int `json:"access_log_count"`
	AttackerAccessLogs int `json:"attacker_access_logs"`
	// AttackerExportRequests counts the attacker's requests to export endpoints
	// (view exports and the incremental ticket export).
	AttackerExportRequests int `json:"attacker_export_requests"`
}

// seeder builds a state; it keeps helpers for ids and timestamps together.
type seeder struct {
	st  *state
	now time.Time
}

func buildSeed(name string, now time.Time, opts Options) (*state, DemoFacts, error) {
	sd := &seeder{st: newState(), now: now}
	sd.st.settings.AdminsCanSetUserPasswords = opts.AdminsCanSetUserPasswords
	var f DemoFacts
	switch name {
	case SeedDemo:
		f = sd.demo()
	case SeedEmpty:
		f = sd.empty()
	default:
		return nil, DemoFacts{}, fmt.Errorf("zdsim seed %q: want %q or %q", name, SeedDemo, SeedEmpty)
	}
	f.Seed, f.Now, f.Subdomain = name, now, DemoSubdomain
	sd.syntheticAuditLogs(opts.AuditLogRecords)
	f.AuditLogCount = len(sd.st.auditLogs)
	sd.finishAccessLogs()
	f.AccessLogCount = len(sd.st.accessLogs)
	for _, l := range sd.st.accessLogs {
		if l.IPAddress == DemoAttackerIP {
			f.AttackerAccessLogs++
		}
	}
	return sd.st, f, nil
}

func (sd *seeder) ago(d time.Duration) time.Time { return ts(sd.now.Add(-d)) }

func (sd *seeder) user(name, email, role string, org *int64, created time.Time) *user {
	u := &user{
		ID: sd.st.id("user"), Name: name, Email: email, Role: role, RoleType: roleTypes[role],
		Active: true, Verified: true, OrganizationID: org, TimeZone: "Dublin", IANATimeZone: "Europe/Dublin",
		Locale: "en-US", LocaleID: 1, Tags: []string{}, UserFields: map[string]any{},
		CreatedAt: created, UpdatedAt: created,
	}
	if role != "end-user" {
		u.TwoFactorAuthEnabled = role == "admin"
		u.TicketRestriction = nil
	} else {
		r := "requested"
		u.TicketRestriction = &r
	}
	sd.st.users[u.ID] = u
	return u
}

func (sd *seeder) apiToken(owner *user, desc, value string, created time.Time) *apiToken {
	t := &apiToken{ID: sd.st.id("api_token"), UserID: owner.ID, Description: desc, Active: true,
		CreatedAt: created, UpdatedAt: created, Token: value, VisibleToken: value[:min(4, len(value))] + "…"}
	sd.st.apiTokens[t.ID] = t
	return t
}

func (sd *seeder) oauthClient(owner *user, name, ident string, created time.Time) *oauthClient {
	o := &oauthClient{ID: sd.st.id("oauth_client"), Name: name, Identifier: ident, Kind: "confidential",
		Company: "Acme", UserID: owner.ID, RedirectURI: []string{"https://" + ident + ".acme.example/callback"},
		CreatedAt: created, UpdatedAt: created}
	sd.st.oauthClients[o.ID] = o
	return o
}

func (sd *seeder) oauthToken(u *user, client *oauthClient, full string, scopes []string, created time.Time) *oauthToken {
	t := &oauthToken{ID: sd.st.id("oauth_token"), full: full, ClientID: client.ID, UserID: u.ID,
		Scopes: scopes, CreatedAt: created}
	sd.st.oauthTokens[t.ID] = t
	return t
}

func (sd *seeder) log(actor *user, sourceType string, sourceID int64, label, action, desc, ip string, at time.Time) {
	name := "Zendesk"
	var actorID int64 = -1
	if actor != nil {
		name, actorID = actor.Name, actor.ID
	}
	// Ids are assigned after sorting by time, in syntheticAuditLogs.
	sd.st.auditLogs = append(sd.st.auditLogs, &auditLog{ActorID: actorID, ActorName: name, SourceID: sourceID,
		SourceType: sourceType, SourceLabel: label, Action: action, ActionLabel: actionLabel(action),
		ChangeDescription: desc, IPAddress: ip, CreatedAt: ts(at)})
}

// empty seeds only the account owner and the credentials to reach it.
func (sd *seeder) empty() DemoFacts {
	created := sd.ago(400 * 24 * time.Hour)
	admin := sd.user("Ada Admin", DemoAdminEmail, "admin", nil, created)
	admin.owner = true
	sd.apiToken(admin, "Helpdesk integration", DemoAdminAPIToken, created)
	client := sd.oauthClient(admin, "Acme reporting", "acme_reporting", created)
	sd.oauthToken(admin, client, DemoAdminOAuthToken, []string{"read", "write"}, created)
	return DemoFacts{AdminUserID: admin.ID, AdminEmail: DemoAdminEmail, AdminAPIToken: DemoAdminAPIToken,
		AdminOAuthToken: DemoAdminOAuthToken, AttackerIP: DemoAttackerIP}
}

func ptr[T any](v T) *T { return &v }

// ulidLike makes a deterministic 26-character Crockford base32 id like Zendesk's
// webhook ids. Seeded ids use a time relative to DefaultNow, not to Options.Now, so
// that a demo instance's ids are the same on every start (docs and saved facts
// files name them).
func ulidLike(t time.Time, n int64) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [26]byte
	ms := uint64(t.UnixMilli())
	for i := 9; i >= 0; i-- {
		b[i] = alphabet[ms%32]
		ms /= 32
	}
	x := uint64(n)*0x9E3779B97F4A7C15 + 0x1234567
	for i := 10; i < 26; i++ {
		b[i] = alphabet[x%32]
		x = x/32 ^ (x << 7)
	}
	return string(b[:])
}

// demo seeds a realistic instance with a credential-stuffing takeover.
func (sd *seeder) demo() DemoFacts {
	st := sd.st
	f := sd.empty()
	admin := st.users[f.AdminUserID]
	day := 24 * time.Hour
	office := []string{"198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.14"}

	for _, r := range []customRole{{ID: 9001, Name: "Light agent"}, {ID: 9002, Name: "Team lead"}, {ID: 9003, Name: "Contributor"}} {
		st.customRoles[r.ID] = &r
		f.CustomRoleIDs = append(f.CustomRoleIDs, r.ID)
	}

	var orgs []*organization
	for i, o := range []struct{ name, domain string }{{"Acme Corp", "acme.example"}, {"Globex", "globex.example"}, {"Initech", "initech.example"}} {
		org := &organization{ID: st.id("org"), Name: o.name, Domains: []string{o.domain},
			CreatedAt: sd.ago(time.Duration(700-i*30) * day), UpdatedAt: sd.ago(time.Duration(300-i*30) * day)}
		st.orgs[org.ID] = org
		orgs = append(orgs, org)
		f.OrganizationIDs = append(f.OrganizationIDs, org.ID)
	}
	acme := &orgs[0].ID

	sam := sd.user("Sam Security", "sam.security@acme.example", "admin", acme, sd.ago(380*day))
	maya := sd.user("Maya Lopez", "maya.lopez@acme.example", "admin", acme, sd.ago(300*day))
	maya.Tags = []string{"team-lead"}
	maya.TwoFactorAuthEnabled = false // why the stuffing worked
	tom := sd.user("Tom Agent", DemoAgentEmail, "agent", acme, sd.ago(250*day))
	priya := sd.user("Priya Patel", "priya.patel@acme.example", "agent", acme, sd.ago(200*day))
	lee := sd.user("Lee Chen", "lee.chen@acme.example", "agent", acme, sd.ago(150*day))
	lee.CustomRoleID = ptr(int64(9001))
	staff := []*user{admin, sam, maya, tom, priya, lee}

	var customers []*user
	for i, c := range []struct{ name, email string }{
		{"Jane Roe", "jane.roe@globex.example"}, {"Carlos Diaz", "carlos.diaz@globex.example"},
		{"Amira Haddad", "amira.haddad@initech.example"}, {"Ben Okafor", "ben.okafor@initech.example"},
		{"Chloe Martin", "chloe.martin@mail.example"}, {"Dmitri Ivanov", "dmitri.ivanov@mail.example"},
		{"Eva Novak", "eva.novak@globex.example"}, {"Farah Khan", "farah.khan@mail.example"},
	} {
		var org *int64
		switch {
		case strings.HasSuffix(c.email, "globex.example"):
			org = &orgs[1].ID
		case strings.HasSuffix(c.email, "initech.example"):
			org = &orgs[2].ID
		}
		customers = append(customers, sd.user(c.name, c.email, "end-user", org, sd.ago(time.Duration(120-i*9)*day)))
	}

	f.AgentUserID, f.AgentEmail = tom.ID, tom.Email
	f.CompromisedUserID, f.CompromisedEmail, f.CompromisedName, f.CompromisedOriginalRole = maya.ID, maya.Email, maya.Name, maya.Role

	// Normal life: staff sign in from the office every morning for two weeks.
	for d := 14; d >= 1; d-- {
		for i, u := range staff {
			at := sd.ago(time.Duration(d)*day - time.Duration(8*60+i*7)*time.Minute)
			sd.log(u, "user", u.ID, u.Name, "login", "Successful sign-in using Zendesk password", office[i%len(office)], at)
			u.LastLoginAt = ptr(at)
		}
	}
	sd.log(admin, "account_setting", 0, "Password policy", "update", "Password policy changed from Low to Medium", office[0], sd.ago(10*day))
	sd.log(sam, "rule", 0, "Escalate VIP tickets", "create", "Trigger created", office[1], sd.ago(9*day))
	sd.log(admin, "user", lee.ID, lee.Name, "update", "Role changed from Agent to Light agent", office[0], sd.ago(8*day))

	// Existing credentials and integrations.
	crm := sd.apiToken(sam, "CRM sync (legacy)", "zdsim-demo-crm-sync-token-0002", sd.ago(200*day))
	crm.LastUsed = ptr(sd.ago(2 * time.Hour))
	var client *oauthClient // the empty seed's reporting client
	for _, o := range st.oauthClients {
		client = o
	}
	mobile := sd.oauthClient(admin, "Acme mobile", "acme_mobile", sd.ago(180*day))
	sd.oauthToken(tom, mobile, "zdsimoauth-tom-mobile-0002", []string{"read", "write"}, sd.ago(30*day))
	sd.oauthToken(maya, mobile, "zdsimoauth-maya-mobile-0003", []string{"read", "write"}, sd.ago(25*day))

	for i, app := range []struct {
		appID   int64
		name    string
		enabled bool
	}{{218618, "Attachment Manager", true}, {221190, "Customer Context", true}, {230044, "Export Helper", false}} {
		created := sd.ago(time.Duration(90-i*20) * day)
		in := &installation{AppID: app.appID, Collapsible: true, CreatedAt: created, Enabled: app.enabled,
			GroupRestrictions: []int64{}, ID: st.id("installation"), Product: "support", Servable: true,
			Settings:        map[string]any{"name": app.name, "title": app.name},
			SettingsObjects: []settingObj{{Name: "title", Value: app.name}},
			Updated:         created.Format("20060102150405"), UpdatedAt: created}
		st.installations[in.ID] = in
		if i == 0 {
			f.AppInstallationID = in.ID
		}
	}

	legit := &webhook{ID: ulidLike(DefaultNow.Add(-60*day), 1), Name: "Slack #support-alerts", Description: "Urgent ticket alerts",
		Status: "active", Endpoint: "https://hooks.slack.example/services/T000/B000", HTTPMethod: "POST",
		RequestFormat: "json", Subscriptions: []string{"conditional_ticket_events"},
		CreatedAt: sd.ago(60 * day), CreatedBy: idStr(sam.ID), UpdatedAt: sd.ago(60 * day), UpdatedBy: idStr(sam.ID), seq: 1}
	st.webhooks[legit.ID] = legit
	f.LegitWebhookID = legit.ID

	tgt := &target{ID: st.id("target"), Title: "Ops pager (legacy)", Type: "url_target_v2", Active: true,
		TargetURL: "https://pager.acme.example/zendesk", Method: "post", CreatedAt: sd.ago(500 * day)}
	st.targets[tgt.ID] = tgt
	mail := &target{ID: st.id("target"), Title: "Billing mailbox", Type: "email_target",
		Active: true, Email: "billing@acme.example", CreatedAt: sd.ago(450 * day)}
	st.targets[mail.ID] = mail
	f.TargetID = tgt.ID

	// Tickets with their audit history.
	subjects := []string{
		"Cannot log in to the customer portal", "Invoice 2291 charged twice", "Update shipping address",
		"Refund for damaged item", "Password reset email not arriving", "API rate limits for our integration",
		"Cancel subscription", "Export my personal data (GDPR)", "Order 88412 missing items",
		"Two-factor code not accepted", "Change billing contact", "Warranty claim for model X200",
	}
	agents := []*user{tom, priya, lee, maya}
	var tickets []*ticket
	for i, subj := range subjects {
		req := customers[i%len(customers)]
		asg := agents[i%len(agents)]
		created := sd.ago(time.Duration(12-i)*day + 3*time.Hour)
		t := &ticket{ID: st.id("ticket"), Subject: subj, RawSubject: subj, Description: "Hello, " + strings.ToLower(subj) + ".",
			Status: "open", Priority: ptr("normal"), RequesterID: req.ID, SubmitterID: req.ID, AssigneeID: ptr(asg.ID),
			OrganizationID: req.OrganizationID, Tags: []string{}, Via: via{Channel: "email", Source: map[string]any{}},
			CreatedAt: created}
		st.tickets[t.ID] = t
		tickets = append(tickets, t)
		body := t.Description
		if subj == "Export my personal data (GDPR)" {
			body = "Please export my data. For verification my ID number is 847564."
		}
		cm := sd.comment(t, req, body, true, created)
		sd.audit(t, req, created, via{Channel: "email", Source: map[string]any{}},
			auditSystem{Client: "Mail", IPAddress: "", Location: ""},
			auditEvent{"id": cm.ID, "type": "Comment"},
			auditEvent{"id": st.id("event"), "type": "Create", "field_name": "status", "value": "new"},
			auditEvent{"id": st.id("event"), "type": "Create", "field_name": "subject", "value": subj})
		if subj == "Export my personal data (GDPR)" {
			f.PIITicketID, f.PIICommentID = t.ID, cm.ID
		}
		reply := created.Add(2 * time.Hour)
		rc := sd.comment(t, asg, "Thanks for reaching out, I'm looking into this.", true, reply)
		sd.audit(t, asg, reply, via{Channel: "web", Source: map[string]any{}},
			auditSystem{Client: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
				IPAddress: office[i%len(office)], Location: "Dublin, L, Ireland", Latitude: ptr(53.3331), Longitude: ptr(-6.2489)},
			auditEvent{"id": rc.ID, "type": "Comment"},
			auditEvent{"id": st.id("event"), "type": "Change", "field_name": "status", "value": "open", "previous_value": "new"})
	}

	// The attack. Credential stuffing from rotating addresses, then success.
	start := sd.ago(3 * time.Hour)
	f.StuffingIPs = []string{DemoAttackerIP, "203.0.113.19", "203.0.113.23", "203.0.113.41", "203.0.113.58", "203.0.113.77"}
	f.FailedLogins = 42
	f.FirstFailedLoginAt = start
	for i := range f.FailedLogins {
		ip := f.StuffingIPs[i%len(f.StuffingIPs)]
		sd.log(maya, "user", maya.ID, maya.Name, "login", "Failed sign-in attempt: invalid password", ip, start.Add(time.Duration(i*20)*time.Second))
	}
	takeover := start.Add(15 * time.Minute)
	f.TakeoverAt = takeover
	f.AttackerIP, f.AttackerDomain = DemoAttackerIP, DemoAttackerDomain
	sd.log(maya, "user", maya.ID, maya.Name, "login", "Successful sign-in using Zendesk password", DemoAttackerIP, takeover)
	sd.log(maya, "user", maya.ID, maya.Name, "login", "Successful sign-in using Zendesk password", DemoAttackerIP, takeover.Add(2*time.Minute))
	maya.LastLoginAt = ptr(takeover.Add(2 * time.Minute))

	// Sessions: Maya's own from this morning, two from the attacker, one per
	// other staff member.
	legitSess := &session{ID: st.id("session"), UserID: maya.ID, AuthenticatedAt: sd.ago(day - 8*time.Hour), LastSeenAt: sd.ago(20 * time.Hour)}
	st.sessions[legitSess.ID] = legitSess
	f.LegitSessionIDs = []int64{legitSess.ID}
	for _, at := range []time.Time{takeover, takeover.Add(2 * time.Minute)} {
		s := &session{ID: st.id("session"), UserID: maya.ID, AuthenticatedAt: at, LastSeenAt: sd.ago(10 * time.Minute)}
		st.sessions[s.ID] = s
		f.AttackerSessionIDs = append(f.AttackerSessionIDs, s.ID)
	}
	for i, u := range []*user{admin, sam, tom, priya, lee} {
		s := &session{ID: st.id("session"), UserID: u.ID, AuthenticatedAt: sd.ago(8*time.Hour + time.Duration(i)*time.Minute), LastSeenAt: sd.ago(time.Duration(5+i) * time.Minute)}
		st.sessions[s.ID] = s
	}

	// Mass export of views.
	views := []string{"All unsolved tickets", "Recently updated tickets", "All customers", "VIP customers", "Pending billing"}
	for i, v := range views {
		sd.log(maya, "view", int64(360100+i), v, "exported", "View exported to CSV", DemoAttackerIP, takeover.Add(time.Duration(5+i*3)*time.Minute))
	}
	f.ExportedViews = len(views)

	// Persistence: an API token, an OAuth grant, a webhook to the attacker's domain.
	rogueTok := sd.apiToken(maya, "Backup sync", "zdsim-rogue-api-token-attacker-0003", takeover.Add(25*time.Minute))
	rogueTok.LastUsed = ptr(sd.ago(15 * time.Minute))
	f.RogueAPITokenID, f.RogueAPITokenValue = rogueTok.ID, rogueTok.Token
	sd.log(maya, "api_token", rogueTok.ID, rogueTok.Description, "create", "API token created", DemoAttackerIP, rogueTok.CreatedAt)

	rogueOAuth := sd.oauthToken(maya, client, "zdsimoauth-rogue-maya-0004", []string{"read", "tickets:write"}, takeover.Add(30*time.Minute))
	rogueOAuth.UsedAt = ptr(sd.ago(12 * time.Minute))
	f.RogueOAuthTokenID, f.RogueOAuthClientID = rogueOAuth.ID, client.ID
	sd.log(maya, "oauth_token", rogueOAuth.ID, client.Name, "create", "OAuth token granted to client "+client.Identifier, DemoAttackerIP, rogueOAuth.CreatedAt)

	whAt := takeover.Add(35 * time.Minute)
	rogue := &webhook{ID: ulidLike(DefaultNow.Add(whAt.Sub(sd.now)), 2), Name: "Ticket backup sync", Description: "Backup",
		Status: "active", Endpoint: "https://" + DemoAttackerDomain + "/collect", HTTPMethod: "POST",
		RequestFormat: "json", Subscriptions: []string{"conditional_ticket_events"},
		Authentication: json.RawMessage(`{"type":"bearer_token","add_position":"header"}`),
		CreatedAt:      whAt, CreatedBy: idStr(maya.ID), UpdatedAt: whAt, UpdatedBy: idStr(maya.ID), seq: 2}
	st.webhooks[rogue.ID] = rogue
	f.RogueWebhookID, f.RogueWebhookEndpoint = rogue.ID, rogue.Endpoint
	sd.log(maya, "webhook", 0, rogue.Name, "create", "Webhook "+rogue.ID+" created with endpoint "+rogue.Endpoint, DemoAttackerIP, whAt)

	// Ticket tampering through the rogue token: reassign and post a phishing link.
	attackerSys := auditSystem{Client: "python-requests/2.31.0", IPAddress: DemoAttackerIP, Location: "Unknown"}
	for i, t := range []*ticket{tickets[1], tickets[4], tickets[9]} {
		at := takeover.Add(time.Duration(45+i*4) * time.Minute)
		events := []auditEvent{{"id": st.id("event"), "type": "Change", "field_name": "assignee_id",
			"value": idStr(maya.ID), "previous_value": idStr(*t.AssigneeID)}}
		t.AssigneeID = ptr(maya.ID)
		if i == 0 {
			cm := sd.comment(t, maya, "Your account needs re-verification: https://"+DemoAttackerDomain+"/verify?acct=2291", true, at)
			events = append(events, auditEvent{"id": cm.ID, "type": "Comment"})
			f.PhishingTicketID, f.PhishingCommentID = t.ID, cm.ID
		}
		sd.audit(t, maya, at, via{Channel: "api", Source: map[string]any{}}, attackerSys, events...)
		f.AffectedTicketIDs = append(f.AffectedTicketIDs, t.ID)
		sd.log(maya, "ticket", t.ID, t.Subject, "update", "Assignee changed", DemoAttackerIP, at)
	}
	f.AttackerExportRequests = sd.demoAccessLogs(staff, maya, sam, tickets, office, takeover, rogueTok, rogueOAuth, whAt)
	return f
}

func (sd *seeder) comment(t *ticket, author *user, body string, public bool, at time.Time) *comment {
	c := &comment{ID: sd.st.id("event"), Type: "Comment", AuthorID: author.ID, Body: body,
		HTMLBody: `<div class="zd-comment" dir="auto"><p>` + body + `</p></div>`, PlainBody: body, Public: public,
		Attachments: []any{}, Via: via{Channel: "web", Source: map[string]any{}}, Metadata: map[string]any{},
		CreatedAt: ts(at), ticketID: t.ID}
	sd.st.comments[c.ID] = c
	return c
}

func (sd *seeder) audit(t *ticket, author *user, at time.Time, v via, sys auditSystem, events ...auditEvent) {
	a := &audit{ID: sd.st.id("audit"), TicketID: t.ID, CreatedAt: ts(at), AuthorID: author.ID, Via: v,
		Metadata: auditMetadata{System: sys, Custom: map[string]any{}}, Events: events}
	for _, ev := range events {
		if ev["type"] == "Comment" {
			if c := sd.st.comments[toInt64(ev["id"])]; c != nil {
				c.AuditID, c.Via = a.ID, v
			}
		}
	}
	sd.st.audits = append(sd.st.audits, a)
	slices.SortStableFunc(sd.st.audits, func(x, y *audit) int { return x.CreatedAt.Compare(y.CreatedAt) })
	if ts(at).After(t.UpdatedAt) {
		t.UpdatedAt = ts(at)
		t.GeneratedTimestamp = t.UpdatedAt.Unix()
	}
}

// syntheticAuditLogs adds n records older than the seed's own, then assigns every
// record an id in time order (ids ascend with created_at, as in Zendesk).
func (sd *seeder) syntheticAuditLogs(n int) {
	if n > 0 {
		users := sortedByID(sd.st.users, func(u *user) int64 { return u.ID })
		span := 380 * 24 * time.Hour
		step := max(span/time.Duration(n), time.Second)
		base := sd.ago(20 * 24 * time.Hour).Add(-step * time.Duration(n))
		actions := []struct{ typ, action, desc string }{
			{"user", "login", "Successful sign-in using Zendesk password"},
			{"ticket", "update", "Status changed from open to pending"},
			{"rule", "update", "Trigger updated"},
			{"user", "update", "Phone changed"},
			{"view", "exported", "View exported to CSV"},
		}
		logs := make([]*auditLog, n)
		for i := range n {
			a := actions[i%len(actions)]
			actorID, name := int64(372100+i%40), fmt.Sprintf("Agent %02d", i%40)
			if len(users) > 0 {
				u := users[i%len(users)]
				actorID, name = u.ID, u.Name
			}
			logs[i] = &auditLog{ActorID: actorID, ActorName: name, SourceID: int64(1000 + i%5000), SourceType: a.typ,
				SourceLabel: fmt.Sprintf("%s %d", a.typ, 1000+i%5000), Action: a.action, ActionLabel: actionLabel(a.action),
				ChangeDescription: a.desc, IPAddress: fmt.Sprintf("198.51.100.%d", 10+i%40),
				CreatedAt: base.Add(step * time.Duration(i))}
		}
		sd.st.auditLogs = append(logs, sd.st.auditLogs...)
	}
	slices.SortStableFunc(sd.st.auditLogs, func(a, b *auditLog) int { return cmp.Compare(a.CreatedAt.Unix(), b.CreatedAt.Unix()) })
	for _, l := range sd.st.auditLogs {
		l.ID = sd.st.id("audit_log")
	}
}

// Access-log authorization types. Only "bearer" appears in the reference (B4);
// "session" (agent workspace) and "basic" (API token) are assumptions.
const (
	authSession = "session"
	authBasic   = "basic"
	authBearer  = "bearer"
)

const (
	browserClient  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"
	attackerClient = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36"
	scriptClient   = "python-requests/2.31.0"
)

// access records one access-log entry; ids are assigned in time order by
// finishAccessLogs.
func (sd *seeder) access(u *user, method, url string, status int, auth, client, ip, category, summary string, bytes int64, at time.Time) {
	referer := ""
	if auth == authSession {
		referer = "https://" + DemoSubdomain + ".zendesk.com/agent/"
	}
	sd.st.accessLogs = append(sd.st.accessLogs, &accessLog{Timestamp: ts(at), UserID: idStr(u.ID), IPAddress: ip,
		Method: method, URL: url, Status: status, AuthorizationType: auth, Client: client, Referer: referer,
		BytesSent: bytes, Category: category, Summary: summary, OriginService: "Zendesk"})
}

// demoAccessLogs seeds the access log (reference B4) for the demo story: two weeks
// of ordinary agent traffic from the office and the CRM integration's hourly
// export, then the attacker's reads from 203.0.113.7 after the takeover (ticket
// and user listings, view exports, the incremental ticket export through the rogue
// API token) and the writes the audit log also shows. It returns the number of the
// attacker's requests to export endpoints.
func (sd *seeder) demoAccessLogs(staff []*user, maya, sam *user, tickets []*ticket, office []string,
	takeover time.Time, rogueTok *apiToken, rogueOAuth *oauthToken, webhookAt time.Time) int {
	day := 24 * time.Hour
	for d := 14; d >= 1; d-- {
		for i, u := range staff {
			ip := office[i%len(office)]
			at := sd.ago(time.Duration(d)*day - time.Duration(8*60+i*7)*time.Minute)
			t := tickets[(d+i)%len(tickets)]
			sd.access(u, "GET", "/api/v2/users/me.json", 200, authSession, browserClient, ip, "Users", "Show the current user", 2048, at.Add(30*time.Second))
			sd.access(u, "GET", "/api/v2/views/360001/execute.json?page=1", 200, authSession, browserClient, ip, "Views", "Execute view", 18432, at.Add(2*time.Minute))
			sd.access(u, "GET", fmt.Sprintf("/api/v2/tickets/%d.json", t.ID), 200, authSession, browserClient, ip, "Tickets", "Show ticket", 6144, at.Add(5*time.Minute))
			if u.Role == "agent" {
				sd.access(u, "PUT", fmt.Sprintf("/api/v2/tickets/%d.json", t.ID), 200, authSession, browserClient, ip, "Tickets", "Update ticket", 6400, at.Add(11*time.Minute))
			}
		}
	}
	// The CRM integration pulls ticket changes every six hours with its own token.
	for h := 72; h >= 6; h -= 6 {
		sd.access(sam, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=1700000000", 200, authBasic, "acme-crm-sync/3.2",
			"198.51.100.20", "Incremental export", "Incremental ticket export", 40960, sd.ago(time.Duration(h)*time.Hour))
	}

	ip := DemoAttackerIP
	exports := 0
	sd.access(maya, "GET", "/api/v2/users/me.json", 200, authSession, attackerClient, ip, "Users", "Show the current user", 2048, takeover.Add(time.Minute))
	for p := 1; p <= 6; p++ {
		sd.access(maya, "GET", fmt.Sprintf("/api/v2/tickets.json?page=%d", p), 200, authSession, attackerClient, ip, "Tickets", "List tickets", 98304,
			takeover.Add(2*time.Minute+time.Duration(p*10)*time.Second))
	}
	for p := 1; p <= 2; p++ {
		sd.access(maya, "GET", fmt.Sprintf("/api/v2/users.json?role=end-user&page=%d", p), 200, authSession, attackerClient, ip, "Users", "List users", 65536,
			takeover.Add(4*time.Minute+time.Duration(p*10)*time.Second))
	}
	for i := range 5 { // the five views whose export the audit log records
		sd.access(maya, "GET", fmt.Sprintf("/api/v2/views/%d/export.json", 360100+i), 200, authSession, attackerClient, ip, "Views", "Export view", 262144,
			takeover.Add(time.Duration(5+i*3)*time.Minute))
		exports++
	}
	sd.access(maya, "POST", "/api/v2/api_tokens.json", 201, authSession, attackerClient, ip, "API tokens", "Create API token", 512, rogueTok.CreatedAt)
	sd.access(maya, "GET", "/api/v2/oauth/clients.json", 200, authSession, attackerClient, ip, "OAuth", "List OAuth clients", 4096, rogueOAuth.CreatedAt.Add(-time.Minute))
	sd.access(maya, "POST", "/api/v2/webhooks", 201, authSession, attackerClient, ip, "Webhooks", "Create webhook", 768, webhookAt)
	// Through the rogue API token (paired with Maya's email): the full ticket export.
	for p := range 4 {
		url := "/api/v2/incremental/tickets/cursor.json?start_time=0"
		if p > 0 {
			url = fmt.Sprintf("/api/v2/incremental/tickets/cursor.json?cursor=c%d", p)
		}
		sd.access(maya, "GET", url, 200, authBasic, scriptClient, ip, "Incremental export", "Incremental ticket export", 524288,
			takeover.Add(40*time.Minute+time.Duration(p*20)*time.Second))
		exports++
	}
	for i, t := range []*ticket{tickets[1], tickets[4], tickets[9]} {
		at := takeover.Add(time.Duration(45+i*4) * time.Minute)
		sd.access(maya, "GET", fmt.Sprintf("/api/v2/tickets/%d/comments.json", t.ID), 200, authBasic, scriptClient, ip, "Tickets", "List comments", 12288, at.Add(-time.Minute))
		sd.access(maya, "PUT", fmt.Sprintf("/api/v2/tickets/%d.json", t.ID), 200, authBasic, scriptClient, ip, "Tickets", "Update ticket", 6400, at)
	}
	// The rogue OAuth grant in use shortly before the incident was declared.
	sd.access(maya, "GET", "/api/v2/tickets.json?page=1", 200, authBearer, scriptClient, ip, "Tickets", "List tickets", 98304, *rogueOAuth.UsedAt)
	return exports
}

// finishAccessLogs sorts the access log by time and gives every entry a
// deterministic 26-character id, ascending with time like the ULID in the
// reference's example ("01J5M2QGXR3KZ8N4BVWYH6T9PA"). Ids use times relative to
// DefaultNow, as webhook ids do, so they are the same on every start.
func (sd *seeder) finishAccessLogs() {
	logs := sd.st.accessLogs
	slices.SortStableFunc(logs, func(a, b *accessLog) int { return a.Timestamp.Compare(b.Timestamp) })
	for i, l := range logs {
		l.ID = ulidLike(DefaultNow.Add(l.Timestamp.Sub(sd.now)), int64(i+1))
	}
	// Same-second entries must also be in id order: cursors compare (time, id).
	slices.SortStableFunc(logs, func(a, b *accessLog) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
