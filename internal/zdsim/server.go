package zdsim

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"irflow/internal/zendesk"
)

// Server is a simulator listening on a TCP address.
type Server struct {
	*Sim
	// URL is the instance root, e.g. "http://127.0.0.1:8081"; the client's
	// Config.BaseURL. The API is under URL + "/api/v2".
	URL  string
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Start builds a simulator from opts and serves it on addr ("127.0.0.1:0" picks a
// free port). Stop it with Close or Shutdown.
func Start(addr string, opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zdsim listen on %s: %w", addr, err)
	}
	s := &Server{
		Sim:  sim,
		URL:  "http://" + ln.Addr().String(),
		srv:  &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// ClientConfig returns a client configuration that reaches this simulator as its
// account owner, with API-token auth. `irflow dev` uses it when no Zendesk
// credentials are configured.
func (s *Server) ClientConfig() zendesk.Config {
	f := s.Facts()
	return zendesk.Config{BaseURL: s.URL, Email: f.AdminEmail, APIToken: f.AdminAPIToken}
}

// Shutdown stops accepting requests and waits for in-flight ones until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("zdsim shutdown: %w", err)
	}
	return <-s.done
}

// Close stops the server at once.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// serveControl answers the simulator's own endpoints, outside /api/v2 and without
// auth (bind the simulator to loopback):
//
//	GET  /_sim/mutations         {"mutations":[{"kind","id","count"}]}
//	GET  /_sim/state             every object, for tests and demos
//	GET  /_sim/stats             request counters
//	GET  /_sim/facts             the seed's DemoFacts
//	PUT  /_sim/faults            {"rate_429":0.1,"rate_5xx":0,"latency":"50ms"}
//	POST /_sim/fail_after_apply  {"kind":"user","id":"372003","times":1}
func (s *Sim) serveControl(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sim/")
	switch {
	case path == "mutations" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"mutations": s.AllMutations()})
	case path == "state" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Snapshot())
	case path == "stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Stats())
	case path == "facts" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Facts())
	case path == "faults" && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		var body struct {
			Rate429 float64 `json:"rate_429"`
			Rate5xx float64 `json:"rate_5xx"`
			Latency string  `json:"latency"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidJSON", "description": err.Error()})
			return
		}
		f := Faults{Rate429: body.Rate429, Rate5xx: body.Rate5xx}
		if body.Latency != "" {
			d, err := time.ParseDuration(body.Latency)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidValue", "description": "latency: " + err.Error()})
				return
			}
			f.Latency = d
		}
		if err := s.SetFaults(f); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidValue", "description": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"rate_429": f.Rate429, "rate_5xx": f.Rate5xx, "latency": f.Latency.String()})
	case path == "fail_after_apply" && r.Method == http.MethodPost:
		var body struct {
			Kind  string `json:"kind"`
			ID    string `json:"id"`
			Times int    `json:"times"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Kind == "" || body.ID == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "InvalidJSON", "description": `want {"kind":"user","id":"372003","times":1}`})
			return
		}
		if body.Times == 0 {
			body.Times = 1
		}
		s.FailAfterApply(body.Kind, body.ID, body.Times)
		writeJSON(w, http.StatusOK, body)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "InvalidEndpoint", "description": "unknown simulator endpoint " + r.Method + " " + r.URL.Path})
	}
}

// Snapshot is the simulator's state as plain JSON-ready values (secrets included:
// it is a test fixture, not Zendesk).
type Snapshot struct {
	Now              time.Time        `json:"now"`
	Users            []user           `json:"users"`
	Sessions         []session        `json:"sessions"`
	APITokens        []apiToken       `json:"api_tokens"`
	OAuthTokens      []oauthTokenDump `json:"oauth_tokens"`
	OAuthClients     []oauthClient    `json:"oauth_clients"`
	AppInstallations []installation   `json:"app_installations"`
	Webhooks         []webhook        `json:"webhooks"`
	Targets          []target         `json:"targets"`
	Tickets          []ticket         `json:"tickets"`
	AuditLogCount    int              `json:"audit_log_count"`
	Settings         securitySettings `json:"settings"`
}

type oauthTokenDump struct {
	oauthToken
	FullToken string `json:"full_token"`
}

// Snapshot copies the current state.
func (s *Sim) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	snap := Snapshot{Now: s.Now(), AuditLogCount: len(st.auditLogs), Settings: st.settings}
	for _, u := range sortedByID(st.users, func(u *user) int64 { return u.ID }) {
		snap.Users = append(snap.Users, *u)
	}
	for _, v := range sortedByID(st.sessions, func(v *session) int64 { return v.ID }) {
		snap.Sessions = append(snap.Sessions, *v)
	}
	for _, v := range sortedByID(st.apiTokens, func(v *apiToken) int64 { return v.ID }) {
		snap.APITokens = append(snap.APITokens, *v)
	}
	for _, v := range sortedByID(st.oauthTokens, func(v *oauthToken) int64 { return v.ID }) {
		snap.OAuthTokens = append(snap.OAuthTokens, oauthTokenDump{oauthToken: *v, FullToken: v.full})
	}
	for _, v := range sortedByID(st.oauthClients, func(v *oauthClient) int64 { return v.ID }) {
		snap.OAuthClients = append(snap.OAuthClients, *v)
	}
	for _, v := range sortedByID(st.installations, func(v *installation) int64 { return v.ID }) {
		snap.AppInstallations = append(snap.AppInstallations, *v)
	}
	for _, v := range st.webhooks {
		snap.Webhooks = append(snap.Webhooks, *v)
	}
	slices.SortFunc(snap.Webhooks, func(a, b webhook) int { return cmp.Compare(a.seq, b.seq) })
	for _, v := range sortedByID(st.targets, func(v *target) int64 { return v.ID }) {
		snap.Targets = append(snap.Targets, *v)
	}
	for _, v := range sortedByID(st.tickets, func(v *ticket) int64 { return v.ID }) {
		snap.Tickets = append(snap.Tickets, *v)
	}
	return snap
}
