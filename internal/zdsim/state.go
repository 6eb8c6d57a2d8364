package zdsim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// state is the simulated instance. Every access happens with Sim.mu held.
type state struct {
	users         map[int64]*user
	orgs          map[int64]*organization
	sessions      map[int64]*session
	apiTokens     map[int64]*apiToken
	oauthClients  map[int64]*oauthClient
	oauthTokens   map[int64]*oauthToken
	installations map[int64]*installation
	webhooks      map[string]*webhook
	targets       map[int64]*target
	tickets       map[int64]*ticket
	comments      map[int64]*comment
	audits        []*audit     // ascending id (= time order)
	auditLogs     []*auditLog  // ascending (created_at, id)
	accessLogs    []*accessLog // ascending (timestamp, id)
	customRoles   map[int64]*customRole
	settings      securitySettings
	next          map[string]int64
}

func newState() *state {
	return &state{
		users:         map[int64]*user{},
		orgs:          map[int64]*organization{},
		sessions:      map[int64]*session{},
		apiTokens:     map[int64]*apiToken{},
		oauthClients:  map[int64]*oauthClient{},
		oauthTokens:   map[int64]*oauthToken{},
		installations: map[int64]*installation{},
		webhooks:      map[string]*webhook{},
		targets:       map[int64]*target{},
		tickets:       map[int64]*ticket{},
		comments:      map[int64]*comment{},
		customRoles:   map[int64]*customRole{},
		next: map[string]int64{
			"user": 372001, "org": 361001, "session": 5001, "api_token": 201,
			"oauth_client": 401, "oauth_token": 301, "installation": 360001,
			"target": 501, "ticket": 1, "audit": 880000001, "event": 990000001,
			"audit_log": 40000001, "webhook": 1,
		},
	}
}

// id allocates the next id of a kind; ids are deterministic for a given history.
func (st *state) id(kind string) int64 {
	n := st.next[kind]
	st.next[kind] = n + 1
	return n
}

func sortedByID[T any](m map[int64]*T, id func(*T) int64) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b *T) int { return cmp.Compare(id(a), id(b)) })
	return out
}

func (st *state) userByEmail(email string) *user {
	for _, u := range st.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// addAuditLog appends a record, keeping the (created_at, id) order the cursor
// pagination relies on.
func (st *state) addAuditLog(l *auditLog) {
	l.ID = st.id("audit_log")
	n := len(st.auditLogs)
	if n == 0 || !l.CreatedAt.Before(st.auditLogs[n-1].CreatedAt) {
		st.auditLogs = append(st.auditLogs, l)
		return
	}
	i, _ := slices.BinarySearchFunc(st.auditLogs, l, func(a, b *auditLog) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	st.auditLogs = slices.Insert(st.auditLogs, i, l)
}

// auditTime formats a log timestamp the way Zendesk does.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// ticketEvent is one record of the incremental ticket-events export, derived from an
// audit.
func (st *state) ticketEvent(a *audit, withComments bool) map[string]any {
	children := make([]map[string]any, 0, len(a.Events))
	for _, ev := range a.Events {
		typ, _ := ev["type"].(string)
		if typ == "Comment" && !withComments {
			continue
		}
		child := map[string]any{"id": ev["id"], "via": viaLabel(a.Via.Channel), "via_reference_id": nil, "event_type": typ}
		switch typ {
		case "Comment":
			if c := st.comments[toInt64(ev["id"])]; c != nil {
				child["type"] = "Comment"
				child["author_id"] = c.AuthorID
				child["body"] = c.Body
				child["html_body"] = c.HTMLBody
				child["public"] = c.Public
				child["attachments"] = c.Attachments
				child["audit_id"] = a.ID
				child["created_at"] = c.CreatedAt
			}
		case "Change", "Create":
			if f, ok := ev["field_name"].(string); ok {
				child[f] = ev["value"]
				if pv, ok := ev["previous_value"]; ok {
					child["previous_value"] = pv
				}
			}
		}
		children = append(children, child)
	}
	hasComment, public := false, false
	for _, ev := range a.Events {
		if ev["type"] == "Comment" {
			hasComment = true
			if c := st.comments[toInt64(ev["id"])]; c != nil && c.Public {
				public = true
			}
		}
	}
	return map[string]any{
		"id":              a.ID,
		"ticket_id":       a.TicketID,
		"timestamp":       a.CreatedAt.Unix(),
		"created_at":      a.CreatedAt,
		"updater_id":      a.AuthorID,
		"via":             viaLabel(a.Via.Channel),
		"system":          a.Metadata.System,
		"event_type":      "Audit",
		"comment_present": hasComment,
		"comment_public":  public,
		"child_events":    children,
	}
}

func viaLabel(channel string) string {
	switch channel {
	case "web":
		return "Web form"
	case "api":
		return "Web service"
	case "email":
		return "Mail"
	default:
		return channel
	}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
