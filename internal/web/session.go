package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Cookie names. With Secure cookies the session cookie takes the __Host- prefix,
// which browsers accept only from a secure origin, for path /, without Domain: a
// sibling subdomain cannot plant or overwrite it.
const (
	sessionCookie   = "irflow_session"
	loginCSRFCookie = "irflow_login"
	flashCookie     = "irflow_flash"
	oidcStateCookie = "irflow_oidc"
)

// session is what the signed session cookie carries. The user's roles are not in
// it: they are read from the store on every request, so a role taken away or a
// user disabled takes effect at once.
type session struct {
	UserID string `json:"u"`
	// Nonce identifies the session: the CSRF token is derived from it, and
	// signing out revokes it.
	Nonce   string `json:"n"`
	Expires int64  `json:"e"` // Unix seconds
	Via     string `json:"v"` // "password" or "oidc"
	// Pw fingerprints the password hash a password sign-in checked: once the
	// password is changed (irflow users passwd), the sessions it opened end.
	Pw string `json:"p,omitempty"`
}

// passwordPrint is a short fingerprint of a stored password hash; "" for none.
func passwordPrint(hash string) string {
	if hash == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(hash))
	return b64.EncodeToString(sum[:9])
}

// sessions signs and checks session cookies and derives their CSRF tokens with
// one key. Signed cookies need no session table, so several `irflow serve`
// replicas sharing the key accept each other's sessions.
type sessions struct {
	key    []byte
	ttl    time.Duration
	secure bool
	now    func() time.Time

	mu      sync.Mutex
	revoked map[string]int64 // nonce -> expiry, until it would have expired anyway
}

func (s *sessions) cookieName(base string) string {
	if s.secure {
		return "__Host-" + base
	}
	return base
}

func (s *sessions) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // the kernel's CSPRNG does not fail
	}
	return b64.EncodeToString(b)
}

// issue sets a new session cookie for userID; pwHash is the password hash a
// password sign-in checked.
func (s *sessions) issue(w http.ResponseWriter, userID, via, pwHash string) session {
	sess := session{UserID: userID, Nonce: randomToken(18), Expires: s.now().Add(s.ttl).Unix(), Via: via, Pw: passwordPrint(pwHash)}
	body, _ := json.Marshal(sess)
	payload := b64.EncodeToString(body)
	value := payload + "." + b64.EncodeToString(s.mac("session", payload))
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(sessionCookie), Value: value, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.ttl / time.Second)})
	return sess
}

var errNoSession = errors.New("no session")

// read returns the request's session if its cookie is present, signed with our
// key, unexpired and not revoked.
func (s *sessions) read(r *http.Request) (session, error) {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil {
		return session{}, errNoSession
	}
	payload, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return session{}, errors.New("malformed session cookie")
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", payload)) {
		return session{}, errors.New("session cookie signature does not match")
	}
	body, err := b64.DecodeString(payload)
	if err != nil {
		return session{}, errors.New("malformed session cookie")
	}
	var sess session
	if err := json.Unmarshal(body, &sess); err != nil || sess.UserID == "" || sess.Nonce == "" {
		return session{}, errors.New("malformed session cookie")
	}
	if s.now().Unix() >= sess.Expires {
		return session{}, errors.New("session expired")
	}
	s.mu.Lock()
	_, gone := s.revoked[sess.Nonce]
	s.mu.Unlock()
	if gone {
		return session{}, errors.New("session signed out")
	}
	return sess, nil
}

// revoke ends a session: its cookie is refused from now on, in this process.
func (s *sessions) revoke(w http.ResponseWriter, sess session) {
	s.mu.Lock()
	now := s.now().Unix()
	for n, exp := range s.revoked {
		if exp < now {
			delete(s.revoked, n)
		}
	}
	s.revoked[sess.Nonce] = sess.Expires
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(sessionCookie), Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// csrfToken is the session's CSRF token: every form carries it, and a request
// that changes anything must send it back. It is derived from the session's
// nonce, so it changes with each sign-in and another site cannot know it.
func (s *sessions) csrfToken(sess session) string {
	return b64.EncodeToString(s.mac("csrf", sess.Nonce))
}

func (s *sessions) checkCSRF(sess session, token string) bool {
	want := s.csrfToken(sess)
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// loginCSRF returns the sign-in form's CSRF token, set as a cookie too (double
// submit): before a session exists there is nothing else to bind it to, and it
// stops another site from signing a browser in as someone else (login CSRF).
func (s *sessions) loginCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.cookieName(loginCSRFCookie)); err == nil && len(c.Value) >= 24 {
		return c.Value
	}
	tok := randomToken(24)
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(loginCSRFCookie), Value: tok, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return tok
}

func (s *sessions) checkLoginCSRF(r *http.Request, token string) bool {
	c, err := r.Cookie(s.cookieName(loginCSRFCookie))
	return err == nil && token != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(token)) == 1
}

// calendarToken is a user's calendar feed token: it opens their feed and nothing
// else (an API token in a calendar program's settings would open the whole API).
// It is derived from the key, so it survives restarts while the key does, and
// rotating the key revokes every feed.
func (s *sessions) calendarToken(userID string) string {
	return "cal_" + userID + "." + b64.EncodeToString(s.mac("calendar", userID)[:20])
}

// calendarUser returns the user a calendar token was issued to.
func (s *sessions) calendarUser(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, "cal_")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 {
		return "", false
	}
	user := rest[:i]
	return user, subtle.ConstantTimeCompare([]byte(token), []byte(s.calendarToken(user))) == 1
}

// setFlash leaves a one-line message for the next page the browser shows.
func (s *sessions) setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: b64.EncodeToString([]byte(msg)), Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// takeFlash returns and clears the flash message.
func (s *sessions) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure})
	b, err := b64.DecodeString(c.Value)
	if err != nil || len(b) > 500 {
		return ""
	}
	return string(b)
}
