// Package auth issues and checks irflow's API tokens. A token is 32 random bytes,
// shown once to the person it is for; the store keeps only its SHA-256, which is
// enough for a secret of that entropy (a password would need a slow hash).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"irflow/internal/incident"
)

// TokenPrefix starts every irflow token, so a leaked one is recognisable (secret
// scanners key on such prefixes).
const TokenPrefix = "irf_"

// Hash is the hex SHA-256 of a token, as the store keeps it.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Issue creates a token for a user and returns it in clear, the only time it is
// seen.
func Issue(ctx context.Context, users incident.UserStore, userID, name string) (string, incident.APIToken, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", incident.APIToken{}, fmt.Errorf("generate token: %w", err)
	}
	var idb [6]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", incident.APIToken{}, fmt.Errorf("generate token id: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	t := incident.APIToken{ID: "tok_" + hex.EncodeToString(idb[:]), UserID: userID, Name: name, CreatedAt: time.Now().UTC()}
	if err := users.CreateToken(ctx, t, Hash(token)); err != nil {
		return "", incident.APIToken{}, err
	}
	return token, t, nil
}

// Authenticate resolves an Authorization header's bearer token to an identity
// acting through via. The scheme is case-insensitive (RFC 9110).
func Authenticate(ctx context.Context, users incident.UserStore, header, via string) (incident.Identity, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return incident.Identity{}, incident.Errorf(incident.EUNAUTHORIZED, "send Authorization: Bearer <token> (create one with: irflow users token create USER)")
	}
	u, t, err := users.TokenUser(ctx, Hash(token))
	var e *incident.Error
	if errors.As(err, &e) && e.Code == incident.EUNAUTHORIZED {
		return incident.Identity{}, &RefusedError{Err: e, UserID: t.UserID, TokenID: t.ID}
	}
	if err != nil {
		return incident.Identity{}, err
	}
	return incident.Identity{User: u, Via: via}, nil
}

// RefusedError is a token the store refused: unknown, revoked, or its user's
// disabled. UserID and TokenID name the token and its user when the store knows the
// token (empty for an unknown one), so that the refusal can be audited under the
// person it concerns; they are never an identity to act as.
type RefusedError struct {
	Err     *incident.Error
	UserID  string
	TokenID string
}

func (e *RefusedError) Error() string { return e.Err.Error() }

// Unwrap returns the *incident.Error (EUNAUTHORIZED) the store answered.
func (e *RefusedError) Unwrap() error { return e.Err }

// EnsureAdmin creates the user id with the admin and commander, responder and
// legal roles when the store has no user at all, and returns a fresh token for
// it; it returns "" when users exist already. irflow dev calls it on first start
// so that a new install has one person who can act and manage others.
func EnsureAdmin(ctx context.Context, users incident.UserStore, id, display string) (string, error) {
	list, err := users.ListUsers(ctx)
	if err != nil {
		return "", err
	}
	if len(list) > 0 {
		return "", nil
	}
	u := incident.User{ID: id, Display: display, Roles: []incident.Role{incident.RoleResponder, incident.RoleCommander, incident.RoleLegal, incident.RoleAdmin}}
	if err := users.CreateUser(ctx, u); err != nil {
		return "", err
	}
	token, _, err := Issue(ctx, users, id, "created by irflow dev")
	return token, err
}
