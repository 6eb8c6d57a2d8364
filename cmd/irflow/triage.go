package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"irflow/internal/ownership"
	"irflow/internal/triage"
)

func init() { register(newTriageCmd) }

// playbookRefs returns the playbooks triage may suggest.
//
// LEAD WIRING POINT: replace the body with the embedded playbook catalogue
// (playbooks.Embedded(), converting each playbook's id, clauses and triggers into a
// triage.PlaybookRef). Until then it returns the six planned playbooks below, so the
// command works on its own.
var playbookRefs = func() ([]triage.PlaybookRef, error) { return plannedPlaybooks, nil }

// plannedPlaybooks are the six playbooks irflow ships, by the clauses they implement
// and the facts that trigger them. credential-compromise mirrors
// playbooks/credential-compromise.yaml; the others mirror the plan until their files
// exist.
var plannedPlaybooks = []triage.PlaybookRef{
	{ID: "credential-compromise", Clauses: []string{"SRM-VI.S.i", "SRM-VI.S.1", "SRM-VI.S.2", "SRM-I.S.1", "SRM-I.S.2", "SRM-I.S.3"},
		Triggers: []triage.Trigger{
			{Field: "cause.credentials_used", In: []string{"password", "session", "sso"}},
			{Field: "cause.weak_credentials", In: []string{"yes"}},
			{Field: "cause.mfa_enforced", In: []string{"false"}},
		}},
	{ID: "api-token-leak", Clauses: []string{"SRM-VI.S.i", "SRM-I.S.5"},
		Triggers: []triage.Trigger{{Field: "cause.credentials_used", In: []string{"api_token", "oauth_token"}}}},
	{ID: "unmonitored-activity", Clauses: []string{"SRM-VI.S.ii"},
		Triggers: []triage.Trigger{
			{Field: "cause.monitoring_gap", In: []string{"true"}},
			{Field: "cause.insider", In: []string{"true"}},
		}},
	{ID: "malicious-user-content", Clauses: []string{"SRM-VI.S.iii"},
		Triggers: []triage.Trigger{{Field: "cause.user_content", In: []string{"true"}}}},
	{ID: "third-party-integration", Clauses: []string{"SRM-VI.S.iv", "SRM-V.note"},
		Triggers: []triage.Trigger{
			{Field: "cause.integration.involved", In: []string{"true"}},
			{Field: "cause.integration.chosen_by", In: []string{"subscriber"}},
		}},
	{ID: "zendesk-service-breach", Clauses: []string{"SRM-VI.Z", "SRM-VI.S.2"},
		Triggers: []triage.Trigger{
			{Field: "cause.service_vulnerability", In: []string{"yes"}},
			{Field: "cause.reported_by_zendesk", In: []string{"true"}},
		}},
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
			d, err := loadFacts(cmd, factsPath)
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
