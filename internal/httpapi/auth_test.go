package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"irflow/internal/auth"
	"irflow/internal/httpapi"
	"irflow/internal/incident"
	"irflow/internal/sqlite"
)

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "irflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.CreateUser(ctx, incident.User{ID: "alice", Display: "Alice", Roles: []incident.Role{incident.RoleCommander}}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateUser(ctx, incident.User{ID: "dora", Display: "Dora", Roles: []incident.Role{incident.RoleLegal}}); err != nil {
		t.Fatal(err)
	}
	alice, _, err := auth.Issue(ctx, store, "alice", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	revoked, tok, err := auth.Issue(ctx, store, "alice", "old")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	dora, _, err := auth.Issue(ctx, store, "dora", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetDisabled(ctx, "dora", true); err != nil {
		t.Fatal(err)
	}

	var seen incident.Identity
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = incident.IdentityFrom(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	h := httpapi.Authenticate(inner, store, "  s3cret ", slog.New(slog.DiscardHandler))
	tests := []struct {
		name, path, auth string
		want             int
		user             string
	}{
		{"health is open", "/healthz", "", http.StatusTeapot, ""},
		{"no token", "/api/incidents", "", http.StatusUnauthorized, ""},
		{"unknown token", "/api/incidents", "Bearer irf_nope", http.StatusUnauthorized, ""},
		{"wrong scheme", "/api/incidents", "Basic " + alice, http.StatusUnauthorized, ""},
		{"user token", "/api/incidents", "Bearer " + alice, http.StatusTeapot, "alice"},
		{"scheme in any case", "/api/incidents", "bearer " + alice, http.StatusTeapot, "alice"},
		{"revoked token", "/api/incidents", "Bearer " + revoked, http.StatusUnauthorized, ""},
		{"disabled user", "/api/incidents", "Bearer " + dora, http.StatusUnauthorized, ""},
		{"shared token", "/api/incidents", "Bearer s3cret", http.StatusTeapot, "api-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = incident.Identity{}
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want || seen.User.ID != tt.user {
				t.Errorf("status %d user %q, want %d %q", rec.Code, seen.User.ID, tt.want, tt.user)
			}
			if tt.user != "" && seen.Via != incident.ViaAPI {
				t.Errorf("via %q", seen.Via)
			}
		})
	}
	// The refused tokens are in the audit log, under their users when the store
	// knows them; the requests without a bearer token and the accepted ones are not.
	log, err := store.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		if e.Allowed || e.Action != incident.ActAuthenticate || e.Via != incident.ViaAPI {
			t.Errorf("audit entry %+v, want refused authentications only", e)
		}
		got = append(got, e.ActorID+": "+e.Reason)
	}
	want := []string{"dora: user dora is disabled", "alice: API token " + tok.ID + " was revoked", "unknown: unknown API token"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log, newest first:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range log {
		if strings.Contains(e.Target+e.Reason, alice) || strings.Contains(e.Target+e.Reason, revoked) {
			t.Errorf("a token in clear in the audit log: %+v", e)
		}
	}

	// A whitespace-only shared token opens nothing.
	h = httpapi.Authenticate(inner, store, "   ", slog.New(slog.DiscardHandler))
	r := httptest.NewRequest(http.MethodGet, "/api/incidents", nil)
	r.Header.Set("Authorization", "Bearer ")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("blank shared token: status %d", rec.Code)
	}
}
