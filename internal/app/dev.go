package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	namespacepb "go.temporal.io/api/namespace/v1"

	"github.com/gofrs/flock"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"

	"irflow/activities"
	"irflow/internal/auth"
	"irflow/internal/codec"
	"irflow/internal/devserver"
	"irflow/internal/httpapi"
	"irflow/internal/intake"
	"irflow/internal/mail"
	"irflow/internal/mailsink"
	"irflow/internal/notify"
	"irflow/internal/service"
	"irflow/internal/slackbot"
	"irflow/internal/storeopen"
	"irflow/internal/web"
	"irflow/internal/zdsim"
	"irflow/internal/zendesk"
	"irflow/playbooks"
	"irflow/worker"
)

// DevConfig configures the all-in-one dev stack.
type DevConfig struct {
	// DataDir holds everything: Temporal's database, the store, evidence, the lock.
	DataDir      string
	HTTPAddr     string
	TemporalAddr string
	// ZendeskSimAddr is where the built-in Zendesk simulator listens when no Zendesk
	// credentials are configured (see zendesk.ConfigFromEnv).
	ZendeskSimAddr string
	// Notifier delivers reminders and other incident messages; when nil, the log
	// transport writes them to Console and to the stack's log file. Slack and
	// email transports plug in here, usually behind a notify.Router.
	Notifier notify.Notifier
	// Console receives the log transport's notices (reminders, overdue
	// obligations, steps awaiting approval, phase changes) whatever Logger's
	// level: they are events a responder acts on, not diagnostics. irflow dev
	// passes stderr; nil shows them in the log file only.
	Console io.Writer
	// Getenv reads the environment (Zendesk credentials); os.Getenv when nil.
	Getenv func(string) string
	Logger *slog.Logger
	// Retention is how long Temporal keeps closed workflows' histories;
	// devserver.DefaultRetention (30 days) when zero.
	Retention time.Duration
	// AllowRemoteTemporal lets TemporalAddr be an address beyond loopback. The
	// embedded frontend authenticates nobody: whoever reaches it can read every
	// incident and send any Update (approve containment in Zendesk) past irflow's
	// tokens. Off, such an address is refused.
	AllowRemoteTemporal bool
	// SuggestContinueAsNewEvents lowers the history length at which workflows are
	// told to continue-as-new; for tests and benchmarks (0: the server's 4,096).
	SuggestContinueAsNewEvents int
	// IntakeSMTP, when set, is the address of the intake's SMTP receiver
	// (--intake-smtp): Zendesk's security notices sent or forwarded there start
	// incidents.
	IntakeSMTP string
	// MailSink, when set and no SMTP server is configured (SMTP_URL, SMTP_HOST), is
	// the loopback address of the built-in mail sink (internal/mailsink): the mailer
	// sends to it over real SMTP, and it keeps each message in <DataDir>/mail as an
	// .eml file. irflow dev sets it; irflow serve has none, since production mail
	// needs a real server.
	MailSink string
	// MailSinkAnyPort lets the sink take a free port when MailSink's is taken: irflow
	// dev's default address, which Mailpit or another dev stack may hold, not one
	// asked for.
	MailSinkAnyPort bool
}

// LogName is the stack's log file in the data folder: the process log at INFO
// and above, and every notice the log transport delivers. The ready line names it.
const LogName = "irflow.log"

// notifier is cfg.Notifier, or the log transport writing to the console and to
// the log file.
func (d *Dev) notifier() notify.Notifier {
	if d.Config.Notifier != nil {
		return d.Config.Notifier
	}
	handlers := []slog.Handler{d.logFile}
	if d.Config.Console != nil {
		handlers = append(handlers, slog.NewTextHandler(d.Config.Console, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return notify.LogTransport{Logger: slog.New(fanout(handlers))}
}

// openLog opens the log file (0600, appended to across restarts) and makes the
// process logger write to it too, at INFO and above whatever its own level.
func (d *Dev) openLog() error {
	d.LogPath = filepath.Join(d.Config.DataDir, LogName)
	f, err := os.OpenFile(d.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	d.logOut = f
	d.logFile = slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})
	d.Config.Logger = slog.New(fanout{d.Config.Logger.Handler(), d.logFile})
	return nil
}

// fanout hands every record to each of its handlers that takes its level.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// Dev is a running dev stack.
type Dev struct {
	Config   DevConfig
	Temporal *devserver.Server
	Client   client.Client
	Store    storeopen.Store
	Service  *service.Service
	HTTPAddr string
	// Zendesk is the Zendesk instance activities act on; ZendeskSim is set when it is
	// the built-in simulator.
	Zendesk    *zendesk.Client
	ZendeskSim *zdsim.Server
	// AdminTokenPath is the file (mode 0600) holding the API token of the admin
	// that the first start created; AdminToken is its content.
	AdminTokenPath string
	AdminToken     string
	// AdminCreated is true when this start created the admin.
	AdminCreated bool
	// AdminPasswordPath is the file (mode 0600) holding the admin's web password;
	// AdminPassword its content; AdminPasswordCreated is true when this start set it.
	AdminPasswordPath    string
	AdminPassword        string
	AdminPasswordCreated bool
	// Web is the web UI served beside the HTTP API; BoardURL is its deadline board.
	Web      *web.Server
	BoardURL string
	// Slack is the Slack app, nil when SLACK_BOT_TOKEN is unset.
	Slack       *slackbot.App
	slackCancel context.CancelFunc

	// LogPath is the stack's log file (LogName in the data folder).
	LogPath string
	logOut  *os.File
	logFile slog.Handler
	// Mailer sends notices (SMTP_URL, else the mail sink); nil when email is not
	// configured.
	Mailer *mail.Mailer
	// MailSink is the built-in mail sink the mailer sends to, nil when SMTP is
	// configured or the sink is off.
	MailSink *mailsink.Sink
	// Intake keeps received email and starts incidents from Zendesk's notices;
	// IntakeSMTPAddr is its SMTP receiver's address when --intake-smtp was given.
	Intake         *intake.Processor
	IntakeSMTPAddr string
	intakeSMTP     *intake.Receiver
	deps           worker.Deps
	worker         sdkworker.Worker
	http           *http.Server
	lock           *flock.Flock
	stopped        bool
}

// ErrLocked reports that another irflow dev holds the data folder.
var ErrLocked = errors.New("data folder is in use")

// StartDev starts the embedded Temporal server, the store, the worker and the HTTP
// server on one data folder. A second start on the same folder resumes every
// incident and timer. It returns when the stack can take work.
func StartDev(ctx context.Context, cfg DevConfig) (_ *Dev, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dev{Config: cfg}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	// Two servers on one database corrupt its shard: hold an exclusive lock for the
	// life of the process. The kernel releases it even after kill -9.
	d.lock = flock.New(filepath.Join(cfg.DataDir, "irflow.lock"))
	locked, err := d.lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data folder %s: %w", cfg.DataDir, err)
	}
	if !locked {
		d.lock = nil
		return nil, fmt.Errorf("%w: another \"irflow dev\" is running on %s; stop it or use --data to pick another folder", ErrLocked, cfg.DataDir)
	}
	if err := d.openLog(); err != nil {
		return nil, err
	}
	cfg = d.Config
	if err := cfg.checkExposure(); err != nil {
		return nil, err
	}
	// Check the HTTP address before starting anything slow, and name it if taken.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("http address %s: %w", cfg.HTTPAddr, err)
	}
	d.HTTPAddr = ln.Addr().String()
	defer func() {
		if err != nil {
			_ = ln.Close() // Serve never took it over
		}
	}()

	d.Temporal, err = devserver.Start(devserver.Config{
		DBPath:       filepath.Join(cfg.DataDir, "temporal.db"),
		FrontendAddr: cfg.TemporalAddr,
		LogPath:      filepath.Join(cfg.DataDir, "temporal.log"),
		Retention:    cfg.Retention,

		SuggestContinueAsNewEvents: cfg.SuggestContinueAsNewEvents,
	})
	if err != nil {
		return nil, err
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	payloadCodec, err := codec.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if err := devserver.WaitReady(ctx, func(ctx context.Context) error {
		opts := client.Options{
			HostPort: d.Temporal.FrontendAddr(), Namespace: "default",
			Logger: sdklog.NewStructuredLogger(cfg.Logger),
		}
		if payloadCodec != nil {
			// Payloads are encrypted before they reach the embedded server (issue 14).
			opts.DataConverter = payloadCodec.DataConverter()
		}
		c, err := client.DialContext(ctx, opts)
		if err != nil {
			return err
		}
		d.Client = c
		return nil
	}); err != nil {
		return nil, err
	}

	// A data folder made by an earlier release has the server's 24 h default.
	if err := setRetention(ctx, d.Client, "default", cfg.Retention); err != nil {
		return nil, err
	}

	// irflow dev keeps its store in the data folder, SQLite as always.
	d.Store, err = storeopen.Open(ctx, filepath.Join(cfg.DataDir, "irflow.db"))
	if err != nil {
		return nil, err
	}
	cat, err := playbooks.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load playbooks: %w", err)
	}
	d.Service = &service.Service{Client: d.Client, Playbooks: cat, Store: d.Store, Users: d.Store, Logger: cfg.Logger}
	if d.Mailer, err = d.mailer(getenv); err != nil {
		return nil, err
	}
	d.Intake = wireNotices(d.Service, d.Store, getenv, cfg.Logger)
	if err := d.ensureAdmin(ctx); err != nil {
		return nil, err
	}
	if err := d.ensureAdminPassword(ctx); err != nil {
		return nil, err
	}
	key, err := SessionKey(filepath.Join(cfg.DataDir, "web.key"))
	if err != nil {
		return nil, err
	}
	d.Web, err = web.New(ctx, web.Config{Service: d.Service, Users: d.Store, SessionKey: key,
		EvidenceDirs: []string{filepath.Join(cfg.DataDir, "evidence")}, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	d.BoardURL = "http://" + d.HTTPAddr + "/board"
	notifier := d.notifier()
	if d.Slack, err = newSlack(d.getenv(), d.Service, cat, d.Store, cfg.Logger); err != nil {
		return nil, err
	}
	if d.Slack != nil && cfg.Notifier == nil {
		if notifier, err = notifierWith(d.Slack, notifier); err != nil {
			return nil, err
		}
	}

	zcfg, err := d.zendeskConfig()
	if err != nil {
		return nil, err
	}
	zcfg.Logger = cfg.Logger
	if d.Zendesk, err = zendesk.New(zcfg); err != nil {
		return nil, fmt.Errorf("zendesk client: %w", err)
	}
	if notifier, err = withEmail(notifier, d.Mailer, getenv); err != nil {
		return nil, err
	}
	d.deps = worker.Deps{
		Incident:    &activities.Activities{Store: d.Store},
		Containment: &activities.ContainmentActivities{Zendesk: d.Zendesk, Temporal: d.Client, EvidenceDir: filepath.Join(cfg.DataDir, "evidence")},
		Evidence:    &activities.EvidenceActivities{Zendesk: d.Zendesk, Dir: filepath.Join(cfg.DataDir, "evidence")},
		Notify:      &activities.NotifyActivities{Notifier: notifier},
		Leases:      &activities.LeaseActivities{Store: d.Store},
		Notices:     noticeActivities(d.Store, d.Mailer, d.Client, d.Zendesk),
	}
	d.worker = worker.New(d.Client, d.deps)
	if err := d.worker.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if cfg.IntakeSMTP != "" {
		if d.intakeSMTP, err = intake.Listen(cfg.IntakeSMTP, d.Intake, cfg.Logger); err != nil {
			return nil, err
		}
		d.IntakeSMTPAddr = d.intakeSMTP.Addr
	}
	if d.Slack != nil {
		// Not ctx: that one only bounds the start.
		var sctx context.Context
		sctx, d.slackCancel = context.WithCancel(context.Background())
		runSlack(sctx, d.Slack, cfg.Logger)
	}

	d.http = &http.Server{
		Handler:           Routes(withSlack(httpapi.Authenticate(httpapi.New(d.Service, cfg.Logger), d.Store, "", cfg.Logger), d.Slack), d.Web),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := d.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("HTTP server stopped", "error", err)
		}
	}()
	return d, nil
}

// RestartWorker stops the stack's worker, as a crash or a deployment would, and
// starts a new one with the same activities: the fan-out and every other workflow
// resume on it. Tests use it to prove nothing is done twice across a restart.
func (d *Dev) RestartWorker() error {
	d.worker.Stop()
	d.worker = worker.New(d.Client, d.deps)
	if err := d.worker.Start(); err != nil {
		return fmt.Errorf("restart worker: %w", err)
	}
	return nil
}

// ErrExposed reports a listen address that would let the network past irflow's
// tokens.
var ErrExposed = errors.New("refusing to listen beyond loopback")

// checkExposure refuses a Temporal frontend address beyond loopback unless it is
// allowed, and warns about the other listeners that are safe only on loopback.
// The HTTP API needs a user's token on every /api/ request, so it may listen on
// the network, but it speaks plain HTTP: tokens and incident data cross the
// network in clear unless TLS is put in front of it.
func (cfg DevConfig) checkExposure() error {
	if !devLoopback(cfg.TemporalAddr) {
		if !cfg.AllowRemoteTemporal {
			return fmt.Errorf("%w: --temporal %s: the embedded Temporal server authenticates nobody, and whoever reaches it can read every incident and approve containment in Zendesk past irflow's API tokens; listen on 127.0.0.1 (tunnel it, e.g. ssh -L 7233:127.0.0.1:7233), or run irflow worker and serve against a Temporal cluster with mTLS, or pass --allow-remote-temporal if the network is yours alone",
				ErrExposed, cfg.TemporalAddr)
		}
		cfg.Logger.Warn("The embedded Temporal server listens beyond loopback without authentication (--allow-remote-temporal): whoever reaches it can read every incident and act on Zendesk", "address", cfg.TemporalAddr)
	}
	// The mail sink writes whatever anyone who reaches it sends into the data
	// folder: refused before anything slow starts, not only when it does.
	if cfg.MailSink != "" && !loopback(cfg.MailSink) {
		return fmt.Errorf("%w: --mail-sink %s: the mail sink accepts mail from anyone who reaches it and writes it into the data folder; listen on 127.0.0.1", ErrExposed, cfg.MailSink)
	}
	if !loopback(cfg.HTTPAddr) {
		cfg.Logger.Warn("The HTTP API listens beyond loopback over plain HTTP: every request needs a user's API token, but tokens and incident data cross the network in clear; put a TLS proxy in front of it", "address", cfg.HTTPAddr)
	}
	if cfg.ZendeskSimAddr != "" && !loopback(cfg.ZendeskSimAddr) {
		cfg.Logger.Warn("The Zendesk simulator listens beyond loopback: its control API (/_sim/...) answers anyone", "address", cfg.ZendeskSimAddr)
	}
	return nil
}

// devLoopback is loopback for the embedded Temporal frontend, which binds an
// address without a host to 127.0.0.1.
func devLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return (err == nil && host == "") || loopback(addr)
}

// zendeskConfig returns the configured Zendesk instance, or starts the built-in
// simulator with the demo seed when no credentials are set.
func (d *Dev) getenv() func(string) string {
	if d.Config.Getenv != nil {
		return d.Config.Getenv
	}
	return os.Getenv
}

// SlackDescription says how Slack is connected, for the ready line.
func (d *Dev) SlackDescription() string { return slackDescription(d.Slack) }

func (d *Dev) zendeskConfig() (zendesk.Config, error) {
	getenv := d.getenv()
	zcfg, configured, err := zendesk.ConfigFromEnv(getenv)
	if err != nil {
		return zendesk.Config{}, fmt.Errorf("zendesk configuration: %w", err)
	}
	if configured {
		return zcfg, nil
	}
	addr := d.Config.ZendeskSimAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	d.ZendeskSim, err = zdsim.Start(addr, zdsim.Options{Seed: "demo", Now: time.Now()})
	if err != nil {
		return zendesk.Config{}, fmt.Errorf("start zendesk simulator on %s: %w", addr, err)
	}
	return d.ZendeskSim.ClientConfig(), nil
}

// ZendeskDescription says which Zendesk the stack acts on, for the ready line.
func (d *Dev) ZendeskDescription() string {
	if d.ZendeskSim != nil {
		return "simulator(demo) " + d.ZendeskSim.URL
	}
	if d.Zendesk != nil {
		return d.Zendesk.BaseURL()
	}
	return "none"
}

// MailSinkDir is the mail sink's folder in the data folder.
const MailSinkDir = "mail"

// DevMailFrom is the sender of mail sent to the sink when SMTP_FROM is unset.
const DevMailFrom = "irflow@localhost"

// mailer returns the configured mailer (SMTP_URL, SMTP_HOST), or else starts the
// mail sink and returns a mailer that sends to it, through the same SMTP code as
// production.
func (d *Dev) mailer(getenv func(string) string) (*mail.Mailer, error) {
	m, err := mailerFromEnv(getenv)
	if err != nil || m != nil || d.Config.MailSink == "" {
		return m, err
	}
	dir := filepath.Join(d.Config.DataDir, MailSinkDir)
	d.MailSink, err = mailsink.Start(d.Config.MailSink, dir, d.Config.Logger)
	if err != nil && d.Config.MailSinkAnyPort && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(d.Config.MailSink)
		d.MailSink, err = mailsink.Start(net.JoinHostPort(host, "0"), dir, d.Config.Logger)
	}
	if err != nil {
		return nil, fmt.Errorf("start the mail sink: %w", err)
	}
	cfg, err := mail.ParseURL(d.MailSink.URL())
	if err != nil {
		return nil, err
	}
	cfg.From = DevMailFrom
	if v := strings.TrimSpace(getenv(mail.EnvFrom)); v != "" {
		cfg.From = v
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("smtp configuration: %s: %w", mail.EnvFrom, err)
	}
	return mail.New(cfg)
}

// MailDescription says where notices are sent, for the ready line.
func (d *Dev) MailDescription() string {
	switch {
	case d.MailSink != nil:
		return "sink(" + d.MailSink.Dir + ") smtp://" + d.MailSink.Addr
	case d.Mailer != nil:
		c := d.Mailer.Config()
		return fmt.Sprintf("smtp://%s(tls=%s)", c.Addr(), c.TLS)
	}
	return "not-configured"
}

// Stop shuts the stack down in reverse order. It is safe to call more than once.
func (d *Dev) Stop() {
	if d.stopped {
		return
	}
	d.stopped = true
	if d.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = d.http.Shutdown(ctx)
		cancel()
	}
	if d.intakeSMTP != nil {
		_ = d.intakeSMTP.Close()
	}
	if d.slackCancel != nil {
		d.slackCancel()
		d.Slack.Wait()
	}
	// The worker first, then its client, then the server (issue 14): a worker
	// whose server went first fills the log with failed polls, and an activity
	// still finishing (up to worker.StopTimeout) must still reach the server to
	// report its result.
	if d.worker != nil {
		d.Config.Logger.Info("Stopping the worker")
		d.worker.Stop()
	}
	if d.Client != nil {
		d.Client.Close()
	}
	// After the worker: a send still finishing must reach it.
	if d.MailSink != nil {
		_ = d.MailSink.Close()
	}
	if d.Temporal != nil {
		d.Config.Logger.Info("Stopping the embedded Temporal server")
		if err := d.Temporal.Stop(); err != nil {
			d.Config.Logger.Warn("Stopping Temporal", "error", err)
		}
	}
	if d.Store != nil {
		_ = d.Store.Close()
	}
	if d.ZendeskSim != nil {
		d.ZendeskSim.Close()
	}
	if d.logOut != nil {
		_ = d.logOut.Close()
	}
	if d.lock != nil {
		_ = d.lock.Unlock()
	}
}

// setRetention makes the namespace keep closed workflows' histories for retention
// (devserver.DefaultRetention when zero), updating a namespace made with another.
func setRetention(ctx context.Context, c client.Client, namespace string, retention time.Duration) error {
	if retention <= 0 {
		retention = devserver.DefaultRetention
	}
	desc, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("describe namespace %s: %w", namespace, err)
	}
	if desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
		return nil
	}
	_, err = c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	})
	if err != nil {
		return fmt.Errorf("set retention of namespace %s to %s: %w", namespace, retention, err)
	}
	return nil
}

// DevAdmin is the user irflow dev creates on first start.
const DevAdmin = "admin"

// ensureAdmin creates the local admin on a store without users and writes its
// token to <data>/admin.token (0600), so the HTTP API can be used at once; on
// later starts it reads the token back from that file, if it is still there.
func (d *Dev) ensureAdmin(ctx context.Context) error {
	d.AdminTokenPath = filepath.Join(d.Config.DataDir, "admin.token")
	token, err := auth.EnsureAdmin(ctx, d.Store, DevAdmin, "irflow dev admin")
	if err != nil {
		return fmt.Errorf("create the local admin: %w", err)
	}
	if token != "" {
		if err := os.WriteFile(d.AdminTokenPath, []byte(token+"\n"), 0o600); err != nil {
			return fmt.Errorf("write the admin's token: %w", err)
		}
		d.AdminCreated = true
	}
	if b, err := os.ReadFile(d.AdminTokenPath); err == nil {
		d.AdminToken = strings.TrimSpace(string(b))
	}
	return nil
}
