package app_test

import (
	"context"
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
