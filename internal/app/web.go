package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"irflow/internal/auth"
	"irflow/internal/incident"
	"irflow/internal/web"
)

// Routes joins the HTTP API and the web UI on one listener: /api/ and /healthz go
// to the API (per-user bearer tokens), /slack/ too (Slack's signed endpoints are
// mounted on the API's handler), everything else to the web UI (sign-in
// sessions), so neither can reach the other's pages with its own credentials.
func Routes(api http.Handler, ui http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/healthz", api)
	mux.Handle("/slack/", api)
	mux.Handle("/", ui)
	return mux
}

// SessionKey reads the web UI's session key from path, creating it (32 random
// bytes, mode 0600) when missing: the key signs sessions and derives calendar
// tokens, so keeping it makes both survive restarts, and deleting it signs
// everyone out and revokes every calendar link.
func SessionKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			return nil, fmt.Errorf("web session key %s has %d bytes, fewer than 32: delete it to make a new one", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read web session key: %w", err)
	}
	key := web.NewSessionKey()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create folder for the web session key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process made it first
		return SessionKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create web session key: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("write web session key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write web session key: %w", err)
	}
	return key, nil
}

// AdminPasswordName is the file in irflow dev's data folder holding the local
// admin's web password.
const AdminPasswordName = "admin.password"

// ensureAdminPassword gives the local admin a random web password when it has
// none (a first start, or a data folder from before the web UI) and writes it to
// <data>/admin.password (0600), beside admin.token; it reads the file back on
// later starts. An admin whose password was changed with irflow users passwd
// keeps it: the file is then stale, and says so only by not working.
func (d *Dev) ensureAdminPassword(ctx context.Context) error {
	d.AdminPasswordPath = filepath.Join(d.Config.DataDir, AdminPasswordName)
	hash, err := d.Store.PasswordHash(ctx, DevAdmin)
	var ie *incident.Error
	if errors.As(err, &ie) && ie.Code == incident.ENOTFOUND {
		return nil // the admin was renamed or never made here: nothing to do
	}
	if err != nil {
		return fmt.Errorf("read the admin's password: %w", err)
	}
	if hash == "" {
		pw, err := auth.GeneratePassword()
		if err != nil {
			return err
		}
		h, err := auth.HashPassword(pw, auth.DefaultPasswordParams)
		if err != nil {
			return err
		}
		if err := os.WriteFile(d.AdminPasswordPath, []byte(pw+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the admin's password: %w", err)
		}
		if err := d.Store.SetPasswordHash(ctx, DevAdmin, h); err != nil {
			return fmt.Errorf("set the admin's password: %w", err)
		}
		d.AdminPasswordCreated = true
	}
	if b, err := os.ReadFile(d.AdminPasswordPath); err == nil {
		d.AdminPassword = strings.TrimSpace(string(b))
	}
	return nil
}
