// Package web is irflow's browser interface: sign-in, the incidents list, the
// incident page, notices (drafted, edited, approved by legal and sent), legal's
// deadline board across every incident, the calendar feed, the GDPR Art. 33(5)
// breach register and post-incident report downloads.
//
// Pages are rendered on the server with html/template (which escapes every value)
// from a small embedded stylesheet and script; there is no front-end build. Like
// every transport it reads and acts only through the service, with the signed-in
// user's identity in the context: the service checks the permission table and
// stamps the user, via web, into every Update, so the board, Slack and the CLI act
// through the same workflow Updates and see the same record. Buttons are shown
// only to roles that may use them; the service refuses the others anyway.
//
// Security: sessions are HMAC-signed cookies (HttpOnly, SameSite=Lax, Secure and
// __Host- prefixed when served over HTTPS) whose roles are re-read from the store
// on each request; every form carries a CSRF token derived from the session; sign-in
// failures are rate limited per user name and client address; every page needs a
// session except the sign-in page, the static files and the calendar feed, which
// takes its own per-user token.
package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"irflow/internal/auth"
	"irflow/internal/httpapi"
	"irflow/internal/incident"
	"irflow/internal/service"
)

//go:embed templates/*.tmpl static/*
var assets embed.FS

// Config configures the web UI.
type Config struct {
	Service *service.Service
	// Users resolves sessions to users and holds password hashes; usually the
	// service's Users.
	Users incident.UserStore
	// SessionKey signs session cookies and derives CSRF and calendar tokens; at
	// least 32 bytes. Replicas that share it accept each other's sessions.
	SessionKey []byte
	// SecureCookies marks cookies Secure (and __Host-): set it whenever users
	// reach irflow over HTTPS, which they must beyond loopback.
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; 12 hours when zero.
	SessionTTL time.Duration
	// EvidenceDirs are folders holding incidents' evidence folders, tried after the
	// folder the store recorded (reports and the Verify button).
	EvidenceDirs []string
	// OIDC enables sign-in through an OpenID Connect identity provider; nil: off.
	OIDC *OIDCConfig
	// PasswordParams are the argon2id parameters of the dummy hash checked for
	// unknown users (so they take as long as known ones); auth.DefaultPasswordParams
	// when zero.
	PasswordParams auth.PasswordParams
	// SettleTimeout is how long an obligation action waits for the clock to save its
	// new state to the store before showing the board (3 s when zero).
	SettleTimeout time.Duration
	Now           func() time.Time
	Logger        *slog.Logger
}

// Server is the web UI's HTTP handler.
type Server struct {
	cfg       Config
	svc       *service.Service
	users     incident.UserStore
	sess      *sessions
	limiter   *loginLimiter // per user name
	ipLimiter *loginLimiter // per client address: more lenient (offices share one)
	pages     map[string]*template.Template
	mux       *http.ServeMux
	logger    *slog.Logger
	dummyHash string
	oidc      *oidcProvider
	now       func() time.Time
}

// New builds the web UI. It fails on a configuration that would be unsafe: a short
// session key, or no user store.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Users == nil {
		return nil, errors.New("web: a service and a user store are required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, fmt.Errorf("web: the session key has %d bytes; it needs at least 32", len(cfg.SessionKey))
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 3 * time.Second
	}
	if cfg.PasswordParams == (auth.PasswordParams{}) {
		cfg.PasswordParams = auth.DefaultPasswordParams
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, svc: cfg.Service, users: cfg.Users, logger: cfg.Logger, now: cfg.Now,
		sess:    &sessions{key: cfg.SessionKey, ttl: cfg.SessionTTL, secure: cfg.SecureCookies, now: cfg.Now, revoked: map[string]int64{}},
		limiter: newLoginLimiter(cfg.Now, 3), ipLimiter: newLoginLimiter(cfg.Now, 20), mux: http.NewServeMux()}
	var err error
	if s.dummyHash, err = auth.HashPassword(randomToken(12), cfg.PasswordParams); err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	if cfg.OIDC != nil {
		if s.oidc, err = newOIDC(ctx, *cfg.OIDC); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

// NewSessionKey returns a random 32-byte session key.
func NewSessionKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return k
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("GET /auth/oidc/start", s.oidcStart)
	s.mux.HandleFunc("GET /auth/oidc/callback", s.oidcCallback)
	s.mux.HandleFunc("GET /calendar.ics", s.calendar)

	s.mux.HandleFunc("POST /logout", s.authed(s.logout))
	s.mux.HandleFunc("GET /{$}", s.authed(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
		http.Redirect(w, r, "/incidents", http.StatusSeeOther)
	}))
	s.mux.HandleFunc("GET /incidents", s.authed(s.incidents))
	s.mux.HandleFunc("GET /incidents/{id}", s.authed(s.incidentPage))
	s.mux.HandleFunc("GET /incidents/{id}/report", s.authed(s.report))
	s.mux.HandleFunc("POST /incidents/{id}/evidence/verify", s.authed(s.verifyEvidence))
	s.mux.HandleFunc("GET /incidents/{id}/notices/{obligation}", s.authed(s.noticePage))
	s.mux.HandleFunc("POST /incidents/{id}/notices/{obligation}/approve", s.authed(s.approveNotice))
	s.mux.HandleFunc("GET /incidents/{id}/notices/{obligation}/draft", s.authed(s.draftForm))
	s.mux.HandleFunc("POST /incidents/{id}/notices/{obligation}/draft", s.authed(s.draftNotice))
	s.mux.HandleFunc("POST /incidents/{id}/notices/{obligation}/edit", s.authed(s.editNotice))
	s.mux.HandleFunc("GET /board", s.authed(s.board))
	s.mux.HandleFunc("GET /register.csv", s.authed(s.register))
	s.registerActions()
	s.mux.HandleFunc("/", s.authed(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
		s.errorPage(w, r, rc, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	}))
}

// ServeHTTP implements http.Handler, adding the security headers every answer
// carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if s.cfg.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if r.Method == http.MethodPost && !sameOrigin(r) {
		http.Error(w, "cross-origin form posts are refused", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// sameOrigin reports whether a POST's Origin (sent by every current browser) is
// this host; a request without one (an old browser, curl) is left to the CSRF
// token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d/time.Second)))
		h.ServeHTTP(w, r)
	})
}

// reqCtx is a signed-in request: the user as the store has them now, the session
// and its CSRF token.
type reqCtx struct {
	User incident.User
	Sess session
	CSRF string
	// ctx carries the identity the service checks.
	ctx context.Context
}

// authed wraps a handler that needs a session. Without one, a page view goes to
// the sign-in page and any other request is refused; a POST must carry the
// session's CSRF token.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *reqCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.sess.read(r)
		var u incident.User
		if err == nil {
			u, err = s.users.GetUser(r.Context(), sess.UserID)
			if err == nil && u.Disabled {
				err = fmt.Errorf("user %s is disabled", u.ID)
			}
			if err == nil && sess.Via == "password" {
				// A changed password ends the sessions the old one opened.
				var h string
				if h, err = s.users.PasswordHash(r.Context(), u.ID); err == nil && passwordPrint(h) != sess.Pw {
					err = fmt.Errorf("the password of %s changed since this session began", u.ID)
				}
			}
		}
		if err != nil {
			if !errors.Is(err, errNoSession) {
				s.logger.Info("Web session refused", "error", err)
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "sign in first: this request has no valid session", http.StatusUnauthorized)
			return
		}
		rc := &reqCtx{User: u, Sess: sess, CSRF: s.sess.csrfToken(sess),
			ctx: incident.WithIdentity(r.Context(), incident.Identity{User: u, Via: incident.ViaWeb})}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf")
			}
			if !s.sess.checkCSRF(sess, tok) {
				s.logger.Warn("Web CSRF check failed", "user", u.ID, "path", r.URL.Path)
				s.errorPage(w, r, rc, http.StatusForbidden, "This form has expired or did not come from irflow (CSRF check failed). Reload the page and try again.")
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r, rc)
	}
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string
	User  incident.User
	CSRF  string
	Flash string
	Error string
	OIDC  bool
	Data  any
}

// Can reports whether the signed-in user's roles allow an action (a name from
// the permission table), to show or hide its buttons.
func (p page) Can(action string) bool {
	return incident.Allowed(p.User.Roles, incident.Action(action))
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		http.Error(w, "no template "+name, http.StatusInternalServerError)
		return
	}
	if rc != nil {
		p.User, p.CSRF = rc.User, rc.CSRF
		if p.Flash == "" {
			p.Flash = s.sess.takeFlash(w, r)
		}
	}
	p.OIDC = s.oidc != nil
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.logger.Error("Render web page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, msg string) {
	s.render(w, r, rc, status, "error.tmpl", page{Title: http.StatusText(status), Error: msg})
}

// fail shows an error from the service with the status its code maps to; an
// internal error is logged and shown without its details.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rc *reqCtx, err error) {
	var e *incident.Error
	if errors.As(err, &e) {
		s.errorPage(w, r, rc, httpapi.StatusOf(e.Code), e.Message)
		return
	}
	s.logger.Error("Web request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	s.errorPage(w, r, rc, http.StatusInternalServerError, "Something went wrong on irflow's side; the server's log has the details.")
}

// clientIP is the address the request came from, for rate limiting.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext returns a local path to go to after an action, or def.
func safeNext(next, def string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return def
	}
	return next
}
