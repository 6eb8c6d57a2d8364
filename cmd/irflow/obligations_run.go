package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks/regimes"
)

// obligationRunCmds read and act on an incident's obligation clocks: the reads come
// from the store, and the actions go to each clock directly, so they work on a
// closed incident as long as its clocks run.
func obligationRunCmds() []*cobra.Command {
	var tf clientFlags
	list := &cobra.Command{
		Use:   "list INCIDENT_ID [--json] [--all] [--wide]",
		Short: "List an incident's notification obligations with their clocks and time left",
		Long: `List an incident's notification obligations, each with its clock's status, due
date (UTC) and the time left ("26d 15h", or "3d 2h overdue"), fitted to the
terminal's width: a long "no fixed deadline" text is cut with "…", and the TO and
SOURCE CHECK columns are left out when they do not fit. --wide prints everything in
full. --json prints each obligation with its clock; the clock's "due_at" is the
deadline, "time_left_seconds" the whole seconds from "as_of" to it (negative when
overdue), and "time_left" the same in nanoseconds.`,
		Args: cobra.ExactArgs(1),
	}
	var asJSON, all, wide bool
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list.Flags().BoolVar(&all, "all", false, "include obligations that do not apply, with the reason")
	list.Flags().BoolVar(&wide, "wide", false, "print every column and cell in full, whatever the terminal's width")
	list.RunE = func(cmd *cobra.Command, args []string) error {
		svc, closeFn, err := tf.service(cmd.Context(), true)
		if err != nil {
			return err
		}
		defer closeFn()
		obs, err := svc.Obligations(cmd.Context(), args[0], all)
		if err != nil {
			return userError(err)
		}
		if asJSON {
			return printJSON(cmd.OutOrStdout(), obs)
		}
		return writeObligationViews(cmd.OutOrStdout(), obs, time.Now(), outputWidth(cmd.OutOrStdout(), wide))
	}
	tf.register(list)

	var (
		req         incident.MarkFulfilledRequest
		atText      string
		fulfilJSON  bool
		fulfilFlags clientFlags
	)
	fulfil := &cobra.Command{
		Use:   "fulfil INCIDENT_ID OBLIGATION_ID --reference TEXT [--at TIME] [--late-reason TEXT]",
		Short: "Record that a notice was given (a late one needs --late-reason, as GDPR Art. 33(1) requires)",
		Example: `  irflow obligations fulfil INC-20261126-001 eu-gdpr-33-sa --reference "DPC case 2026-1234"
  irflow obligations fulfil INC-20261126-001 us-ca-1798-82-individuals --reference "letters mailed" --at 2026-12-01T10:00:00Z`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if atText != "" {
				at, err := time.Parse(time.RFC3339, atText)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("--at: %q is not an RFC 3339 time (e.g. 2026-03-09T10:00:00Z)", atText))
				}
				req.At = at
			}
			svc, closeFn, err := fulfilFlags.service(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := svc.Fulfil(cmd.Context(), args[0], args[1], req)
			if err != nil {
				return userError(err)
			}
			if fulfilJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s\n", args[0], args[1], out.Status)
			return nil
		},
	}
	fulfil.Flags().StringVar(&req.Reference, "reference", "", "the notice's reference (case number, filing id, letter batch)")
	fulfil.Flags().StringVar(&atText, "at", "", "when the notice was given (RFC 3339; default now)")
	fulfil.Flags().StringVar(&req.LateReason, "late-reason", "", "why the notice is late (required after the deadline)")
	fulfil.Flags().StringVar(&req.Actor, "actor", defaultActor(), "who records it (env IRFLOW_ACTOR)")
	fulfil.Flags().BoolVar(&fulfilJSON, "json", false, "print the clock state as JSON")
	_ = fulfil.MarkFlagRequired("reference")
	fulfilFlags.register(fulfil)
	return []*cobra.Command{list, fulfil, newClockCmd("pause", "Pause a clock for a law-enforcement delay (reason and expiry required)", true),
		newClockCmd("resume", "Resume a paused clock; its deadline moves by the time paused", false),
		newClockCmd("waive", "Close a clock without a notice, e.g. risk assessed unlikely (reason required)", false)}
}

// newClockCmd builds pause, resume and waive: one action on one obligation's clock.
func newClockCmd(name, short string, until bool) *cobra.Command {
	var (
		tf                       clientFlags
		actor, reason, untilText string
		asJSON                   bool
	)
	cmd := &cobra.Command{
		Use:   name + " INCIDENT_ID OBLIGATION_ID --reason TEXT",
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var untilAt time.Time
			if name == "pause" {
				at, err := time.Parse(time.RFC3339, untilText)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("--until: %q is not an RFC 3339 time (e.g. 2026-04-01T00:00:00Z)", untilText))
				}
				untilAt = at
			}
			svc, closeFn, err := tf.service(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			var out incident.ClockState
			ctx, id, obligation := cmd.Context(), args[0], args[1]
			switch name {
			case "pause":
				out, err = svc.Pause(ctx, id, obligation, incident.PauseRequest{Reason: reason, Actor: actor, Until: untilAt})
			case "resume":
				out, err = svc.Resume(ctx, id, obligation, incident.ResumeRequest{Reason: reason, Actor: actor})
			default:
				out, err = svc.Waive(ctx, id, obligation, incident.WaiveRequest{Reason: reason, Actor: actor})
			}
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: %s\n", args[0], args[1], out.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the clock's history and the incident timeline)")
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who decides (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the clock state as JSON")
	if until {
		cmd.Flags().StringVar(&untilText, "until", "", "when the delay expires (RFC 3339)")
		_ = cmd.MarkFlagRequired("until")
	}
	// Every clock action needs a reason: the clock's validators reject one without
	// (see incident.ClockState.ValidatePause, ValidateResume, ValidateWaive), so the
	// flag is required here rather than failing after a round trip.
	_ = cmd.MarkFlagRequired("reason")
	tf.register(cmd)
	return cmd
}

// writeObligationViews prints obligations as a table fitted to width (0: unlimited).
// A column left out to fit is named below the table, and so is every rule whose
// sources were not fully verified when its SOURCE CHECK column is one of them.
func writeObligationViews(w io.Writer, obs []incident.ObligationView, now time.Time, width int) error {
	if len(obs) == 0 {
		_, err := fmt.Fprintln(w, "No obligations.")
		return err
	}
	const colTo, colCheck = 4, 5
	t := newTable("OBLIGATION", "STATUS", "DUE", "TIME LEFT", "TO", "SOURCE CHECK").
		canShrink(2, 20).canShrink(1, 12).canDrop(colTo).canDrop(colCheck)
	var unverified []string
	for _, o := range obs {
		status, due := o.Status, o.DueAt
		if o.Clock != nil {
			status, due = o.Clock.Status, o.Clock.DueAt
		}
		dueText, left := o.DueText, ""
		if due != nil {
			dueText = due.UTC().Format(time.RFC3339)
			if status != obligations.StatusFulfilled && status != incident.ClockWaived && status != incident.ClockRetired {
				left = leftOrOverdue(*due, now)
			}
		}
		if !o.Applicable {
			status, dueText = "not applicable", o.Reason
		}
		if o.NeedsAssessment && !incident.FinalStatus(status) {
			status += ", needs assessment"
		}
		if o.Verification != regimes.Verified {
			unverified = append(unverified, fmt.Sprintf("%s (%s)", o.ID, o.Verification))
		}
		t.add(o.ID, status, dueText, left, strings.TrimSpace(o.Audience+" "+o.Jurisdiction), o.Verification)
	}
	left, err := t.write(w, width)
	if err != nil {
		return err
	}
	printAssessments(w, obs)
	printFulfilments(w, obs)
	if len(left) == 0 {
		return nil
	}
	names := make([]string, len(left))
	for i, c := range left {
		names[i] = t.header[c]
		if c == colCheck && len(unverified) > 0 {
			fmt.Fprintf(w, "Sources not fully verified: %s\n", strings.Join(unverified, ", "))
		}
	}
	_, err = fmt.Fprintf(w, "(%s left out to fit the terminal; --wide shows them)\n", strings.Join(names, " and "))
	return err
}

// printFulfilments says, under a table of obligations, when each fulfilled one was
// given and its reference: a notice irflow sent points at its delivery record
// (notice:INCIDENT/OBLIGATION@HASH), which is the proof a regulator may ask for.
func printFulfilments(w io.Writer, obs []incident.ObligationView) {
	for _, o := range obs {
		if o.Clock == nil || o.Clock.Status != obligations.StatusFulfilled || o.Clock.Fulfilment == nil {
			continue
		}
		f := o.Clock.Fulfilment
		line := fmt.Sprintf("%s fulfilled at %s", o.ID, f.At.UTC().Format(time.RFC3339))
		if f.Reference != "" {
			line += ", reference " + f.Reference
		}
		if f.LateReason != "" {
			line += ", late: " + f.LateReason
		}
		fmt.Fprintln(w, line)
	}
}

// printAssessments lists, under a table of obligations, what each open one needs
// assessed and the notes legal should confirm or dismiss.
func printAssessments(w io.Writer, obs []incident.ObligationView) {
	for _, o := range obs {
		status := o.Status
		if o.Clock != nil {
			status = o.Clock.Status
		}
		if incident.FinalStatus(status) {
			continue
		}
		if o.NeedsAssessment {
			fmt.Fprintf(w, "%s needs assessment: %s\n", o.ID, strings.Join(o.Questions, ", "))
		}
		for _, r := range o.Review {
			fmt.Fprintf(w, "%s review: %s\n", o.ID, r)
		}
	}
}
