package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"irflow/internal/auth"
	"irflow/internal/incident"
)

// wrongCredentials is the one answer to a wrong password, an unknown user, a user
// without a password and a disabled user alike, so the sign-in form cannot be
// used to find out who has an account.
const wrongCredentials = "Wrong user name or password."

type loginData struct {
	Next, User, CSRF string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"), "/incidents")
	if _, err := s.sess.read(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, nil, http.StatusOK, "login.tmpl", page{Title: "Sign in", Data: loginData{Next: next, CSRF: s.sess.loginCSRF(w, r)}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	w.Header().Set("Cache-Control", "no-store")
	user := strings.ToLower(strings.TrimSpace(r.PostFormValue("user")))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"), "/incidents")
	again := func(status int, msg string) {
		s.render(w, r, nil, status, "login.tmpl", page{Title: "Sign in", Error: msg,
			Data: loginData{Next: next, User: user, CSRF: s.sess.loginCSRF(w, r)}})
	}
	if !s.sess.checkLoginCSRF(r, r.PostFormValue("csrf")) {
		again(http.StatusForbidden, "The sign-in form expired (CSRF check failed): try again.")
		return
	}
	if user == "" || pw == "" {
		again(http.StatusBadRequest, "Enter your user name and password.")
		return
	}
	ip := clientIP(r)
	if wait := max(s.limiter.wait(user), s.ipLimiter.wait(ip)); wait > 0 {
		again(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins: try again in %d seconds.", int(math.Ceil(wait.Seconds()))))
		return
	}
	ok, hash, err := s.checkPassword(r, user, pw)
	if err != nil {
		s.logger.Error("Sign-in check failed", "user", user, "error", err)
		again(http.StatusInternalServerError, "Sign-in is unavailable; the server's log has the details.")
		return
	}
	if !ok {
		lock := max(s.limiter.fail(user), s.ipLimiter.fail(ip))
		s.logger.Warn("Web sign-in failed", "user", user, "client", clientIP(r))
		msg := wrongCredentials
		if lock > 0 {
			msg += fmt.Sprintf(" Too many failed sign-ins: wait %d seconds before the next try.", int(math.Ceil(lock.Seconds())))
		}
		again(http.StatusUnauthorized, msg)
		return
	}
	s.limiter.succeed(user)
	s.sess.issue(w, user, "password", hash)
	s.logger.Info("Web sign-in", "user", user, "via", "password")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkPassword reports whether pw is user's password. An unknown user, one
// without a password and a disabled one are checked against a dummy hash, so all
// take as long as a wrong password.
func (s *Server) checkPassword(r *http.Request, user, pw string) (bool, string, error) {
	hash, err := s.users.PasswordHash(r.Context(), user)
	var ie *incident.Error
	switch {
	case errors.As(err, &ie) && ie.Code == incident.ENOTFOUND, err == nil && hash == "":
		_, _ = auth.CheckPassword(pw, s.dummyHash)
		return false, "", nil
	case err != nil:
		return false, "", err
	}
	ok, err := auth.CheckPassword(pw, hash)
	if err != nil || !ok {
		return false, "", err
	}
	u, err := s.users.GetUser(r.Context(), user)
	if err != nil {
		return false, "", err
	}
	return !u.Disabled, hash, nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	s.sess.revoke(w, rc.Sess)
	s.logger.Info("Web sign-out", "user", rc.User.ID)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
