package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
)

func init() { register(newAuditCmd) }

func newAuditCmd() *cobra.Command {
	var (
		sf     storeFlags
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--limit N] [--json]",
		Short: "List the audit log: who asked to do what, when, through which channel, allowed or refused",
		Long: `List the audit log, newest first, from the store: every decision the permission
table made on an authenticated caller (allowed and refused), every API token refused
(unknown, revoked, or its user disabled), and every change to users and tokens made
with irflow users. Reads that were allowed are not recorded.

An action taken in Slack names the Slack user id beside the channel (VIA "slack
U024BE7LH"; external_id in --json).

Like irflow users it reads the store directly (--data), so it needs no server.`,
		Example: `  irflow audit
  irflow audit --limit 20
  irflow audit --json | jq '.[] | select(.allowed | not)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return withExit(exitInvalid, fmt.Errorf("--limit: %d; give 1 or more", limit))
			}
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			log, err := store.AuditLog(ctx, limit)
			if err != nil {
				return err
			}
			if asJSON {
				if log == nil {
					log = []incident.AuditEntry{}
				}
				return printJSON(cmd.OutOrStdout(), log)
			}
			if len(log) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "The audit log is empty.")
				return nil
			}
			return writeAudit(cmd.OutOrStdout(), log)
		},
	}
	sf.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "show the last N entries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeAudit(w io.Writer, log []incident.AuditEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tACTOR\tVIA\tACTION\tINCIDENT\tTARGET\tDECISION\tREASON")
	for _, e := range log {
		decision := "allowed"
		if !e.Allowed {
			decision = "REFUSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.ActorID, channel(e.Via, e.ExternalID), e.Action,
			orDashText(e.IncidentID), orDashText(e.Target), decision, orDashText(e.Reason))
	}
	return tw.Flush()
}
