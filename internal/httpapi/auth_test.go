package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"irflow/internal/httpapi"
)

func TestRequireToken(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := httpapi.RequireToken(inner, "s3cret")
	tests := []struct {
		name, path, auth string
		want             int
	}{
		{"health is open", "/healthz", "", http.StatusTeapot},
		{"no token", "/api/incidents", "", http.StatusUnauthorized},
		{"wrong token", "/api/incidents", "Bearer nope", http.StatusUnauthorized},
		{"wrong scheme", "/api/incidents", "Basic s3cret", http.StatusUnauthorized},
		{"right token", "/api/incidents", "Bearer s3cret", http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
}
