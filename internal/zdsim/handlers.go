package zdsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// access is who may call a route.
type access int

const (
	agentAccess access = iota // agents and admins (end users: only /users/me)
	adminAccess               // admins only
)

// call is one authenticated request being served, with Sim.mu held.
type call struct {
	s     *Sim
	st    *state
	w     http.ResponseWriter
	r     *http.Request
	who   *user
	oauth *oauthToken
	base  string
}

func (s *Sim) routes() *http.ServeMux {
	m := http.NewServeMux()
	h := func(pattern string, acc access, scope string, fn func(*call)) {
		m.HandleFunc(pattern, s.wrap(acc, scope, fn))
	}
	h("GET /api/v2/users/me", agentAccess, "users", (*call).getMe)
	h("GET /api/v2/users", agentAccess, "users", (*call).listUsers)
	h("GET /api/v2/users/{id}", agentAccess, "users", (*call).getUser)
	h("PUT /api/v2/users/{id}", adminAccess, "users", (*call).updateUser)
	h("POST /api/v2/users/{id}/password", adminAccess, "users", (*call).setPassword)
	h("GET /api/v2/organizations/{id}/users", agentAccess, "users", (*call).listOrgUsers)

	h("GET /api/v2/sessions", agentAccess, "users", (*call).listSessions)
	h("GET /api/v2/users/{id}/sessions", agentAccess, "users", (*call).listUserSessions)
	h("GET /api/v2/users/{id}/sessions/{sid}", agentAccess, "users", (*call).getSession)
	h("DELETE /api/v2/users/{id}/sessions", agentAccess, "users", (*call).deleteUserSessions)
	h("DELETE /api/v2/users/{id}/sessions/{sid}", agentAccess, "users", (*call).deleteSession)

	h("GET /api/v2/api_tokens", adminAccess, "api_tokens", (*call).listAPITokens)
	h("GET /api/v2/api_tokens/{id}", adminAccess, "api_tokens", (*call).getAPIToken)
	h("DELETE /api/v2/api_tokens/{id}", adminAccess, "api_tokens", (*call).deleteAPIToken)

	h("GET /api/v2/oauth/tokens", agentAccess, "oauth_tokens", (*call).listOAuthTokens)
	h("GET /api/v2/oauth/tokens/{id}", agentAccess, "oauth_tokens", (*call).getOAuthToken)
	h("DELETE /api/v2/oauth/tokens/{id}", agentAccess, "oauth_tokens", (*call).deleteOAuthToken)
	h("GET /api/v2/oauth/clients/{id}", adminAccess, "oauth_clients", (*call).getOAuthClient)
	h("PUT /api/v2/oauth/clients/{id}/generate_secret", adminAccess, "oauth_clients", (*call).generateSecret)

	h("GET /api/v2/apps/installations", agentAccess, "apps", (*call).listInstallations)
	h("GET /api/v2/apps/installations/{id}", agentAccess, "apps", (*call).getInstallation)
	h("PUT /api/v2/apps/installations/{id}", adminAccess, "apps", (*call).updateInstallation)

	h("GET /api/v2/webhooks", adminAccess, "webhooks", (*call).listWebhooks)
	h("GET /api/v2/webhooks/{id}", adminAccess, "webhooks", (*call).getWebhook)
	h("PATCH /api/v2/webhooks/{id}", adminAccess, "webhooks", (*call).patchWebhook)
	h("DELETE /api/v2/webhooks/{id}", adminAccess, "webhooks", (*call).deleteWebhook)

	h("GET /api/v2/targets", adminAccess, "targets", (*call).listTargets)
	h("PUT /api/v2/targets/{id}", adminAccess, "targets", (*call).updateTarget)

	h("GET /api/v2/tickets", agentAccess, "tickets", (*call).listTickets)
	h("GET /api/v2/tickets/{id}", agentAccess, "tickets", (*call).getTicket)
	h("GET /api/v2/tickets/{id}/comments", agentAccess, "tickets", (*call).listComments)
	h("PUT /api/v2/tickets/{id}/comments/{cid}/make_private", agentAccess, "tickets", (*call).makePrivate)
	h("PUT /api/v2/tickets/{id}/comments/{cid}/redact", adminAccess, "tickets", (*call).redactText)
	h("PUT /api/v2/comment_redactions/{cid}", adminAccess, "tickets", (*call).redactHTML)
	h("GET /api/v2/tickets/{id}/audits", agentAccess, "tickets", (*call).listTicketAudits)
	h("GET /api/v2/tickets/{id}/audits/{aid}", agentAccess, "tickets", (*call).getTicketAudit)

	h("GET /api/v2/audit_logs", adminAccess, "auditlogs", (*call).listAuditLogs)
	h("GET /api/v2/audit_logs/{id}", adminAccess, "auditlogs", (*call).getAuditLog)
	// The OAuth scope of access logs is not documented; "access_logs" (and the
	// general "read") is an assumption.
	h("GET /api/v2/access_logs", adminAccess, "access_logs", (*call).listAccessLogs)

	h("GET /api/v2/incremental/tickets/cursor", adminAccess, "tickets", (*call).incrementalTickets)
	h("GET /api/v2/incremental/users/cursor", adminAccess, "users", (*call).incrementalUsers)
	h("GET /api/v2/incremental/ticket_events", adminAccess, "tickets", (*call).incrementalTicketEvents)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.setRateHeaders(w, -1)
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "InvalidEndpoint", "description": "Not found"})
	})
	return m
}

// wrap authenticates, rate-limits, checks role and OAuth scope, then runs fn with the
// state locked.
func (s *Sim) wrap(acc access, scope string, fn func(*call)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		who, tok := s.authenticate(r)
		if who == nil {
			s.stats.Unauthorized++
		}
		s.mu.Unlock()
		if who == nil {
			s.setRateHeaders(w, -1)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Couldn't authenticate you"})
			return
		}
		incremental := strings.HasPrefix(r.URL.Path, "/api/v2/incremental/")
		if wait, msg, ok := s.admit(incremental); !ok {
			s.mu.Lock()
			omit := s.opts.OmitRetryAfter
			limit := max(s.opts.RateLimit, 1)
			s.mu.Unlock()
			w.Header().Set("X-Rate-Limit", fmt.Sprint(limit))
			writeTooMany(w, wait, omit, msg)
			return
		}
		s.setRateHeaders(w, -1)
		s.mu.Lock()
		defer s.mu.Unlock()
		c := &call{s: s, st: s.st, w: w, r: r, who: who, oauth: tok, base: baseURL(r)}
		if who.Role == "end-user" && r.URL.Path != "/api/v2/users/me" {
			c.forbidden()
			return
		}
		if acc == adminAccess && who.Role != "admin" {
			c.forbidden()
			return
		}
		if tok != nil && !scopeAllows(tok.Scopes, scope, r.Method) {
			c.forbidden()
			return
		}
		fn(c)
	}
}

// scopeAllows applies OAuth scopes (reference A5): "read"/"write" cover every
// resource; "<resource>:read"/"<resource>:write" one resource.
func scopeAllows(scopes []string, resource, method string) bool {
	write := method != http.MethodGet && method != http.MethodHead
	for _, sc := range scopes {
		switch {
		case sc == "write" && write, sc == "read" && !write:
			return true
		case sc == resource+":write", sc == resource+":read" && !write, sc == resource:
			return true
		}
	}
	return false
}

// authenticate checks Basic "{email}/token:{token}" against active API tokens and a
// signed-in-able user, or Bearer against OAuth tokens. Password Basic auth is
// refused, as on accounts where it is disabled. Called with s.mu held.
func (s *Sim) authenticate(r *http.Request) (*user, *oauthToken) {
	h := r.Header.Get("Authorization")
	usable := func(u *user) bool { return u != nil && u.Active && !u.Suspended }
	switch {
	case strings.HasPrefix(h, "Basic "):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		if err != nil {
			return nil, nil
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		email, isToken := strings.CutSuffix(id, "/token")
		if !ok || !isToken || secret == "" {
			return nil, nil
		}
		for _, t := range s.st.apiTokens {
			if t.Active && t.Token == secret {
				if u := s.st.userByEmail(email); usable(u) {
					return u, nil
				}
				return nil, nil
			}
		}
	case strings.HasPrefix(h, "Bearer "):
		secret := strings.TrimPrefix(h, "Bearer ")
		for _, t := range s.st.oauthTokens {
			if secret != "" && t.full == secret {
				if u := s.st.users[t.UserID]; usable(u) {
					return u, t
				}
				return nil, nil
			}
		}
	}
	return nil, nil
}

// ---- error shapes (reference C5) ----

func (c *call) forbidden() {
	writeJSON(c.w, http.StatusForbidden, map[string]any{"error": map[string]string{
		"title":   "Forbidden",
		"message": "You do not have access to this page. Please contact the account owner of this help desk for further help.",
	}})
}

// notOnPlan answers a feature the account's plan or add-ons do not include. Zendesk
// does not document a distinct body for this, so the simulator uses the 403
// {"error":{"title":"Forbidden",...}} shape of reference C5 with its message.
func (c *call) notOnPlan() { c.forbidden() }

func (c *call) notFound() {
	writeJSON(c.w, http.StatusNotFound, map[string]string{"error": "RecordNotFound", "description": "Not found"})
}

// invalid answers 422 RecordInvalid with per-field details.
func (c *call) invalid(field, description string) {
	writeJSON(c.w, http.StatusUnprocessableEntity, map[string]any{
		"error":       "RecordInvalid",
		"description": "Record validation errors",
		"details": map[string]any{field: []map[string]string{
			{"description": description, "error": "InvalidValue"},
		}},
	})
}

// badRequest answers 400 in the {"errors":[...]} shape of newer endpoints.
func (c *call) badRequest(code, title string) {
	writeJSON(c.w, http.StatusBadRequest, map[string]any{"errors": []map[string]string{{"code": code, "title": title}}})
}

// failAfterApply answers 500 for an injected fault after the change was made.
func (c *call) failAfterApply() {
	writeJSON(c.w, http.StatusInternalServerError, map[string]string{
		"error": "InternalServerError", "description": "Simulated failure after the change was applied",
	})
}

func (c *call) ok(v any) { writeJSON(c.w, http.StatusOK, v) }

func (c *call) noContent() { c.w.WriteHeader(http.StatusNoContent) }

func (c *call) pathID(name string) (int64, bool) {
	id, err := strconv.ParseInt(c.r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		c.notFound()
		return 0, false
	}
	return id, true
}

// decode reads a JSON body into v; unknown top-level keys of the wrapped object are
// reported in X-Zendesk-API-Warn like Zendesk does for unpermitted parameters.
func (c *call) decode(v any) bool {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, 1<<20))
	if err != nil || len(strings.TrimSpace(string(body))) == 0 {
		writeJSON(c.w, http.StatusBadRequest, map[string]string{"error": "InvalidJSON", "description": "The request body is missing or unreadable"})
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		writeJSON(c.w, http.StatusBadRequest, map[string]string{"error": "InvalidJSON", "description": "The request body is not valid JSON: " + err.Error()})
		return false
	}
	return true
}

// warnUnpermitted sets X-Zendesk-API-Warn for keys outside allowed.
func (c *call) warnUnpermitted(obj map[string]json.RawMessage, allowed ...string) {
	var extra []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			extra = append(extra, `"`+k+`"`)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		c.w.Header().Set("X-Zendesk-API-Warn", "Removed Params: Unpermitted parameter keys: '["+strings.Join(extra, ", ")+"]'")
	}
}

// logChange records a mutation in the account audit log, as Zendesk does, so
// containment actions show up in the evidence they are judged by.
func (c *call) logChange(sourceType string, sourceID int64, label, action, description string) {
	c.st.addAuditLog(&auditLog{
		ActorID: c.who.ID, ActorName: c.who.Name, SourceID: sourceID, SourceType: sourceType,
		SourceLabel: label, Action: action, ActionLabel: actionLabel(action),
		ChangeDescription: description, IPAddress: clientIP(c.r), CreatedAt: c.s.Now(),
	})
}

func actionLabel(a string) string {
	switch a {
	case "create":
		return "Created"
	case "destroy":
		return "Deleted"
	case "exported":
		return "Exported"
	case "login":
		return "Signed in"
	default:
		return "Updated"
	}
}

// ---- pagination (reference C3) ----

// listSpec describes a list in view order. key(i) is monotone in view order:
// ascending, or descending when desc.
type listSpec struct {
	rootKey string
	n       int
	key     func(i int) string
	desc    bool
	item    func(i int) any
}

// paginate answers a list with cursor pagination when page[size], page[after] or
// page[before] is present, otherwise with offset pagination.
func (c *call) paginate(spec listSpec) {
	q := c.r.URL.Query()
	if q.Has("page[size]") || q.Has("page[after]") || q.Has("page[before]") {
		c.cursorPage(spec, q)
		return
	}
	c.offsetPage(spec, q)
}

func (c *call) link(q url.Values) string {
	return c.base + strings.TrimPrefix(c.r.URL.Path, "/api/v2") + ".json?" + q.Encode()
}

func (c *call) cursorPage(spec listSpec, q url.Values) {
	size := 100
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.badRequest("InvalidPageSize", "page[size] must be a positive integer")
			return
		}
		size = min(n, 100)
	}
	after := func(i int, cur string) bool { // item i comes after cur in view order
		if spec.desc {
			return spec.key(i) < cur
		}
		return spec.key(i) > cur
	}
	start, end := 0, 0
	switch {
	case q.Get("page[before]") != "":
		cur, ok := decodeCursor(q.Get("page[before]"))
		if !ok {
			c.badRequest("InvalidCursor", "page[before] is not a valid cursor")
			return
		}
		end = searchFirst(spec.n, func(i int) bool { return after(i, cur) || spec.key(i) == cur })
		start = max(end-size, 0)
	case q.Get("page[after]") != "":
		cur, ok := decodeCursor(q.Get("page[after]"))
		if !ok {
			c.badRequest("InvalidCursor", "page[after] is not a valid cursor")
			return
		}
		start = searchFirst(spec.n, func(i int) bool { return after(i, cur) })
		end = min(start+size, spec.n)
	default:
		end = min(size, spec.n)
	}
	items := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, spec.item(i))
	}
	hasMore := end < spec.n
	var afterCur, beforeCur, next, prev any
	if end > start {
		ac, bc := encodeCursor(spec.key(end-1)), encodeCursor(spec.key(start))
		afterCur, beforeCur = ac, bc
		if hasMore {
			nq := cloneQuery(q)
			nq.Del("page[before]")
			nq.Set("page[after]", ac)
			next = c.link(nq)
		}
		if start > 0 {
			pq := cloneQuery(q)
			pq.Del("page[after]")
			pq.Set("page[before]", bc)
			prev = c.link(pq)
		}
	}
	c.ok(map[string]any{
		spec.rootKey: items,
		"meta":       map[string]any{"has_more": hasMore, "after_cursor": afterCur, "before_cursor": beforeCur},
		"links":      map[string]any{"next": next, "prev": prev},
	})
}

// offsetDepthLimit is the 10,000-record cap on offset pagination (reference C3).
const offsetDepthLimit = 10000

func (c *call) offsetPage(spec listSpec, q url.Values) {
	page, perPage := 1, 100
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.badRequest("InvalidParameter", "page must be a positive integer")
			return
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			c.badRequest("InvalidParameter", "per_page must be a positive integer")
			return
		}
		perPage = min(n, 100)
	}
	if (page-1)*perPage >= offsetDepthLimit {
		c.badRequest("InvalidPaginationDepth", "Pagination requests using Offset Pagination are limited to the first 10000 records. Use Cursor Based Pagination instead.")
		return
	}
	start := min((page-1)*perPage, spec.n)
	end := min(start+perPage, spec.n)
	items := make([]any, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, spec.item(i))
	}
	var next, prev any
	if end < spec.n {
		nq := cloneQuery(q)
		nq.Set("page", strconv.Itoa(page+1))
		next = c.link(nq)
	}
	if page > 1 {
		pq := cloneQuery(q)
		pq.Set("page", strconv.Itoa(page-1))
		prev = c.link(pq)
	}
	c.ok(map[string]any{spec.rootKey: items, "next_page": next, "previous_page": prev, "count": spec.n})
}

func searchFirst(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

func idKey(id int64) string { return fmt.Sprintf("%020d", id) }

// ---- rendering: objects carry absolute URLs on the simulator's host ----

func (c *call) user(u *user) user {
	out := *u
	out.URL = fmt.Sprintf("%s/users/%d.json", c.base, u.ID)
	return out
}

func (c *call) session(s *session) session {
	out := *s
	out.URL = fmt.Sprintf("%s/users/%d/sessions/%d.json", c.base, s.UserID, s.ID)
	return out
}

func (c *call) apiToken(t *apiToken) apiToken {
	out := *t
	out.URL = fmt.Sprintf("%s/api_tokens/%d.json", c.base, t.ID)
	return out
}

func (c *call) oauthTokenView(t *oauthToken) oauthToken {
	out := *t
	out.URL = fmt.Sprintf("%s/oauth/tokens/%d.json", c.base, t.ID)
	// Only the first 10 characters of an access token are ever returned (A5).
	out.Token = t.full[:min(10, len(t.full))]
	return out
}

func (c *call) oauthClientView(o *oauthClient) oauthClient {
	out := *o
	out.URL = fmt.Sprintf("%s/oauth/clients/%d.json", c.base, o.ID)
	out.Secret = ""
	return out
}

func (c *call) target(t *target) target {
	out := *t
	out.URL = fmt.Sprintf("%s/targets/%d.json", c.base, t.ID)
	return out
}

func (c *call) ticket(t *ticket) ticket {
	out := *t
	out.URL = fmt.Sprintf("%s/tickets/%d.json", c.base, t.ID)
	return out
}

func (c *call) auditLog(l *auditLog) auditLog {
	out := *l
	out.URL = fmt.Sprintf("%s/audit_logs/%d.json", c.base, l.ID)
	return out
}

// audit renders an audit with its Comment events filled from the live comment, so a
// redaction shows in the audit trail too.
func (c *call) audit(a *audit) audit {
	out := *a
	out.Events = make([]auditEvent, len(a.Events))
	for i, ev := range a.Events {
		e := auditEvent{}
		for k, v := range ev {
			e[k] = v
		}
		if ev["type"] == "Comment" {
			if cm := c.st.comments[toInt64(ev["id"])]; cm != nil {
				e["author_id"], e["body"], e["html_body"], e["plain_body"] = cm.AuthorID, cm.Body, cm.HTMLBody, cm.PlainBody
				e["public"], e["attachments"] = cm.Public, cm.Attachments
			}
		}
		out.Events[i] = e
	}
	return out
}

// ---- users ----

func (c *call) getMe() { c.ok(map[string]any{"user": c.user(c.who)}) }

func (c *call) listUsers() {
	users := sortedByID(c.st.users, func(u *user) int64 { return u.ID })
	if role := c.r.URL.Query().Get("role"); role != "" {
		users = slices.DeleteFunc(users, func(u *user) bool { return u.Role != role })
	}
	c.paginate(listSpec{rootKey: "users", n: len(users), key: func(i int) string { return idKey(users[i].ID) },
		item: func(i int) any { return c.user(users[i]) }})
}

func (c *call) listOrgUsers() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	if c.st.orgs[id] == nil {
		c.notFound()
		return
	}
	users := sortedByID(c.st.users, func(u *user) int64 { return u.ID })
	users = slices.DeleteFunc(users, func(u *user) bool { return u.OrganizationID == nil || *u.OrganizationID != id })
	c.paginate(listSpec{rootKey: "users", n: len(users), key: func(i int) string { return idKey(users[i].ID) },
		item: func(i int) any { return c.user(users[i]) }})
}

func (c *call) getUser() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	u := c.st.users[id]
	if u == nil {
		c.notFound()
		return
	}
	c.ok(map[string]any{"user": c.user(u)})
}

var roleTypes = map[string]*int{"end-user": nil, "agent": intPtr(0), "admin": intPtr(4)}

func intPtr(n int) *int { return &n }

func (c *call) updateUser() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	u := c.st.users[id]
	if u == nil {
		c.notFound()
		return
	}
	var body struct {
		User map[string]json.RawMessage `json:"user"`
	}
	if !c.decode(&body) {
		return
	}
	if body.User == nil {
		c.badRequest("InvalidParameter", `the request body needs a "user" object`)
		return
	}
	c.warnUnpermitted(body.User, "suspended", "role", "custom_role_id", "name", "tags", "notes")
	next := *u
	if v, ok := body.User["suspended"]; ok {
		if err := json.Unmarshal(v, &next.Suspended); err != nil {
			c.invalid("suspended", "Suspended: is not true or false")
			return
		}
		if next.Suspended && u.owner {
			c.invalid("suspended", "Suspended: The account owner cannot be suspended")
			return
		}
	}
	if v, ok := body.User["role"]; ok {
		var role string
		_ = json.Unmarshal(v, &role)
		rt, known := roleTypes[role]
		if !known {
			c.invalid("role", fmt.Sprintf("Role: %q is not a valid role (end-user, agent, admin)", role))
			return
		}
		if u.owner && role != "admin" {
			c.invalid("role", "Role: The account owner must be an admin")
			return
		}
		next.Role, next.RoleType = role, rt
		if role != "agent" {
			next.CustomRoleID = nil
		}
	}
	if v, ok := body.User["custom_role_id"]; ok {
		var rid *int64
		if err := json.Unmarshal(v, &rid); err != nil {
			c.invalid("custom_role_id", "Custom role: is invalid")
			return
		}
		if rid != nil {
			if c.st.customRoles[*rid] == nil {
				c.invalid("custom_role_id", fmt.Sprintf("Custom role: %d does not exist", *rid))
				return
			}
			if next.Role != "agent" {
				c.invalid("custom_role_id", "Custom role: can only be set on agents")
				return
			}
		}
		next.CustomRoleID = rid
	}
	if v, ok := body.User["name"]; ok {
		_ = json.Unmarshal(v, &next.Name)
	}
	if v, ok := body.User["notes"]; ok {
		_ = json.Unmarshal(v, &next.Notes)
	}
	if v, ok := body.User["tags"]; ok {
		_ = json.Unmarshal(v, &next.Tags)
	}
	next.UpdatedAt = c.s.Now()
	*u = next
	c.logChange("user", u.ID, u.Name, "update", describeUserChange(body.User))
	if c.s.mutated(KindUser, idStr(u.ID)) {
		c.failAfterApply()
		return
	}
	c.ok(map[string]any{"user": c.user(u)})
}

func describeUserChange(fields map[string]json.RawMessage) string {
	var parts []string
	for _, k := range []string{"suspended", "role", "custom_role_id", "name", "notes", "tags"} {
		if v, ok := fields[k]; ok {
			parts = append(parts, k+" changed to "+string(v))
		}
	}
	return strings.Join(parts, ", ")
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func (c *call) setPassword() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	u := c.st.users[id]
	if u == nil {
		c.notFound()
		return
	}
	if c.oauth != nil {
		// The password API rejects OAuth tokens (reference A10).
		c.forbidden()
		return
	}
	var body struct {
		Password *string `json:"password"`
	}
	if !c.decode(&body) {
		return
	}
	if !c.st.settings.AdminsCanSetUserPasswords {
		c.invalid("password", "Password: Admins cannot set user passwords on this account (the account owner has not enabled \"Allow admins to set passwords\")")
		return
	}
	if body.Password == nil || utf8.RuneCountInString(*body.Password) < 8 {
		c.invalid("password", "Password: is too short (minimum is 8 characters)")
		return
	}
	u.password = *body.Password
	u.UpdatedAt = c.s.Now()
	c.logChange("user", u.ID, u.Name, "update", "Password changed by an admin")
	if c.s.mutated(KindUserPassword, idStr(u.ID)) {
		c.failAfterApply()
		return
	}
	c.w.WriteHeader(http.StatusOK)
}

// ---- sessions (reference A3) ----

func (c *call) sessionsOf(userID int64) []*session {
	all := sortedByID(c.st.sessions, func(s *session) int64 { return s.ID })
	if userID == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(s *session) bool { return s.UserID != userID })
}

func (c *call) listSessionSlice(list []*session) {
	c.paginate(listSpec{rootKey: "sessions", n: len(list), key: func(i int) string { return idKey(list[i].ID) },
		item: func(i int) any { return c.session(list[i]) }})
}

func (c *call) listSessions() {
	// Admins see every session; anyone else only their own.
	if c.who.Role == "admin" {
		c.listSessionSlice(c.sessionsOf(0))
		return
	}
	c.listSessionSlice(c.sessionsOf(c.who.ID))
}

// sessionUser resolves {id} for session routes: admins any user, others themselves.
func (c *call) sessionUser() (*user, bool) {
	id, ok := c.pathID("id")
	if !ok {
		return nil, false
	}
	if c.who.Role != "admin" && id != c.who.ID {
		c.forbidden()
		return nil, false
	}
	u := c.st.users[id]
	if u == nil {
		c.notFound()
		return nil, false
	}
	return u, true
}

func (c *call) listUserSessions() {
	u, ok := c.sessionUser()
	if !ok {
		return
	}
	c.listSessionSlice(c.sessionsOf(u.ID))
}

func (c *call) getSession() {
	u, ok := c.sessionUser()
	if !ok {
		return
	}
	sid, ok := c.pathID("sid")
	if !ok {
		return
	}
	s := c.st.sessions[sid]
	if s == nil || s.UserID != u.ID {
		c.notFound()
		return
	}
	c.ok(map[string]any{"session": c.session(s)})
}

func (c *call) deleteUserSessions() {
	u, ok := c.sessionUser()
	if !ok {
		return
	}
	n := 0
	for id, s := range c.st.sessions {
		if s.UserID == u.ID {
			delete(c.st.sessions, id)
			c.s.tombstone(KindSession, idStr(id))
			n++
		}
	}
	c.logChange("user", u.ID, u.Name, "update", fmt.Sprintf("Signed out of all sessions (%d ended)", n))
	if c.s.mutated(KindUserSessions, idStr(u.ID)) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

func (c *call) deleteSession() {
	u, ok := c.sessionUser()
	if !ok {
		return
	}
	sid, ok := c.pathID("sid")
	if !ok {
		return
	}
	s := c.st.sessions[sid]
	if s == nil || s.UserID != u.ID {
		c.notFound()
		return
	}
	delete(c.st.sessions, sid)
	c.s.tombstone(KindSession, idStr(sid))
	c.logChange("user", u.ID, u.Name, "update", fmt.Sprintf("Session %d ended", sid))
	if c.s.mutated(KindSession, idStr(sid)) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

// ---- API tokens (reference A4) ----

func (c *call) listAPITokens() {
	toks := sortedByID(c.st.apiTokens, func(t *apiToken) int64 { return t.ID })
	include := c.r.URL.Query().Get("include_users") == "true"
	out := make([]any, 0, len(toks))
	for _, t := range toks {
		v := c.apiToken(t)
		if !include {
			out = append(out, v)
			continue
		}
		m := map[string]any{}
		b, _ := json.Marshal(v)
		_ = json.Unmarshal(b, &m)
		if u := c.st.users[t.UserID]; u != nil {
			m["user_name"], m["user_email"] = u.Name, u.Email
		}
		out = append(out, m)
	}
	// Unpaginated collection: no meta, links or next_page.
	c.ok(map[string]any{"api_tokens": out})
}

func (c *call) getAPIToken() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	t := c.st.apiTokens[id]
	if t == nil {
		c.notFound()
		return
	}
	c.ok(map[string]any{"api_token": c.apiToken(t)})
}

func (c *call) deleteAPIToken() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	t := c.st.apiTokens[id]
	if t == nil {
		c.notFound()
		return
	}
	delete(c.st.apiTokens, id)
	c.s.tombstone(KindAPIToken, idStr(id))
	c.logChange("api_token", id, t.Description, "destroy", "API token deleted")
	if c.s.mutated(KindAPIToken, idStr(id)) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

// ---- OAuth (reference A5) ----

func (c *call) listOAuthTokens() {
	q := c.r.URL.Query()
	all := q.Get("all") == "true"
	if all && c.who.Role != "admin" {
		c.forbidden()
		return
	}
	var clientID int64
	if v := q.Get("client_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			c.badRequest("InvalidParameter", "client_id must be an integer")
			return
		}
		clientID = n
	}
	toks := sortedByID(c.st.oauthTokens, func(t *oauthToken) int64 { return t.ID })
	toks = slices.DeleteFunc(toks, func(t *oauthToken) bool {
		return (!all && t.UserID != c.who.ID) || (clientID != 0 && t.ClientID != clientID)
	})
	c.paginate(listSpec{rootKey: "tokens", n: len(toks), key: func(i int) string { return idKey(toks[i].ID) },
		item: func(i int) any { return c.oauthTokenView(toks[i]) }})
}

func (c *call) oauthTokenFor() (*oauthToken, bool) {
	id, ok := c.pathID("id")
	if !ok {
		return nil, false
	}
	t := c.st.oauthTokens[id]
	if t == nil || (c.who.Role != "admin" && t.UserID != c.who.ID) {
		c.notFound()
		return nil, false
	}
	return t, true
}

func (c *call) getOAuthToken() {
	if t, ok := c.oauthTokenFor(); ok {
		c.ok(map[string]any{"token": c.oauthTokenView(t)})
	}
}

func (c *call) deleteOAuthToken() {
	t, ok := c.oauthTokenFor()
	if !ok {
		return
	}
	delete(c.st.oauthTokens, t.ID)
	c.s.tombstone(KindOAuthToken, idStr(t.ID))
	c.logChange("oauth_token", t.ID, fmt.Sprintf("OAuth token %d", t.ID), "destroy", "OAuth token revoked")
	if c.s.mutated(KindOAuthToken, idStr(t.ID)) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

func (c *call) getOAuthClient() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	o := c.st.oauthClients[id]
	if o == nil {
		c.notFound()
		return
	}
	c.ok(map[string]any{"client": c.oauthClientView(o)})
}

func (c *call) generateSecret() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	o := c.st.oauthClients[id]
	if o == nil {
		c.notFound()
		return
	}
	n := c.s.mutations[KindOAuthClient+"/"+idStr(id)] + 1
	o.Secret = fmt.Sprintf("zdsim-client-%d-secret-rotation-%d-%s", id, n, hexOf(c.s.Now().Unix()))
	o.UpdatedAt = c.s.Now()
	c.logChange("oauth_client", id, o.Name, "update", "Client secret regenerated")
	if c.s.mutated(KindOAuthClient, idStr(id)) {
		c.failAfterApply()
		return
	}
	view := c.oauthClientView(o)
	view.Secret = o.Secret // shown once, right after generation
	c.ok(map[string]any{"client": view})
}

func hexOf(n int64) string { return strconv.FormatInt(n, 16) }

// ---- apps (reference A6): single installations are unwrapped ----

func (c *call) listInstallations() {
	list := sortedByID(c.st.installations, func(i *installation) int64 { return i.ID })
	c.ok(map[string]any{"installations": list})
}

func (c *call) getInstallation() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	in := c.st.installations[id]
	if in == nil {
		c.notFound()
		return
	}
	c.ok(in)
}

func (c *call) updateInstallation() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	in := c.st.installations[id]
	if in == nil {
		c.notFound()
		return
	}
	var body map[string]json.RawMessage
	if !c.decode(&body) {
		return
	}
	c.warnUnpermitted(body, "enabled", "settings", "role_restrictions", "group_restrictions")
	next := *in
	if v, ok := body["enabled"]; ok {
		if err := json.Unmarshal(v, &next.Enabled); err != nil {
			c.invalid("enabled", "Enabled: is not true or false")
			return
		}
	}
	if v, ok := body["settings"]; ok {
		var settings map[string]any
		if err := json.Unmarshal(v, &settings); err != nil {
			c.invalid("settings", "Settings: must be an object")
			return
		}
		merged := map[string]any{}
		for k, v := range in.Settings {
			merged[k] = v
		}
		for k, v := range settings {
			merged[k] = v
		}
		next.Settings = merged
	}
	next.UpdatedAt = c.s.Now()
	next.Updated = next.UpdatedAt.Format("20060102150405")
	*in = next
	name, _ := in.Settings["name"].(string)
	c.logChange("app_installation", id, name, "update", fmt.Sprintf("App installation updated (enabled=%t)", in.Enabled))
	if c.s.mutated(KindAppInstallation, idStr(id)) {
		c.failAfterApply()
		return
	}
	c.ok(in)
}

// ---- webhooks (reference A7): string ids, PATCH → 204 ----

func (c *call) webhookNotFound(id string) {
	writeJSON(c.w, http.StatusNotFound, map[string]any{"errors": []map[string]string{
		{"code": "RecordNotFound", "title": "Not found", "detail": "Webhook " + id + " not found"},
	}})
}

func (c *call) listWebhooks() {
	q := c.r.URL.Query()
	status, nameHas := q.Get("filter[status]"), strings.ToLower(q.Get("filter[name_contains]"))
	if status != "" && status != "active" && status != "inactive" {
		c.badRequest("InvalidFilter", "filter[status] must be active or inactive")
		return
	}
	list := make([]*webhook, 0, len(c.st.webhooks))
	for _, w := range c.st.webhooks {
		if (status == "" || w.Status == status) && (nameHas == "" || strings.Contains(strings.ToLower(w.Name), nameHas)) {
			list = append(list, w)
		}
	}
	slices.SortFunc(list, func(a, b *webhook) int { return int(a.seq - b.seq) })
	spec := listSpec{rootKey: "webhooks", n: len(list), key: func(i int) string { return idKey(list[i].seq) },
		item: func(i int) any { return list[i] }}
	if !(q.Has("page[size]") || q.Has("page[after]") || q.Has("page[before]")) {
		// The webhooks API is cursor-only.
		q.Set("page[size]", "100")
	}
	c.cursorPage(spec, q)
}

func (c *call) getWebhook() {
	id := c.r.PathValue("id")
	w := c.st.webhooks[id]
	if w == nil {
		c.webhookNotFound(id)
		return
	}
	c.ok(map[string]any{"webhook": w})
}

func (c *call) patchWebhook() {
	id := c.r.PathValue("id")
	w := c.st.webhooks[id]
	if w == nil {
		c.webhookNotFound(id)
		return
	}
	var body struct {
		Webhook map[string]json.RawMessage `json:"webhook"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Webhook == nil {
		c.badRequest("InvalidParameter", `the request body needs a "webhook" object`)
		return
	}
	c.warnUnpermitted(body.Webhook, "status", "name", "description", "endpoint")
	next := *w
	if v, ok := body.Webhook["status"]; ok {
		var st string
		_ = json.Unmarshal(v, &st)
		if st != "active" && st != "inactive" {
			c.badRequest("InvalidValue", fmt.Sprintf("status %q must be active or inactive", st))
			return
		}
		next.Status = st
	}
	for k, dst := range map[string]*string{"name": &next.Name, "description": &next.Description, "endpoint": &next.Endpoint} {
		if v, ok := body.Webhook[k]; ok {
			_ = json.Unmarshal(v, dst)
		}
	}
	next.UpdatedAt, next.UpdatedBy = c.s.Now(), idStr(c.who.ID)
	*w = next
	c.logChange("webhook", 0, w.Name, "update", fmt.Sprintf("Webhook %s updated (status=%s)", w.ID, w.Status))
	if c.s.mutated(KindWebhook, id) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

func (c *call) deleteWebhook() {
	id := c.r.PathValue("id")
	w := c.st.webhooks[id]
	if w == nil {
		c.webhookNotFound(id)
		return
	}
	delete(c.st.webhooks, id)
	c.s.tombstone(KindWebhook, id)
	c.logChange("webhook", 0, w.Name, "destroy", "Webhook "+id+" deleted")
	if c.s.mutated(KindWebhook, id) {
		c.failAfterApply()
		return
	}
	c.noContent()
}

// ---- targets (reference A8) ----

func (c *call) listTargets() {
	list := sortedByID(c.st.targets, func(t *target) int64 { return t.ID })
	c.offsetPage(listSpec{rootKey: "targets", n: len(list), key: func(i int) string { return idKey(list[i].ID) },
		item: func(i int) any { return c.target(list[i]) }}, c.r.URL.Query())
}

func (c *call) updateTarget() {
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	t := c.st.targets[id]
	if t == nil {
		c.notFound()
		return
	}
	var body struct {
		Target map[string]json.RawMessage `json:"target"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Target == nil {
		c.badRequest("InvalidParameter", `the request body needs a "target" object`)
		return
	}
	c.warnUnpermitted(body.Target, "active", "title")
	next := *t
	if v, ok := body.Target["active"]; ok {
		if err := json.Unmarshal(v, &next.Active); err != nil {
			c.invalid("active", "Active: is not true or false")
			return
		}
	}
	if v, ok := body.Target["title"]; ok {
		_ = json.Unmarshal(v, &next.Title)
	}
	*t = next
	c.logChange("target", id, t.Title, "update", fmt.Sprintf("Target updated (active=%t)", t.Active))
	if c.s.mutated(KindTarget, idStr(id)) {
		c.failAfterApply()
		return
	}
	c.ok(map[string]any{"target": c.target(t)})
}

// ---- tickets, comments, audits (reference A11, B2) ----

func (c *call) listTickets() {
	list := sortedByID(c.st.tickets, func(t *ticket) int64 { return t.ID })
	c.paginate(listSpec{rootKey: "tickets", n: len(list), key: func(i int) string { return idKey(list[i].ID) },
		item: func(i int) any { return c.ticket(list[i]) }})
}

func (c *call) ticketFor(name string) (*ticket, bool) {
	id, ok := c.pathID(name)
	if !ok {
		return nil, false
	}
	t := c.st.tickets[id]
	if t == nil {
		c.notFound()
		return nil, false
	}
	return t, true
}

func (c *call) getTicket() {
	if t, ok := c.ticketFor("id"); ok {
		c.ok(map[string]any{"ticket": c.ticket(t)})
	}
}

func (c *call) listComments() {
	t, ok := c.ticketFor("id")
	if !ok {
		return
	}
	list := sortedByID(c.st.comments, func(cm *comment) int64 { return cm.ID })
	list = slices.DeleteFunc(list, func(cm *comment) bool { return cm.ticketID != t.ID })
	c.paginate(listSpec{rootKey: "comments", n: len(list), key: func(i int) string { return idKey(list[i].ID) },
		item: func(i int) any { return list[i] }})
}

func (c *call) commentOn(t *ticket) (*comment, bool) {
	cid, ok := c.pathID("cid")
	if !ok {
		return nil, false
	}
	cm := c.st.comments[cid]
	if cm == nil || cm.ticketID != t.ID {
		c.notFound()
		return nil, false
	}
	return cm, true
}

func (c *call) makePrivate() {
	t, ok := c.ticketFor("id")
	if !ok {
		return
	}
	cm, ok := c.commentOn(t)
	if !ok {
		return
	}
	cm.Public = false
	t.UpdatedAt = c.s.Now()
	t.GeneratedTimestamp = t.UpdatedAt.Unix()
	c.logChange("ticket", t.ID, t.Subject, "update", fmt.Sprintf("Comment %d made private", cm.ID))
	if c.s.mutated(KindComment, idStr(cm.ID)) {
		c.failAfterApply()
		return
	}
	c.w.WriteHeader(http.StatusOK)
}

// redactBlock is what Zendesk puts in place of each redacted character.
const redactBlock = "▇"

func redactRunes(s string) string { return strings.Repeat(redactBlock, utf8.RuneCountInString(s)) }

func (c *call) redactText() {
	t, ok := c.ticketFor("id")
	if !ok {
		return
	}
	cm, ok := c.commentOn(t)
	if !ok {
		return
	}
	var body struct {
		Text string `json:"text"`
	}
	if !c.decode(&body) {
		return
	}
	if body.Text == "" {
		c.invalid("text", "Text: can't be blank")
		return
	}
	if !strings.Contains(cm.Body, body.Text) && !strings.Contains(cm.HTMLBody, body.Text) {
		c.invalid("text", "Text: was not found in the comment")
		return
	}
	r := redactRunes(body.Text)
	cm.Body = strings.ReplaceAll(cm.Body, body.Text, r)
	cm.PlainBody = strings.ReplaceAll(cm.PlainBody, body.Text, r)
	cm.HTMLBody = strings.ReplaceAll(cm.HTMLBody, body.Text, r)
	c.logChange("ticket", t.ID, t.Subject, "update", fmt.Sprintf("Comment %d redacted", cm.ID))
	if c.s.mutated(KindComment, idStr(cm.ID)) {
		c.failAfterApply()
		return
	}
	c.ok(map[string]any{"comment": cm})
}

func (c *call) redactHTML() {
	cid, ok := c.pathID("cid")
	if !ok {
		return
	}
	var body struct {
		TicketID int64  `json:"ticket_id"`
		HTMLBody string `json:"html_body"`
	}
	if !c.decode(&body) {
		return
	}
	cm := c.st.comments[cid]
	if cm == nil {
		c.notFound()
		return
	}
	if body.TicketID != cm.ticketID {
		c.invalid("ticket_id", fmt.Sprintf("Ticket: comment %d does not belong to ticket %d", cid, body.TicketID))
		return
	}
	redacted, plain, n := applyRedactTags(body.HTMLBody)
	if n == 0 {
		c.invalid("html_body", "Html body: wrap the text to redact in <redact> tags")
		return
	}
	cm.HTMLBody = redacted
	cm.Body, cm.PlainBody = plain, plain
	t := c.st.tickets[cm.ticketID]
	c.logChange("ticket", cm.ticketID, t.Subject, "update", fmt.Sprintf("Comment %d redacted (%d spans)", cid, n))
	if c.s.mutated(KindComment, idStr(cid)) {
		c.failAfterApply()
		return
	}
	c.ok(map[string]any{"comment": cm})
}

// applyRedactTags replaces every <redact>…</redact> span with ▇ characters and
// returns the new HTML, its plain text and the number of spans.
func applyRedactTags(html string) (string, string, int) {
	var out strings.Builder
	n := 0
	rest := html
	for {
		i := strings.Index(rest, "<redact>")
		if i < 0 {
			out.WriteString(rest)
			break
		}
		j := strings.Index(rest[i:], "</redact>")
		if j < 0 {
			out.WriteString(rest)
			break
		}
		out.WriteString(rest[:i])
		out.WriteString(redactRunes(rest[i+len("<redact>") : i+j]))
		rest = rest[i+j+len("</redact>"):]
		n++
	}
	h := out.String()
	return h, stripTags(h), n
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func (c *call) listTicketAudits() {
	t, ok := c.ticketFor("id")
	if !ok {
		return
	}
	var list []*audit
	for _, a := range c.st.audits {
		if a.TicketID == t.ID {
			list = append(list, a)
		}
	}
	c.paginate(listSpec{rootKey: "audits", n: len(list), key: func(i int) string { return idKey(list[i].ID) },
		item: func(i int) any { return c.audit(list[i]) }})
}

func (c *call) getTicketAudit() {
	t, ok := c.ticketFor("id")
	if !ok {
		return
	}
	aid, ok := c.pathID("aid")
	if !ok {
		return
	}
	for _, a := range c.st.audits {
		if a.ID == aid && a.TicketID == t.ID {
			c.ok(map[string]any{"audit": c.audit(a)})
			return
		}
	}
	c.notFound()
}

// ---- audit logs (reference B1) ----

func (c *call) listAuditLogs() {
	if c.s.opts.NoAuditLogs {
		c.notOnPlan() // audit logs are Enterprise only (reference B1)
		return
	}
	q := c.r.URL.Query()
	sortOrder := q.Get("sort")
	if sortOrder == "" {
		sortOrder = "-created_at"
	}
	if sortOrder != "created_at" && sortOrder != "-created_at" {
		c.badRequest("InvalidParameter", "sort must be created_at or -created_at")
		return
	}
	var f struct {
		sourceType, ip, action string
		sourceID, actorID      int64
		from, to               time.Time
		any                    bool
	}
	f.sourceType, f.ip, f.action = q.Get("filter[source_type]"), q.Get("filter[ip_address]"), q.Get("filter[action]")
	for name, dst := range map[string]*int64{"filter[source_id]": &f.sourceID, "filter[actor_id]": &f.actorID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				c.badRequest("InvalidParameter", name+" must be an integer")
				return
			}
			*dst = n
		}
	}
	if f.sourceID != 0 && f.sourceType == "" {
		c.badRequest("InvalidParameter", "filter[source_id] requires filter[source_type]")
		return
	}
	created := q["filter[created_at][]"]
	if len(created) == 0 {
		created = q["filter[created_at]"]
	}
	switch len(created) {
	case 0:
	case 2:
		var err1, err2 error
		f.from, err1 = time.Parse(time.RFC3339, created[0])
		f.to, err2 = time.Parse(time.RFC3339, created[1])
		if err1 != nil || err2 != nil {
			c.badRequest("InvalidParameter", "filter[created_at] values must be ISO 8601 timestamps")
			return
		}
	default:
		c.badRequest("InvalidParameter", "filter[created_at] must be specified twice: start, then end")
		return
	}
	f.any = f.sourceType != "" || f.ip != "" || f.action != "" || f.sourceID != 0 || f.actorID != 0 || !f.from.IsZero()
	logs := c.st.auditLogs
	if f.any {
		filtered := make([]*auditLog, 0, 64)
		for _, l := range logs {
			if (f.sourceType == "" || l.SourceType == f.sourceType) && (f.sourceID == 0 || l.SourceID == f.sourceID) &&
				(f.actorID == 0 || l.ActorID == f.actorID) && (f.ip == "" || l.IPAddress == f.ip) &&
				(f.action == "" || l.Action == f.action) &&
				(f.from.IsZero() || (!l.CreatedAt.Before(f.from) && !l.CreatedAt.After(f.to))) {
				filtered = append(filtered, l)
			}
		}
		logs = filtered
	}
	desc := sortOrder == "-created_at"
	at := func(i int) *auditLog {
		if desc {
			return logs[len(logs)-1-i]
		}
		return logs[i]
	}
	spec := listSpec{rootKey: "audit_logs", n: len(logs), desc: desc,
		key: func(i int) string {
			l := at(i)
			return fmt.Sprintf("%020d:%020d", l.CreatedAt.Unix(), l.ID)
		},
		item: func(i int) any { return c.auditLog(at(i)) }}
	c.paginate(spec)
}

func (c *call) getAuditLog() {
	if c.s.opts.NoAuditLogs {
		c.notOnPlan()
		return
	}
	id, ok := c.pathID("id")
	if !ok {
		return
	}
	i := searchFirst(len(c.st.auditLogs), func(i int) bool { return c.st.auditLogs[i].ID >= id })
	// Ids ascend with time for seeded records; fall back to a scan for the rest.
	if i < len(c.st.auditLogs) && c.st.auditLogs[i].ID == id {
		c.ok(map[string]any{"audit_log": c.auditLog(c.st.auditLogs[i])})
		return
	}
	for _, l := range c.st.auditLogs {
		if l.ID == id {
			c.ok(map[string]any{"audit_log": c.auditLog(l)})
			return
		}
	}
	c.notFound()
}

// ---- access logs (reference B4) ----

// accessLogRetention is how far back Zendesk keeps access logs (reference B4).
const accessLogRetention = 90 * 24 * time.Hour

// listAccessLogs serves GET /access_logs: 403 without the ADPP add-on, otherwise
// the entries of the last 90 days matching filter[start], filter[end], filter[path]
// (the URL's path, query string ignored, ".json" optional) and filter[user_id],
// newest first. The envelope ({"access_logs":[...]} with cursor meta/links) and the
// order are UNVERIFIED (reference B4); they follow audit logs.
func (c *call) listAccessLogs() {
	if !c.s.opts.AccessLogsAddon {
		c.notOnPlan()
		return
	}
	q := c.r.URL.Query()
	var from, to time.Time
	for name, dst := range map[string]*time.Time{"filter[start]": &from, "filter[end]": &to} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(accessLogTimeFormat, v)
			if err != nil {
				c.badRequest("InvalidParameter", name+" must be a time in the format yyyy-mm-ddThh:mm:ssZ")
				return
			}
			*dst = t
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		c.badRequest("InvalidParameter", "filter[end] must not be before filter[start]")
		return
	}
	path := q.Get("filter[path]")
	if strings.ContainsAny(path, "?#") {
		c.badRequest("InvalidParameter", "filter[path] must be a URL path without a query string")
		return
	}
	path = strings.TrimSuffix(path, ".json")
	user := q.Get("filter[user_id]")
	oldest := c.s.Now().Add(-accessLogRetention)
	logs := make([]*accessLog, 0, len(c.st.accessLogs))
	for _, l := range c.st.accessLogs {
		p, _, _ := strings.Cut(l.URL, "?")
		if l.Timestamp.Before(oldest) || (!from.IsZero() && l.Timestamp.Before(from)) || (!to.IsZero() && l.Timestamp.After(to)) ||
			(path != "" && strings.TrimSuffix(p, ".json") != path) || (user != "" && l.UserID != user) {
			continue
		}
		logs = append(logs, l)
	}
	at := func(i int) *accessLog { return logs[len(logs)-1-i] } // newest first
	c.paginate(listSpec{rootKey: "access_logs", n: len(logs), desc: true,
		key: func(i int) string {
			l := at(i)
			return fmt.Sprintf("%020d:%s", l.Timestamp.Unix(), l.ID)
		},
		item: func(i int) any { return *at(i) }})
}

// accessLogTimeFormat is filter[start]/filter[end]'s yyyy-mm-ddThh:mm:ssZ.
const accessLogTimeFormat = "2006-01-02T15:04:05Z"

// ---- incremental exports (reference B3) ----

// exportCutoff is the newest change an export may include: Zendesk leaves out
// changes made in the minute before the request.
func (c *call) exportCutoff() int64 { return c.s.Now().Add(-time.Minute).Unix() }

type exportPos struct{ ts, id int64 }

func parseExportCursor(s string) (exportPos, bool) {
	raw, ok := decodeCursor(s)
	if !ok {
		return exportPos{}, false
	}
	a, b, ok := strings.Cut(raw, ":")
	if !ok {
		return exportPos{}, false
	}
	ts, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	return exportPos{ts, id}, err1 == nil && err2 == nil
}

func (p exportPos) cursor() string { return encodeCursor(fmt.Sprintf("%d:%d", p.ts, p.id)) }

// cursorExport serves the cursor-based exports (tickets, users).
func (c *call) cursorExport(rootKey string, n int, pos func(i int) exportPos, item func(i int) any) {
	q := c.r.URL.Query()
	perPage := 1000
	if v := q.Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 {
			c.badRequest("InvalidParameter", "per_page must be a positive integer")
			return
		}
		perPage = min(p, 1000)
	}
	var from exportPos
	switch {
	case q.Get("cursor") != "":
		p, ok := parseExportCursor(q.Get("cursor"))
		if !ok {
			c.badRequest("InvalidCursor", "cursor is not valid")
			return
		}
		from = p
	case q.Get("start_time") != "":
		st, err := strconv.ParseInt(q.Get("start_time"), 10, 64)
		if err != nil || st < 0 {
			c.badRequest("InvalidParameter", "start_time must be a Unix time in seconds")
			return
		}
		if st > c.exportCutoff() {
			c.invalid("start_time", "Start time: is too recent, use a start_time older than one minute")
			return
		}
		from = exportPos{ts: st, id: -1}
	default:
		c.badRequest("InvalidParameter", "start_time or cursor is required")
		return
	}
	cutoff := c.exportCutoff()
	start := searchFirst(n, func(i int) bool {
		p := pos(i)
		return p.ts > from.ts || (p.ts == from.ts && p.id > from.id)
	})
	items := make([]any, 0, min(perPage, n-start))
	last := from
	i := start
	for ; i < n && len(items) < perPage; i++ {
		if pos(i).ts > cutoff {
			break
		}
		items = append(items, item(i))
		last = pos(i)
	}
	end := i >= n || pos(i).ts > cutoff
	afterURL := c.base + strings.TrimPrefix(c.r.URL.Path, "/api/v2") + ".json?" + url.Values{"cursor": {last.cursor()}}.Encode()
	if perPage != 1000 {
		afterURL += "&per_page=" + strconv.Itoa(perPage)
	}
	c.ok(map[string]any{
		rootKey: items, "after_cursor": last.cursor(), "after_url": afterURL,
		"before_cursor": nil, "before_url": nil, "end_of_stream": end,
	})
}

func (c *call) incrementalTickets() {
	list := sortedByID(c.st.tickets, func(t *ticket) int64 { return t.ID })
	slices.SortStableFunc(list, func(a, b *ticket) int { return int(a.GeneratedTimestamp - b.GeneratedTimestamp) })
	c.cursorExport("tickets", len(list), func(i int) exportPos { return exportPos{list[i].GeneratedTimestamp, list[i].ID} },
		func(i int) any { return c.ticket(list[i]) })
}

func (c *call) incrementalUsers() {
	list := sortedByID(c.st.users, func(u *user) int64 { return u.ID })
	slices.SortStableFunc(list, func(a, b *user) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	c.cursorExport("users", len(list), func(i int) exportPos { return exportPos{list[i].UpdatedAt.Unix(), list[i].ID} },
		func(i int) any { return c.user(list[i]) })
}

// incrementalTicketEvents serves the time-based export. The next page starts at
// end_time inclusive, so events stamped end_time are sent again: clients must
// dedupe, exactly as against Zendesk.
func (c *call) incrementalTicketEvents() {
	q := c.r.URL.Query()
	st, err := strconv.ParseInt(q.Get("start_time"), 10, 64)
	if err != nil || st < 0 {
		c.badRequest("InvalidParameter", "start_time must be a Unix time in seconds")
		return
	}
	if st > c.exportCutoff() {
		c.invalid("start_time", "Start time: is too recent, use a start_time older than one minute")
		return
	}
	perPage := 1000
	if v := q.Get("per_page"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 {
			c.badRequest("InvalidParameter", "per_page must be a positive integer")
			return
		}
		perPage = min(p, 1000)
	}
	withComments := q.Get("include") == "comment_events"
	cutoff := c.exportCutoff()
	audits := c.st.audits // ascending time
	start := searchFirst(len(audits), func(i int) bool { return audits[i].CreatedAt.Unix() >= st })
	events := []any{}
	endTime := st
	for i := start; i < len(audits) && len(events) < perPage; i++ {
		t := audits[i].CreatedAt.Unix()
		if t > cutoff {
			break
		}
		events = append(events, c.st.ticketEvent(audits[i], withComments))
		endTime = t
	}
	endOfStream := len(events) < perPage
	if !endOfStream && endTime == st {
		// A full page inside one second would loop forever; step past it, as a
		// client would have to.
		endTime = st + 1
	}
	nq := url.Values{"start_time": {strconv.FormatInt(endTime, 10)}}
	if perPage != 1000 {
		nq.Set("per_page", strconv.Itoa(perPage))
	}
	if withComments {
		nq.Set("include", "comment_events")
	}
	c.ok(map[string]any{
		"ticket_events": events, "count": len(events), "end_of_stream": endOfStream, "end_time": endTime,
		"next_page": c.base + "/incremental/ticket_events.json?" + nq.Encode(),
	})
}
