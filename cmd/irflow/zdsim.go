package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/zdsim"
)

func init() { register(newZdsimCmd) }

// zdsimReady is what `irflow zdsim --json` prints once the simulator listens.
type zdsimReady struct {
	URL       string `json:"url"`
	APIURL    string `json:"api_url"`
	Seed      string `json:"seed"`
	Email     string `json:"email"`
	APIToken  string `json:"api_token"`
	OAuth     string `json:"oauth_token"`
	RateLimit int    `json:"rate_limit"`
	// AuditLogs and AccessLogsAddon describe the simulated plan.
	AuditLogs       bool            `json:"audit_logs"`
	AccessLogsAddon bool            `json:"access_logs_addon"`
	Facts           zdsim.DemoFacts `json:"facts"`
}

func newZdsimCmd() *cobra.Command {
	var (
		addr, seed, now                string
		rateLimit, incLimit, auditLogs int
		fault429, fault5xx             float64
		latency                        time.Duration
		omitRetryAfter, allowPasswords bool
		accessLogsAddon, noAuditLogs   bool
		asJSON                         bool
	)
	cmd := &cobra.Command{
		Use:   "zdsim",
		Short: "Run the Zendesk simulator (real wire formats, stateful, with a demo takeover)",
		Long: `zdsim serves a stateful Zendesk API simulator on --addr. It speaks Zendesk's wire
formats (cursor and offset pagination, incremental exports, every error shape,
text/plain 429s), enforces API-token and OAuth auth and a per-minute rate limit,
and counts every mutation per object (GET /_sim/mutations).

The "demo" seed is a realistic instance in which one agent's account was taken
over by credential stuffing from 203.0.113.7; "empty" holds only the admin.

The simulated account is on Enterprise (audit logs) without the Advanced Data
Privacy and Protection add-on, so GET /api/v2/access_logs answers 403 and evidence
collection records a gap. --access-logs-addon adds the add-on (the demo's access
logs then show the attacker's ticket listings and exports); --no-audit-logs
simulates a plan without audit logs (403 there too).

Point irflow at it with:
  ZENDESK_URL=<printed url> ZENDESK_EMAIL=<email> ZENDESK_API_TOKEN=<token>`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seed != zdsim.SeedDemo && seed != zdsim.SeedEmpty {
				return withExit(exitInvalid, fmt.Errorf("--seed %q: want %q or %q", seed, zdsim.SeedDemo, zdsim.SeedEmpty))
			}
			for name, p := range map[string]float64{"--fault-429": fault429, "--fault-5xx": fault5xx} {
				if p < 0 || p > 1 {
					return withExit(exitInvalid, fmt.Errorf("%s %g: want a probability between 0 and 1", name, p))
				}
			}
			if rateLimit < 0 || incLimit < 0 || auditLogs < 0 || latency < 0 {
				return withExit(exitInvalid, fmt.Errorf("--rate-limit, --incremental-rate-limit, --audit-log-records and --latency must not be negative"))
			}
			opts := zdsim.Options{
				Seed: seed, RateLimit: rateLimit, IncrementalRateLimit: incLimit, AuditLogRecords: auditLogs,
				OmitRetryAfter: omitRetryAfter, AdminsCanSetUserPasswords: allowPasswords,
				AccessLogsAddon: accessLogsAddon, NoAuditLogs: noAuditLogs,
				Faults: zdsim.Faults{Rate429: fault429, Rate5xx: fault5xx, Latency: latency},
			}
			// The real clock by default: irflow picks its evidence window from its own
			// clock, so a simulator living in another time has no records in it.
			opts.Now = time.Now()
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("--now %q: want an RFC 3339 time such as 2026-03-02T09:00:00Z", now))
				}
				opts.Now = t
			}
			srv, err := zdsim.Start(addr, opts)
			if err != nil {
				// An --addr that is no address is bad input; a port in use is a
				// failure to start, as for irflow dev.
				var bad *net.AddrError
				if errors.As(err, &bad) {
					return withExit(exitInvalid, err)
				}
				return withExit(exitFailure, err)
			}
			f := srv.Facts()
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(zdsimReady{URL: srv.URL, APIURL: srv.URL + "/api/v2", Seed: f.Seed,
					Email: f.AdminEmail, APIToken: f.AdminAPIToken, OAuth: f.AdminOAuthToken, RateLimit: rateLimit,
					AuditLogs: !noAuditLogs, AccessLogsAddon: accessLogsAddon, Facts: f}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "zendesk simulator ready: %s/api/v2 (seed %s, rate limit %d/min)\n", srv.URL, f.Seed, rateLimit)
				fmt.Fprintf(out, "  ZENDESK_URL=%s\n  ZENDESK_EMAIL=%s\n  ZENDESK_API_TOKEN=%s\n", srv.URL, f.AdminEmail, f.AdminAPIToken)
				fmt.Fprintf(out, "  OAuth bearer token: %s\n", f.AdminOAuthToken)
				if f.Seed == zdsim.SeedDemo {
					fmt.Fprintf(out, "  demo: agent %d (%s) taken over from %s at %s; rogue API token %d, webhook %s\n",
						f.CompromisedUserID, f.CompromisedEmail, f.AttackerIP, f.TakeoverAt.Format(time.RFC3339), f.RogueAPITokenID, f.RogueWebhookID)
				}
				fmt.Fprintf(out, "  plan: audit logs %s, access logs (ADPP add-on) %s\n", onOff(!noAuditLogs), onOff(accessLogsAddon))
				fmt.Fprintf(out, "  control: %s/_sim/mutations, /_sim/state, /_sim/stats, /_sim/facts\n", srv.URL)
			}
			<-cmd.Context().Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				return err
			}
			if !asJSON {
				fmt.Fprintln(out, "zendesk simulator stopped")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&addr, "addr", "127.0.0.1:8081", "address to listen on (host:port; port 0 picks a free one)")
	fl.StringVar(&seed, "seed", zdsim.SeedDemo, `initial data: "demo" (credential-stuffing takeover) or "empty"`)
	fl.StringVar(&now, "now", "", "the simulated present, RFC 3339, for reproducible runs (default: the real clock); seed data is placed relative to it")
	fl.IntVar(&rateLimit, "rate-limit", zdsim.DefaultAdvertisedLimit, "requests per minute before text/plain 429s (0: unlimited)")
	fl.IntVar(&incLimit, "incremental-rate-limit", 10, "requests per minute on /incremental/ endpoints (0: unlimited)")
	fl.Float64Var(&fault429, "fault-429", 0, "probability of an injected 429 per request (0..1)")
	fl.Float64Var(&fault5xx, "fault-5xx", 0, "probability of an injected 500/502/503 per request (0..1)")
	fl.DurationVar(&latency, "latency", 0, "delay added to every API response (e.g. 150ms)")
	fl.BoolVar(&omitRetryAfter, "omit-retry-after", false, "send 429s without a Retry-After header")
	fl.BoolVar(&allowPasswords, "admins-can-set-passwords", false, `turn on the "admins can set user passwords" security setting`)
	fl.BoolVar(&accessLogsAddon, "access-logs-addon", false, "give the account the Advanced Data Privacy and Protection add-on, which serves GET /api/v2/access_logs (without it: 403)")
	fl.BoolVar(&noAuditLogs, "no-audit-logs", false, "simulate a plan without audit logs (below Enterprise): GET /api/v2/audit_logs answers 403")
	fl.IntVar(&auditLogs, "audit-log-records", 0, "extra synthetic audit-log records (volume tests)")
	fl.BoolVar(&asJSON, "json", false, "print the ready information as JSON")
	return cmd
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
