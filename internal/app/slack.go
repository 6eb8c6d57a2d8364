package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"irflow/internal/incident"
	"irflow/internal/notify"
	"irflow/internal/slackbot"
	"irflow/playbooks"
)

// slackStores is what the Slack app needs of a store.
type slackStores interface {
	incident.Store
	incident.UserStore
	incident.SlackStore
}

// newSlack builds the Slack app when SLACK_BOT_TOKEN is set; nil, nil when it is
// not. It is not started: `serve` and `dev` start it (handlers, Socket Mode, card
// syncer); `worker` only sends notifications through it.
func newSlack(getenv func(string) string, svc slackbot.Incidents, cat *playbooks.Catalogue, store slackStores, logger *slog.Logger) (*slackbot.App, error) {
	cfg, configured, err := slackbot.ConfigFromEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("slack configuration: %w", err)
	}
	if !configured {
		return nil, nil
	}
	return slackbot.New(cfg, slackbot.Deps{Service: svc, Playbooks: cat, Refs: store, Store: store, Users: store, Logger: logger})
}

// notifierWith returns the log transport alone, or a router over the log and
// Slack: the log keeps a record of every message whatever Slack does.
func notifierWith(s *slackbot.App, logT notify.Notifier) (notify.Notifier, error) {
	if s == nil {
		return logT, nil
	}
	r, err := notify.NewRouter(map[string]notify.Notifier{notify.LogTransportName: logT, slackbot.TransportName: s.Notifier()},
		notify.Route{Transports: []string{notify.LogTransportName, slackbot.TransportName}})
	if err != nil {
		return nil, fmt.Errorf("notification router: %w", err)
	}
	return r, nil
}

// runSlack starts the Slack app's workers and card syncer and, with an app token,
// its Socket Mode connection; they stop when ctx ends.
func runSlack(ctx context.Context, s *slackbot.App, logger *slog.Logger) {
	if !s.Config().Receives() {
		logger.Warn("Slack posts notifications and cards, but /incident and buttons cannot reach irflow: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP at /slack/...)")
	}
	s.Start(ctx)
	if s.Config().SocketMode() {
		go func() {
			if err := s.RunSocketMode(ctx); err != nil {
				logger.Error("Slack Socket Mode stopped", "error", err)
			}
		}()
	}
}

// withSlack mounts the Slack app's HTTP endpoints (/slack/...) beside api when
// it takes HTTP requests (SLACK_SIGNING_SECRET set). They carry Slack's
// signature, not an irflow token, so they bypass the API's authentication.
func withSlack(api http.Handler, s *slackbot.App) http.Handler {
	if s == nil || s.Config().SigningSecret == "" {
		return api
	}
	slackH := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slack/") {
			slackH.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// SlackDescription is the ready line's word on Slack.
func slackDescription(s *slackbot.App) string {
	if s == nil {
		return "not-configured(log-transport)"
	}
	switch {
	case s.Config().SocketMode():
		return "socket-mode"
	case s.Config().SigningSecret != "":
		return "http(/slack/commands)"
	}
	return "post-only(no-app-token-or-signing-secret)"
}
