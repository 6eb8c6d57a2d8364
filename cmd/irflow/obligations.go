package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

func init() { register(newObligationsCmd) }

// newObligationsCmd is "irflow obligations". With --facts it computes the obligations
// of a facts document offline; subcommands (list, fulfil) act on a running incident.
func newObligationsCmd() *cobra.Command {
	var (
		factsPath string
		asJSON    bool
		all       bool
		asOfText  string
	)
	cmd := &cobra.Command{
		Use:   "obligations --facts FILE [--json] [--all]",
		Short: "Compute the notification obligations an incident triggers",
		Long: `Compute which breach and incident notifications the facts document requires:
who must be told, under which law, from which event, and by when. Obligations are
sorted by due date; those with no fixed deadline ("without undue delay") come last.

Hour deadlines are exact instants from the trigger. Day deadlines end at 23:59:59 in
the jurisdiction's time zone on the last day; business days follow that
jurisdiction's calendar. A trigger instant missing from the facts is never guessed:
the obligation shows no due date and says why. Rules whose sources were not fully
confirmed are marked partial or UNVERIFIED.

Subcommands act on a running incident.`,
		Example: `  irflow obligations --facts incident.json
  irflow obligations --facts incident.json --all --json
  cat incident.json | irflow obligations --facts -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if factsPath == "" {
				return withExit(2, errors.New("obligations: --facts FILE is required (or use a subcommand; see --help)"))
			}
			asOf := time.Now()
			if asOfText != "" {
				t, err := time.Parse(time.RFC3339, asOfText)
				if err != nil {
					return withExit(2, fmt.Errorf("--as-of: want an RFC 3339 instant such as 2026-03-08T12:00:00Z, got %q", asOfText))
				}
				asOf = t
			}
			d, err := loadFacts(cmd, factsPath)
			if err != nil {
				return err
			}
			cat, err := regimes.Load()
			if err != nil {
				return fmt.Errorf("load notification rules catalogue: %w", err)
			}
			obs := obligations.Evaluate(d, cat, asOf, obligations.Options{All: all})
			if asJSON {
				return writeObligationsJSON(cmd.OutOrStdout(), asOf, obs)
			}
			return writeObligationsText(cmd.OutOrStdout(), asOf, obs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&factsPath, "facts", "", `incident facts document (JSON, version 1); "-" reads standard input`)
	f.BoolVar(&asJSON, "json", false, "print machine-readable JSON")
	f.BoolVar(&all, "all", false, "also list the obligations that do not apply, with the reason")
	f.StringVar(&asOfText, "as-of", "", "evaluate as of this RFC 3339 instant (default: now); decides open vs overdue")
	cmd.AddCommand(obligationRunCmds()...)
	return cmd
}

type obligationsOutput struct {
	AsOf        time.Time                `json:"as_of"`
	Obligations []obligations.Obligation `json:"obligations"`
}

func writeObligationsJSON(w io.Writer, asOf time.Time, obs []obligations.Obligation) error {
	if obs == nil {
		obs = []obligations.Obligation{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(obligationsOutput{AsOf: asOf.UTC(), Obligations: obs})
}

func writeObligationsText(w io.Writer, asOf time.Time, obs []obligations.Obligation) error {
	if len(obs) == 0 {
		_, err := fmt.Fprintln(w, "No notification obligations apply to these facts.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "DUE\tOBLIGATION\tTO\tWHERE\tSTATUS\tSOURCE CHECK\n")
	for _, o := range obs {
		due := "-"
		if o.DueAt != nil {
			due = o.DueAt.Format(time.RFC3339)
			if o.Status == obligations.StatusOpen || o.Status == obligations.StatusOverdue {
				due += " (" + timeLeft(*o.DueAt, asOf) + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", due, o.ID, o.Audience, o.Jurisdiction, o.Status, o.Verification)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, o := range obs {
		fmt.Fprintf(w, "%s — %s\n", o.ID, o.Title)
		fmt.Fprintf(w, "  law:     %s\n", o.Citation)
		if o.Applicable {
			when := o.DueText
			if o.TriggerAt != nil {
				assumed := ""
				if o.TriggerAssumed {
					assumed = ", assumed"
				}
				when = fmt.Sprintf("%s (from %s %s%s)", o.DueText, o.Trigger, o.TriggerAt.Format(time.RFC3339), assumed)
			}
			fmt.Fprintf(w, "  when:    %s\n", when)
		}
		fmt.Fprintf(w, "  why:     %s\n", o.Reason)
		if o.Verification != regimes.Verified {
			fmt.Fprintf(w, "  caution: the reference marks this rule %s; check the source before relying on it\n", o.Verification)
		}
	}
	return nil
}

// timeLeft renders the time from asOf to due, e.g. "2d 23h left" or "5h overdue".
func timeLeft(due, asOf time.Time) string {
	d := due.Sub(asOf)
	suffix := " left"
	if d < 0 {
		d, suffix = -d, " overdue"
	}
	d = d.Truncate(time.Minute)
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int(d / time.Hour)
	m := int((d - time.Duration(h)*time.Hour) / time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh%s", days, h, suffix)
	case h > 0:
		return fmt.Sprintf("%dh %dm%s", h, m, suffix)
	}
	return fmt.Sprintf("%dm%s", m, suffix)
}
