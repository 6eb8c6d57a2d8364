package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/facts"
	"irflow/internal/incident"
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
		given     []string
	)
	cmd := &cobra.Command{
		Use:   "obligations --facts FILE [--given OBLIGATION_ID=TIME]... [--json] [--all]",
		Short: "Compute the notification obligations an incident triggers",
		Long: `Compute which breach and incident notifications the facts document requires:
who must be told, under which law, from which event, and by when. Obligations are
sorted by due date; those with no fixed deadline ("without undue delay") come last.

Hour deadlines are exact instants from the trigger. Day deadlines end at 23:59:59 in
the jurisdiction's time zone on the last day; business days follow that
jurisdiction's calendar; "one month" is calendar arithmetic (a month from 31 January
ends on the last day of February). A trigger instant missing from the facts is never
guessed: the obligation shows no due date and says why. Rules whose sources were not
fully confirmed are marked partial or UNVERIFIED.

An obligation whose applicability depends on a fact not yet known (empty
data_categories, an unassessed impact, an unknown cause, a DORA classification not
yet made) is listed as "needs assessment" with the facts paths that decide it, its
deadline taken on the earliest reading. Conditions the facts cannot express (an
access code taken with a card number, for instance) are listed under "review" to
confirm or dismiss, as is "other" data that a state law might still cover.

--given OBLIGATION_ID=TIME (repeatable) says when a notice was, or would be, given:
every notice chained to it (the NIS2 final report, California's AG notice, DORA's
intermediate report, ...) is computed from that instant, for "if we notify the
authority tomorrow at 10:00, the final report is due ..." questions.

Subcommands act on a running incident.`,
		Example: `  irflow obligations --facts incident.json
  irflow obligations --facts incident.json --all --json
  irflow obligations --facts incident.json --given eu-nis2-23-authority/notification=2026-03-31T10:00:00Z
  cat incident.json | irflow obligations --facts -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if factsPath == "" {
				return withExit(exitInvalid, errors.New("obligations: --facts FILE is required (or use a subcommand; see --help)"))
			}
			asOf := time.Now()
			if asOfText != "" {
				t, err := time.Parse(time.RFC3339, asOfText)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("--as-of: want an RFC 3339 instant such as 2026-03-08T12:00:00Z, got %q", asOfText))
				}
				asOf = t
			}
			d, err := loadFacts(cmd, factsPath, laterOf(time.Now(), asOf))
			if err != nil {
				return err
			}
			cat, err := regimes.Load()
			if err != nil {
				return fmt.Errorf("load notification rules catalogue: %w", err)
			}
			fulfilled, err := givenNotices(d, cat, asOf, given)
			if err != nil {
				return withExit(exitInvalid, err)
			}
			obs := obligations.Evaluate(d, cat, asOf, obligations.Options{All: all, Fulfilled: fulfilled})
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
	f.StringArrayVar(&given, "given", nil, "OBLIGATION_ID=TIME: that notice was (or would be) given at TIME (RFC 3339); the notices chained to it run from then (repeatable)")
	cmd.AddCommand(obligationRunCmds()...)
	return cmd
}

// givenNotices parses the --given arguments into the instants the engine chains
// from. Each must name an obligation these facts trigger that another notice runs
// from, with an RFC 3339 instant no earlier than that obligation's own trigger.
func givenNotices(d facts.Document, cat regimes.Catalogue, asOf time.Time, args []string) (map[string]time.Time, error) {
	if len(args) == 0 {
		return nil, nil
	}
	all := obligations.Evaluate(d, cat, asOf, obligations.Options{All: true})
	byID := map[string]obligations.Obligation{}
	var anchors []string
	for _, o := range all {
		byID[o.ID] = o
		if o.Applicable && o.DependsOn != nil && !slices.Contains(anchors, *o.DependsOn) {
			anchors = append(anchors, *o.DependsOn)
		}
	}
	sort.Strings(anchors)
	hint := "no obligation of these facts runs from another"
	if len(anchors) > 0 {
		hint = "the notices others run from here are " + strings.Join(anchors, ", ")
	}
	out := map[string]time.Time{}
	for _, arg := range args {
		id, text, ok := strings.Cut(arg, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("--given %q: want OBLIGATION_ID=TIME, e.g. --given eu-nis2-23-authority/notification=2026-03-31T10:00:00Z", arg)
		}
		at, err := time.Parse(time.RFC3339, strings.TrimSpace(text))
		if err != nil {
			return nil, fmt.Errorf("--given %s: %q is not an RFC 3339 instant such as 2026-03-31T10:00:00Z", id, text)
		}
		o, known := byID[id]
		switch {
		case !known:
			return nil, fmt.Errorf("--given %s: no obligation %q in the catalogue for these facts (irflow obligations --facts FILE --all lists every id); %s", id, id, hint)
		case !o.Applicable:
			return nil, fmt.Errorf("--given %s: %s does not apply to these facts (%s)", id, id, o.Reason)
		case len(obligations.Anchored(cat, id)) == 0:
			return nil, fmt.Errorf("--given %s: no notice runs from %s, so giving it changes no deadline; %s", id, id, hint)
		case o.TriggerAt != nil && at.Before(*o.TriggerAt):
			return nil, fmt.Errorf("--given %s: %s is before its trigger %s %s", id, at.UTC().Format(time.RFC3339), o.Trigger, o.TriggerAt.UTC().Format(time.RFC3339))
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("--given %s: given twice", id)
		}
		out[id] = at
	}
	return out, nil
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
		status := o.Status
		if o.NeedsAssessment {
			status += ", needs assessment"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", due, o.ID, o.Audience, o.Jurisdiction, status, o.Verification)
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
		if o.NeedsAssessment {
			fmt.Fprintf(w, "  needs assessment: %s\n", strings.Join(o.Questions, ", "))
		}
		for _, r := range o.Review {
			fmt.Fprintf(w, "  review:  %s\n", r)
		}
		if d := o.LawEnforcementDelay; d != nil && o.Applicable {
			fmt.Fprintf(w, "  pause:   law-enforcement delay, %s: %s\n", d.Citation, d.Text)
		}
		if o.Verification != regimes.Verified {
			fmt.Fprintf(w, "  caution: the reference marks this rule %s; check the source before relying on it\n", o.Verification)
		}
	}
	return nil
}

// timeLeft renders the time from asOf to due, e.g. "2d 23h left" or "5h overdue".
func timeLeft(due, asOf time.Time) string {
	if d := due.Sub(asOf); d < 0 {
		return incident.Span(d) + " overdue"
	}
	return incident.Span(due.Sub(asOf)) + " left"
}
