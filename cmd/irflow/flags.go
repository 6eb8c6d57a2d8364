package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"irflow/internal/app"
	"irflow/internal/codec"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/internal/storeopen"
	"irflow/playbooks"
)

// temporalFlags are the flags of every command that talks to a Temporal frontend.
type temporalFlags struct {
	cfg app.TemporalConfig
}

func (f *temporalFlags) register(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	fl.StringVar(&f.cfg.Address, "temporal-address", envOr("TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	fl.StringVar(&f.cfg.Namespace, "namespace", envOr("TEMPORAL_NAMESPACE", "default"), "Temporal namespace (env TEMPORAL_NAMESPACE)")
	fl.StringVar(&f.cfg.TLSCert, "tls-cert", os.Getenv("TEMPORAL_TLS_CERT"), "client certificate for mTLS (env TEMPORAL_TLS_CERT)")
	fl.StringVar(&f.cfg.TLSKey, "tls-key", os.Getenv("TEMPORAL_TLS_KEY"), "client key for mTLS (env TEMPORAL_TLS_KEY)")
	fl.StringVar(&f.cfg.TLSCA, "tls-ca", os.Getenv("TEMPORAL_TLS_CA"), "CA bundle to verify the server (env TEMPORAL_TLS_CA)")
	fl.StringVar(&f.cfg.TLSServerName, "tls-server-name", os.Getenv("TEMPORAL_TLS_SERVER_NAME"), "server name to verify (env TEMPORAL_TLS_SERVER_NAME)")
	// The API key is read from the environment only, so it never shows in `ps`.
	f.cfg.APIKey = os.Getenv("TEMPORAL_API_KEY")
	// The payload codec's keys, from the environment only (see irflow codec-server).
	f.cfg.CodecKeys = os.Getenv(codec.EnvKeys)
}

// clientFlags are the flags of the commands that drive a running irflow
// ("incident ...", "obligations list|fulfil|..."): how to reach Temporal, and the
// data folder whose store the reads come from; or, with --server, the HTTP API to
// drive instead (client mode, see client.go).
type clientFlags struct {
	temporalFlags
	dataDir string
	server  string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	f.temporalFlags.register(cmd)
	cmd.PersistentFlags().StringVar(&f.dataDir, "data", envOr("IRFLOW_DATA", "./.irflow"),
		"irflow data folder whose store (<data>/irflow.db) lists, shows and obligations read, as in irflow dev --data (env IRFLOW_DATA)")
	f.registerServer(cmd)
}

// service dials Temporal and returns the incident service; with reads, it also opens
// the store the reads come from. The caller calls the returned close function. A dial
// failure exits with status 1 and the message the issue specifies; so does a missing
// store, named with the flag that picks it. With --server it returns the HTTP API
// client instead, which needs neither.
func (f *clientFlags) service(ctx context.Context, reads bool) (backend, func(), error) {
	if f.server != "" {
		return f.remote()
	}
	cat, err := playbooks.Embedded()
	if err != nil {
		return nil, nil, fmt.Errorf("load playbooks: %w", err)
	}
	c, err := app.Dial(ctx, f.cfg, nil)
	if err != nil {
		return nil, nil, withExit(exitFailure, fmt.Errorf("cannot reach Temporal at %s (is \"irflow dev\" running?)", f.cfg.Address))
	}
	svc := &service.Service{Client: c, Playbooks: cat}
	if !reads {
		return svc, c.Close, nil
	}
	store, err := openStore(ctx, f.dataDir)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	svc.Store = store
	return svc, func() { _ = store.Close(); c.Close() }, nil
}

// openStore opens the store in dataDir, which irflow dev or the worker writes; it
// never creates one, so a wrong folder is reported instead of read as empty. When
// IRFLOW_STORE is a postgres:// URL, the workers' shared PostgreSQL store is read
// instead.
func openStore(ctx context.Context, dataDir string) (storeopen.Store, error) {
	path := filepath.Join(dataDir, "irflow.db")
	if dsn := os.Getenv("IRFLOW_STORE"); storeopen.IsPostgres(dsn) {
		path = dsn
	}
	store, err := storeopen.OpenExisting(ctx, path)
	if errors.Is(err, storeopen.ErrNoStore) && !storeopen.IsPostgres(path) {
		return nil, withExit(exitFailure, fmt.Errorf("no irflow store at %s: pass --data DIR (or set IRFLOW_DATA) naming the folder that holds irflow.db: irflow dev's --data, or the folder of the worker's --store", path))
	}
	if err != nil {
		return nil, withExit(exitFailure, err)
	}
	return store, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// defaultActor names who runs the command, for the timeline.
func defaultActor() string {
	if v := os.Getenv("IRFLOW_ACTOR"); v != "" {
		return v
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// userError turns service errors into exit statuses: bad input is 2, not found 3,
// conflicts (e.g. closed incident) 4, forbidden 5 and unauthorized 6 (client mode),
// everything else 1.
func userError(err error) error {
	if ae := authError(err); ae != nil {
		return ae
	}
	var e *incident.Error
	if errors.As(err, &e) {
		switch e.Code {
		case incident.EINVALID, incident.ETOOLARGE:
			return withExit(exitInvalid, err)
		case incident.ENOTFOUND:
			return withExit(exitNotFound, err)
		case incident.ECONFLICT:
			return withExit(exitConflict, err)
		}
	}
	return err
}

// newLogger builds the process logger: text on stderr at level.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, withExit(exitInvalid, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
