package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"irflow/internal/app"
	"irflow/internal/storeopen"
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
	cmd.Flags().StringVar(&cfg.EvidenceDir, "evidence", envOr("IRFLOW_EVIDENCE", "./evidence"), "folder for evidence collections (env IRFLOW_EVIDENCE)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

func newServeCmd() *cobra.Command {
	var (
		tf       temporalFlags
		cfg      app.ProdConfig
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
			cfg.Temporal, cfg.Logger = tf.cfg, logger
			// The token is read from the environment only, so it never shows in ps.
			cfg.APIToken = os.Getenv("IRFLOW_API_TOKEN")
			return app.RunServe(cmd.Context(), cfg, func(addr string) {
				fmt.Fprintf(cmd.OutOrStdout(), "irflow serve ready http=http://%s temporal=%s\n", addr, tf.cfg.Address)
			})
		},
	}
	tf.register(cmd)
	cmd.Flags().StringVar(&cfg.StorePath, "store", envOr("IRFLOW_STORE", "./irflow.db"), "store shared with the worker: a SQLite file or a postgres:// URL (env IRFLOW_STORE)")
	cmd.Flags().StringVar(&cfg.HTTPAddr, "http", envOr("IRFLOW_HTTP", "127.0.0.1:8080"), "HTTP listen address (env IRFLOW_HTTP)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}
