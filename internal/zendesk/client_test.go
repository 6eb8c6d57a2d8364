package zendesk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
)

// fast keeps retries and limiter waits short so the suite runs in seconds.
func fast(cfg zendesk.Config) zendesk.Config {
	if cfg.RequestsPerMinute == 0 {
		cfg.RequestsPerMinute = 600000
	}
	if cfg.IncrementalPerMinute == 0 {
		cfg.IncrementalPerMinute = 600000
	}
	if cfg.DefaultRetryAfter == 0 {
		cfg.DefaultRetryAfter = 10 * time.Millisecond
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 2 * time.Millisecond
	}
	return cfg
}

type env struct {
	t     *testing.T
	srv   *zdsim.Server
	facts zdsim.DemoFacts
	c     *zendesk.Client
	logs  *bytes.Buffer
}

func newEnv(t *testing.T, opts zdsim.Options) *env {
	t.Helper()
	srv, err := zdsim.Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{t: t, srv: srv, facts: srv.Facts(), logs: &bytes.Buffer{}}
	e.c = e.client(zendesk.Config{Email: e.facts.AdminEmail, APIToken: e.facts.AdminAPIToken})
	return e
}

// client builds a client on the simulator with cfg's credentials.
func (e *env) client(cfg zendesk.Config) *zendesk.Client {
	e.t.Helper()
	cfg.BaseURL = e.srv.URL
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := zendesk.New(fast(cfg))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func asError(t *testing.T, err error) *zendesk.Error {
	t.Helper()
	var ze *zendesk.Error
	if !errors.As(err, &ze) {
		t.Fatalf("error %v (%T) is not a *zendesk.Error", err, err)
	}
	return ze
}

var ctx = context.Background()

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		configured bool
		wantErr    string
		check      func(t *testing.T, c zendesk.Config)
	}{
		{name: "nothing set: use the simulator", env: map[string]string{}},
		{name: "api token", configured: true,
			env: map[string]string{"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@acme.example", "ZENDESK_API_TOKEN": "t"},
			check: func(t *testing.T, c zendesk.Config) {
				if c.AuthMode() != "api_token" || c.Subdomain != "acme" {
					t.Errorf("got %v", c)
				}
			}},
		{name: "oauth with URL and rate", configured: true,
			env: map[string]string{"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_OAUTH_TOKEN": "o", "ZENDESK_REQUESTS_PER_MINUTE": "2500"},
			check: func(t *testing.T, c zendesk.Config) {
				if c.AuthMode() != "oauth_token" || c.RequestsPerMinute != 2500 {
					t.Errorf("got %v rpm=%d", c, c.RequestsPerMinute)
				}
			}},
		{name: "token without email", configured: true, wantErr: "ZENDESK_API_TOKEN needs ZENDESK_EMAIL",
			env: map[string]string{"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_API_TOKEN": "t"}},
		{name: "both token kinds", configured: true, wantErr: "not both",
			env: map[string]string{"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b", "ZENDESK_API_TOKEN": "t", "ZENDESK_OAUTH_TOKEN": "o"}},
		{name: "bad subdomain", configured: true, wantErr: `ZENDESK_SUBDOMAIN="Acme.zendesk.com"`,
			env: map[string]string{"ZENDESK_SUBDOMAIN": "Acme.zendesk.com", "ZENDESK_OAUTH_TOKEN": "o"}},
		{name: "no instance", configured: true, wantErr: "set ZENDESK_SUBDOMAIN",
			env: map[string]string{"ZENDESK_OAUTH_TOKEN": "o"}},
		{name: "no credentials", configured: true, wantErr: "credentials",
			env: map[string]string{"ZENDESK_SUBDOMAIN": "acme"}},
		{name: "bad rate", configured: true, wantErr: "ZENDESK_REQUESTS_PER_MINUTE",
			env: map[string]string{"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_OAUTH_TOKEN": "o", "ZENDESK_REQUESTS_PER_MINUTE": "fast"}},
		{name: "URL with userinfo", configured: true, wantErr: "ZENDESK_URL",
			env: map[string]string{"ZENDESK_URL": "https://u:p@acme.zendesk.com", "ZENDESK_OAUTH_TOKEN": "o"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, configured, err := zendesk.ConfigFromEnv(func(k string) string { return tc.env[k] })
			if configured != tc.configured {
				t.Errorf("configured = %v, want %v", configured, tc.configured)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				tc.check(t, cfg)
			}
		})
	}
}

func TestNewBaseURL(t *testing.T) {
	for _, tc := range []struct {
		cfg  zendesk.Config
		want string
	}{
		{zendesk.Config{Subdomain: "acme-eu", OAuthToken: "x"}, "https://acme-eu.zendesk.com/api/v2"},
		{zendesk.Config{BaseURL: "http://127.0.0.1:9/", OAuthToken: "x"}, "http://127.0.0.1:9/api/v2"},
		{zendesk.Config{BaseURL: "https://acme.zendesk.com/api/v2/", OAuthToken: "x"}, "https://acme.zendesk.com/api/v2"},
	} {
		c, err := zendesk.New(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != tc.want {
			t.Errorf("BaseURL = %s, want %s", c.BaseURL(), tc.want)
		}
	}
	if _, err := zendesk.New(zendesk.Config{Subdomain: "9acme", OAuthToken: "x"}); err == nil {
		t.Error("subdomain starting with a digit accepted")
	}
}

func TestAuthModes(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	me, meta, err := e.c.Me(ctx)
	if err != nil || me.Email != e.facts.AdminEmail || meta.RequestID == "" {
		t.Fatalf("api-token Me = %+v %+v %v", me, meta, err)
	}
	viaSim, err := zendesk.New(fast(e.srv.ClientConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if me, _, err := viaSim.Me(ctx); err != nil || me.ID != e.facts.AdminUserID {
		t.Fatalf("Server.ClientConfig Me = %+v %v", me, err)
	}
	oauth := e.client(zendesk.Config{OAuthToken: e.facts.AdminOAuthToken})
	me, _, err = oauth.Me(ctx)
	if err != nil || me.ID != e.facts.AdminUserID {
		t.Fatalf("oauth Me = %+v %v", me, err)
	}
}

func TestWrongCredentialsOneRequestClearError(t *testing.T) {
	e := newEnv(t, zdsim.Options{Seed: zdsim.SeedEmpty})
	bad := e.client(zendesk.Config{Email: e.facts.AdminEmail, APIToken: "not-the-token", MaxRetries: 5})
	_, _, err := bad.GetUser(ctx, e.facts.AdminUserID)
	ze := asError(t, err)
	if ze.StatusCode != 401 || ze.Retryable() {
		t.Fatalf("status %d retryable %v", ze.StatusCode, ze.Retryable())
	}
	msg := err.Error()
	for _, want := range []string{e.srv.URL, "auth mode api_token", e.facts.AdminEmail, "Couldn't authenticate you"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, "not-the-token") || strings.Contains(e.logs.String(), "not-the-token") {
		t.Error("the token leaked into the error or the logs")
	}
	if got := e.srv.Stats().Requests; got != 1 {
		t.Errorf("sent %d requests, want exactly 1 (no retry storm)", got)
	}

	sub, err := zendesk.New(fast(zendesk.Config{Subdomain: "acme", BaseURL: e.srv.URL, OAuthToken: "nope"}))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = sub.Me(ctx)
	if msg := err.Error(); !strings.Contains(msg, `subdomain "acme"`) || !strings.Contains(msg, "auth mode oauth_token") {
		t.Errorf("oauth 401 message %q should name the subdomain and auth mode", msg)
	}
}

func TestUsers(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	u, _, err := e.c.GetUser(ctx, f.CompromisedUserID)
	if err != nil || u.Email != f.CompromisedEmail || u.Role != "admin" || u.Suspended {
		t.Fatalf("GetUser = %+v, %v", u, err)
	}
	if !strings.HasPrefix(u.URL, e.srv.URL+"/api/v2/users/") {
		t.Errorf("user url %q not on the simulator's base URL", u.URL)
	}

	u, meta, err := e.c.SuspendUser(ctx, f.CompromisedUserID, true)
	if err != nil || !u.Suspended || meta.RequestID == "" {
		t.Fatalf("SuspendUser = %+v %+v %v", u, meta, err)
	}
	if n := e.srv.Mutations(zdsim.KindUser, strconv.FormatInt(f.CompromisedUserID, 10)); n != 1 {
		t.Errorf("user mutated %d times, want 1", n)
	}
	// A suspended user's email no longer authenticates, even with a valid token.
	asMaya := e.client(zendesk.Config{Email: f.CompromisedEmail, APIToken: f.RogueAPITokenValue})
	if _, _, err := asMaya.Me(ctx); asError(t, err).StatusCode != 401 {
		t.Errorf("suspended user authenticated: %v", err)
	}

	u, _, err = e.c.SetUserRole(ctx, f.CompromisedUserID, zendesk.RoleAgent)
	if err != nil || u.Role != "agent" {
		t.Fatalf("SetUserRole = %+v %v", u, err)
	}
	rid := f.CustomRoleIDs[0]
	u, _, err = e.c.UpdateUser(ctx, f.CompromisedUserID, zendesk.UserUpdate{CustomRoleID: &rid})
	if err != nil || u.CustomRoleID == nil || *u.CustomRoleID != rid {
		t.Fatalf("custom role = %+v %v", u, err)
	}

	_, _, err = e.c.SetUserRole(ctx, f.CompromisedUserID, "superuser")
	ze := asError(t, err)
	if ze.StatusCode != 422 || ze.Code != zendesk.CodeRecordInvalid || len(ze.Details["role"]) != 1 || ze.Retryable() {
		t.Errorf("invalid role error = %+v", ze)
	}
	if !strings.Contains(err.Error(), "role: Role:") {
		t.Errorf("error text %q lacks the field detail", err)
	}
	_, _, err = e.c.SuspendUser(ctx, f.AdminUserID, true)
	if ze := asError(t, err); ze.Code != zendesk.CodeRecordInvalid || !strings.Contains(err.Error(), "account owner") {
		t.Errorf("suspending the owner: %v", err)
	}

	_, _, err = e.c.GetUser(ctx, 999)
	if ze := asError(t, err); ze.Code != zendesk.CodeRecordNotFound || ze.Message != "Not found" || !zendesk.IsNotFound(err) {
		t.Errorf("missing user error = %+v", ze)
	}
}

// collect walks a pager, checking that every page's next link stays on the
// simulator, and returns the items and the number of pages.
func collect[T any](t *testing.T, e *env, p *zendesk.Pager[T]) ([]T, int) {
	t.Helper()
	var items []T
	pages := 0
	err := zendesk.ListAll(ctx, p, func(pg *zendesk.Page[T]) error {
		pages++
		items = append(items, pg.Items...)
		if pg.HasMore && !strings.HasPrefix(pg.NextURL, e.srv.URL+"/api/v2/") {
			t.Errorf("next link %q is not an absolute URL on the simulator", pg.NextURL)
		}
		if pg.RequestID == "" {
			t.Error("page without request id")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return items, pages
}

func TestListUsersCursorAndOffset(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	cursor, pages := collect(t, e, e.c.ListUsers(zendesk.UserFilter{}, zendesk.ListOptions{PageSize: 4}))
	if len(cursor) != 14 || pages != 4 {
		t.Fatalf("cursor: %d users in %d pages, want 14 in 4", len(cursor), pages)
	}
	offset, pages := collect(t, e, e.c.ListUsers(zendesk.UserFilter{}, zendesk.ListOptions{PageSize: 4, Offset: true}))
	if pages != 4 {
		t.Errorf("offset pages = %d", pages)
	}
	ids := func(us []zendesk.User) []int64 {
		out := make([]int64, len(us))
		for i, u := range us {
			out[i] = u.ID
		}
		return out
	}
	if !slices.Equal(ids(cursor), ids(offset)) {
		t.Errorf("cursor %v and offset %v disagree", ids(cursor), ids(offset))
	}
	if s := slices.Clone(ids(cursor)); len(slices.Compact(s)) != 14 {
		t.Error("duplicates across pages")
	}
	admins, _ := collect(t, e, e.c.ListUsers(zendesk.UserFilter{Role: "admin"}, zendesk.ListOptions{}))
	if len(admins) != 3 {
		t.Errorf("admins = %d, want 3", len(admins))
	}
	org, _ := collect(t, e, e.c.ListOrganizationUsers(e.facts.OrganizationIDs[1], zendesk.ListOptions{}))
	if len(org) != 3 {
		t.Errorf("Globex users = %d, want 3", len(org))
	}
	for _, u := range org {
		if u.OrganizationID == nil || *u.OrganizationID != e.facts.OrganizationIDs[1] {
			t.Errorf("user %d not in the organisation", u.ID)
		}
	}
}

func TestResumeFromCursorAndNextURL(t *testing.T) {
	e := newEnv(t, zdsim.Options{AuditLogRecords: 250})
	f := zendesk.AuditLogFilter{Sort: "created_at"}
	all, _ := collect(t, e, e.c.ListAuditLogs(f, zendesk.ListOptions{}))

	p := e.c.ListAuditLogs(f, zendesk.ListOptions{PageSize: 100})
	first, err := p.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A continue-as-new resumes from a checkpointed cursor with a fresh pager.
	restA, _ := collect(t, e, e.c.ListAuditLogs(f, zendesk.ListOptions{PageSize: 100, After: first.AfterCursor}))
	restB, _ := collect(t, e, e.c.ListAuditLogs(zendesk.AuditLogFilter{}, zendesk.ListOptions{NextURL: first.NextURL}))
	for name, rest := range map[string][]zendesk.AuditLog{"after cursor": restA, "next url": restB} {
		got := append(slices.Clone(first.Items), rest...)
		if len(got) != len(all) {
			t.Fatalf("%s: %d records after resume, want %d", name, len(got), len(all))
		}
		for i := range got {
			if got[i].ID != all[i].ID {
				t.Fatalf("%s: record %d is %d, want %d", name, i, got[i].ID, all[i].ID)
			}
		}
	}
}

func TestForeignNextURLRefused(t *testing.T) {
	e := newEnv(t, zdsim.Options{Seed: zdsim.SeedEmpty})
	p := e.c.ListUsers(zendesk.UserFilter{}, zendesk.ListOptions{NextURL: "https://evil.example/api/v2/users.json?page[after]=x"})
	if _, err := p.Next(ctx); err == nil || !strings.Contains(err.Error(), "refusing to send credentials") {
		t.Fatalf("err = %v", err)
	}
	if n := e.srv.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestSetPassword(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	id := e.facts.CompromisedUserID
	_, err := e.c.SetUserPassword(ctx, id, "n3w-Long-passw0rd")
	ze := asError(t, err)
	if ze.StatusCode != 422 || ze.Code != zendesk.CodeRecordInvalid || len(ze.Details["password"]) == 0 {
		t.Fatalf("password with setting off: %+v", ze)
	}
	e.srv.SetAdminsCanSetUserPasswords(true)
	if _, err := e.c.SetUserPassword(ctx, id, "n3w-Long-passw0rd"); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Mutations(zdsim.KindUserPassword, strconv.FormatInt(id, 10)); n != 1 {
		t.Errorf("password mutations = %d", n)
	}
	if strings.Contains(e.logs.String(), "n3w-Long-passw0rd") {
		t.Error("password logged")
	}
	viaSim, err := zendesk.New(fast(e.srv.ClientConfig()))
	if err != nil {
		t.Fatal(err)
	}
	if me, _, err := viaSim.Me(ctx); err != nil || me.ID != e.facts.AdminUserID {
		t.Fatalf("Server.ClientConfig Me = %+v %v", me, err)
	}
	oauth := e.client(zendesk.Config{OAuthToken: e.facts.AdminOAuthToken})
	if _, err := oauth.SetUserPassword(ctx, id, "another-passw0rd"); asError(t, err).StatusCode != 403 {
		t.Errorf("password via OAuth: %v", err)
	}
}

func TestSessions(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	sess, pages := collect(t, e, e.c.ListUserSessions(f.CompromisedUserID, zendesk.ListOptions{PageSize: 2}))
	if len(sess) != 3 || pages != 2 {
		t.Fatalf("sessions %d in %d pages", len(sess), pages)
	}
	all, _ := collect(t, e, e.c.ListSessions(zendesk.ListOptions{}))
	if len(all) != 8 {
		t.Errorf("account sessions = %d, want 8", len(all))
	}
	s, _, err := e.c.GetUserSession(ctx, f.CompromisedUserID, f.AttackerSessionIDs[0])
	if err != nil || !s.AuthenticatedAt.Equal(f.TakeoverAt) {
		t.Fatalf("GetUserSession = %+v %v", s, err)
	}
	meta, err := e.c.DeleteUserSession(ctx, f.CompromisedUserID, f.AttackerSessionIDs[0])
	if err != nil || meta.StatusCode != 204 {
		t.Fatalf("DeleteUserSession = %+v %v", meta, err)
	}
	if _, _, err := e.c.GetUserSession(ctx, f.CompromisedUserID, f.AttackerSessionIDs[0]); !zendesk.IsNotFound(err) {
		t.Errorf("deleted session still there: %v", err)
	}
	meta, err = e.c.DeleteUserSessions(ctx, f.CompromisedUserID)
	if err != nil || meta.StatusCode != 204 {
		t.Fatalf("DeleteUserSessions = %+v %v", meta, err)
	}
	if left, _ := collect(t, e, e.c.ListUserSessions(f.CompromisedUserID, zendesk.ListOptions{})); len(left) != 0 {
		t.Errorf("%d sessions left after bulk delete", len(left))
	}
	if n := e.srv.Mutations(zdsim.KindUserSessions, strconv.FormatInt(f.CompromisedUserID, 10)); n != 1 {
		t.Errorf("bulk delete mutations = %d", n)
	}
	agent := e.client(zendesk.Config{Email: f.AgentEmail, APIToken: f.AdminAPIToken})
	_, err = agent.DeleteUserSessions(ctx, f.AdminUserID)
	ze := asError(t, err)
	if ze.StatusCode != 403 || ze.Code != "Forbidden" || !strings.Contains(ze.Message, "do not have access") {
		t.Errorf("agent deleting another user's sessions: %+v", ze)
	}
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	toks, _, err := e.c.ListAPITokens(ctx)
	if err != nil || len(toks) != 3 {
		t.Fatalf("ListAPITokens = %d %v", len(toks), err)
	}
	tok, _, err := e.c.GetAPIToken(ctx, f.RogueAPITokenID)
	if err != nil || tok.UserID != f.CompromisedUserID || !tok.CreatedAt.After(f.TakeoverAt) {
		t.Fatalf("rogue token = %+v %v", tok, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("token", "token", tok)
	if strings.Contains(buf.String(), f.RogueAPITokenValue) {
		t.Error("APIToken.LogValue leaks the token")
	}
	// The attacker can use the rogue token with any verified email...
	attacker := e.client(zendesk.Config{Email: f.AgentEmail, APIToken: f.RogueAPITokenValue})
	if _, _, err := attacker.Me(ctx); err != nil {
		t.Fatalf("rogue token before revocation: %v", err)
	}
	if _, err := e.c.DeleteAPIToken(ctx, f.RogueAPITokenID); err != nil {
		t.Fatal(err)
	}
	// ...until it is revoked.
	if _, _, err := attacker.Me(ctx); asError(t, err).StatusCode != 401 {
		t.Errorf("rogue token after revocation: %v", err)
	}
	if _, err := e.c.DeleteAPIToken(ctx, f.RogueAPITokenID); !zendesk.IsNotFound(err) {
		t.Errorf("second delete: %v", err)
	}
	if n := e.srv.Mutations(zdsim.KindAPIToken, strconv.FormatInt(f.RogueAPITokenID, 10)); n != 1 {
		t.Errorf("token mutations = %d, want 1", n)
	}
	agent := e.client(zendesk.Config{Email: f.AgentEmail, APIToken: f.AdminAPIToken})
	if _, _, err := agent.ListAPITokens(ctx); asError(t, err).StatusCode != 403 {
		t.Errorf("agent listing tokens: %v", err)
	}
}

func TestOAuth(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	all, pages := collect(t, e, e.c.ListOAuthTokens(zendesk.OAuthTokenFilter{All: true}, zendesk.ListOptions{PageSize: 2}))
	if len(all) != 4 || pages != 2 {
		t.Fatalf("all tokens %d in %d pages", len(all), pages)
	}
	for _, tok := range all {
		if len(tok.Token) != 10 {
			t.Errorf("token %d exposes %d characters, want the 10-character prefix", tok.ID, len(tok.Token))
		}
	}
	own, _ := collect(t, e, e.c.ListOAuthTokens(zendesk.OAuthTokenFilter{}, zendesk.ListOptions{}))
	if len(own) != 1 || own[0].UserID != f.AdminUserID {
		t.Errorf("own tokens = %+v", own)
	}
	byClient, _ := collect(t, e, e.c.ListOAuthTokens(zendesk.OAuthTokenFilter{All: true, ClientID: f.RogueOAuthClientID}, zendesk.ListOptions{}))
	if len(byClient) != 2 {
		t.Errorf("tokens of client %d = %d, want 2", f.RogueOAuthClientID, len(byClient))
	}
	tok, _, err := e.c.GetOAuthToken(ctx, f.RogueOAuthTokenID)
	if err != nil || tok.UserID != f.CompromisedUserID || !slices.Contains(tok.Scopes, "tickets:write") {
		t.Fatalf("GetOAuthToken = %+v %v", tok, err)
	}
	if _, err := e.c.DeleteOAuthToken(ctx, f.RogueOAuthTokenID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.c.GetOAuthToken(ctx, f.RogueOAuthTokenID); !zendesk.IsNotFound(err) {
		t.Errorf("revoked token still there: %v", err)
	}

	cl, _, err := e.c.GetOAuthClient(ctx, f.RogueOAuthClientID)
	if err != nil || cl.Secret != "" || cl.Identifier == "" {
		t.Fatalf("GetOAuthClient = %+v %v", cl, err)
	}
	rot1, _, err := e.c.GenerateOAuthClientSecret(ctx, f.RogueOAuthClientID)
	if err != nil || rot1.Secret == "" {
		t.Fatalf("GenerateOAuthClientSecret = %+v %v", rot1, err)
	}
	rot2, _, _ := e.c.GenerateOAuthClientSecret(ctx, f.RogueOAuthClientID)
	if rot2.Secret == rot1.Secret {
		t.Error("rotation returned the same secret twice")
	}
	if strings.Contains(e.logs.String(), rot1.Secret) {
		t.Error("client secret logged")
	}
	agent := e.client(zendesk.Config{Email: f.AgentEmail, APIToken: f.AdminAPIToken})
	if _, err := agent.ListOAuthTokens(zendesk.OAuthTokenFilter{All: true}, zendesk.ListOptions{}).Next(ctx); asError(t, err).StatusCode != 403 {
		t.Errorf("agent all=true: %v", err)
	}
	// A read-only OAuth token may not mutate.
	readOnly := e.client(zendesk.Config{OAuthToken: "zdsimoauth-tom-mobile-0002"})
	if _, _, err := readOnly.GetUser(ctx, f.AgentUserID); err != nil {
		t.Errorf("read with read scope: %v", err)
	}
}

func TestAppInstallations(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	apps, _, err := e.c.ListAppInstallations(ctx)
	if err != nil || len(apps) != 3 {
		t.Fatalf("apps = %d %v", len(apps), err)
	}
	id := e.facts.AppInstallationID
	app, _, err := e.c.GetAppInstallation(ctx, id)
	if err != nil || app.ID != id || !app.Enabled || app.Name() != "Attachment Manager" {
		t.Fatalf("GetAppInstallation (unwrapped) = %+v %v", app, err)
	}
	app, _, err = e.c.SetAppInstallationEnabled(ctx, id, false)
	if err != nil || app.Enabled {
		t.Fatalf("disable = %+v %v", app, err)
	}
	if app, _, _ = e.c.GetAppInstallation(ctx, id); app.Enabled {
		t.Error("app still enabled")
	}
	if _, _, err := e.c.GetAppInstallation(ctx, 1); !zendesk.IsNotFound(err) {
		t.Errorf("missing app: %v", err)
	}
}

func TestWebhooks(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	hooks, pages := collect(t, e, e.c.ListWebhooks(zendesk.WebhookFilter{}, zendesk.ListOptions{PageSize: 1}))
	if len(hooks) != 2 || pages != 2 {
		t.Fatalf("webhooks %d in %d pages", len(hooks), pages)
	}
	found, _ := collect(t, e, e.c.ListWebhooks(zendesk.WebhookFilter{NameContains: "backup"}, zendesk.ListOptions{}))
	if len(found) != 1 || found[0].ID != f.RogueWebhookID || found[0].Endpoint != f.RogueWebhookEndpoint {
		t.Fatalf("name filter = %+v", found)
	}
	meta, err := e.c.SetWebhookStatus(ctx, f.RogueWebhookID, zendesk.WebhookInactive)
	if err != nil || meta.StatusCode != 204 {
		t.Fatalf("PATCH = %+v %v", meta, err)
	}
	wh, _, err := e.c.GetWebhook(ctx, f.RogueWebhookID)
	if err != nil || wh.Status != "inactive" || wh.CreatedBy != strconv.FormatInt(f.CompromisedUserID, 10) {
		t.Fatalf("GetWebhook = %+v %v", wh, err)
	}
	active, _ := collect(t, e, e.c.ListWebhooks(zendesk.WebhookFilter{Status: "active"}, zendesk.ListOptions{}))
	if len(active) != 1 || active[0].ID != f.LegitWebhookID {
		t.Errorf("active webhooks = %+v", active)
	}
	if _, err := e.c.SetWebhookStatus(ctx, f.RogueWebhookID, "paused"); err == nil {
		t.Error("invalid status accepted")
	}
	_, _, err = e.c.GetWebhook(ctx, "01NOPE")
	if ze := asError(t, err); ze.StatusCode != 404 || ze.Code != zendesk.CodeRecordNotFound {
		t.Errorf("missing webhook ({\"errors\":[...]} shape) = %+v", ze)
	}
	if _, err := e.c.DeleteWebhook(ctx, f.RogueWebhookID); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Mutations(zdsim.KindWebhook, f.RogueWebhookID); n != 2 {
		t.Errorf("webhook mutations = %d, want 2 (patch + delete)", n)
	}
}

func TestTargets(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	targets, _ := collect(t, e, e.c.ListTargets(zendesk.ListOptions{}))
	if len(targets) != 2 {
		t.Fatalf("targets = %d", len(targets))
	}
	tg, _, err := e.c.SetTargetActive(ctx, e.facts.TargetID, false)
	if err != nil || tg.Active || tg.ID != e.facts.TargetID {
		t.Fatalf("SetTargetActive = %+v %v", tg, err)
	}
}

func TestTicketsCommentsAudits(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	tickets, _ := collect(t, e, e.c.ListTickets(zendesk.ListOptions{PageSize: 5}))
	if len(tickets) != 12 {
		t.Fatalf("tickets = %d", len(tickets))
	}
	tk, _, err := e.c.GetTicket(ctx, f.PhishingTicketID)
	if err != nil || tk.AssigneeID == nil || *tk.AssigneeID != f.CompromisedUserID {
		t.Fatalf("GetTicket = %+v %v", tk, err)
	}

	comments, _ := collect(t, e, e.c.ListTicketComments(f.PhishingTicketID, zendesk.ListOptions{}))
	var phishing *zendesk.Comment
	for i := range comments {
		if comments[i].ID == f.PhishingCommentID {
			phishing = &comments[i]
		}
	}
	if phishing == nil || !phishing.Public || !strings.Contains(phishing.Body, zdsim.DemoAttackerDomain) {
		t.Fatalf("phishing comment = %+v", phishing)
	}
	if _, err := e.c.MakeCommentPrivate(ctx, f.PhishingTicketID, f.PhishingCommentID); err != nil {
		t.Fatal(err)
	}
	red, _, err := e.c.RedactComment(ctx, f.PhishingTicketID, f.PhishingCommentID,
		`<div class="zd-comment">Your account needs re-verification: <redact>https://`+zdsim.DemoAttackerDomain+`/verify?acct=2291</redact></div>`)
	if err != nil || red.Public || strings.Contains(red.Body, zdsim.DemoAttackerDomain) || !strings.Contains(red.Body, "▇") {
		t.Fatalf("RedactComment = %+v %v", red, err)
	}
	_, _, err = e.c.RedactComment(ctx, f.PIITicketID, f.PhishingCommentID, "<redact>x</redact>")
	if ze := asError(t, err); ze.Code != zendesk.CodeRecordInvalid {
		t.Errorf("redaction with the wrong ticket: %+v", ze)
	}
	legacy, _, err := e.c.RedactCommentText(ctx, f.PIITicketID, f.PIICommentID, "847564")
	if err != nil || strings.Contains(legacy.PlainBody, "847564") || !strings.Contains(legacy.PlainBody, "▇▇▇▇▇▇") {
		t.Fatalf("RedactCommentText = %+v %v", legacy, err)
	}

	cur, _ := collect(t, e, e.c.ListTicketAudits(f.PhishingTicketID, zendesk.ListOptions{PageSize: 1}))
	off, _ := collect(t, e, e.c.ListTicketAudits(f.PhishingTicketID, zendesk.ListOptions{PageSize: 1, Offset: true}))
	if len(cur) != 3 || len(off) != 3 {
		t.Fatalf("audits cursor %d offset %d, want 3", len(cur), len(off))
	}
	last := cur[len(cur)-1]
	if last.Metadata.System.IPAddress != f.AttackerIP || last.AuthorID != f.CompromisedUserID {
		t.Errorf("attacker audit metadata = %+v", last.Metadata.System)
	}
	// The redaction shows in the audit trail too.
	for _, ev := range last.Events {
		if ev.Type == "Comment" && strings.Contains(ev.Body, zdsim.DemoAttackerDomain) {
			t.Error("audit still shows the redacted link")
		}
	}
	one, _, err := e.c.GetTicketAudit(ctx, f.PhishingTicketID, last.ID)
	if err != nil || one.ID != last.ID {
		t.Fatalf("GetTicketAudit = %+v %v", one, err)
	}
}

func TestAuditLogFilters(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	f := e.facts
	count := func(flt zendesk.AuditLogFilter) []zendesk.AuditLog {
		t.Helper()
		logs, _ := collect(t, e, e.c.ListAuditLogs(flt, zendesk.ListOptions{}))
		return logs
	}
	failed := 0
	for _, l := range count(zendesk.AuditLogFilter{ActorID: f.CompromisedUserID, Action: "login"}) {
		if strings.HasPrefix(l.ChangeDescription, "Failed") {
			failed++
		}
	}
	if failed != f.FailedLogins {
		t.Errorf("failed logins = %d, want %d", failed, f.FailedLogins)
	}
	fromAttacker := count(zendesk.AuditLogFilter{IPAddress: f.AttackerIP})
	if len(fromAttacker) == 0 || !fromAttacker[0].CreatedAt.After(fromAttacker[len(fromAttacker)-1].CreatedAt) {
		t.Errorf("attacker records newest-first: %d", len(fromAttacker))
	}
	tok := count(zendesk.AuditLogFilter{SourceType: "api_token", SourceID: f.RogueAPITokenID})
	if len(tok) != 1 || tok[0].Action != "create" || tok[0].IPAddress != f.AttackerIP {
		t.Errorf("rogue token record = %+v", tok)
	}
	window := count(zendesk.AuditLogFilter{CreatedAfter: f.TakeoverAt, CreatedBefore: f.TakeoverAt.Add(20 * time.Minute), Sort: "created_at"})
	for i, l := range window {
		if l.CreatedAt.Before(f.TakeoverAt) || l.CreatedAt.After(f.TakeoverAt.Add(20*time.Minute)) {
			t.Errorf("record %d at %s outside the window", l.ID, l.CreatedAt)
		}
		if i > 0 && l.CreatedAt.Before(window[i-1].CreatedAt) {
			t.Error("ascending sort not respected")
		}
	}
	if len(window) != 2+f.ExportedViews {
		t.Errorf("takeover window = %d records, want %d", len(window), 2+f.ExportedViews)
	}
	l, _, err := e.c.GetAuditLog(ctx, tok[0].ID)
	if err != nil || l.SourceID != f.RogueAPITokenID {
		t.Fatalf("GetAuditLog = %+v %v", l, err)
	}
	if _, err := e.c.ListAuditLogs(zendesk.AuditLogFilter{SourceID: 1}, zendesk.ListOptions{}).Next(ctx); err == nil ||
		!strings.Contains(err.Error(), "SourceType") {
		t.Errorf("source id without type: %v", err)
	}
	// Containment actions land in the audit log with the caller as actor.
	if _, _, err := e.c.SuspendUser(ctx, f.CompromisedUserID, true); err != nil {
		t.Fatal(err)
	}
	mine := count(zendesk.AuditLogFilter{ActorID: f.AdminUserID, Action: "update", SourceType: "user", SourceID: f.CompromisedUserID})
	if len(mine) != 1 || !strings.Contains(mine[0].ChangeDescription, "suspended") {
		t.Errorf("containment audit record = %+v", mine)
	}
}

func TestInvalidPaginationDepth(t *testing.T) {
	e := newEnv(t, zdsim.Options{Seed: zdsim.SeedEmpty, AuditLogRecords: 10050})
	p := e.c.ListAuditLogs(zendesk.AuditLogFilter{}, zendesk.ListOptions{Offset: true})
	pages := 0
	var err error
	for p.More() {
		if _, err = p.Next(ctx); err != nil {
			break
		}
		pages++
	}
	ze := asError(t, err)
	if pages != 100 || ze.StatusCode != 400 || ze.Code != zendesk.CodeInvalidPaginationDepth || ze.Retryable() {
		t.Fatalf("after %d pages: %+v", pages, ze)
	}
	if n := e.srv.Stats().Requests; n != 101 {
		t.Errorf("%d requests: the 400 must not be retried", n)
	}
	// Cursor pagination has no depth limit.
	all, _ := collect(t, e, e.c.ListAuditLogs(zendesk.AuditLogFilter{}, zendesk.ListOptions{}))
	if len(all) != 10050 {
		t.Errorf("cursor collected %d", len(all))
	}
}

func TestIncrementalExports(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	tickets, pages := collect(t, e, e.c.IncrementalTickets(zendesk.IncrementalOptions{StartTime: time.Unix(0, 0), PageSize: 5}))
	if len(tickets) != 12 || pages != 3 {
		t.Fatalf("incremental tickets %d in %d pages", len(tickets), pages)
	}
	p := e.c.IncrementalTickets(zendesk.IncrementalOptions{StartTime: time.Unix(0, 0)})
	pg, err := p.Next(ctx)
	if err != nil || !pg.EndOfStream || pg.AfterCursor == "" || p.More() {
		t.Fatalf("single page = %+v %v", pg, err)
	}
	// The next poll from the saved cursor sees nothing new.
	again, err := e.c.IncrementalTickets(zendesk.IncrementalOptions{Cursor: pg.AfterCursor}).Next(ctx)
	if err != nil || len(again.Items) != 0 || !again.EndOfStream {
		t.Fatalf("poll from cursor = %+v %v", again, err)
	}
	users, _ := collect(t, e, e.c.IncrementalUsers(zendesk.IncrementalOptions{StartTime: time.Unix(0, 0), PageSize: 4}))
	if len(users) != 14 {
		t.Errorf("incremental users = %d", len(users))
	}
	if _, err := e.c.IncrementalUsers(zendesk.IncrementalOptions{}).Next(ctx); err == nil {
		t.Error("export without a start accepted")
	}
}

func TestIncrementalTicketEventsDedupe(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	// Page size 2 makes Zendesk's inclusive end_time repeat boundary events.
	p := e.c.IncrementalTicketEvents(zendesk.IncrementalOptions{StartTime: time.Unix(0, 0), PageSize: 2, IncludeCommentEvents: true})
	seen := map[int64]bool{}
	dups := 0
	var lastPage *zendesk.Page[zendesk.TicketEvent]
	err := zendesk.ListAll(ctx, p, func(pg *zendesk.Page[zendesk.TicketEvent]) error {
		dups += pg.Duplicates
		for _, ev := range pg.Items {
			if seen[ev.ID] {
				t.Errorf("event %d delivered twice", ev.ID)
			}
			seen[ev.ID] = true
		}
		lastPage = pg
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 27 {
		t.Errorf("events = %d, want 27 (one per audit)", len(seen))
	}
	if dups == 0 {
		t.Error("no boundary duplicates were dropped; the test does not exercise dedupe")
	}
	// Resuming from the last end_time with its Seen keys yields nothing again.
	resumed, err := e.c.IncrementalTicketEvents(zendesk.IncrementalOptions{StartTime: time.Unix(lastPage.EndTime, 0), Seen: lastPage.Seen}).Next(ctx)
	if err != nil || len(resumed.Items) != 0 || resumed.Duplicates == 0 {
		t.Fatalf("resume = %d items, %d dups, %v", len(resumed.Items), resumed.Duplicates, err)
	}
}

// flaky answers the first n requests itself (as Zendesk would under load) and
// passes the rest to the simulator.
type flaky struct {
	next    http.Handler
	n       int32
	status  int
	headers map[string]string
	body    string
	seen    atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.seen.Add(1) <= f.n {
		for k, v := range f.headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}
	f.next.ServeHTTP(w, r)
}

func flakyEnv(t *testing.T, fl *flaky, cfg zendesk.Config) (*zendesk.Client, zdsim.DemoFacts, *bytes.Buffer) {
	sim, err := zdsim.New(zdsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fl.next = sim
	hs := httptest.NewServer(fl)
	t.Cleanup(hs.Close)
	f := sim.Facts()
	logs := &bytes.Buffer{}
	cfg.BaseURL, cfg.Email, cfg.APIToken = hs.URL, f.AdminEmail, f.AdminAPIToken
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := zendesk.New(fast(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c, f, logs
}

func TestRetryAfterHonoured(t *testing.T) {
	fl := &flaky{n: 1, status: 429, body: zdsim.TooManyRequestsBody,
		headers: map[string]string{"Content-Type": "text/plain", "Retry-After": "1", "X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "0"}}
	c, f, _ := flakyEnv(t, fl, zendesk.Config{})
	start := time.Now()
	if _, _, err := c.GetUser(ctx, f.AdminUserID); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %s, before Retry-After: 1", waited)
	}
	if fl.seen.Load() != 2 {
		t.Errorf("requests = %d, want 2", fl.seen.Load())
	}
}

func TestRetryAfterMissingUsesDefault(t *testing.T) {
	fl := &flaky{n: 2, status: 429, body: "You have exceeded the rate limit for updating a single unique user.",
		headers: map[string]string{"Content-Type": "text/plain"}}
	c, f, _ := flakyEnv(t, fl, zendesk.Config{DefaultRetryAfter: 30 * time.Millisecond})
	start := time.Now()
	if _, _, err := c.GetUser(ctx, f.AdminUserID); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 60*time.Millisecond {
		t.Errorf("two default back-offs took only %s", waited)
	}
	if fl.seen.Load() != 3 {
		t.Errorf("requests = %d, want 3", fl.seen.Load())
	}
}

func TestMutationSurfaces429WithoutRetry(t *testing.T) {
	fl := &flaky{n: 1, status: 429, body: zdsim.TooManyRequestsBody,
		headers: map[string]string{"Content-Type": "text/plain", "Retry-After": "7", "X-Request-Id": "req-429"}}
	c, f, _ := flakyEnv(t, fl, zendesk.Config{})
	_, _, err := c.SuspendUser(ctx, f.CompromisedUserID, true)
	ze := asError(t, err)
	if ze.StatusCode != 429 || !ze.Retryable() || ze.RetryAfter != 7*time.Second || ze.Message != zdsim.TooManyRequestsBody || ze.RequestID != "req-429" {
		t.Fatalf("429 on mutation = %+v", ze)
	}
	if fl.seen.Load() != 1 {
		t.Errorf("mutation sent %d times", fl.seen.Load())
	}
}

func TestSimulatorRateLimit429(t *testing.T) {
	for _, omit := range []bool{false, true} {
		t.Run("omit_retry_after="+strconv.FormatBool(omit), func(t *testing.T) {
			e := newEnv(t, zdsim.Options{Seed: zdsim.SeedEmpty, RateLimit: 2, OmitRetryAfter: omit})
			c := e.client(zendesk.Config{Email: e.facts.AdminEmail, APIToken: e.facts.AdminAPIToken,
				MaxRetries: 2, MaxRetryWait: 200 * time.Millisecond, DefaultRetryAfter: 5 * time.Millisecond})
			for range 2 {
				if _, _, err := c.Me(ctx); err != nil {
					t.Fatal(err)
				}
			}
			_, _, err := c.Me(ctx)
			ze := asError(t, err)
			if ze.StatusCode != 429 || ze.Message != zdsim.TooManyRequestsBody || !ze.Retryable() {
				t.Fatalf("third request = %+v", ze)
			}
			st := e.srv.Stats()
			if omit {
				// No Retry-After: the default back-off is used and retried.
				if ze.RetryAfter != 5*time.Millisecond || st.RateLimited != 3 {
					t.Errorf("retry_after %s, rate limited %d times (want default and 1+2 retries)", ze.RetryAfter, st.RateLimited)
				}
			} else {
				// Retry-After ~60 s exceeds MaxRetryWait: returned, not slept on.
				if ze.RetryAfter < 50*time.Second || st.RateLimited != 1 {
					t.Errorf("retry_after %s, rate limited %d times", ze.RetryAfter, st.RateLimited)
				}
			}
		})
	}
}

func TestServerErrorsRetriedForGETOnly(t *testing.T) {
	e := newEnv(t, zdsim.Options{Faults: zdsim.Faults{Rate5xx: 0.5}, FaultSeed: 7})
	c := e.client(zendesk.Config{Email: e.facts.AdminEmail, APIToken: e.facts.AdminAPIToken, MaxRetries: 10})
	for range 20 {
		if _, _, err := c.GetUser(ctx, e.facts.AdminUserID); err != nil {
			t.Fatalf("GET not retried through 5xx: %v", err)
		}
	}
	if e.srv.Stats().Injected5xx == 0 {
		t.Fatal("no 5xx injected; the test proves nothing")
	}
	if err := e.srv.SetFaults(zdsim.Faults{Rate5xx: 1}); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Stats().Requests
	_, _, err := c.SuspendUser(ctx, e.facts.CompromisedUserID, true)
	ze := asError(t, err)
	if ze.StatusCode < 500 || !ze.Retryable() {
		t.Fatalf("5xx on mutation = %+v", ze)
	}
	if n := e.srv.Stats().Requests - before; n != 1 {
		t.Errorf("mutation sent %d times, want 1", n)
	}
}

func TestFailAfterApplyIsRetryableAndCounted(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	id := strconv.FormatInt(e.facts.RogueAPITokenID, 10)
	e.srv.FailAfterApply(zdsim.KindAPIToken, id, 1)
	_, err := e.c.DeleteAPIToken(ctx, e.facts.RogueAPITokenID)
	if ze := asError(t, err); ze.StatusCode != 500 || !ze.Retryable() {
		t.Fatalf("fail after apply = %+v", ze)
	}
	// The change happened although the caller saw a 500: a blind retry now gets 404.
	if _, err := e.c.DeleteAPIToken(ctx, e.facts.RogueAPITokenID); !zendesk.IsNotFound(err) {
		t.Errorf("retry after applied delete: %v", err)
	}
	if n := e.srv.Mutations(zdsim.KindAPIToken, id); n != 1 {
		t.Errorf("mutations = %d, want 1", n)
	}
}

func TestTimeoutRetriedThenClassified(t *testing.T) {
	e := newEnv(t, zdsim.Options{Seed: zdsim.SeedEmpty, Faults: zdsim.Faults{Latency: 300 * time.Millisecond}})
	c := e.client(zendesk.Config{Email: e.facts.AdminEmail, APIToken: e.facts.AdminAPIToken, MaxRetries: 2,
		HTTPClient: &http.Client{Timeout: 30 * time.Millisecond}})
	_, _, err := c.Me(ctx)
	ze := asError(t, err)
	if ze.Code != zendesk.CodeTimeout || !ze.Retryable() || ze.StatusCode != 0 {
		t.Fatalf("timeout = %+v", ze)
	}
	time.Sleep(350 * time.Millisecond) // let the slow handlers finish before counting
	if n := e.srv.Stats().Requests; n != 3 {
		t.Errorf("requests = %d, want 1 + 2 retries", n)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	fl := &flaky{n: 100, status: 503, body: "down"}
	c, f, _ := flakyEnv(t, fl, zendesk.Config{RetryBackoff: 50 * time.Millisecond, MaxRetries: 10})
	cctx, cancel := context.WithTimeout(ctx, 80*time.Millisecond)
	defer cancel()
	_, _, err := c.GetUser(cctx, f.AdminUserID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if fl.seen.Load() > 3 {
		t.Errorf("%d requests after cancellation", fl.seen.Load())
	}
}

func TestAPIWarnLoggedAndSecretsNeverLogged(t *testing.T) {
	fl := &flaky{}
	c, f, logs := flakyEnv(t, fl, zendesk.Config{})
	fl.n = 0
	warn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Zendesk-API-Warn", "Removed Params: Unpermitted parameter keys: '[\"role\"]'")
		fl.next.ServeHTTP(w, r)
	})
	hs := httptest.NewServer(warn)
	defer hs.Close()
	c2, err := zendesk.New(fast(zendesk.Config{BaseURL: hs.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}))
	if err != nil {
		t.Fatal(err)
	}
	_, meta, err := c2.SetUserRole(ctx, f.AgentUserID, "agent")
	if err != nil || !strings.Contains(meta.Warning, "Unpermitted") {
		t.Fatalf("meta = %+v %v", meta, err)
	}
	if !strings.Contains(logs.String(), "zendesk api warning") || !strings.Contains(logs.String(), "Unpermitted parameter keys") {
		t.Errorf("warning not logged: %s", logs)
	}
	// Exercise success, 4xx and 401 paths with debug logging, then grep.
	_, _, _ = c.GetUser(ctx, 1)
	bad, _ := zendesk.New(fast(zendesk.Config{BaseURL: hs.URL, Email: f.AdminEmail, APIToken: "wrong-secret-value",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}))
	_, _, _ = bad.Me(ctx)
	slog.New(slog.NewTextHandler(logs, nil)).Info("config", "zendesk", c.Config())
	for _, secret := range []string{f.AdminAPIToken, "wrong-secret-value", "Basic "} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs.String(), "zendesk request") {
		t.Error("debug request log missing; the grep above proves nothing")
	}
}

func TestListAllStopsOnCallbackError(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	stop := errors.New("checkpoint failed")
	pages := 0
	err := zendesk.ListAll(ctx, e.c.ListUsers(zendesk.UserFilter{}, zendesk.ListOptions{PageSize: 2}), func(*zendesk.Page[zendesk.User]) error {
		pages++
		return stop
	})
	if !errors.Is(err, stop) || pages != 1 {
		t.Errorf("err %v after %d pages", err, pages)
	}
}

func TestPathsWithoutJSONSuffixAndEscaping(t *testing.T) {
	e := newEnv(t, zdsim.Options{})
	// Links from the simulator carry ".json"; requests from the client do not: both
	// must reach the same data.
	pg, err := e.c.ListUsers(zendesk.UserFilter{}, zendesk.ListOptions{PageSize: 1}).Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(pg.NextURL)
	if err != nil || !strings.HasSuffix(u.Path, "/users.json") {
		t.Fatalf("next link %q", pg.NextURL)
	}
}
