package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/playbooks"
)

// Incidents is the part of the service the Slack app calls. *service.Service
// implements it; every action goes through it with the Slack user's identity, so
// the permission table and the audit log apply as they do to the HTTP API.
type Incidents interface {
	Declare(ctx context.Context, req service.DeclareRequest) (service.Declared, error)
	Show(ctx context.Context, id string) (incident.State, error)
	Obligations(ctx context.Context, incidentID string, all bool) ([]incident.ObligationView, error)
	StartAddNote(ctx context.Context, id string, req incident.NoteRequest) (*service.Pending[incident.TimelineEntry], error)
	StartApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (*service.Pending[incident.StepState], error)
	StartSkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (*service.Pending[incident.StepState], error)
	StartClose(ctx context.Context, id string, req incident.CloseRequest) (*service.Pending[incident.State], error)
	StartSetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (*service.Pending[incident.SetFactsResult], error)
}

var _ Incidents = (*service.Service)(nil)

// Deps are what the app works with.
type Deps struct {
	Service   Incidents
	Playbooks *playbooks.Catalogue
	// Refs keeps the channels, cards and messages the app made.
	Refs incident.SlackStore
	// Store is the read model; the card syncer watches incident versions in it.
	Store incident.Store
	// Users maps Slack users to irflow users.
	Users  incident.UserStore
	Logger *slog.Logger
	// HTTPClient makes the Web API calls; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock of the cards' time left; time.Now when nil.
	Now func() time.Time
}

// App is the Slack app: its handlers, its queue of work after the acknowledgement,
// its status cards and its notifier transport.
type App struct {
	cfg  Config
	deps Deps
	api  *slack.Client
	log  *slog.Logger

	jobs  chan job
	dedup *seenSet

	cardMu    sync.Mutex
	cardLocks map[string]*sync.Mutex
	cardShown map[string]string // incident -> hash of the card last posted or updated
	cardSeen  map[string]string // incident -> store version and minute last synced

	startOnce sync.Once
	wg        sync.WaitGroup
}

type job struct {
	what string
	fn   func(ctx context.Context)
}

// QueueSize bounds the work waiting for a worker. When it is full a request is
// answered with "busy" rather than queued without bound.
const QueueSize = 1024

// New builds the app; Start runs its workers.
func New(cfg Config, deps Deps) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Service == nil || deps.Refs == nil || deps.Users == nil || deps.Playbooks == nil {
		return nil, errors.New("slack app: the service, playbooks, slack refs store and user store are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	opts := []slack.Option{slack.OptionAPIURL(cfg.APIURL)}
	if deps.HTTPClient != nil {
		opts = append(opts, slack.OptionHTTPClient(deps.HTTPClient))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	return &App{
		cfg: cfg, deps: deps, log: deps.Logger.With("component", "slack"),
		api:       slack.New(cfg.BotToken, opts...),
		jobs:      make(chan job, QueueSize),
		dedup:     newSeenSet(),
		cardLocks: map[string]*sync.Mutex{}, cardShown: map[string]string{}, cardSeen: map[string]string{},
	}, nil
}

// Config returns the app's configuration with defaults filled.
func (a *App) Config() Config { return a.cfg }

// API is the Web API client (for tests and the transport).
func (a *App) API() *slack.Client { return a.api }

// Start runs the workers that do the work requests were acknowledged for, and the
// card syncer. They stop when ctx ends; Wait waits for them.
func (a *App) Start(ctx context.Context) {
	a.startOnce.Do(func() {
		for range a.cfg.Workers {
			a.wg.Add(1)
			go func() {
				defer a.wg.Done()
				for {
					select {
					case <-ctx.Done():
						return
					case j := <-a.jobs:
						a.run(ctx, j)
					}
				}
			}()
		}
		if a.deps.Store != nil {
			a.wg.Add(1)
			go func() { defer a.wg.Done(); a.syncCards(ctx) }()
		}
	})
}

// Wait waits for the workers and the syncer to stop after Start's ctx ended.
func (a *App) Wait() { a.wg.Wait() }

// run runs one job; a panic in it is logged, never kills the worker.
func (a *App) run(ctx context.Context, j job) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("Slack job panicked", "job", j.what, "panic", fmt.Sprint(r))
		}
	}()
	jctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	j.fn(jctx)
}

// enqueue queues work to run after the acknowledgement; false when the queue is full.
func (a *App) enqueue(what string, fn func(ctx context.Context)) bool {
	select {
	case a.jobs <- job{what: what, fn: fn}:
		return true
	default:
		a.log.Warn("Slack work queue full; request refused", "job", what)
		return false
	}
}

// How long a key is remembered. A double click, or Socket Mode's redelivery of an
// envelope it saw no ack for, comes within seconds; a click after that is meant
// (a retry after an error). Slack redelivers Events API callbacks for minutes.
const (
	clickWindow = 30 * time.Second
	eventWindow = 15 * time.Minute
)

// seenSet remembers keys for a while: duplicate clicks and Slack's redeliveries
// act once.
type seenSet struct {
	mu   sync.Mutex
	keys map[string]time.Time // key -> until
}

func newSeenSet() *seenSet { return &seenSet{keys: map[string]time.Time{}} }

// first reports whether key is new, and remembers it for ttl.
func (s *seenSet) first(key string, now time.Time, ttl time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keys) > 10000 {
		for k, until := range s.keys {
			if now.After(until) {
				delete(s.keys, k)
			}
		}
	}
	if until, ok := s.keys[key]; ok && !now.After(until) {
		return false
	}
	s.keys[key] = now.Add(ttl)
	return true
}

// identity maps a Slack user to an irflow user: by Slack user id first, then by
// the email users.info gives. action names what they tried, so an unmapped user
// is told which role it needs. The Slack user id, which Slack's signature
// vouches for, goes into the identity as its own field (ExternalID), so the
// timeline and the audit log name the Slack account that acted.
func (a *App) identity(ctx context.Context, slackUser string, action incident.Action) (incident.Identity, error) {
	found := func(u incident.User) incident.Identity {
		return incident.Identity{User: u, Via: incident.ViaSlack, ExternalID: slackUser}
	}
	u, err := a.deps.Users.UserBySlackID(ctx, slackUser)
	if err == nil {
		return found(u), nil
	}
	if !isNotFound(err) {
		return incident.Identity{}, fmt.Errorf("look up the irflow user of slack user %s: %w", slackUser, err)
	}
	var email string
	err = a.call(ctx, "users.info "+slackUser, func(ctx context.Context) error {
		info, err := a.api.GetUserInfoContext(ctx, slackUser)
		if err == nil {
			email = info.Profile.Email
		}
		return err
	})
	if err != nil {
		a.log.Warn("Slack users.info failed", "slack_user", slackUser, "error", err)
	}
	if email != "" {
		u, err := a.deps.Users.UserByEmail(ctx, email)
		if err == nil {
			return found(u), nil
		}
		if !isNotFound(err) {
			return incident.Identity{}, fmt.Errorf("look up the irflow user of slack user %s: %w", slackUser, err)
		}
	}
	roles := rolesFor(action)
	return incident.Identity{}, incident.Errorf(incident.EUNAUTHORIZED,
		"your Slack account (%s) is not linked to an irflow user, so nothing was changed. Ask an irflow admin to add you with your Slack user id or email; to %s you need the role %s.",
		slackUser, strings.ReplaceAll(string(action), "_", " "), roles)
}

func rolesFor(a incident.Action) string {
	var rs []string
	for _, r := range incident.Permissions[a] {
		rs = append(rs, string(r))
	}
	return strings.Join(rs, " or ")
}

// userMessage is what to tell a Slack user about err: the message of an
// *incident.Error (written for users), or a generic line for anything else, which
// is logged in full.
func (a *App) userMessage(what string, err error) string {
	var ie *incident.Error
	if errors.As(err, &ie) {
		msg := ie.Message
		if ie.Code == incident.EFORBIDDEN {
			msg += ". Nothing was changed."
		}
		return ":no_entry: " + msg
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return ":warning: " + ue.Problem
	}
	a.log.Error("Slack action failed", "action", what, "error", err)
	return ":warning: " + what + " failed: irflow could not reach its workflow engine or store; try again, and tell an admin if it persists."
}
