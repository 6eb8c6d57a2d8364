package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"irflow/internal/incident"
)

// RequireToken wraps h so that every /api/ request must carry
// "Authorization: Bearer <token>". /healthz stays open for load balancers. The
// comparison is constant-time, and the token is never logged.
func RequireToken(h http.Handler, token string) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			h.ServeHTTP(w, r)
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="irflow"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{
				Error: "missing or wrong API token: send Authorization: Bearer <IRFLOW_API_TOKEN>",
				Code:  incident.EUNAUTHORIZED,
			})
			return
		}
		h.ServeHTTP(w, r)
	})
}
