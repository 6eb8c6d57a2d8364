package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/app"
	"irflow/internal/devserver"
)

func init() { register(newDevCmd) }

func newDevCmd() *cobra.Command {
	var (
		cfg      app.DevConfig
		logLevel string
		mailSink string
	)
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run everything locally: embedded Temporal, store, worker, HTTP API and web UI",
		Long: `Run irflow on this machine with nothing else installed: a real Temporal server
(embedded, persisted in SQLite under --data), the irflow worker, the store, the
HTTP API and the web UI (the deadline board's address is printed as board=; sign in
as admin with the password in <data>/admin.password). Stop it with Ctrl-C; start it again on the same --data folder and every
incident and timer resumes where it was.

The official Temporal CLI and UI can connect to --temporal. Temporal keeps a closed
workflow's history for --retention (30 days by default); irflow itself reads closed
incidents from its store, and notification clocks are separate workflows that stay
open until their duty ends, so legal deadlines never depend on retention.

With SLACK_BOT_TOKEN set (and SLACK_APP_TOKEN for Socket Mode, or
SLACK_SIGNING_SECRET for requests at /slack/...), the Slack app runs too: /incident,
incident channels with a status card, notifications in Slack (README "Slack"). The
ready line says slack=not-configured(log-transport) otherwise.

With no SMTP server configured (SMTP_URL or SMTP_HOST), notices are sent over SMTP
to a built-in mail sink on --mail-sink (loopback only), which keeps each message as
an .eml file in <data>/mail and delivers nothing further; SMTP_FROM defaults to
irflow@localhost. The ready line says where mail goes (mail=).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			// Reminders and other notices are for the responder at this terminal,
			// whatever --log-level hides.
			cfg.Console = cmd.ErrOrStderr()
			if !strings.EqualFold(mailSink, "off") {
				cfg.MailSink = mailSink
				// The default address may be held by Mailpit or another dev stack:
				// then any port will do, since the mailer is pointed at it anyway.
				cfg.MailSinkAnyPort = !cmd.Flags().Changed("mail-sink")
			}
			if cfg.Retention < time.Hour {
				return withExit(exitInvalid, fmt.Errorf("--retention: %s is too short; give at least 1h (e.g. 720h for 30 days)", cfg.Retention))
			}
			began := time.Now()
			d, err := app.StartDev(cmd.Context(), cfg)
			if err != nil {
				if errors.Is(err, app.ErrLocked) {
					return withExit(exitFailure, err)
				}
				if errors.Is(err, app.ErrExposed) {
					return withExit(exitInvalid, err)
				}
				return fmt.Errorf("start dev stack: %w", err)
			}
			defer d.Stop()
			fmt.Fprintf(cmd.OutOrStdout(), "irflow ready http=http://%s board=%s temporal=%s zendesk=%s slack=%s mail=%s data=%s log=%s (started in %s)\n",
				d.HTTPAddr, d.BoardURL, d.Temporal.FrontendAddr(), d.ZendeskDescription(), d.SlackDescription(), d.MailDescription(), cfg.DataDir, d.LogPath, time.Since(began).Round(time.Millisecond))
			if d.AdminCreated {
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: created user %q (responder, commander, legal, admin); its HTTP API token is in %s (send it as Authorization: Bearer <token>; add people with irflow users add)\n", app.DevAdmin, d.AdminTokenPath)
			}
			if d.IntakeSMTPAddr != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: intake listening for email on smtp://%s: Zendesk's security notices sent there start zendesk-service-breach incidents\n", d.IntakeSMTPAddr)
			}
			if d.AdminPasswordCreated {
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: sign in to the web UI at %s as %q with the password in %s (change it with irflow users passwd %s)\n", d.BoardURL, app.DevAdmin, d.AdminPasswordPath, app.DevAdmin)
			}
			if d.MailSink != nil {
				moved := ""
				if cfg.MailSinkAnyPort && d.MailSink.Addr != cfg.MailSink {
					moved = fmt.Sprintf(" (%s is taken)", cfg.MailSink)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: no SMTP server set (SMTP_URL or SMTP_HOST): notices go over SMTP to the built-in mail sink on smtp://%s%s, which keeps each message in %s (one .eml file each) and delivers nothing\n",
					d.MailSink.Addr, moved, d.MailSink.Dir)
			}
			if d.ZendeskSim != nil {
				f := d.ZendeskSim.Facts()
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: no Zendesk credentials set (ZENDESK_SUBDOMAIN/ZENDESK_URL, ZENDESK_EMAIL + ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN): acting on the built-in simulator with the demo seed; compromised agent %d, attacker IP %s\n",
					f.CompromisedUserID, f.AttackerIP)
			}
			<-cmd.Context().Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "irflow: shutting down")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", envOr("IRFLOW_DATA", "./.irflow"), "data folder (Temporal database, store, evidence; env IRFLOW_DATA)")
	f.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "HTTP API listen address (every /api/ request needs a user's token; beyond loopback it is plain HTTP: put TLS in front)")
	f.StringVar(&cfg.TemporalAddr, "temporal", "127.0.0.1:7233", "embedded Temporal frontend gRPC listen address (loopback only, unless --allow-remote-temporal)")
	f.BoolVar(&cfg.AllowRemoteTemporal, "allow-remote-temporal", false, "let --temporal listen beyond loopback although the embedded Temporal server authenticates nobody")
	f.StringVar(&cfg.IntakeSMTP, "intake-smtp", "", "listen for email on this address (an SMTP receiver, e.g. 127.0.0.1:2525): Zendesk's security notices sent there start zendesk-service-breach incidents")
	f.StringVar(&mailSink, "mail-sink", "127.0.0.1:1025", `listen address of the built-in mail sink, used when no SMTP server is set: it keeps every message in <data>/mail ("off": no sink, no mail; a free port when the default is taken)`)
	f.StringVar(&cfg.ZendeskSimAddr, "zendesk-sim", "127.0.0.1:8081", "listen address of the built-in Zendesk simulator (used when no Zendesk credentials are set)")
	f.StringVar(&logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error (reminders and other notices are shown at every level, and kept in <data>/irflow.log with the log at info)")
	f.DurationVar(&cfg.Retention, "retention", devserver.DefaultRetention, "how long Temporal keeps a closed workflow's history (closed incidents are read from the store)")
	return cmd
}
