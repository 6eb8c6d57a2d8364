package web

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// OIDCConfig configures sign-in through an OpenID Connect identity provider
// (authorization code flow). The provider's verified email is mapped to the
// irflow user with that email; someone the provider knows but irflow does not
// cannot sign in.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read at start.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's /auth/oidc/callback as the provider knows it.
	RedirectURL string
}

type oidcProvider struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newOIDC(ctx context.Context, cfg OIDCConfig) (*oidcProvider, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client id and redirect URL are all required")
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	return &oidcProvider{
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// oidcStart sends the browser to the provider with a fresh state and nonce,
// remembered in a short-lived signed cookie together with where to go afterwards.
func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	state, nonce := randomToken(18), randomToken(18)
	next := safeNext(r.URL.Query().Get("next"), "/incidents")
	val := state + "|" + nonce + "|" + next
	http.SetCookie(w, &http.Cookie{Name: s.sess.cookieName(oidcStateCookie), Value: b64.EncodeToString([]byte(val)) + "." + b64.EncodeToString(s.sess.mac("oidc", val)),
		Path: "/", HttpOnly: true, Secure: s.sess.secure, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce)), http.StatusFound)
}

// oidcCallback checks the provider's answer (state, ID token signature, audience,
// expiry, nonce, verified email), finds the user with that email and signs them
// in.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	if s.oidc == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(msg string, err error) {
		s.logger.Warn("OIDC sign-in refused", "reason", msg, "error", err)
		s.render(w, r, nil, http.StatusUnauthorized, "login.tmpl", page{Title: "Sign in", Error: "Sign-in through the identity provider failed: " + msg,
			Data: loginData{Next: "/incidents", CSRF: s.sess.loginCSRF(w, r)}})
	}
	c, err := r.Cookie(s.sess.cookieName(oidcStateCookie))
	if err != nil {
		refuse("the sign-in took too long or was not started here; try again", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.sess.cookieName(oidcStateCookie), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.sess.secure})
	enc, sig, _ := strings.Cut(c.Value, ".")
	raw, err1 := b64.DecodeString(enc)
	mac, err2 := b64.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.sess.mac("oidc", string(raw))) {
		refuse("the sign-in state was tampered with", nil)
		return
	}
	parts := strings.SplitN(string(raw), "|", 3)
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(r.URL.Query().Get("state"))) != 1 {
		refuse("the state does not match", nil)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		refuse("the provider said "+e, nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth.Exchange(ctx, r.URL.Query().Get("code"))
	if err != nil {
		refuse("the code exchange failed", err)
		return
	}
	rawID, ok := tok.Extra("id_token").(string)
	if !ok {
		refuse("the provider sent no ID token", nil)
		return
	}
	idt, err := s.oidc.verifier.Verify(ctx, rawID)
	if err != nil {
		refuse("the ID token is not valid", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(parts[1])) != 1 {
		refuse("the ID token's nonce does not match", nil)
		return
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email == "" {
		refuse("the ID token has no email", err)
		return
	}
	if claims.EmailVerified != nil && !*claims.EmailVerified {
		refuse("the provider has not verified "+claims.Email, nil)
		return
	}
	users, err := s.users.ListUsers(ctx)
	if err != nil {
		refuse("cannot read the users", err)
		return
	}
	for _, u := range users {
		if u.Email != "" && strings.EqualFold(u.Email, claims.Email) && !u.Disabled {
			s.sess.issue(w, u.ID, "oidc", "")
			s.logger.Info("Web sign-in", "user", u.ID, "via", "oidc")
			http.Redirect(w, r, parts[2], http.StatusSeeOther)
			return
		}
	}
	refuse("no irflow user has the email "+claims.Email+" (an admin adds it with irflow users)", nil)
}
