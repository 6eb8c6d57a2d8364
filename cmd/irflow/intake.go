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
	"irflow/internal/intake"
	"irflow/internal/service"
)

func init() { register(newIntakeCmd) }

// intakeBackend is what the intake commands need.
type intakeBackend interface {
	ReceiveEmail(ctx context.Context, raw []byte, receivedAt time.Time) (intake.Outcome, error)
	ListIntake(ctx context.Context, limit int) ([]incident.IntakeMessage, error)
}

func (f *clientFlags) intakeService(ctx context.Context) (intakeBackend, func(), error) {
	b, closeFn, err := f.service(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	if svc, ok := b.(*service.Service); ok {
		// Locally the CLI is the intake: it keeps the message in the store and
		// declares through Temporal, as the server's intake would.
		if ns, ok := svc.Store.(incident.NoticeStore); ok {
			svc.Intake = &intake.Processor{Store: ns, Declarer: svc, Rules: intake.DefaultRules()}
		}
	}
	ib, ok := b.(intakeBackend)
	if !ok {
		closeFn()
		return nil, nil, fmt.Errorf("this backend has no intake")
	}
	return ib, closeFn, nil
}

func newIntakeCmd() *cobra.Command {
	var tf clientFlags
	cmd := &cobra.Command{
		Use:   "intake",
		Short: "Feed email to the intake: Zendesk's security notices start zendesk-service-breach incidents",
		Long: `The intake keeps every email it is given, with its SHA-256, and recognises
Zendesk's notices of a breach of the Service (SRM-VI.Z.4) by sender, subject and
content. A recognised notice starts a zendesk-service-breach incident at once, with
timeline.zendesk_notice_received_at and aware_at set to the notice's arrival: the
subscriber's own notification clocks start then (SRM-VI.S.2). Anything else is kept
and reported, never dropped.

Mail reaches the intake three ways: irflow dev or serve --intake-smtp ADDR (an SMTP
receiver a mail server can forward to), POST /api/intake/email with the raw message,
or irflow intake receive.`,
	}
	tf.register(cmd)

	var (
		atText string
		asJSON bool
	)
	receive := &cobra.Command{
		Use:   "receive [FILE|-] [--received-at TIME] [--json]",
		Short: "Give the intake one raw RFC 5322 message (a .eml file, or standard input)",
		Long: `Give the intake one raw RFC 5322 message. --received-at says when it reached
the organisation (RFC 3339), for a notice forwarded or saved earlier: that instant is
the notice's arrival, which starts the clocks. Now by default.`,
		Example: `  irflow intake receive internal/intake/testdata/zendesk-security-notice.eml
  irflow intake receive - < notice.eml --received-at 2026-12-01T08:41:07Z`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			at := time.Now().UTC()
			if atText != "" {
				t, err := time.Parse(time.RFC3339, atText)
				if err != nil {
					return withExit(2, fmt.Errorf("--received-at: %q is not an RFC 3339 time (e.g. 2026-12-01T08:41:07Z)", atText))
				}
				at = t.UTC()
			}
			var raw []byte
			var err error
			if len(args) == 0 || args[0] == "-" {
				raw, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), intake.MaxMessageBytes+1))
			} else {
				raw, err = os.ReadFile(args[0])
			}
			if err != nil {
				return withExit(2, fmt.Errorf("read the message: %w", err))
			}
			svc, closeFn, err := tf.intakeService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			out, err := svc.ReceiveEmail(cmd.Context(), raw, at)
			if err != nil {
				return userError(err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Kept as intake message %d (sha256 %s), received %s.\n", out.ID, out.SHA256, out.ReceivedAt.Format(time.RFC3339))
			switch {
			case out.IncidentID != "" && out.Duplicate:
				fmt.Fprintf(w, "Zendesk security notice received before: incident %s.\n", out.IncidentID)
			case out.IncidentID != "":
				fmt.Fprintf(w, "Zendesk security notice: started incident %s (zendesk-service-breach), zendesk_notice_received_at and aware_at %s.\n", out.IncidentID, out.ReceivedAt.Format(time.RFC3339))
				for _, r := range out.Recognition.Reasons {
					fmt.Fprintf(w, "  %s\n", r)
				}
			default:
				fmt.Fprintf(w, "Not started: %s.\n", strings.TrimSuffix(out.Reason, "."))
			}
			return nil
		},
	}
	receive.Flags().StringVar(&atText, "received-at", "", "when the message reached the organisation (RFC 3339); now by default")
	receive.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var (
		limit    int
		listJSON bool
	)
	list := &cobra.Command{
		Use:   "list [--limit N] [--json]",
		Short: "List the messages the intake kept, newest first, with what it made of them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, closeFn, err := tf.intakeService(cmd.Context())
			if err != nil {
				return err
			}
			defer closeFn()
			ms, err := svc.ListIntake(cmd.Context(), limit)
			if err != nil {
				return userError(err)
			}
			if listJSON {
				if ms == nil {
					ms = []incident.IntakeMessage{}
				}
				return printJSON(cmd.OutOrStdout(), ms)
			}
			t := newTable("ID", "RECEIVED", "VIA", "FROM", "SUBJECT", "STATUS", "INCIDENT", "SHA256")
			for _, m := range ms {
				t.add(fmt.Sprint(m.ID), m.ReceivedAt.Format(time.RFC3339), m.Via, m.From, m.Subject, m.Status, m.IncidentID, incident.ShortHash(m.SHA256))
			}
			_, err = t.canShrink(4, 20).canShrink(3, 20).write(cmd.OutOrStdout(), outputWidth(cmd.OutOrStdout(), false))
			return err
		},
	}
	list.Flags().IntVar(&limit, "limit", 20, "how many messages")
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	cmd.AddCommand(receive, list)
	return cmd
}
