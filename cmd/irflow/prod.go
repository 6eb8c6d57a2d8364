package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"irflow/internal/app"
	"irflow/internal/storeopen"
	"irflow/internal/web"
)

func init() {
	register(newWorkerCmd)
	register(newServeCmd)
}

func newWorkerCmd() *cobra.Command {
	var (
		tf       temporalFlags
		cfg      app.ProdConfig
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the irflow worker against an external Temporal cluster (production)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			cfg.Temporal, cfg.Logger, cfg.Getenv = tf.cfg, logger, os.Getenv
			return app.RunWorker(cmd.Context(), cfg, func() {
				fmt.Fprintf(cmd.OutOrStdout(), "irflow worker ready temporal=%s namespace=%s store=%s\n", tf.cfg.Address, tf.cfg.Namespace, storeopen.Describe(cfg.StorePath))
			})
		},
	}
	tf.register(cmd)
	cmd.Flags().StringVar(&cfg.StorePath, "store", envOr("IRFLOW_STORE", "./irflow.db"), "store: a SQLite file, or a postgres:// URL shared by several workers and servers (env IRFLOW_STORE)")
	cmd.Flags().StringVar(&cfg.EvidenceDir, "evidence", envOr("IRFLOW_EVIDENCE", "./evidence"), "evidence storage: a folder, or s3://bucket/prefix with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and IRFLOW_EVIDENCE_RETENTION (env IRFLOW_EVIDENCE)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

func newServeCmd() *cobra.Command {
	var (
		tf       temporalFlags
		cfg      app.ProdConfig
		oidc     web.OIDCConfig
		logLevel string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the irflow HTTP API against an external Temporal cluster (production)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			logger, err := newLogger(cmd.ErrOrStderr(), logLevel)
			if err != nil {
				return err
			}
			cfg.Temporal, cfg.Logger, cfg.Getenv = tf.cfg, logger, os.Getenv
			// The token is read from the environment only, so it never shows in ps.
			cfg.APIToken = os.Getenv("IRFLOW_API_TOKEN")
			if oidc.Issuer != "" {
				// The client secret likewise comes from the environment only.
				oidc.ClientSecret = os.Getenv("IRFLOW_OIDC_CLIENT_SECRET")
				if oidc.ClientID == "" || oidc.RedirectURL == "" {
					return withExit(2, fmt.Errorf("--oidc-issuer needs --oidc-client-id and --oidc-redirect-url (this server's /auth/oidc/callback as the provider knows it)"))
				}
				cfg.OIDC = &oidc
			}
			return app.RunServe(cmd.Context(), cfg, func(addr string) {
				fmt.Fprintf(cmd.OutOrStdout(), "irflow serve ready http=http://%s board=http://%s/board temporal=%s\n", addr, addr, tf.cfg.Address)
			})
		},
	}
	tf.register(cmd)
	cmd.Flags().StringVar(&cfg.StorePath, "store", envOr("IRFLOW_STORE", "./irflow.db"), "store shared with the worker: a SQLite file or a postgres:// URL (env IRFLOW_STORE)")
	cmd.Flags().StringVar(&cfg.HTTPAddr, "http", envOr("IRFLOW_HTTP", "127.0.0.1:8080"), "HTTP listen address of the API and the web UI (env IRFLOW_HTTP)")
	cmd.Flags().StringVar(&cfg.EvidenceDir, "evidence", envOr("IRFLOW_EVIDENCE", "./evidence"), "the worker's evidence folder, for reports and the web UI's Verify button (env IRFLOW_EVIDENCE)")
	cmd.Flags().StringVar(&cfg.WebKeyFile, "web-key-file", envOr("IRFLOW_WEB_KEY_FILE", ""), "the web UI's session key file, created when missing (default web.key beside a SQLite store; with PostgreSQL give every server the same one, else sessions end with the process; env IRFLOW_WEB_KEY_FILE)")
	cmd.Flags().BoolVar(&cfg.InsecureCookies, "insecure-cookies", false, "web cookies without the Secure flag, for plain HTTP on loopback only (ignored beyond loopback)")
	cmd.Flags().StringVar(&oidc.Issuer, "oidc-issuer", envOr("IRFLOW_OIDC_ISSUER", ""), "OpenID Connect issuer URL for web sign-in; the verified email maps to the irflow user with that email (env IRFLOW_OIDC_ISSUER; client secret in IRFLOW_OIDC_CLIENT_SECRET)")
	cmd.Flags().StringVar(&oidc.ClientID, "oidc-client-id", envOr("IRFLOW_OIDC_CLIENT_ID", ""), "OpenID Connect client id (env IRFLOW_OIDC_CLIENT_ID)")
	cmd.Flags().StringVar(&oidc.RedirectURL, "oidc-redirect-url", envOr("IRFLOW_OIDC_REDIRECT_URL", ""), "this server's /auth/oidc/callback URL as registered with the provider (env IRFLOW_OIDC_REDIRECT_URL)")
	cmd.Flags().StringVar(&cfg.IntakeSMTP, "intake-smtp", "", "listen for email on this address (an SMTP receiver): Zendesk's security notices sent there start zendesk-service-breach incidents")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}
