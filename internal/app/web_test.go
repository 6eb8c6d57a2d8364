package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"irflow/internal/app"
	"irflow/internal/auth"
)

// TestDevAdminPassword: irflow dev's first start gives the local admin a web
// password, written to <data>/admin.password (0600) and stored only as a hash; a
// second start keeps it and the session key.
func TestDevAdminPassword(t *testing.T) {
	dir := t.TempDir()
	d := startDev(t, dir)
	if !d.AdminPasswordCreated || len(d.AdminPassword) != 24 || d.AdminPasswordPath != filepath.Join(dir, app.AdminPasswordName) {
		t.Fatalf("first start: created %v, password %q at %s", d.AdminPasswordCreated, d.AdminPassword, d.AdminPasswordPath)
	}
	if fi, err := os.Stat(d.AdminPasswordPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.password: %v %v", fi.Mode(), err)
	}
	hash, err := d.Store.PasswordHash(context.Background(), app.DevAdmin)
	if ok, _ := auth.CheckPassword(d.AdminPassword, hash); err != nil || !ok {
		t.Errorf("the stored hash does not match the written password")
	}
	key, err := os.ReadFile(filepath.Join(dir, "web.key"))
	if err != nil || len(key) != 32 {
		t.Fatalf("web.key: %d bytes, %v", len(key), err)
	}
	pw := d.AdminPassword
	d.Stop()

	d2 := startDev(t, dir)
	if d2.AdminPasswordCreated || d2.AdminPassword != pw {
		t.Errorf("second start: created %v, password changed %v", d2.AdminPasswordCreated, d2.AdminPassword != pw)
	}
	if key2, _ := os.ReadFile(filepath.Join(dir, "web.key")); string(key2) != string(key) {
		t.Errorf("the session key changed on restart")
	}
}

// TestRoutes: the API's paths (and Slack's) reach the API handler, every other
// path the web UI.
func TestRoutes(t *testing.T) {
	tag := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(name)) })
	}
	h := app.Routes(tag("api"), tag("web"))
	for path, want := range map[string]string{"/api/incidents": "api", "/healthz": "api", "/slack/commands": "api",
		"/": "web", "/board": "web", "/login": "web", "/calendar.ics": "web", "/apix": "web"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Body.String() != want {
			t.Errorf("%s went to %s, want %s", path, rec.Body.String(), want)
		}
	}
}
