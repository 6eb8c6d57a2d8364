package codec

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// Handler serves the codec at POST /encode and POST /decode in the remote codec
// protocol the Temporal UI and CLI speak (--codec-endpoint), to callers that send
// "Authorization: Bearer <token>": decoding shows personal data, so only the
// people given the token may. origin, when set, is the Temporal UI's origin,
// allowed by CORS (the UI calls the codec from the browser).
func Handler(c *Codec, token, origin string) http.Handler {
	inner := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="irflow codec"`)
			http.Error(w, "irflow codec: a bearer token is required", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
}
