package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
)

// newRetryCmd runs a failed or no_targets containment step again and, unless
// --wait is 0, waits for its new outcome, as approve does.
func newRetryCmd(tf *clientFlags) *cobra.Command {
	var (
		req    incident.RetryStepRequest
		wait   time.Duration
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "retry ID STEP [--reason TEXT] [--wait 1m]",
		Short: "Run a failed containment step, or one that found no targets, again (commander)",
		Long: `Run a containment step again after it failed (a Zendesk error) or ended
"no_targets" (the facts list it acts on was empty). Fix the cause first: correct or
fill the facts with "irflow incident set-facts" (the step's targets are resolved
again from the facts as they are now), or wait for Zendesk to recover.

A retry keeps the step's idempotency key: a target the step already changed is not
acted on again, and a change Zendesk applied but whose answer was lost is found by
reading the target first, so no object is changed twice. The retry, who asked and
the errors of the attempt before it are kept in the step and the timeline.

Only a commander may retry. Retrying a step that is not failed or no_targets, or
after a rollback, exits 4 (conflict). retry waits up to --wait for the new outcome
and exits 1 when the step fails again.`,
		Example: `  irflow incident retry INC-20260306-001 suspend-accounts --reason "Zendesk answered 503; status page says resolved"
  irflow incident set-facts INC-20260306-001 --patch tokens.json && irflow incident retry INC-20260306-001 revoke-api-tokens`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			req.Step = args[1]
			svc, closeFn, err := tf.service(cmd.Context(), wait > 0)
			if err != nil {
				return err
			}
			defer closeFn()
			st, err := svc.RetryStep(cmd.Context(), id, req)
			if err != nil {
				return userError(err)
			}
			var note string
			if wait > 0 {
				if st, note, err = awaitStep(cmd.Context(), svc, id, req.Step, wait, false); err != nil {
					return userError(err)
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := printJSON(out, st); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(out, describeStep(st))
				if note != "" {
					fmt.Fprintf(out, "%s; watch it with: irflow incident show %s\n", note, id)
				}
			}
			return stepOutcome(id, st)
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Reason, "reason", "", "why it is retried (what was fixed)")
	f.StringVar(&req.Actor, "actor", defaultActor(), "who decides (recorded in the timeline; env IRFLOW_ACTOR)")
	f.DurationVar(&wait, "wait", time.Minute, "how long to wait for the step's new outcome (0: return once the retry is accepted)")
	f.BoolVar(&asJSON, "json", false, "print the step as JSON (after waiting)")
	return cmd
}
