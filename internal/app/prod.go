package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"irflow/activities"
	"irflow/internal/httpapi"
	"irflow/internal/intake"
	"irflow/internal/notify"
	"irflow/internal/service"
	"irflow/internal/storeopen"
	"irflow/internal/web"
	"irflow/internal/zendesk"
	"irflow/playbooks"
	"irflow/worker"
)

// ProdConfig configures `irflow worker` and `irflow serve` against an external
// Temporal cluster.
type ProdConfig struct {
	Temporal TemporalConfig
	// StorePath names the store: a SQLite file, or a postgres:// URL that workers
	// and servers on several hosts share (see storeopen).
	StorePath string
	HTTPAddr  string
	// APIToken, when set, is required as a Bearer token on every /api/ request
	// (serve only). Serving beyond loopback without one is refused.
	APIToken string
	// EvidenceDir is the evidence storage: a local folder holding one folder per
	// incident, or s3://bucket/prefix, which every worker and server reaches (see
	// storeopen.Evidence). The worker writes it; the web UI of serve reads a local
	// one for reports and the Verify button.
	EvidenceDir string
	// WebKeyFile holds the web UI's session key (serve); created when missing.
	// Empty: web.key beside a SQLite store; with PostgreSQL, a key for this process
	// only (every server behind one address must share the file).
	WebKeyFile string
	// InsecureCookies serves the web UI's cookies without the Secure flag, for a
	// server reached over plain HTTP on loopback only. Beyond loopback users must
	// reach irflow through TLS, and cookies are Secure.
	InsecureCookies bool
	// OIDC enables sign-in through an OpenID Connect provider (serve); nil: off.
	OIDC *web.OIDCConfig
	// Getenv reads Zendesk credentials from the environment.
	Getenv func(string) string
	Logger *slog.Logger
	// IntakeSMTP, when set, is the address of the intake's SMTP receiver (serve
	// only, --intake-smtp).
	IntakeSMTP string
}

// connect dials Temporal and opens the store, which both production commands need;
// closeFn releases both.
func connect(ctx context.Context, cfg ProdConfig) (client.Client, storeopen.Store, func(), error) {
	c, err := Dial(ctx, cfg.Temporal, cfg.Logger)
	if err != nil {
		return nil, nil, nil, err
	}
	store, err := storeopen.Open(ctx, cfg.StorePath)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	return c, store, func() { _ = store.Close(); c.Close() }, nil
}

// RunWorker runs the irflow worker until ctx ends.
func RunWorker(ctx context.Context, cfg ProdConfig, ready func()) error {
	c, store, closeFn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	zcfg, configured, err := zendesk.ConfigFromEnv(cfg.Getenv)
	if err != nil {
		return fmt.Errorf("zendesk configuration: %w", err)
	}
	if !configured {
		return errors.New("zendesk is not configured: set ZENDESK_SUBDOMAIN or ZENDESK_URL, and ZENDESK_EMAIL with ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN")
	}
	zcfg.Logger = cfg.Logger
	// One rate budget per Zendesk instance for every worker sharing the store, not
	// one per process: three workers must not send three times the limit.
	zcfg.Budget = store
	zd, err := zendesk.New(zcfg)
	if err != nil {
		return fmt.Errorf("zendesk client: %w", err)
	}
	objs, err := storeopen.Evidence(ctx, cfg.EvidenceDir, cfg.Getenv)
	if err != nil {
		return err
	}
	ev := &activities.EvidenceActivities{Zendesk: zd, Objects: objs}
	containment := &activities.ContainmentActivities{Zendesk: zd, Temporal: c, EvidenceDir: cfg.EvidenceDir}
	if storeopen.IsObjectStorage(cfg.EvidenceDir) {
		// Before-state snapshots go to the bucket too, not to a local folder.
		containment.EvidenceDir, containment.Objects = "", objs
	} else {
		ev.Dir = cfg.EvidenceDir // also where collections started before storage append
	}
	// With Slack configured, notifications also go to Slack and refresh the status
	// cards; the worker serves no Slack requests (serve does).
	cat, err := playbooks.Embedded()
	if err != nil {
		return fmt.Errorf("load playbooks: %w", err)
	}
	svc := &service.Service{Client: c, Playbooks: cat, Store: store, Users: store, Logger: cfg.Logger}
	slackApp, err := newSlack(cfg.getenv(), svc, cat, store, cfg.Logger)
	if err != nil {
		return err
	}
	notifier, err := notifierWith(slackApp, notify.LogTransport{Logger: cfg.Logger})
	if err != nil {
		return err
	}
	cfg.Logger.Info("Notifications", "slack", slackDescription(slackApp))
	// With SMTP configured, notices go by email, and with IRFLOW_NOTIFY_EMAIL so do
	// reminders and escalations.
	mailer, err := mailerFromEnv(cfg.getenv())
	if err != nil {
		return err
	}
	if notifier, err = withEmail(notifier, mailer, cfg.getenv()); err != nil {
		return err
	}
	w := worker.New(c, worker.Deps{
		Incident:    &activities.Activities{Store: store},
		Containment: containment,
		Evidence:    ev,
		Notify:      &activities.NotifyActivities{Notifier: notifier},
		Leases:      &activities.LeaseActivities{Store: store},
		Notices:     noticeActivities(store, mailer, c, zd),
	})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if ready != nil {
		ready()
	}
	<-ctx.Done()
	return nil
}

// RunServe runs the HTTP API until ctx ends. Every /api/ request needs a user's
// API token (see irflow users); the API can approve containment in Zendesk, so it
// refuses to listen beyond loopback while nobody could sign in.
func RunServe(ctx context.Context, cfg ProdConfig, ready func(addr string)) error {
	c, store, closeFn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	users, err := store.ListUsers(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 && strings.TrimSpace(cfg.APIToken) == "" && !loopback(cfg.HTTPAddr) {
		return fmt.Errorf("refusing to serve the API on %s: no user can sign in; create one with `irflow users add NAME --role commander` and `irflow users token create NAME`", cfg.HTTPAddr)
	}
	if strings.TrimSpace(cfg.APIToken) != "" {
		cfg.Logger.Warn("IRFLOW_API_TOKEN is deprecated: one shared token cannot say who acted; create users and per-user tokens (irflow users)")
	}
	cat, err := playbooks.Embedded()
	if err != nil {
		return fmt.Errorf("load playbooks: %w", err)
	}
	svc := &service.Service{Client: c, Playbooks: cat, Store: store, Users: store, Logger: cfg.Logger}
	processor := wireNotices(svc, store, cfg.getenv(), cfg.Logger)
	if cfg.IntakeSMTP != "" {
		rcv, err := intake.Listen(cfg.IntakeSMTP, processor, cfg.Logger)
		if err != nil {
			return err
		}
		defer func() { _ = rcv.Close() }()
	}
	slackApp, err := newSlack(cfg.getenv(), svc, cat, store, cfg.Logger)
	if err != nil {
		return err
	}
	if slackApp != nil {
		sctx, cancel := context.WithCancel(ctx)
		defer func() { cancel(); slackApp.Wait() }()
		runSlack(sctx, slackApp, cfg.Logger)
	}
	cfg.Logger.Info("Slack", "slack", slackDescription(slackApp))
	var key []byte
	switch keyFile := cfg.WebKeyFile; {
	case keyFile == "" && storeopen.IsPostgres(cfg.StorePath):
		// Servers sharing a PostgreSQL store are usually several: they must share a
		// key file, and no folder is common to them by default.
		cfg.Logger.Warn("No --web-key-file: web sessions and calendar links last until this server stops and work on it alone; give every irflow serve the same --web-key-file")
		key = web.NewSessionKey()
	default:
		if keyFile == "" {
			keyFile = filepath.Join(filepath.Dir(cfg.StorePath), "web.key")
		}
		if key, err = SessionKey(keyFile); err != nil {
			return err
		}
	}
	ui, err := web.New(ctx, web.Config{Service: svc, Users: store, SessionKey: key, SecureCookies: !cfg.InsecureCookies || !loopback(cfg.HTTPAddr),
		EvidenceDirs: localEvidence(cfg.EvidenceDir), OIDC: cfg.OIDC, Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("web UI: %w", err)
	}
	handler := Routes(withSlack(httpapi.Authenticate(httpapi.New(svc, cfg.Logger), store, cfg.APIToken, cfg.Logger), slackApp), ui)
	srv := &http.Server{Addr: cfg.HTTPAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	if ready != nil {
		ready(cfg.HTTPAddr)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("http server on %s: %w", cfg.HTTPAddr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down http server: %w", err)
	}
	return nil
}

// localEvidence is the evidence folder the web UI reads, if the storage is a local
// folder; the web UI does not read object storage yet.
func localEvidence(dir string) []string {
	if dir == "" || storeopen.IsObjectStorage(dir) {
		return nil
	}
	return []string{dir}
}

// getenv is cfg.Getenv, or os.Getenv.
func (cfg ProdConfig) getenv() func(string) string {
	if cfg.Getenv != nil {
		return cfg.Getenv
	}
	return os.Getenv
}

// loopback reports whether addr listens on a loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
