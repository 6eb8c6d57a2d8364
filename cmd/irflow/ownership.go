package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/ownership"
)

func init() { register(newOwnershipCmd) }

func newOwnershipCmd() *cobra.Command {
	var factsPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ownership --facts FILE [--json]",
		Short: "Decide who owns an incident under Zendesk's shared responsibility model",
		Long: `Decide who owns an incident under section VI of Zendesk's shared
responsibility model, from an incident facts document (version 1), without a server.

Zendesk owns breaches through the Service itself (SRM-VI.Z); the subscriber owns
incidents caused by weak access control or credentials, unmonitored activity,
unvetted user content or an integration it chose (SRM-VI.S.i-iv), and still owes
its own notifications when Zendesk reports a breach (SRM-VI.S.2). The result names
the owner, the clauses, a rationale citing the facts used, the subscriber's duties,
third parties, the open questions that could change it, and a confidence.

Use it for what-ifs: edit the facts file and run it again. Exit status 2 means the
facts file could not be read or is invalid (each problem is named by file, line,
column and field).`,
		Example: `  irflow ownership --facts incident.json
  irflow ownership --facts incident.json --json
  cat incident.json | irflow ownership --facts -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := loadFacts(cmd, factsPath, time.Now())
			if err != nil {
				return err
			}
			det := ownership.Determine(d)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), det)
			}
			return printDetermination(cmd.OutOrStdout(), det)
		},
	}
	cmd.Flags().StringVar(&factsPath, "facts", "", `incident facts document (JSON, version 1); "-" reads standard input`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the determination as JSON")
	_ = cmd.MarkFlagRequired("facts") // only fails for a flag that does not exist
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func printDetermination(w io.Writer, det ownership.Determination) error {
	var b strings.Builder
	duties := make([]string, len(det.SubscriberDuties))
	for i, d := range det.SubscriberDuties {
		duties[i] = string(d)
	}
	fmt.Fprintf(&b, "Owner:             %s (confidence: %s)\n", det.Owner, det.Confidence)
	fmt.Fprintf(&b, "Clauses:           %s\n", orNone(strings.Join(det.Clauses, ", ")))
	fmt.Fprintf(&b, "Subscriber duties: %s\n", orNone(strings.Join(duties, ", ")))
	fmt.Fprintf(&b, "\n%s\n", wrap(det.Rationale, "", 78))
	if len(det.ThirdParties) > 0 {
		b.WriteString("\nThird parties:\n")
		for _, p := range det.ThirdParties {
			fmt.Fprintf(&b, "  - %s (%s, %s)\n%s\n", p.Name, p.Role, p.Clause, wrap(p.Owes, "    ", 78))
		}
	}
	if len(det.OpenQuestions) > 0 {
		b.WriteString("\nOpen questions:\n")
		for _, q := range det.OpenQuestions {
			fmt.Fprintf(&b, "  - %s\n%s\n", q.Field, wrap(q.Question, "    ", 78))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
