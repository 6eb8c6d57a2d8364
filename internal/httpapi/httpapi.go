// Package httpapi is irflow's HTTP interface: /healthz and a JSON API under /api/.
// Slack endpoints and the legal web board plug in here later. Handlers validate their
// input, call one method of the service, and map errors to HTTP statuses in one
// table. Like every transport, it imports the domain and the service, never the
// workflows.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/service"
)

// maxBody bounds request bodies: four times the largest request the service
// accepts (incident.MaxPayload), so that a body over it is refused as too large
// (413) before it is read, and one under it by the service naming the field.
const maxBody = 4 * incident.MaxPayload

// Server serves the HTTP API.
type Server struct {
	svc    *service.Service
	logger *slog.Logger
	mux    *http.ServeMux
}

// New returns the HTTP handler.
func New(svc *service.Service, logger *slog.Logger) http.Handler {
	s := &Server{svc: svc, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /api/playbooks", s.listPlaybooks)
	s.mux.HandleFunc("GET /api/incidents", s.listIncidents)
	s.mux.HandleFunc("POST /api/incidents", s.declare)
	s.mux.HandleFunc("GET /api/incidents/{id}", s.show)
	s.mux.HandleFunc("GET /api/incidents/{id}/timeline", s.timeline)
	s.registerActions()
	s.registerNotices()
	return requireIdentity(s.mux)
}

// requireIdentity refuses /api/ requests that reach the API without a verified
// identity: the handler must be wrapped in Authenticate, and a wiring mistake must
// fail closed rather than let anyone act.
func requireIdentity(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := incident.IdentityFrom(r.Context()); !ok && strings.HasPrefix(r.URL.Path, "/api/") {
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: "irflow's HTTP API needs an API token", Code: incident.EUNAUTHORIZED})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) listPlaybooks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.svc.Playbooks.All())
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) {
	f := incident.ListFilter{Phase: r.URL.Query().Get("phase"), Query: r.URL.Query().Get("q"), Open: r.URL.Query().Get("open") == "true"}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			s.fail(w, r, incident.Errorf(incident.EINVALID, "limit: %q is not a non-negative number", l))
			return
		}
		f.Limit = n
	}
	list, err := s.svc.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// declareBody is POST /api/incidents's body.
type declareBody struct {
	Playbook       string          `json:"playbook"`
	Title          string          `json:"title"`
	Actor          string          `json:"actor"`
	IdempotencyKey string          `json:"idempotency_key"`
	Facts          json.RawMessage `json:"facts"`
}

func (s *Server) declare(w http.ResponseWriter, r *http.Request) {
	var body declareBody
	if err := decodeBody(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	req := service.DeclareRequest{Playbook: body.Playbook, Title: body.Title, Actor: body.Actor, IdempotencyKey: body.IdempotencyKey}
	if len(body.Facts) > 0 && string(body.Facts) != "null" {
		// The size first: decoding a megabyte of mistakes is work an attacker
		// should not get for free (issue 17 item 3).
		if err := facts.CheckSize(body.Facts); err != nil {
			s.fail(w, r, incident.Errorf(incident.ETOOLARGE, "facts: %v", err))
			return
		}
		doc, err := facts.Parse(body.Facts)
		if err != nil {
			s.fail(w, r, incident.Errorf(incident.EINVALID, "facts: %v", err))
			return
		}
		req.Facts = &doc
	}
	d, err := s.svc.Declare(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if d.Existing {
		status = http.StatusOK
	}
	writeJSON(w, status, d)
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Show(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	tl, err := s.svc.Timeline(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tl)
}

// decodeBody reads a JSON body strictly: unknown fields and trailing data are errors.
// A body over maxBody is ETOOLARGE, said before a byte of it is read when its
// Content-Length gives it away, rather than a decoding error about its cut end.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	tooLarge := incident.Errorf(incident.ETOOLARGE, "request body: larger than %d bytes", maxBody)
	if r.ContentLength > maxBody {
		return tooLarge
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return incident.Errorf(incident.EINVALID, "request body: %v", err)
	}
	if dec.More() {
		return incident.Errorf(incident.EINVALID, "request body: unexpected data after the JSON object")
	}
	return nil
}

// statuses is the one table mapping error codes to HTTP statuses, for the API and
// the web UI alike.
var statuses = map[string]int{
	incident.EINVALID:      http.StatusBadRequest,
	incident.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	incident.ENOTFOUND:     http.StatusNotFound,
	incident.ECONFLICT:     http.StatusConflict,
	incident.EUNAUTHORIZED: http.StatusUnauthorized,
	incident.EFORBIDDEN:    http.StatusForbidden,
	incident.EUNAVAILABLE:  http.StatusServiceUnavailable,
	incident.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf is the HTTP status of an error code; an unknown code is a 500.
func StatusOf(code string) int {
	if st, ok := statuses[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *incident.Error
	if errors.As(err, &e) {
		writeJSON(w, StatusOf(e.Code), errorBody{Error: e.Message, Code: e.Code})
		return
	}
	// Only internal errors are logged; users see a generic message, not internals.
	s.logger.Error("HTTP request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error", Code: incident.EINTERNAL})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(w, `{"error":"encode response: %s"}`, err)
	}
}
