// Package app wires irflow's parts into runnable stacks: the all-in-one dev stack
// (embedded Temporal, store, worker, HTTP) and the production worker and server.
// cmd/irflow only parses flags and calls into here, so tests start the same stacks.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"irflow/internal/codec"
)

// TemporalConfig says how to reach a Temporal frontend.
type TemporalConfig struct {
	Address   string
	Namespace string
	// TLS: a client certificate and key (mTLS), a CA bundle to trust, and the server
	// name to verify. TLS is on when any of them is set.
	TLSCert       string
	TLSKey        string
	TLSCA         string
	TLSServerName string
	// APIKey authenticates to Temporal Cloud; it implies TLS.
	APIKey string
	// CodecKeys, when set, encrypts every payload with AES-256-GCM (see package
	// codec; IRFLOW_CODEC_KEYS). Every process of one deployment needs the same keys.
	CodecKeys string
}

// DialTimeout bounds how long a CLI command waits for Temporal before saying it
// cannot reach it; a user must never see a hang.
const DialTimeout = 5 * time.Second

// ErrUnreachable wraps every failure to reach Temporal at dial time.
var ErrUnreachable = errors.New("cannot reach Temporal")

// Dial connects to Temporal and checks the connection, within DialTimeout.
func Dial(ctx context.Context, cfg TemporalConfig, logger *slog.Logger) (client.Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    sdklog.NewStructuredLogger(logger),
	}
	tlsCfg, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg.CodecKeys != "" {
		c, err := codec.ParseKeys(cfg.CodecKeys)
		if err != nil {
			return nil, err
		}
		opts.DataConverter = c.DataConverter()
	}
	if tlsCfg != nil {
		opts.ConnectionOptions.TLS = tlsCfg
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
		if opts.ConnectionOptions.TLS == nil {
			opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	dctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%w at %s (is \"irflow dev\" running?): %v", ErrUnreachable, cfg.Address, err)
	}
	return c, nil
}

func (cfg TemporalConfig) tlsConfig() (*tls.Config, error) {
	if cfg.TLSCert == "" && cfg.TLSKey == "" && cfg.TLSCA == "" && cfg.TLSServerName == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServerName}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key must be given together")
	}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load temporal client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("read temporal CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal CA bundle %s holds no PEM certificate", cfg.TLSCA)
		}
		t.RootCAs = pool
	}
	return t, nil
}
