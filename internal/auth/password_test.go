package auth_test

import (
	"strings"
	"testing"

	"irflow/internal/auth"
)

var fast = auth.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery staple", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := auth.HashPassword("correct horse battery staple", fast)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: the salt is not random")
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false, "": false} {
		ok, err := auth.CheckPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=8,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5"} {
		if _, err := auth.CheckPassword("x", bad); err == nil {
			t.Errorf("CheckPassword accepted the malformed hash %q", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	if err := auth.CheckPasswordPolicy("short"); err == nil || !strings.Contains(err.Error(), "at least 12") {
		t.Errorf("short password: %v", err)
	}
	if err := auth.CheckPasswordPolicy("a long enough passphrase"); err != nil {
		t.Error(err)
	}
	pw, err := auth.GeneratePassword()
	if err != nil || len(pw) != 24 || auth.CheckPasswordPolicy(pw) != nil {
		t.Errorf("generated %q, %v", pw, err)
	}
}
