package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"irflow/internal/web"
)

// TestOIDCSignIn signs in through an OpenID Connect provider (mockoidc, speaking
// the real discovery, authorization code and token protocol with signed ID
// tokens): the provider's verified email maps to the irflow user with that email;
// an email no user has is refused, and so is a callback that was not started here.
// (mockoidc omits email_verified when false, so an unverified email, which the
// server refuses when the claim says so, cannot be scripted with it.)
func TestOIDCSignIn(t *testing.T) {
	s := newStack(t)
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	// The callback URL must be known before the server is built: serve through a
	// handler set afterwards.
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := m.Config()
	w, err := web.New(context.Background(), web.Config{Service: s.svc, Users: s.store, SessionKey: []byte(strings.Repeat("o", 32)),
		PasswordParams: fast, Now: s.clock.Now,
		OIDC: &web.OIDCConfig{Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: srv.URL + "/auth/oidc/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	h = w

	signIn := func(user *mockoidc.MockUser) (*http.Client, *http.Response, string) {
		t.Helper()
		m.QueueUser(user)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		res, err := c.Get(srv.URL + "/auth/oidc/start?next=/board")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return c, res, b.String()
	}

	c, res, body := signIn(&mockoidc.MockUser{Subject: "s-1", Email: "LENA@example.com", EmailVerified: true})
	if res.StatusCode != 200 || res.Request.URL.Path != "/board" || !strings.Contains(body, "Lena Legal") {
		t.Fatalf("oidc sign-in: %d at %s", res.StatusCode, res.Request.URL)
	}
	if r, _ := c.Get(srv.URL + "/incidents"); r == nil || r.StatusCode != 200 || r.Request.URL.Path != "/incidents" {
		t.Errorf("the session does not hold")
	}

	_, res, body = signIn(&mockoidc.MockUser{Subject: "s-2", Email: "stranger@example.com", EmailVerified: true})
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "no irflow user has the email stranger@example.com") {
		t.Errorf("unknown email: %d %s", res.StatusCode, body)
	}
	// A callback without the state cookie (a forged link) is refused.
	if r, err := http.Get(srv.URL + "/auth/oidc/callback?code=x&state=y"); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged callback: %v %v", r.StatusCode, err)
	}
}
