package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"irflow/internal/incident"
)

// RunUsers runs the incident.UserStore contract against fresh stores from open.
func RunUsers(t *testing.T, open func(t *testing.T) incident.UserStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, incident.UserStore)
	}{
		{"Users/CreateGetList", testUsersCreateGetList},
		{"Users/RolesAndDisable", testUsersRolesAndDisable},
		{"Tokens/Lifecycle", testTokensLifecycle},
		{"Audit/NewestFirst", testAuditNewestFirst},
		{"Users/BySlackIDAndEmail", testUsersBySlackIDAndEmail},
		{"Users/PasswordHash", testPasswordHash},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func userCode(t *testing.T, err error, code string) {
	t.Helper()
	var e *incident.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func testUsersCreateGetList(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	alice := incident.User{ID: "alice", Display: "Alice Martin", Email: "alice@example.com", SlackUserID: "U123", Roles: []incident.Role{incident.RoleLegal, incident.RoleCommander}, CreatedAt: base}
	if err := s.CreateUser(ctx, alice); err != nil {
		t.Fatal(err)
	}
	userCode(t, s.CreateUser(ctx, alice), incident.ECONFLICT)
	userCode(t, s.CreateUser(ctx, incident.User{ID: "Bob Smith"}), incident.EINVALID)
	userCode(t, s.CreateUser(ctx, incident.User{ID: "bob", Roles: []incident.Role{"root"}}), incident.EINVALID)
	if err := s.CreateUser(ctx, incident.User{ID: "bob", Display: "Bob", Roles: []incident.Role{incident.RoleViewer}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Roles come back in the canonical order, whatever order they were given in.
	if got.Display != alice.Display || got.Email != alice.Email || got.SlackUserID != "U123" || got.Disabled ||
		!slices.Equal(got.Roles, []incident.Role{incident.RoleCommander, incident.RoleLegal}) || !got.CreatedAt.Equal(base) {
		t.Errorf("alice = %+v", got)
	}
	_, err = s.GetUser(ctx, "carol")
	userCode(t, err, incident.ENOTFOUND)
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "alice" || list[1].ID != "bob" || !slices.Equal(list[1].Roles, []incident.Role{incident.RoleViewer}) {
		t.Errorf("list = %+v, %v", list, err)
	}
}

func testUsersRolesAndDisable(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, incident.User{ID: "dana", Display: "Dana", Roles: []incident.Role{incident.RoleViewer}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoles(ctx, "dana", []incident.Role{incident.RoleResponder, incident.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	userCode(t, s.SetRoles(ctx, "nobody", []incident.Role{incident.RoleViewer}), incident.ENOTFOUND)
	if err := s.SetDisabled(ctx, "dana", true); err != nil {
		t.Fatal(err)
	}
	userCode(t, s.SetDisabled(ctx, "nobody", true), incident.ENOTFOUND)
	got, err := s.GetUser(ctx, "dana")
	if err != nil || !got.Disabled || !slices.Equal(got.Roles, []incident.Role{incident.RoleResponder, incident.RoleAdmin}) {
		t.Errorf("dana = %+v, %v", got, err)
	}
}

func testTokensLifecycle(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, incident.User{ID: "erin", Display: "Erin", Roles: []incident.Role{incident.RoleLegal}}); err != nil {
		t.Fatal(err)
	}
	userCode(t, s.CreateToken(ctx, incident.APIToken{ID: "tok1", UserID: "nobody"}, "aa"), incident.ENOTFOUND)
	if err := s.CreateToken(ctx, incident.APIToken{ID: "tok1", UserID: "erin", Name: "laptop"}, "ABCDEF01"); err != nil {
		t.Fatal(err)
	}
	u, tok, err := s.TokenUser(ctx, "abcdef01")
	if err != nil || u.ID != "erin" || tok.ID != "tok1" || tok.LastUsedAt == nil {
		t.Fatalf("token user = %+v %+v, %v", u, tok, err)
	}
	_, _, err = s.TokenUser(ctx, "ffff")
	userCode(t, err, incident.EUNAUTHORIZED)
	toks, err := s.ListTokens(ctx, "erin")
	if err != nil || len(toks) != 1 || toks[0].LastUsedAt == nil || toks[0].Name != "laptop" {
		t.Errorf("tokens = %+v, %v", toks, err)
	}
	if err := s.SetDisabled(ctx, "erin", true); err != nil {
		t.Fatal(err)
	}
	_, tok, err = s.TokenUser(ctx, "abcdef01")
	userCode(t, err, incident.EUNAUTHORIZED)
	if tok.ID != "tok1" || tok.UserID != "erin" {
		t.Errorf("a disabled user's token: got %+v, want tok1 of erin named for the audit log", tok)
	}
	if err := s.SetDisabled(ctx, "erin", false); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "tok1"); err != nil {
		t.Fatal(err)
	}
	userCode(t, s.RevokeToken(ctx, "tok9"), incident.ENOTFOUND)
	_, tok, err = s.TokenUser(ctx, "abcdef01")
	userCode(t, err, incident.EUNAUTHORIZED)
	if tok.ID != "tok1" || tok.UserID != "erin" || tok.RevokedAt == nil {
		t.Errorf("a revoked token: got %+v, want tok1 of erin, revoked, named for the audit log", tok)
	}
}

func testAuditNewestFirst(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	for i, allowed := range []bool{true, false, true} {
		e := incident.AuditEntry{At: base.Add(time.Duration(i) * time.Minute), ActorID: "alice", Via: incident.ViaAPI, Action: incident.ActApproveStep,
			IncidentID: "INC-20260306-001", Target: "suspend", Allowed: allowed}
		if !allowed {
			e.Reason = "needs commander"
		}
		if i == 2 { // the same person approving from Slack
			e.Via, e.ExternalID = incident.ViaSlack, "U024BE7LH"
		}
		if err := s.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(ctx, 2)
	if err != nil || len(log) != 2 || !log[0].Allowed || log[1].Allowed || log[1].Reason != "needs commander" || log[0].Seq <= log[1].Seq {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
	if log[0].Via != incident.ViaSlack || log[0].ExternalID != "U024BE7LH" || log[1].Via != incident.ViaAPI || log[1].ExternalID != "" {
		t.Errorf("audit log channels = %s %q, %s %q; want slack U024BE7LH, then api without an external id",
			log[0].Via, log[0].ExternalID, log[1].Via, log[1].ExternalID)
	}
}

func testUsersBySlackIDAndEmail(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	for _, u := range []incident.User{
		{ID: "rita", Display: "Rita", Email: "Rita@Example.com", SlackUserID: "URITA", Roles: []incident.Role{incident.RoleResponder}},
		{ID: "carol", Display: "Carol", Email: "carol@example.com", Roles: []incident.Role{incident.RoleCommander}},
		{ID: "carol2", Display: "Carol again", Email: "CAROL@example.com"},
		{ID: "nobody", Display: "No links"},
	} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.UserBySlackID(ctx, "URITA")
	if err != nil || got.ID != "rita" || !slices.Equal(got.Roles, []incident.Role{incident.RoleResponder}) {
		t.Errorf("by slack id = %+v, %v", got, err)
	}
	_, err = s.UserBySlackID(ctx, "UNKNOWN")
	userCode(t, err, incident.ENOTFOUND)
	_, err = s.UserBySlackID(ctx, "") // "nobody" has an empty slack id: never a match
	userCode(t, err, incident.ENOTFOUND)
	got, err = s.UserByEmail(ctx, "rita@example.COM")
	if err != nil || got.ID != "rita" {
		t.Errorf("by email = %+v, %v", got, err)
	}
	got, err = s.UserByEmail(ctx, "carol@example.com")
	if err != nil || got.ID != "carol" || !got.HasRole(incident.RoleCommander) {
		t.Errorf("by a shared email = %+v, %v; want the lowest id", got, err)
	}
	_, err = s.UserByEmail(ctx, "")
	userCode(t, err, incident.ENOTFOUND)
	_, err = s.UserByEmail(ctx, "mallory@example.com")
	userCode(t, err, incident.ENOTFOUND)
}
