package storetest

import (
	"testing"

	"irflow/internal/incident"
)

// testPasswordHash: a user starts without a password, keeps the hash set last,
// loses it when set to "", and an unknown user is ENOTFOUND both ways.
func testPasswordHash(t *testing.T, s incident.UserStore) {
	ctx := t.Context()
	if err := s.CreateUser(ctx, incident.User{ID: "alice", Display: "Alice", Roles: []incident.Role{incident.RoleLegal}}); err != nil {
		t.Fatal(err)
	}
	if h, err := s.PasswordHash(ctx, "alice"); err != nil || h != "" {
		t.Fatalf("new user's hash = %q, %v; want none", h, err)
	}
	for _, h := range []string{"$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$a2V5", "$argon2id$v=19$m=65536,t=3,p=2$c2FsdDI$a2V5Mg"} {
		if err := s.SetPasswordHash(ctx, "alice", h); err != nil {
			t.Fatal(err)
		}
		if got, err := s.PasswordHash(ctx, "alice"); err != nil || got != h {
			t.Fatalf("hash = %q, %v; want %q", got, err, h)
		}
	}
	if err := s.SetPasswordHash(ctx, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.PasswordHash(ctx, "alice"); got != "" {
		t.Errorf("cleared hash = %q", got)
	}
	userCode(t, s.SetPasswordHash(ctx, "nobody", "x"), incident.ENOTFOUND)
	_, err := s.PasswordHash(ctx, "nobody")
	userCode(t, err, incident.ENOTFOUND)
	// The user's other fields are untouched.
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.Display != "Alice" || len(u.Roles) != 1 {
		t.Errorf("alice = %+v, %v", u, err)
	}
}
