package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

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
				doc, err := loadFacts(cmd, factsFile, time.Now())
				if err != nil {
					return err
				}
				req.Facts = &doc
			}
			if err := service.CheckDeclare(req); err != nil {
				return userError(err)
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

// listItem is an incident as `incident list --json` prints it. Its first fields
// predate the store; Status keeps the values scripts read: "running" until the
// incident is closed, "completed" once it is. Fields are added, never renamed.
type listItem struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Title      string    `json:"title"`
	Playbook   string    `json:"playbook"`
	Phase      string    `json:"phase"`
	Status     string    `json:"status"`
	DeclaredAt time.Time `json:"declared_at"`
	// Severity (SEV1 to SEV4) and Owner are empty until triage recorded them.
	Severity string     `json:"severity,omitempty"`
	Owner    string     `json:"owner,omitempty"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
}

func newListCmd(tf *clientFlags) *cobra.Command {
	var (
		asJSON, wide bool
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "list [--json] [--wide]",
		Short: "List incidents, newest first (from the store)",
		Long: `List incidents, newest first, from the store: id, phase, severity, owner,
playbook and title, fitted to the terminal's width. --wide adds the declaration
time and prints every cell in full; --json prints everything.`,
		Args: cobra.NoArgs,
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
						Phase: string(s.Phase), Status: status, DeclaredAt: s.DeclaredAt,
						Severity: s.Severity, Owner: s.Owner, ClosedAt: s.ClosedAt}
				}
				return printJSON(cmd.OutOrStdout(), items)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No incidents.")
				return nil
			}
			return writeList(cmd.OutOrStdout(), list, wide)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&wide, "wide", false, "add the declaration time and print every cell in full, whatever the terminal's width")
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many incidents (0: all)")
	return cmd
}

// writeList prints incidents as a table fitted to w's width: the title shrinks, then
// the playbook column is left out. The declaration day is in the id, so the time is
// left to --wide.
func writeList(w io.Writer, list []incident.Summary, wide bool) error {
	header := []string{"ID", "PHASE", "SEV", "OWNER", "PLAYBOOK", "TITLE"}
	if wide {
		header = append(header, "DECLARED")
	}
	t := newTable(header...).canDrop(4).canShrink(5, 16)
	for _, it := range list {
		row := []string{it.ID, string(it.Phase), orDash(it.Severity), orDash(it.Owner), it.Playbook, it.Title}
		if wide {
			row = append(row, it.DeclaredAt.UTC().Format(time.RFC3339))
		}
		t.add(row...)
	}
	_, err := t.write(w, outputWidth(w, wide))
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newShowCmd(tf *clientFlags) *cobra.Command {
	var asJSON, wide bool
	cmd := &cobra.Command{
		Use:   "show ID [--json] [--wide]",
		Short: "Show an incident's state: phase, facts, steps and timeline",
		Long: `Show an incident's state: phase, severity, ownership, evidence, obligations,
containment steps and timeline, fitted to the terminal's width (long lines wrap,
long table cells are cut with "…"). --wide prints every line in full; --json prints
the whole state.`,
		Args: cobra.ExactArgs(1),
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
			writeState(&b, st, outputWidth(cmd.OutOrStdout(), wide))
			_, err = cmd.OutOrStdout().Write(b.Bytes())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the full state as JSON")
	cmd.Flags().BoolVar(&wide, "wide", false, "print every line and cell in full, whatever the terminal's width")
	return cmd
}

// writeState prints an incident for people, fitted to width (0: unlimited).
func writeState(w io.Writer, st incident.State, width int) {
	const label = "           " // the width of "Severity:  "
	field := func(name, text string) {
		fmt.Fprintf(w, "%-11s%s\n", name+":", wrapText(text, len(label), label, width))
	}
	fmt.Fprintf(w, "%s  %s\n", st.ID, wrapText(st.Title, len(st.ID)+2, label, width))
	field("Phase", string(st.Phase))
	field("Playbook", fmt.Sprintf("%s (sha256 %s)", st.Playbook, incident.ShortHash(st.PlaybookHash)))
	field("Declared", fmt.Sprintf("%s by %s", st.DeclaredAt.Format(time.RFC3339), st.DeclaredBy))
	if st.ClosedAt != nil {
		field("Closed", fmt.Sprintf("%s %s", st.ClosedAt.Format(time.RFC3339), st.CloseReason))
	}
	if st.Severity != "" {
		field("Severity", fmt.Sprintf("%s (%s)", st.Severity, st.SeverityReason))
	}
	if own := st.Ownership; own.Owner != "" {
		field("Owner", fmt.Sprintf("%s (%s, %s; %s)", own.Owner, strings.Join(own.Clauses, ", "), own.Confidence, own.Source))
		sub := label + "      "
		if own.Disagreement != "" {
			fmt.Fprintln(w, label+wrapText("DISAGREEMENT: "+own.Disagreement, len(label), sub, width))
		}
		for _, q := range own.OpenQuestions {
			fmt.Fprintln(w, label+wrapText(fmt.Sprintf("open: %s (%s)", q.Question, q.Field), len(label), sub, width))
		}
	}
	if ev := st.Evidence; ev.Status != "" {
		text := ev.Summary()
		if ev.ManifestSHA256 != "" {
			text += fmt.Sprintf(", %d records, manifest sha256 %s", ev.Records, incident.ShortHash(ev.ManifestSHA256))
		}
		field("Evidence", text)
	}
	if len(st.Obligations) > 0 {
		fmt.Fprintln(w, "\nNotification obligations (irflow obligations list ID for the time left):")
		t := newTable("OBLIGATION", "STATUS", "DUE", "SOURCE CHECK").canShrink(2, 20)
		t.indent = "  "
		for _, o := range st.Obligations {
			due := o.DueText
			if o.DueAt != nil {
				due = o.DueAt.UTC().Format(time.RFC3339)
			}
			status := o.Status
			if o.NeedsAssessment && !o.Final() {
				status += ", needs assessment: " + strings.Join(o.Questions, ", ")
			}
			t.add(o.ID, status, due, o.Verification)
		}
		_, _ = t.write(w, width)
	}
	if len(st.Steps) > 0 {
		fmt.Fprintln(w, "\nContainment steps:")
		t := newTable("STEP", "ACTION", "STATUS", "APPROVAL", "DETAIL").canShrink(4, 12).canShrink(3, 8)
		t.indent = "  "
		for _, s := range st.Steps {
			approval := "-"
			if s.Step.NeedsApproval {
				approval = "needed"
				if s.ApprovedBy != "" {
					approval = "by " + s.ApprovedBy
				}
			}
			detail := s.SkipReason
			if len(s.Errors) > 0 {
				detail = "failed: see below"
			} else if len(s.Targets) > 0 {
				detail = fmt.Sprintf("%d target(s)", len(s.Targets))
			}
			t.add(s.Step.ID, string(s.Step.Action), string(s.Status), approval, detail)
		}
		_, _ = t.write(w, width)
		// Errors are what a responder acts on: in full, wrapped, never cut.
		for _, s := range st.Steps {
			for _, e := range s.Errors {
				prefix := "  " + s.Step.ID + ": "
				fmt.Fprintln(w, prefix+wrapText(e, len(prefix), "      ", width))
			}
		}
	}
	if len(st.Leases) > 0 {
		// Which incident's change holds each object contained (issue 17 item 5).
		fmt.Fprintln(w, "\nContainment leases:")
		t := newTable("OBJECT", "HELD BY", "STEP", "RELIED ON BY").canShrink(3, 12)
		t.indent = "  "
		for _, l := range st.Leases {
			holder := l.IncidentID
			if holder == st.ID {
				holder += " (this incident)"
			}
			relying := "-"
			if len(l.Relying) > 0 {
				relying = strings.Join(l.Relying, ", ")
			}
			t.add(l.Object, holder, l.StepID+" ("+l.Action+")", relying)
		}
		_, _ = t.write(w, width)
	}
	fmt.Fprintln(w, "\nTimeline:")
	writeTimeline(w, st.Timeline, width)
}

// writeTimeline prints one entry a line: time, actor, kind and text, the text
// wrapped under itself, or under a short indent when its column is too far right to
// leave room.
func writeTimeline(w io.Writer, tl []incident.TimelineEntry, width int) {
	actorW, kindW := 0, 0
	for _, e := range tl {
		actorW = max(actorW, utf8.RuneCountInString(timelineActor(e)))
		kindW = max(kindW, utf8.RuneCountInString(e.Kind))
	}
	for _, e := range tl {
		prefix := fmt.Sprintf("  %s  %-*s  %-*s  ", e.At.UTC().Format("2006-01-02 15:04:05Z"), actorW, timelineActor(e), kindW, e.Kind)
		n := utf8.RuneCountInString(prefix)
		indent := strings.Repeat(" ", n)
		if width > 0 && width-n < 40 {
			indent = "      "
		}
		for _, line := range strings.Split(prefix+wrapText(e.Text, n, indent, width), "\n") {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
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
