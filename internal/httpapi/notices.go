package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/internal/service"
)

// registerNotices adds the notice routes and the email intake.
func (s *Server) registerNotices() {
	s.mux.HandleFunc("GET /api/incidents/{id}/notices", func(w http.ResponseWriter, r *http.Request) {
		ns, err := s.svc.ListNotices(r.Context(), r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ns == nil {
			ns = []incident.Notice{}
		}
		writeJSON(w, http.StatusOK, ns)
	})
	s.mux.HandleFunc("GET /api/incidents/{id}/notices/{obligation}", func(w http.ResponseWriter, r *http.Request) {
		v, err := s.svc.ShowNotice(r.Context(), r.PathValue("id"), r.PathValue("obligation"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	s.mux.HandleFunc("GET /api/incidents/{id}/notices/{obligation}/status", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, limit, err := pageParams(q.Get("after"), q.Get("limit"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		st, err := s.svc.NoticeStatus(r.Context(), r.PathValue("id"), r.PathValue("obligation"), q.Get("state"), after, limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	s.mux.HandleFunc("POST /api/incidents/{id}/notices/{obligation}/draft", action(s, func(r *http.Request, b service.DraftNoticeRequest) (incident.NoticeView, error) {
		return s.svc.DraftNotice(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/notices/{obligation}/edit", action(s, func(r *http.Request, b incident.EditNoticeRequest) (incident.NoticeView, error) {
		return s.svc.EditNotice(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/notices/{obligation}/approve", action(s, func(r *http.Request, b incident.ApproveNoticeRequest) (incident.NoticeView, error) {
		return s.svc.ApproveNotice(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/incidents/{id}/notices/{obligation}/send", action(s, func(r *http.Request, b service.SendNoticeRequest) (incident.NoticeView, error) {
		return s.svc.SendNotice(r.Context(), r.PathValue("id"), r.PathValue("obligation"), b)
	}))
	s.mux.HandleFunc("POST /api/intake/email", s.intakeEmail)
	s.mux.HandleFunc("GET /api/intake/email", func(w http.ResponseWriter, r *http.Request) {
		_, limit, err := pageParams("", r.URL.Query().Get("limit"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ms, err := s.svc.ListIntake(r.Context(), limit)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if ms == nil {
			ms = []incident.IntakeMessage{}
		}
		writeJSON(w, http.StatusOK, ms)
	})
}

// pageParams reads ?after=SEQ&limit=N (limit 100 by default, at most 10,000).
func pageParams(afterText, limitText string) (int64, int, error) {
	var after int64
	limit := 100
	var err error
	if afterText != "" {
		if after, err = strconv.ParseInt(afterText, 10, 64); err != nil || after < 0 {
			return 0, 0, incident.Errorf(incident.EINVALID, "after: %q is not a recipient number", afterText)
		}
	}
	if limitText != "" {
		if limit, err = strconv.Atoi(limitText); err != nil || limit < 0 || limit > 10000 {
			return 0, 0, incident.Errorf(incident.EINVALID, "limit: %q is not a number from 0 to 10000", limitText)
		}
	}
	return after, limit, nil
}

// intakeEmail takes one raw RFC 5322 message (Content-Type message/rfc822 or
// text/plain) for the intake. ?received_at=RFC3339 gives the instant it reached the
// organisation when it is forwarded later (the arrival is the notice's trigger);
// now by default. The answer says what the intake made of it: 201 with the incident
// it started, 200 when it was kept without one (not a Zendesk notice, malformed, a
// redelivery).
func (s *Server) intakeEmail(w http.ResponseWriter, r *http.Request) {
	at := time.Now().UTC()
	if v := r.URL.Query().Get("received_at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, r, incident.Errorf(incident.EINVALID, "received_at: %q is not an RFC 3339 time", v))
			return
		}
		at = t.UTC()
	}
	if r.ContentLength > intake.MaxMessageBytes {
		s.fail(w, r, incident.Errorf(incident.ETOOLARGE, "message: larger than %d bytes", intake.MaxMessageBytes))
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, intake.MaxMessageBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(w, r, incident.Errorf(incident.ETOOLARGE, "message: larger than %d bytes", intake.MaxMessageBytes))
			return
		}
		s.fail(w, r, incident.Errorf(incident.EINVALID, "message: %v", err))
		return
	}
	out, err := s.svc.ReceiveEmail(r.Context(), raw, at)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if out.Status == incident.IntakeDeclared && !out.Duplicate {
		status = http.StatusCreated
	}
	writeJSON(w, status, out)
}
