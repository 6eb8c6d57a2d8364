package httpapi

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"irflow/internal/auth"
	"irflow/internal/incident"
)

// Authenticate wraps h so that every /api/ request carries a user's API token
// ("Authorization: Bearer <token>"); the verified identity goes in the request
// context, where the service checks it against the permission table and stamps it
// into every Update (a body's "actor" is then ignored). /healthz stays open for
// load balancers. Tokens are never logged.
//
// sharedToken, when set, is the deprecated IRFLOW_API_TOKEN: one secret for the
// whole API. It still opens it, as the identity "api-token" with every role but
// admin, so the audit log and the timeline at least say that nobody in particular
// acted; per-user tokens replace it.
func Authenticate(h http.Handler, users incident.UserStore, sharedToken string, logger *slog.Logger) http.Handler {
	shared := []byte(strings.TrimSpace(sharedToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			h.ServeHTTP(w, r)
			return
		}
		header := r.Header.Get("Authorization")
		if len(shared) > 0 {
			if scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " "); ok && strings.EqualFold(scheme, "Bearer") &&
				subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), shared) == 1 {
				id := incident.Identity{Via: incident.ViaAPI, User: incident.User{ID: "api-token", Display: "shared IRFLOW_API_TOKEN",
					Roles: []incident.Role{incident.RoleViewer, incident.RoleResponder, incident.RoleCommander, incident.RoleLegal}}}
				h.ServeHTTP(w, r.WithContext(incident.WithIdentity(r.Context(), id)))
				return
			}
		}
		id, err := auth.Authenticate(r.Context(), users, header, incident.ViaAPI)
		if err != nil {
			var msg string
			if e := (*incident.Error)(nil); errors.As(err, &e) {
				msg = e.Message
			} else {
				logger.Error("Authentication failed", "error", err)
				msg = "cannot check the API token"
			}
			var refused *auth.RefusedError
			if errors.As(err, &refused) {
				auditRefusal(r, users, refused, logger)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="irflow"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: msg, Code: incident.EUNAUTHORIZED})
			return
		}
		h.ServeHTTP(w, r.WithContext(incident.WithIdentity(r.Context(), id)))
	})
}

// auditRefusal records a refused token in the audit log, under the user it
// belongs to when the store knows it ("unknown" otherwise): a revoked token or a
// disabled user still trying is what an auditor looks for. A request without a
// token is not recorded; it names nobody. The refusal stands even if the audit log
// cannot be written.
func auditRefusal(r *http.Request, users incident.UserStore, refused *auth.RefusedError, logger *slog.Logger) {
	actor := refused.UserID
	if actor == "" {
		actor = "unknown"
	}
	target := r.Method + " " + r.URL.Path
	if refused.TokenID != "" {
		target = refused.TokenID + " " + target
	}
	e := incident.AuditEntry{At: time.Now(), ActorID: actor, Via: incident.ViaAPI, Action: incident.ActAuthenticate,
		Target: target, Allowed: false, Reason: refused.Err.Message}
	if err := users.RecordAudit(r.Context(), e); err != nil {
		logger.Error("Cannot record a refused API token in the audit log", "user", actor, "error", err)
	}
}
