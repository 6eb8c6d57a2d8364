package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
	"irflow/internal/service"
)

func init() { register(newIncidentCmd) }

func newIncidentCmd() *cobra.Command {
	var tf clientFlags
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Declare, list, show, annotate and close incidents on a running irflow",
	}
	tf.register(cmd)
	cmd.AddCommand(newDeclareCmd(&tf), newListCmd(&tf), newShowCmd(&tf), newNoteCmd(&tf), newCloseCmd(&tf))
	cmd.AddCommand(incidentActionCmds(&tf)...)
	return cmd
}

func newDeclareCmd(tf *clientFlags) *cobra.Command {
	var (
		req       service.DeclareRequest
		factsFile string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "declare --playbook ID --title TEXT [--facts FILE.json] [--json]",
		Short: "Declare a new incident and start its playbook",
		Example: `  irflow incident declare --playbook credential-compromise --title "Agent account takeover" --json
  irflow incident declare --playbook credential-compromise --title test --facts facts.json --idempotency-key pagerduty-Q1ABC`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if factsFile != "" {
				doc, err := loadFacts(cmd, factsFile)
				if err != nil {
					return err
				}
				req.Facts = &doc
			}
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			d, err := svc.Declare(cmd.Context(), req)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), d)
			}
			verb := "Declared"
			if d.Existing {
				verb = "Already declared (same idempotency key)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s (workflow %s)\n", verb, d.ID, d.WorkflowID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Playbook, "playbook", "", "playbook id (see: irflow playbooks list)")
	f.StringVar(&req.Title, "title", "", "short title of the incident")
	f.StringVar(&factsFile, "facts", "", "incident facts document (JSON file, - for stdin)")
	f.StringVar(&req.IdempotencyKey, "idempotency-key", "", "a repeated declare with the same key returns the same incident")
	f.StringVar(&req.Actor, "actor", defaultActor(), "who declares (recorded in the timeline; env IRFLOW_ACTOR)")
	f.BoolVar(&asJSON, "json", false, `print {"id": ..., "workflow_id": ...}`)
	_ = cmd.MarkFlagRequired("playbook")
	_ = cmd.MarkFlagRequired("title")
	return cmd
}

// listItem is an incident as `incident list --json` prints it. Its fields predate
// the store; Status keeps the values scripts read: "running" until the incident is
// closed, "completed" once it is.
type listItem struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Title      string    `json:"title"`
	Playbook   string    `json:"playbook"`
	Phase      string    `json:"phase"`
	Status     string    `json:"status"`
	DeclaredAt time.Time `json:"declared_at"`
}

func newListCmd(tf *clientFlags) *cobra.Command {
	var (
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List incidents, newest first (from the store)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			list, err := svc.List(cmd.Context(), incident.ListFilter{Limit: limit})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				items := make([]listItem, len(list))
				for i, s := range list {
					status := "running"
					if s.Phase == incident.PhaseClosed {
						status = "completed"
					}
					items[i] = listItem{ID: s.ID, WorkflowID: s.WorkflowID, Title: s.Title, Playbook: s.Playbook,
						Phase: string(s.Phase), Status: status, DeclaredAt: s.DeclaredAt}
				}
				return printJSON(cmd.OutOrStdout(), items)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No incidents.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPHASE\tPLAYBOOK\tDECLARED\tTITLE")
			for _, it := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.ID, it.Phase, it.Playbook, it.DeclaredAt.Format(time.RFC3339), it.Title)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many incidents (0: all)")
	return cmd
}

func newShowCmd(tf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID [--json]",
		Short: "Show an incident's state: phase, facts, steps and timeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer closeFn()
			st, err := svc.Show(cmd.Context(), args[0])
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			var b bytes.Buffer
			writeState(&b, st)
			_, err = cmd.OutOrStdout().Write(b.Bytes())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the full state as JSON")
	return cmd
}

func writeState(w io.Writer, st incident.State) {
	fmt.Fprintf(w, "%s  %s\n", st.ID, st.Title)
	fmt.Fprintf(w, "Phase:     %s\n", st.Phase)
	fmt.Fprintf(w, "Playbook:  %s (sha256 %s)\n", st.Playbook, incident.ShortHash(st.PlaybookHash))
	fmt.Fprintf(w, "Declared:  %s by %s\n", st.DeclaredAt.Format(time.RFC3339), st.DeclaredBy)
	if st.ClosedAt != nil {
		fmt.Fprintf(w, "Closed:    %s %s\n", st.ClosedAt.Format(time.RFC3339), st.CloseReason)
	}
	if st.Severity != "" {
		fmt.Fprintf(w, "Severity:  %s (%s)\n", st.Severity, st.SeverityReason)
	}
	if own := st.Ownership; own.Owner != "" {
		fmt.Fprintf(w, "Owner:     %s (%s, %s; %s)\n", own.Owner, strings.Join(own.Clauses, ", "), own.Confidence, own.Source)
		if own.Disagreement != "" {
			fmt.Fprintf(w, "           DISAGREEMENT: %s\n", own.Disagreement)
		}
		for _, q := range own.OpenQuestions {
			fmt.Fprintf(w, "           open: %s (%s)\n", q.Question, q.Field)
		}
	}
	if ev := st.Evidence; ev.Status != "" {
		fmt.Fprintf(w, "Evidence:  %s", ev.Status)
		if ev.ManifestSHA256 != "" {
			fmt.Fprintf(w, ", %d records, manifest sha256 %s", ev.Records, incident.ShortHash(ev.ManifestSHA256))
		}
		fmt.Fprintln(w)
	}
	if len(st.Obligations) > 0 {
		fmt.Fprintln(w, "\nNotification obligations (irflow obligations list ID for the time left):")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, o := range st.Obligations {
			due := o.DueText
			if o.DueAt != nil {
				due = o.DueAt.UTC().Format(time.RFC3339)
			}
			v := ""
			if o.Verification != "verified" {
				v = "[" + o.Verification + "]"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", o.ID, o.Status, due, v)
		}
		_ = tw.Flush()
	}
	if len(st.Steps) > 0 {
		fmt.Fprintln(w, "\nContainment steps:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range st.Steps {
			approval := ""
			if s.Step.NeedsApproval {
				approval = "needs approval"
				if s.ApprovedBy != "" {
					approval = "approved by " + s.ApprovedBy
				}
			}
			detail := s.SkipReason
			if len(s.Errors) > 0 {
				detail = strings.Join(s.Errors, "; ")
			} else if len(s.Targets) > 0 {
				detail = fmt.Sprintf("%d target(s)", len(s.Targets))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Step.ID, s.Step.Action, s.Status, approval, detail)
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(w, "\nTimeline:")
	for _, e := range st.Timeline {
		fmt.Fprintf(w, "  %s  %-18s %-12s %s\n", e.At.Format("2006-01-02 15:04:05Z"), timelineActor(e), e.Kind, strings.ReplaceAll(e.Text, "\n", "\n"+strings.Repeat(" ", 56)))
	}
}

func newNoteCmd(tf *clientFlags) *cobra.Command {
	var (
		actor  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "note ID TEXT",
		Short: "Add a note to an incident's timeline",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			e, err := svc.AddNote(cmd.Context(), args[0], incident.NoteRequest{Actor: actor, Text: strings.Join(args[1:], " ")})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), e)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Noted on %s (timeline entry %d)\n", args[0], e.Seq)
			return nil
		},
	}
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who writes the note (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the timeline entry as JSON")
	return cmd
}

func newCloseCmd(tf *clientFlags) *cobra.Command {
	var (
		actor, reason string
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:   "close ID [--reason TEXT]",
		Short: "Close an incident",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.service(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer closeFn()
			st, err := svc.Close(cmd.Context(), args[0], incident.CloseRequest{Actor: actor, Reason: reason})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Closed %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the incident is closed")
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who closes it (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the final state as JSON")
	return cmd
}
