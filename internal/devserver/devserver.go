// Package devserver runs a real Temporal server (go.temporal.io/server) inside the
// irflow process, persisted in a SQLite file, for `irflow dev` and end-to-end tests.
//
// It is the same engine the official `temporal server start-dev` runs. The pitfalls it
// guards against are measured facts (shared/reference/embedded-temporal.md): a port
// already in use makes the server exit the process, a crash during first schema
// creation leaves a half-built file, and two processes on one folder corrupt the
// shard. Callers hold the data-folder lock (see Lock) before calling Start.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Config says where the server keeps its state and where it listens.
type Config struct {
	// DBPath is the SQLite file holding all Temporal state (histories, timers, visibility).
	DBPath string
	// FrontendAddr is the gRPC address clients dial, e.g. 127.0.0.1:7233.
	FrontendAddr string
	// Namespace is created on first start; "default" when empty.
	Namespace string
	// LogPath receives the server's own log at warn level; empty discards it.
	LogPath string
	// Retention is how long the namespace keeps a closed workflow's history;
	// DefaultRetention when zero. Start sets it on a namespace that exists already.
	Retention time.Duration
	// SuggestContinueAsNewEvents, when above zero, replaces the history length at
	// which the server suggests continue-as-new (4,096 events); tests lower it to
	// exercise continue-as-new in seconds.
	SuggestContinueAsNewEvents int
}

// DefaultRetention keeps a closed incident's workflow history for 30 days, long
// enough for the post-incident review to inspect it in Temporal's tools. irflow
// never needs it after that: the store is the read model of closed incidents, and
// each notification clock is its own workflow, which stays open (and so is never
// subject to retention) until its duty is fulfilled, waived or retired.
const DefaultRetention = 30 * 24 * time.Hour

// Server is a running embedded Temporal server.
type Server struct {
	srv          temporal.Server
	frontendAddr string
	logger       log.Logger
	// stopping is set when Stop begins (see stoppingLogger).
	stopping *atomic.Bool
}

// Start creates the schema on first use, registers the namespace and starts every
// Temporal service. It returns once the services are started; clients should still
// dial with a short retry (the frontend takes a few hundred milliseconds to serve).
//
// The internal services' ports are picked free just before the server binds them;
// another process can take one in between, so that case is retried with new ports.
// A taken frontend port is the user's to resolve and is reported at once.
func Start(cfg Config) (*Server, error) {
	var err error
	for range 3 {
		var s *Server
		if s, err = start(cfg); err == nil {
			return s, nil
		}
		if !strings.Contains(err.Error(), "address already in use") || strings.Contains(err.Error(), "temporal frontend "+cfg.FrontendAddr) {
			return nil, err
		}
	}
	return nil, err
}

func start(cfg Config) (*Server, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	host, portStr, err := net.SplitHostPort(cfg.FrontendAddr)
	if err != nil {
		return nil, fmt.Errorf("temporal address %q: %w", cfg.FrontendAddr, err)
	}
	frontendPort, err := strconv.Atoi(portStr)
	if err != nil || frontendPort <= 0 {
		return nil, fmt.Errorf("temporal address %q: port must be a positive number", cfg.FrontendAddr)
	}
	if host == "" || host == "localhost" {
		host = "127.0.0.1"
	}
	// The server kills the process when a listener cannot bind, so check every port
	// first and name the one that is taken.
	if err := checkFree(net.JoinHostPort(host, portStr)); err != nil {
		return nil, fmt.Errorf("temporal frontend %s is already in use (another irflow dev or temporal server?): %w", cfg.FrontendAddr, err)
	}
	// Static hosts need real addresses up front, so port 0 cannot be used for the
	// internal services: pick free ones now.
	ports, err := freePorts(host, 4)
	if err != nil {
		return nil, fmt.Errorf("find free ports for temporal services: %w", err)
	}
	httpPort, historyPort, matchingPort, workerPort := ports[0], ports[1], ports[2], ports[3]

	sqlCfg := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: cfg.DBPath,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			// NORMAL: in WAL mode a commit survives a crash or kill -9 of this process
			// (the restart tests do that) and only a power cut can lose the last
			// transactions. FULL fsyncs every commit and made reminder bursts queue
			// for seconds; production runs on PostgreSQL.
			"synchronous": "1",
		},
	}
	if err := ensureSchema(sqlCfg); err != nil {
		return nil, err
	}
	const clusterName = "active"
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, cfg.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("namespace config: %w", err)
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	ns.Detail.Config.Retention = durationpb.New(cfg.Retention)
	if err := sqliteschema.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create namespace %q: %w", cfg.Namespace, err)
	}

	frontend := net.JoinHostPort(host, portStr)
	svc := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: host}}
	}
	frontendSvc := svc(frontendPort)
	frontendSvc.RPC.HTTPPort = httpPort
	conf := &config.Config{
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {
					Enabled:                true,
					InitialFailoverVersion: 1,
					RPCAddress:             frontend,
					HTTPAddress:            net.JoinHostPort(host, strconv.Itoa(httpPort)),
				},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": frontendSvc,
			"history":  svc(historyPort),
			"matching": svc(matchingPort),
			"worker":   svc(workerPort),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}

	logger := log.Logger(log.NewNoopLogger())
	stopping := &atomic.Bool{}
	if cfg.LogPath != "" {
		logger = stoppingLogger{Logger: log.NewZapLogger(log.BuildZapLogger(log.Config{Level: "warn", OutputFile: cfg.LogPath})), stopping: stopping}
	}
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("temporal authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("temporal claim mapper: %w", err)
	}
	hostPort := func(p int) string { return net.JoinHostPort(host, strconv.Itoa(p)) }
	srv, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(frontend),
			primitives.HistoryService:  static.SingleLocalHost(hostPort(historyPort)),
			primitives.MatchingService: static.SingleLocalHost(hostPort(matchingPort)),
			primitives.WorkerService:   static.SingleLocalHost(hostPort(workerPort)),
		}),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicConfig(cfg)),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	return &Server{srv: srv, frontendAddr: frontend, logger: logger, stopping: stopping}, nil
}

// FrontendAddr is the gRPC address the SDK and the official CLI dial.
func (s *Server) FrontendAddr() string { return s.frontendAddr }

// Stop stops every service. It takes one to two seconds. Stop the workers that
// poll it first (irflow dev does): their polls would fail as the frontend goes.
func (s *Server) Stop() error {
	s.stopping.Store(true)
	return s.srv.Stop()
}

// ensureSchema builds the schema in a temporary file and renames it into place, so a
// crash during the first start never leaves a half-built database that the next start
// would skip (schema setup only runs when the file is missing).
func ensureSchema(sqlCfg *config.SQL) error {
	path := sqlCfg.DatabaseName
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("stat temporal database: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	tmp := path + ".tmp"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	tmpCfg := *sqlCfg
	tmpCfg.DatabaseName = tmp
	tmpCfg.ConnectAttributes = map[string]string{"mode": "rwc"} // rollback journal: one file to rename
	if err := sqliteschema.SetupSchema(&tmpCfg); err != nil {
		return fmt.Errorf("create temporal schema: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("move temporal schema into place: %w", err)
	}
	return nil
}

func checkFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

func freePorts(host string, n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// WaitReady polls until ready returns nil or ctx ends; it is used with a client's
// health check so that "irflow ready" is printed only when work can be taken.
func WaitReady(ctx context.Context, ready func(context.Context) error) error {
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		last = ready(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal not ready: %w (last error: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// dynamicConfig overrides the server's defaults where a one-machine install needs
// other values.
func dynamicConfig(cfg Config) dynamicconfig.Client {
	dc := dynamicconfig.NewMemoryClient()
	if cfg.SuggestContinueAsNewEvents > 0 {
		dc.OverrideSetting(dynamicconfig.HistoryCountSuggestContinueAsNew, cfg.SuggestContinueAsNewEvents)
	}
	// Deleting a closed workflow (by hand, or its retention ending) waits until the
	// transfer queue's ack level, saved every 30 s by default, passes the close
	// task; every 5 s keeps that wait short at the cost of a small write.
	dc.OverrideSetting(dynamicconfig.TransferProcessorUpdateAckInterval, 5*time.Second)
	return dc
}
