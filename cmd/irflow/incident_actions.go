package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
)

// incidentActionCmds are the commands that drive a running incident: containment
// approvals, facts and ownership decisions. Each calls one action of the service and
// prints its answer; a validator's rejection comes back with the reason, as exit
// status 2 (bad input) or 4 (the incident's state refuses it).
func incidentActionCmds(tf *clientFlags) []*cobra.Command {
	return []*cobra.Command{
		newApproveCmd(tf),
		newRetryCmd(tf),
		actionCmd(tf, "skip ID STEP", "Skip a containment step", 2,
			func(ctx context.Context, svc backend, args []string, actor, reason string) (incident.StepState, error) {
				return svc.SkipStep(ctx, args[0], incident.SkipStepRequest{Step: args[1], Actor: actor, Reason: reason})
			}, func(st incident.StepState) string {
				return fmt.Sprintf("Skipped step %s (%s)", st.Step.ID, st.Step.Action)
			}),
		actionCmd(tf, "rollback ID", "Undo every completed reversible containment step, newest first", 1,
			func(ctx context.Context, svc backend, args []string, actor, reason string) (incident.RollbackResult, error) {
				return svc.Rollback(ctx, args[0], incident.RollbackRequest{Actor: actor, Reason: reason})
			}, func(r incident.RollbackResult) string {
				return fmt.Sprintf("Rolled back: %d undone, %d failed, %d kept (irreversible)", len(r.Undone), len(r.Failed), len(r.Kept))
			}),
		actionCmd(tf, "confirm-ownership ID", "Confirm the computed ownership determination as a human decision", 1,
			func(ctx context.Context, svc backend, args []string, actor, reason string) (incident.OwnershipState, error) {
				return svc.ConfirmOwnership(ctx, args[0], incident.ConfirmOwnershipRequest{Actor: actor, Reason: reason})
			}, describeOwnership),
		newOverrideCmd(tf),
		newSetFactsCmd(tf),
		newSetTriggerCmd(tf),
	}
}

// newApproveCmd approves a step and, unless --wait is 0, waits for the step's
// outcome in Zendesk, so that "approved" is never mistaken for "done": the
// approval Update returns once the approval is recorded, before the action runs.
func newApproveCmd(tf *clientFlags) *cobra.Command {
	var (
		req    incident.ApproveStepRequest
		wait   time.Duration
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "approve ID STEP [--reason TEXT] [--wait 1m]",
		Short: "Approve a containment step that waits for approval, and wait for its result",
		Long: `Approve a containment step that waits for approval. The approval is recorded at
once; the step then runs in Zendesk, and approve waits up to --wait for its result
and prints it: what changed on each target, or why the step failed (exit status 1).
A step still running after --wait, or queued behind a step that waits for approval,
is reported with the command to watch it; --wait 0 returns as soon as the approval
is recorded. Waiting reads the incident as "incident show" does (--data).`,
		Example: `  irflow incident approve INC-20260306-001 suspend-accounts --reason "confirmed with Maya by phone"
  irflow incident approve INC-20260306-001 kill-sessions --wait 0`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			req.Step = args[1]
			// Waiting reads the incident, which needs the store in local mode; when it
			// cannot be opened, approve still approves and says it does not wait.
			svc, closeFn, err := tf.service(cmd.Context(), wait > 0)
			if err != nil && wait > 0 && tf.server == "" {
				// Temporal answers without the store: approve, and say why it does not wait.
				if s, c, err2 := tf.service(cmd.Context(), false); err2 == nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "irflow: not waiting for the step's result: %v\n", err)
					svc, closeFn, err, wait = s, c, nil, 0
				}
			}
			if err != nil {
				return err
			}
			defer closeFn()
			st, err := svc.ApproveStep(cmd.Context(), id, req)
			if err != nil {
				return userError(err)
			}
			out := cmd.OutOrStdout()
			watch := fmt.Sprintf("watch it with: irflow incident show %s", id)
			var note string
			if wait > 0 {
				st, note, err = awaitStep(cmd.Context(), svc, id, req.Step, wait, true)
				if err != nil {
					return userError(err)
				}
			}
			if asJSON {
				if err := printJSON(out, st); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(out, describeStep(st))
				if note != "" {
					fmt.Fprintf(out, "%s; %s\n", note, watch)
				} else if wait == 0 {
					fmt.Fprintf(out, "It runs now; %s\n", watch)
				}
			}
			return stepOutcome(id, st)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Reason, "reason", "", "why")
	f.StringVar(&req.Actor, "actor", defaultActor(), "who decides (recorded in the timeline; env IRFLOW_ACTOR)")
	f.DurationVar(&wait, "wait", time.Minute, "how long to wait for the step's result (0: return once approved)")
	f.BoolVar(&asJSON, "json", false, "print the step as JSON (after waiting)")
	return cmd
}

// stepOutcome is the exit of a command that ran a step: 1 when it failed or found
// no targets, naming what to do about it.
func stepOutcome(id string, st incident.StepState) error {
	switch st.Status {
	case incident.StepFailed:
		return withExit(exitFailure, fmt.Errorf("step %s failed: %s (after fixing the cause: irflow incident retry %s %s)", st.Step.ID, strings.Join(st.Errors, "; "), id, st.Step.ID))
	case incident.StepNoTargets:
		return withExit(exitFailure, fmt.Errorf("step %s has no targets: facts %s is empty; fill it with irflow incident set-facts, then irflow incident retry %s %s", st.Step.ID, st.MissingFacts, id, st.Step.ID))
	}
	return nil
}

// awaitStep polls the incident until step has an outcome, for at most wait. When
// queued (an approved step runs in playbook order), it returns early, with a
// note, when the step waits behind an earlier step that needs an approval of its
// own; a retried step runs at once and is not queued.
func awaitStep(ctx context.Context, svc backend, id, step string, wait time.Duration, queued bool) (incident.StepState, string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var last incident.StepState
	for {
		st, err := svc.Show(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Sprintf("Still %s after %s", last.Status, wait), nil
			}
			return last, "", err
		}
		var blocker string
		for _, s := range st.Steps {
			if s.Step.ID == step {
				last = s
				break
			}
			if queued && s.Status == incident.StepAwaitingApproval {
				blocker = s.Step.ID
			}
		}
		switch last.Status {
		case incident.StepDone, incident.StepFailed, incident.StepSkipped, incident.StepCancelled, incident.StepRolledBack, incident.StepNoTargets:
			return last, "", nil
		}
		if blocker != "" {
			return last, fmt.Sprintf("It runs after step %s, which waits for approval", blocker), nil
		}
		select {
		case <-ctx.Done():
			return last, fmt.Sprintf("Still %s after %s", last.Status, wait), nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// describeStep says what a step did: its status and, per target, what changed.
func describeStep(st incident.StepState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Step %s (%s) %s", st.Step.ID, st.Step.Action, st.Status)
	if st.ApprovedBy != "" && st.Status != incident.StepApproved {
		fmt.Fprintf(&b, ", approved by %s", st.ApprovedBy)
	} else if st.ApprovedBy != "" {
		fmt.Fprintf(&b, " by %s", st.ApprovedBy)
	}
	for _, r := range st.Results {
		what := "changed"
		if !r.Changed {
			what = "already as wanted, nothing changed"
		}
		fmt.Fprintf(&b, "\n  %s: %s", r.Target, what)
		if len(r.RequestIDs) > 0 {
			fmt.Fprintf(&b, " (Zendesk request %s)", strings.Join(r.RequestIDs, ", "))
		}
	}
	for _, e := range st.Errors {
		fmt.Fprintf(&b, "\n  error: %s", e)
	}
	if st.MissingFacts != "" {
		fmt.Fprintf(&b, "\n  no targets: facts %s is empty", st.MissingFacts)
	}
	return b.String()
}

func newSetTriggerCmd(tf *clientFlags) *cobra.Command {
	var (
		req    incident.SetIncidentTriggerRequest
		atText string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "set-trigger ID --field aware_at --at TIME|now --reason TEXT",
		Short: "Move a legal trigger instant (aware_at, discovered_at, ...); every clock that runs from it is re-armed",
		Example: `  irflow incident set-trigger INC-20261126-001 --field aware_at --at 2026-11-26T18:00:00Z --reason "DPO: certainty reached at the 18:00 call"
  irflow incident set-trigger INC-20261126-001 --field aware_at --at now --reason "DPO: certainty reached on this call"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now().UTC().Truncate(time.Second)
			if atText != "now" {
				var err error
				if at, err = time.Parse(time.RFC3339, atText); err != nil {
					return withExit(exitInvalid, fmt.Errorf("--at: %q is neither an RFC 3339 time (e.g. 2026-03-09T10:00:00Z) nor \"now\"", atText))
				}
			}
			req.At = at
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := svc.SetTrigger(cmd.Context(), args[0], req)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "timeline.%s set to %s; obligations:\n", req.Field, at.UTC().Format(time.RFC3339))
			for _, o := range out {
				if o.Applicable {
					fmt.Fprintf(cmd.OutOrStdout(), "  %s\n", describeObligation(o))
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Field, "field", "", "facts timeline field: aware_at, discovered_at, determined_at, assessed_at, ...")
	f.StringVar(&atText, "at", "", `the instant (RFC 3339), or "now"`)
	f.StringVar(&req.Reason, "reason", "", "why the instant moves (required)")
	f.StringVar(&req.Actor, "actor", defaultActor(), "who decides (env IRFLOW_ACTOR)")
	f.BoolVar(&asJSON, "json", false, "print the obligations as JSON")
	for _, n := range []string{"field", "at", "reason"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}

func describeObligation(o incident.IncidentObligation) string {
	due := o.DueText
	if o.DueAt != nil {
		due = "due " + o.DueAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s (%s): %s", o.ID, o.Status, due)
}

// actionCmd builds a command that calls one action with --actor and --reason and
// prints its result, or with --json the result as JSON.
func actionCmd[R any](tf *clientFlags, use, short string, nargs int,
	do func(ctx context.Context, svc backend, args []string, actor, reason string) (R, error),
	describe func(R) string) *cobra.Command {
	var (
		actor, reason string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := do(cmd.Context(), svc, args, actor, reason)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), describe(out))
			return nil
		},
	}
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who decides (recorded in the timeline; env IRFLOW_ACTOR)")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

func describeOwnership(o incident.OwnershipState) string {
	s := fmt.Sprintf("Ownership %s: %s (%s)", o.Source, o.Owner, strings.Join(o.Clauses, ", "))
	if o.Disagreement != "" {
		s += "\nDisagreement: " + o.Disagreement
	}
	return s
}

func newOverrideCmd(tf *clientFlags) *cobra.Command {
	var req incident.OverrideOwnershipRequest
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "override-ownership ID --owner OWNER --reason TEXT [--clause ID]...",
		Short: "Replace the computed ownership with a human decision (reason required)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := svc.OverrideOwnership(cmd.Context(), args[0], req)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), describeOwnership(out))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Owner, "owner", "", "subscriber, zendesk, shared or undetermined")
	f.StringVar(&req.Reason, "reason", "", "why the computed determination is wrong (required)")
	f.StringSliceVar(&req.Clauses, "clause", nil, "SRM clause id the decision rests on (repeatable)")
	f.StringVar(&req.Actor, "actor", defaultActor(), "who decides (env IRFLOW_ACTOR)")
	f.BoolVar(&asJSON, "json", false, "print the ownership as JSON")
	_ = cmd.MarkFlagRequired("owner")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newSetFactsCmd(tf *clientFlags) *cobra.Command {
	var (
		req    incident.SetFactsRequest
		patch  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "set-facts ID --patch FILE.json",
		Short:   "Merge a JSON merge patch into the incident's facts; ownership and severity are recomputed",
		Example: `  echo '{"cause":{"weak_credentials":"yes"},"zendesk":{"users":[372003]}}' | irflow incident set-facts INC-20261126-001 --patch -`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if patch == "-" {
				data, err = io.ReadAll(cmd.InOrStdin())
			} else {
				data, err = os.ReadFile(patch)
			}
			if err != nil {
				return withExit(exitInvalid, fmt.Errorf("read patch: %w", err))
			}
			req.Patch = data
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := svc.SetFacts(cmd.Context(), args[0], req)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Facts updated. Severity %s. %s\n", out.Severity, describeOwnership(out.Ownership))
			return nil
		},
	}
	cmd.Flags().StringVar(&patch, "patch", "", "JSON merge patch on the facts document (file, - for stdin)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "what was learned")
	cmd.Flags().StringVar(&req.Actor, "actor", defaultActor(), "who changes the facts (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = cmd.MarkFlagRequired("patch")
	return cmd
}
