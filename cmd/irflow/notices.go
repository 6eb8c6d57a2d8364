package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"irflow/internal/incident"
	"irflow/internal/notices"
	"irflow/internal/service"
)

func init() { register(newNoticesCmd) }

// noticesBackend is what the notices commands need: the service, or the HTTP API
// client in client mode.
type noticesBackend interface {
	DraftNotice(ctx context.Context, incidentID, obligationID string, req service.DraftNoticeRequest) (incident.NoticeView, error)
	EditNotice(ctx context.Context, incidentID, obligationID string, req incident.EditNoticeRequest) (incident.NoticeView, error)
	ApproveNotice(ctx context.Context, incidentID, obligationID string, req incident.ApproveNoticeRequest) (incident.NoticeView, error)
	SendNotice(ctx context.Context, incidentID, obligationID string, req service.SendNoticeRequest) (incident.NoticeView, error)
	ShowNotice(ctx context.Context, incidentID, obligationID string) (incident.NoticeView, error)
	ListNotices(ctx context.Context, incidentID string) ([]incident.Notice, error)
	NoticeStatus(ctx context.Context, incidentID, obligationID, state string, afterSeq int64, limit int) (service.NoticeStatus, error)
}

// noticesService returns the notices backend; locally, the service reads the notice
// defaults (IRFLOW_NOTICE_CONTROLLER, IRFLOW_NOTICE_CONTACT) as the server does.
func (f *clientFlags) noticesService(ctx context.Context) (noticesBackend, func(), error) {
	b, closeFn, err := f.service(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	if svc, ok := b.(*service.Service); ok {
		svc.NoticeDefaults = map[string]string{}
		if v := strings.TrimSpace(os.Getenv("IRFLOW_NOTICE_CONTROLLER")); v != "" {
			svc.NoticeDefaults["controller"] = v
		}
		if v := strings.TrimSpace(os.Getenv("IRFLOW_NOTICE_CONTACT")); v != "" {
			svc.NoticeDefaults["contact_point"] = v
		}
	}
	nb, ok := b.(noticesBackend)
	if !ok {
		closeFn()
		return nil, nil, fmt.Errorf("this backend cannot act on notices")
	}
	return nb, closeFn, nil
}

func newNoticesCmd() *cobra.Command {
	var tf clientFlags
	cmd := &cobra.Command{
		Use:   "notices",
		Short: "Draft, approve and send the notices an incident's obligations ask for",
		Long: `Notices are the texts the notification obligations ask for, drafted from the
incident record: the regulator notice with GDPR Art. 33(3)'s contents, the
individuals' notice in plain language (Art. 34(2)), California's "Notice of Data
Breach" with its required headings, and a generic notice for the other rules.

A draft that needs a fact the record lacks is refused, naming each missing fact and
where to supply it: the facts (irflow incident set-facts, set-trigger) or --set on
draft. A draft can be edited; only a user with the legal role approves it, naming
the sha256 of the text read (show prints it), and only the approved text is sent.
Sending fans out to every recipient with per-recipient state (queued, sent, failed,
bounced), resumes after a crash without mailing anyone twice, and when everyone is
done marks the obligation fulfilled with a reference to the delivery record.`,
		Example: `  irflow notices draft INC-20261201-001 eu-gdpr-33-sa --set contact_point="DPO, dpo@example.com"
  irflow notices show INC-20261201-001 eu-gdpr-33-sa
  irflow notices approve INC-20261201-001 eu-gdpr-33-sa --sha256 3f1c...
  irflow notices send INC-20261201-001 eu-gdpr-33-sa --to breach@dpa.example --wait
  irflow notices status INC-20261201-001 us-ca-1798-82-individuals --watch`,
	}
	tf.register(cmd)
	cmd.AddCommand(noticeDraftCmd(&tf), noticeShowCmd(&tf), noticeEditCmd(&tf), noticeApproveCmd(&tf), noticeSendCmd(&tf), noticeStatusCmd(&tf))
	return cmd
}

func noticeDraftCmd(tf *clientFlags) *cobra.Command {
	var (
		sets     []string
		template string
		actor    string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "draft INCIDENT_ID OBLIGATION_ID [--set INPUT=VALUE]... [--template NAME]",
		Short: "Draft an obligation's notice from the incident record",
		Long: `Draft an obligation's notice from the incident record and store it as the
notice's draft (a new draft replaces an unsent one and withdraws its approval).

--set gives a fact the record does not hold; an empty value removes one. Inputs:
` + inputsHelp() + `
Templates: ` + strings.Join(notices.Templates, ", ") + ` (the obligation's rule picks one).

Defaults for controller and contact_point come from IRFLOW_NOTICE_CONTROLLER and
IRFLOW_NOTICE_CONTACT on the server. A missing fact exits with status 2 and names
every fact missing, with where to supply it.`,
		Example: `  irflow notices draft INC-20261201-001 eu-gdpr-33-sa --set measures_taken="Suspended the account; revoked the token."`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			inputs := map[string]string{}
			for _, s := range sets {
				k, v, ok := strings.Cut(s, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return withExit(2, fmt.Errorf("--set %q: want INPUT=VALUE, e.g. contact_point=\"DPO, dpo@example.com\"", s))
				}
				inputs[strings.TrimSpace(k)] = v
			}
			if err := notices.CheckInputs(inputs); err != nil {
				return withExit(2, fmt.Errorf("--set: %w", err))
			}
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			v, err := svc.DraftNotice(cmd.Context(), args[0], args[1], service.DraftNoticeRequest{Inputs: inputs, Template: template, Actor: actor})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			writeNotice(cmd.OutOrStdout(), v)
			fmt.Fprintf(cmd.OutOrStdout(), "\nNext: legal reads it and approves it with: irflow notices approve %s %s --sha256 %s\n", args[0], args[1], incident.ShortHash(v.TextSHA256))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sets, "set", nil, "a notice input INPUT=VALUE (repeatable)")
	f.StringVar(&template, "template", "", "template to draft with, instead of the rule's")
	f.StringVar(&actor, "actor", defaultActor(), "who drafts (env IRFLOW_ACTOR)")
	f.BoolVar(&asJSON, "json", false, "print the notice as JSON")
	return cmd
}

func inputsHelp() string {
	keys := make([]string, 0, len(notices.Inputs))
	for k := range notices.Inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-22s %s\n", k, notices.Inputs[k])
	}
	return b.String()
}

// writeNotice prints a notice: its state line, subject and text.
func writeNotice(w io.Writer, v incident.NoticeView) {
	fmt.Fprintf(w, "Notice for %s of %s: %s (template %s)\n", v.ObligationID, v.IncidentID, v.Status, v.Template)
	fmt.Fprintf(w, "sha256: %s", v.TextSHA256)
	if v.ApprovedSHA256 != "" && v.ApprovedAt != nil {
		fmt.Fprintf(w, "  approved by %s at %s", v.ApprovedBy, v.ApprovedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(w)
	if v.DeliveryRef != "" {
		fmt.Fprintf(w, "delivery record: %s\n", v.DeliveryRef)
	}
	if v.FulfilError != "" {
		fmt.Fprintf(w, "obligation not fulfilled: %s\n", v.FulfilError)
	}
	fmt.Fprintf(w, "\nSubject: %s\n\n%s", v.Subject, v.Text)
}

func noticeShowCmd(tf *clientFlags) *cobra.Command {
	var asJSON, html, history bool
	cmd := &cobra.Command{
		Use:   "show INCIDENT_ID [OBLIGATION_ID] [--json] [--html] [--history]",
		Short: "Show a notice's text, its sha256 and approval; without OBLIGATION_ID, list the incident's notices",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				ns, err := svc.ListNotices(cmd.Context(), args[0])
				if err != nil {
					return userError(err)
				}
				if asJSON {
					if ns == nil {
						ns = []incident.Notice{}
					}
					return printJSON(out, ns)
				}
				if len(ns) == 0 {
					fmt.Fprintf(out, "No notices drafted for %s yet (irflow notices draft %s OBLIGATION_ID).\n", args[0], args[0])
					return nil
				}
				t := newTable("OBLIGATION", "STATUS", "TEMPLATE", "SHA256", "APPROVED BY", "DELIVERY")
				for _, n := range ns {
					t.add(n.ObligationID, n.Status, n.Template, incident.ShortHash(n.TextSHA256), n.ApprovedBy, n.DeliveryRef)
				}
				_, err = t.write(out, outputWidth(out, false))
				return err
			}
			v, err := svc.ShowNotice(cmd.Context(), args[0], args[1])
			if err != nil {
				return userError(err)
			}
			switch {
			case asJSON:
				return printJSON(out, v)
			case html:
				h, err := notices.HTML(v.Subject, v.Text)
				if err != nil {
					return err
				}
				_, err = io.WriteString(out, h)
				return err
			}
			writeNotice(out, v)
			if history {
				fmt.Fprintln(out, "\nHistory:")
				for _, e := range v.History {
					who := e.Actor
					if e.Via != "" {
						who += " via " + e.Via
					}
					fmt.Fprintf(out, "  %s  %-18s %s  %s\n", e.At.UTC().Format(time.RFC3339), e.Kind, who, e.Text)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&html, "html", false, "print the notice as the HTML that email recipients get")
	cmd.Flags().BoolVar(&history, "history", false, "also print who drafted, edited, approved and sent it")
	return cmd
}

func noticeEditCmd(tf *clientFlags) *cobra.Command {
	var (
		file, subject, actor string
		asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "edit INCIDENT_ID OBLIGATION_ID --file FILE [--subject TEXT]",
		Short: "Replace a draft's text (an approval is withdrawn: legal approves the new text)",
		Example: `  irflow notices show INC-20261201-001 eu-gdpr-33-sa --json | jq -r .text > notice.txt
  $EDITOR notice.txt
  irflow notices edit INC-20261201-001 eu-gdpr-33-sa --file notice.txt`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var raw []byte
			var err error
			if file == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), incident.MaxNoticeText*4+1))
			} else {
				raw, err = os.ReadFile(file)
			}
			if err != nil {
				return withExit(2, fmt.Errorf("--file: %w", err))
			}
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			v, err := svc.EditNotice(cmd.Context(), args[0], args[1], incident.EditNoticeRequest{Text: string(raw), Subject: subject, Actor: actor})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Edited the notice for %s of %s (edit %d); sha256 %s. It needs legal's approval.\n", v.ObligationID, v.IncidentID, v.Edits, v.TextSHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", `the new text ("-" reads standard input)`)
	cmd.Flags().StringVar(&subject, "subject", "", "a new subject")
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who edits (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the notice as JSON")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func noticeApproveCmd(tf *clientFlags) *cobra.Command {
	var (
		sum, actor string
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "approve INCIDENT_ID OBLIGATION_ID --sha256 HASH",
		Short: "Approve a notice's text as read (legal role only); the approved text and its hash are recorded",
		Long: `Approve a notice's text. --sha256 names the text you read (irflow notices show
prints it; its first 12 characters or more will do): if the text changed since, the
approval is refused. Only a user with the legal role may approve.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			v, err := svc.ApproveNotice(cmd.Context(), args[0], args[1], incident.ApproveNoticeRequest{SHA256: strings.TrimSpace(sum), Actor: actor})
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Approved by %s: the notice for %s of %s, sha256 %s.\nNext: irflow notices send %s %s --to ADDRESS (or --csv FILE)\n",
				v.ApprovedBy, v.ObligationID, v.IncidentID, v.ApprovedSHA256, args[0], args[1])
			return nil
		},
	}
	cmd.Flags().StringVar(&sum, "sha256", "", "sha256 of the text you read (required)")
	cmd.Flags().StringVar(&actor, "actor", defaultActor(), "who approves (env IRFLOW_ACTOR)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the notice as JSON")
	_ = cmd.MarkFlagRequired("sha256")
	return cmd
}

// readCSV reads recipients: one per row, the address in the column headed email or
// address (the first column without such a header), the name in a column headed
// name.
func readCSV(r io.Reader, name string) ([]incident.NoticeRecipientInput, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	addrCol, nameCol, start := 0, -1, 0
	if len(rows) > 0 {
		for i, h := range rows[0] {
			switch strings.ToLower(strings.TrimSpace(h)) {
			case "email", "address", "email_address", "e-mail":
				addrCol, start = i, 1
			case "name", "display_name":
				nameCol, start = i, 1
			}
		}
	}
	var out []incident.NoticeRecipientInput
	for i, row := range rows[start:] {
		if len(row) == 0 || (len(row) == 1 && strings.TrimSpace(row[0]) == "") {
			continue
		}
		if addrCol >= len(row) {
			return nil, fmt.Errorf("%s line %d: no address column", name, i+start+1)
		}
		rcp := incident.NoticeRecipientInput{Address: strings.TrimSpace(row[addrCol])}
		if nameCol >= 0 && nameCol < len(row) {
			rcp.Name = strings.TrimSpace(row[nameCol])
		}
		out = append(out, rcp)
	}
	return out, nil
}

func noticeSendCmd(tf *clientFlags) *cobra.Command {
	var (
		to           []string
		csvPath      string
		rate         float64
		batch        int
		wait, asJSON bool
		requesters   bool
		actor        string
	)
	cmd := &cobra.Command{
		Use:   "send INCIDENT_ID OBLIGATION_ID (--to ADDRESS... | --csv FILE | --requesters) [--wait]",
		Short: "Send the approved notice by email to every recipient, one message each",
		Long: `Send the approved notice by email. Recipients come from --to (repeatable),
--csv (a column headed email or address, optional name; "-" reads standard input)
and --requesters (the requesters of the tickets the incident's facts name, read
from Zendesk by the worker); an address already on the notice's list is not added twice. The send runs in the
background on the worker: rate-limited, resumable after a crash without mailing
anyone twice. An invalid or refused address fails that recipient only. When every
recipient is sent, the obligation is marked fulfilled with the delivery record's
reference.

--wait follows the send with a progress bar until it ends, and exits 1 when some
recipients failed. A send that ended with failures can be repeated: the failed
recipients are tried again.`,
		Example: `  irflow notices send INC-20261201-001 eu-gdpr-33-sa --to breach@dpa.example --wait
  irflow notices send INC-20261201-001 us-ca-1798-82-individuals --csv residents.csv --wait`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rs []incident.NoticeRecipientInput
			for _, a := range to {
				rs = append(rs, incident.NoticeRecipientInput{Address: a})
			}
			if csvPath != "" {
				var r io.Reader = cmd.InOrStdin()
				if csvPath != "-" {
					f, err := os.Open(csvPath)
					if err != nil {
						return withExit(2, fmt.Errorf("--csv: %w", err))
					}
					defer f.Close()
					r = f
				}
				more, err := readCSV(r, csvPath)
				if err != nil {
					return withExit(2, fmt.Errorf("--csv %w", err))
				}
				rs = append(rs, more...)
			}
			if len(rs) == 0 && !requesters {
				return withExit(2, errors.New("no recipients: give --to ADDRESS, --csv FILE or --requesters"))
			}
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			v, err := svc.SendNotice(cmd.Context(), args[0], args[1], service.SendNoticeRequest{Recipients: rs, Requesters: requesters, RatePerSecond: rate, BatchSize: batch, Actor: actor})
			if err != nil {
				return userError(err)
			}
			if !wait {
				if asJSON {
					return printJSON(cmd.OutOrStdout(), v)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Sending the notice for %s of %s; follow it with: irflow notices status %s %s --watch\n",
					v.ObligationID, v.IncidentID, args[0], args[1])
				return nil
			}
			st, err := watchNotice(cmd, svc, args[0], args[1], asJSON)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return sendOutcome(cmd.OutOrStdout(), st)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&to, "to", nil, "a recipient's email address (repeatable)")
	f.StringVar(&csvPath, "csv", "", `a CSV file of recipients ("-" reads standard input)`)
	f.BoolVar(&requesters, "requesters", false, "also send to the requesters of the tickets the incident's facts name (zendesk.tickets), read from Zendesk")
	f.Float64Var(&rate, "rate", 0, "messages per second at most (default 500)")
	f.IntVar(&batch, "batch", 0, "recipients per SMTP session (default 200)")
	f.BoolVar(&wait, "wait", false, "follow the send with a progress bar until it ends")
	f.StringVar(&actor, "actor", defaultActor(), "who sends (env IRFLOW_ACTOR)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// sendOutcome prints how a send ended; failures exit 1.
func sendOutcome(w io.Writer, st service.NoticeStatus) error {
	switch st.Status {
	case incident.NoticeSent:
		fmt.Fprintf(w, "Sent to %d recipients. Delivery record %s.\n", st.Counts[incident.RecipientSent], st.DeliveryRef)
		if st.FulfilError != "" {
			fmt.Fprintf(w, "The obligation was NOT marked fulfilled: %s\n", st.FulfilError)
			return withExit(1, errors.New("the obligation was not marked fulfilled"))
		}
		fmt.Fprintf(w, "Obligation %s marked fulfilled.\n", st.ObligationID)
		return nil
	case incident.NoticeFailed:
		fmt.Fprintf(w, "%d sent, %d failed, %d bounced; the obligation stays open. See them with: irflow notices status %s %s --state failed\n",
			st.Counts[incident.RecipientSent], st.Counts[incident.RecipientFailed], st.Counts[incident.RecipientBounced], st.IncidentID, st.ObligationID)
		return withExit(1, errors.New("some recipients were not reached"))
	}
	fmt.Fprintf(w, "Status %s.\n", st.Status)
	return nil
}

// watchNotice polls a notice's status until its send ends, drawing a progress bar
// on a terminal (a line every few seconds otherwise).
func watchNotice(cmd *cobra.Command, svc noticesBackend, incidentID, obligationID string, quiet bool) (service.NoticeStatus, error) {
	w := cmd.ErrOrStderr()
	tty := false
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	var last time.Time
	for {
		st, err := svc.NoticeStatus(cmd.Context(), incidentID, obligationID, "", 0, 0)
		if err != nil {
			return st, userError(err)
		}
		done := st.Status != incident.NoticeSending
		if !quiet {
			line := progressLine(st, 30)
			switch {
			case tty:
				fmt.Fprintf(w, "\r\033[K%s", line)
				if done {
					fmt.Fprintln(w)
				}
			case done || time.Since(last) >= 5*time.Second:
				fmt.Fprintln(w, line)
				last = time.Now()
			}
		}
		if done {
			return st, nil
		}
		select {
		case <-cmd.Context().Done():
			return st, cmd.Context().Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// progressLine renders "[#######.......]  350/1000 sent  0 failed  0 bounced  412/s".
func progressLine(st service.NoticeStatus, width int) string {
	total := 0
	for _, c := range st.Counts {
		total += c
	}
	sent, failed, bounced := st.Counts[incident.RecipientSent], st.Counts[incident.RecipientFailed], st.Counts[incident.RecipientBounced]
	done := sent + failed + bounced
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	pct := 0
	if total > 0 {
		pct = done * 100 / total
	}
	s := fmt.Sprintf("[%s] %3d%%  %d/%d sent  %d failed  %d bounced", bar, pct, sent, total, failed, bounced)
	if p := st.Progress; p != nil {
		if p.PerSecond > 0 {
			s += fmt.Sprintf("  %.0f/s", p.PerSecond)
		}
		if p.LastError != "" {
			s += "  waiting: " + truncate(p.LastError, 80)
			if p.RetryAt != nil {
				s += fmt.Sprintf(" (retry in %s)", time.Until(*p.RetryAt).Round(time.Second))
			}
		}
	}
	return s
}

func noticeStatusCmd(tf *clientFlags) *cobra.Command {
	var (
		state         string
		limit         int
		after         int64
		watch, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status INCIDENT_ID [OBLIGATION_ID] [--state STATE] [--limit N] [--watch]",
		Short: "Show a notice's delivery: counts by state, progress and per-recipient states",
		Long: `Show a notice's delivery: how many recipients are queued, sent, failed or
bounced, the progress of a running send (and why it waits, when the mail server is
unreachable), and the recipients with their state, Message-ID and error.
Without OBLIGATION_ID, every notice of the incident with its counts.

--watch draws a progress bar until the send ends.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.noticesService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				return noticesOverview(cmd, svc, args[0], asJSON)
			}
			if watch {
				if _, err := watchNotice(cmd, svc, args[0], args[1], asJSON); err != nil {
					return err
				}
			}
			st, err := svc.NoticeStatus(cmd.Context(), args[0], args[1], state, after, limit)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(out, st)
			}
			fmt.Fprintf(out, "Notice for %s of %s: %s", st.ObligationID, st.IncidentID, st.Status)
			if st.DeliveryRef != "" {
				fmt.Fprintf(out, "  delivery record %s", st.DeliveryRef)
			}
			fmt.Fprintln(out)
			fmt.Fprintln(out, progressLine(st, 30))
			if st.FulfilError != "" {
				fmt.Fprintf(out, "obligation not fulfilled: %s\n", st.FulfilError)
			}
			if len(st.Recipients) > 0 {
				t := newTable("#", "ADDRESS", "STATE", "ATTEMPTS", "MESSAGE-ID / ERROR")
				for _, r := range st.Recipients {
					detail := r.MessageID
					if r.Error != "" && r.State != incident.RecipientSent {
						detail = r.Error
					}
					t.add(fmt.Sprint(r.Seq), r.Address, r.State, fmt.Sprint(r.Attempts), detail)
				}
				if _, err := t.canShrink(4, 20).write(out, outputWidth(out, false)); err != nil {
					return err
				}
				if last := st.Recipients[len(st.Recipients)-1]; len(st.Recipients) == limit {
					fmt.Fprintf(out, "More: --after %d\n", last.Seq)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&state, "state", "", "list only recipients in this state: "+strings.Join(incident.RecipientStates, ", "))
	f.IntVar(&limit, "limit", 20, "recipients to list (0: none)")
	f.Int64Var(&after, "after", 0, "list recipients after this number")
	f.BoolVar(&watch, "watch", false, "draw a progress bar until the send ends")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func noticesOverview(cmd *cobra.Command, svc noticesBackend, incidentID string, asJSON bool) error {
	ns, err := svc.ListNotices(cmd.Context(), incidentID)
	if err != nil {
		return userError(err)
	}
	var all []service.NoticeStatus
	for _, n := range ns {
		st, err := svc.NoticeStatus(cmd.Context(), incidentID, n.ObligationID, "", 0, 0)
		if err != nil {
			return userError(err)
		}
		all = append(all, st)
	}
	out := cmd.OutOrStdout()
	if asJSON {
		if all == nil {
			all = []service.NoticeStatus{}
		}
		return printJSON(out, all)
	}
	if len(all) == 0 {
		fmt.Fprintf(out, "No notices drafted for %s yet (irflow notices draft %s OBLIGATION_ID).\n", incidentID, incidentID)
		return nil
	}
	t := newTable("OBLIGATION", "STATUS", "QUEUED", "SENT", "FAILED", "BOUNCED", "DELIVERY")
	for _, st := range all {
		c := st.Counts
		t.add(st.ObligationID, st.Status, fmt.Sprint(c[incident.RecipientQueued]+c[incident.RecipientSending]), fmt.Sprint(c[incident.RecipientSent]),
			fmt.Sprint(c[incident.RecipientFailed]), fmt.Sprint(c[incident.RecipientBounced]), st.DeliveryRef)
	}
	_, err = t.write(out, outputWidth(out, false))
	return err
}
