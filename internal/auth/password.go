package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"irflow/internal/incident"
)

// PasswordParams are argon2id's cost parameters (RFC 9106).
type PasswordParams struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
	KeyLen  uint32
	SaltLen int
}

// DefaultPasswordParams follow RFC 9106 section 4's second recommended option
// (t=3, m=64 MiB), with two lanes for two-core machines: about 100 ms a hash here,
// slow enough that a stolen database's hashes resist guessing.
var DefaultPasswordParams = PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 2, KeyLen: 32, SaltLen: 16}

// MinPasswordLength is the shortest password accepted (NIST SP 800-63B 5.1.1.2
// asks for at least 8 characters; 12 is the common guidance for people who can
// use a password manager).
const MinPasswordLength = 12

// CheckPasswordPolicy says what is wrong with a new password, or nil.
func CheckPasswordPolicy(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength {
		return incident.Errorf(incident.EINVALID, "password: %d characters; use at least %d", n, MinPasswordLength)
	}
	if len(pw) > 1024 {
		return incident.Errorf(incident.EINVALID, "password: longer than 1024 bytes")
	}
	return nil
}

// HashPassword hashes a password with argon2id and a random salt, in the PHC
// string format "$argon2id$v=19$m=65536,t=3,p=2$<salt>$<hash>" that other tools
// read, with its parameters inside so they can be raised later without breaking
// stored hashes.
func HashPassword(pw string, p PasswordParams) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generate salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64(salt), b64(key)), nil
}

// CheckPassword reports whether pw matches the PHC-encoded argon2id hash, in time
// that does not depend on where they differ. A malformed hash is an error.
func CheckPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, fmt.Errorf("password hash: parameters %q: %w", parts[3], err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash: salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, fmt.Errorf("password hash: key: %v", err)
	}
	if p.Memory > 1<<22 || p.Time > 64 || p.Threads == 0 {
		return false, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// GeneratePassword returns a random password of 24 URL-safe characters (144
// bits), for an account whose first password a program sets.
func GeneratePassword() (string, error) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
