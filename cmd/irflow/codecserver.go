package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/codec"
)

func init() { register(newCodecServerCmd) }

// codecTokenEnv holds the bearer token codec-server requires; from the
// environment only, so it stays out of ps and shell history.
const codecTokenEnv = "IRFLOW_CODEC_TOKEN"

func newCodecServerCmd() *cobra.Command {
	var addr, origin string
	cmd := &cobra.Command{
		Use:   "codec-server [--addr 127.0.0.1:8089] [--ui-origin URL]",
		Short: "Serve the payload codec so the Temporal UI and CLI can show encrypted payloads",
		Long: `With IRFLOW_CODEC_KEYS set, irflow encrypts every workflow payload (facts, titles,
notes, timelines) with AES-256-GCM before it reaches Temporal. codec-server serves
the same keys over the remote codec protocol (POST /encode, POST /decode), so that
the official Temporal UI (its "codec endpoint" setting) and CLI
(temporal workflow show --codec-endpoint URL --codec-auth "Bearer TOKEN") can
decode them, for whoever holds the token in $IRFLOW_CODEC_TOKEN.

IRFLOW_CODEC_KEYS is KEY_ID:BASE64_KEY[,KEY_ID:BASE64_KEY...], 32-byte keys; the
first encrypts, all decrypt. To rotate keys, put the new key first and keep the old
ones until no retained history needs them. Make a key with:
  head -c 32 /dev/urandom | base64`,
		Example: `  IRFLOW_CODEC_KEYS="k2026:$(cat key.b64)" IRFLOW_CODEC_TOKEN="$(cat codec.token)" irflow codec-server --ui-origin http://localhost:8233
  temporal workflow show --workflow-id incident-INC-20260306-001 --codec-endpoint http://127.0.0.1:8089 --codec-auth "Bearer $(cat codec.token)"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := codec.FromEnv(os.Getenv)
			if err != nil {
				return withExit(exitInvalid, err)
			}
			if c == nil {
				return withExit(exitInvalid, fmt.Errorf("$%s is not set: there is nothing to decode with (see --help)", codec.EnvKeys))
			}
			token := strings.TrimSpace(os.Getenv(codecTokenEnv))
			if len(token) < 16 {
				return withExit(exitInvalid, fmt.Errorf("$%s must hold a token of at least 16 characters: decoding shows personal data", codecTokenEnv))
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				var bad *net.AddrError
				if errors.As(err, &bad) {
					return withExit(exitInvalid, fmt.Errorf("--addr: %w", err))
				}
				return withExit(exitFailure, fmt.Errorf("codec server: %w", err))
			}
			srv := &http.Server{Handler: codec.Handler(c, token, origin), ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(cmd.OutOrStdout(), "irflow codec server ready: http://%s (key %s encrypts)\n", ln.Addr(), c.KeyID())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return fmt.Errorf("codec server: %w", err)
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(ctx)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8089", "listen address")
	cmd.Flags().StringVar(&origin, "ui-origin", "", "the Temporal UI's origin (e.g. http://localhost:8233), allowed to call the codec from the browser")
	return cmd
}
