package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/ownership"
	"irflow/internal/triage"
	"irflow/playbooks"
)

func init() { register(newTriageCmd) }

// playbookRefs returns the playbooks triage may suggest: the embedded catalogue.
func playbookRefs() ([]triage.PlaybookRef, error) {
	cat, err := playbooks.Embedded()
	if err != nil {
		return nil, err
	}
	return cat.Refs(), nil
}

func newTriageCmd() *cobra.Command {
	var factsPath string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "triage --facts FILE [--json]",
		Short: "Rate an incident's severity and suggest playbooks",
		Long: `Rate an incident's severity (SEV1 to SEV4) from its facts document (version 1),
without a server, and suggest the playbooks that fit it: those whose declared
shared-responsibility clauses the ownership determination cites, or whose
triggers the facts meet, best first.

Severity looks at data categories, affected counts, privileged access, ongoing
activity and encryption; the reason names the rule and the facts it used. Exit
status 2 means the facts file could not be read or is invalid.`,
		Example: `  irflow triage --facts incident.json
  irflow triage --facts incident.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := loadFacts(cmd, factsPath, time.Now())
			if err != nil {
				return err
			}
			refs, err := playbookRefs()
			if err != nil {
				return fmt.Errorf("load playbooks: %w", err)
			}
			for _, p := range refs {
				if err := triage.ValidateRef(p); err != nil {
					return fmt.Errorf("load playbooks: %w", err)
				}
			}
			det := ownership.Determine(d)
			res := triage.AssessWith(d, det, refs)
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			return printTriage(cmd.OutOrStdout(), res, det)
		},
	}
	cmd.Flags().StringVar(&factsPath, "facts", "", `incident facts document (JSON, version 1); "-" reads standard input`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the triage result as JSON")
	_ = cmd.MarkFlagRequired("facts") // only fails for a flag that does not exist
	return cmd
}

func printTriage(w io.Writer, res triage.Result, det ownership.Determination) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Severity: %s\n%s\n", res.Severity, wrap(res.SeverityReason, "  ", 78))
	fmt.Fprintf(&b, "Owner:    %s (confidence: %s; see irflow ownership)\n", det.Owner, det.Confidence)
	if len(res.SuggestedPlaybooks) == 0 {
		b.WriteString("\nSuggested playbooks: none match yet. Record the cause in the facts; " +
			"irflow ownership lists the open questions.\n")
	} else {
		b.WriteString("\nSuggested playbooks:\n")
		for i, s := range res.SuggestedPlaybooks {
			fmt.Fprintf(&b, "  %d. %s (score %d)\n%s\n", i+1, s.ID, s.Score,
				wrap("matched "+strings.Join(s.Matched, "; "), "     ", 78))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
