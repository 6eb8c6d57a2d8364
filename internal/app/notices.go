package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/sdk/client"

	"irflow/activities"
	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/internal/mail"
	"irflow/internal/notify"
	"irflow/internal/service"
	"irflow/internal/zendesk"
)

// Environment variables for notices besides mail's SMTP_*.
const (
	// EnvNoticeController names the organisation giving notice (the controller),
	// the notices' "controller" input.
	EnvNoticeController = "IRFLOW_NOTICE_CONTROLLER"
	// EnvNoticeContact is the contact point notices name (GDPR Art. 33(3)(b)).
	EnvNoticeContact = "IRFLOW_NOTICE_CONTACT"
	// EnvNotifyEmail lists addresses (comma-separated) that get reminders, due and
	// overdue notices and steps awaiting approval by email, besides the log.
	EnvNotifyEmail = "IRFLOW_NOTIFY_EMAIL"
)

// orEnv is getenv, or os.Getenv when nil.
func orEnv(getenv func(string) string) func(string) string {
	if getenv == nil {
		return os.Getenv
	}
	return getenv
}

// mailerFromEnv returns the configured mailer, or nil when SMTP is not configured.
func mailerFromEnv(getenv func(string) string) (*mail.Mailer, error) {
	getenv = orEnv(getenv)
	cfg, err := mail.FromEnv(getenv)
	if errors.Is(err, mail.ErrNotConfigured) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("smtp configuration: %w", err)
	}
	if cfg.From == "" {
		return nil, errors.New("smtp configuration: SMTP_FROM (or from= in SMTP_URL) is required: notices need a sender")
	}
	return mail.New(cfg)
}

// noticeDefaults reads the notice inputs configured for every draft.
func noticeDefaults(getenv func(string) string) map[string]string {
	getenv = orEnv(getenv)
	out := map[string]string{}
	if v := strings.TrimSpace(getenv(EnvNoticeController)); v != "" {
		out["controller"] = v
	}
	if v := strings.TrimSpace(getenv(EnvNoticeContact)); v != "" {
		out["contact_point"] = v
	}
	return out
}

// withEmail routes reminders and escalations to email as well as to base, when a
// mailer and IRFLOW_NOTIFY_EMAIL are configured (Notifier v2's email transport).
func withEmail(base notify.Notifier, m *mail.Mailer, getenv func(string) string) (notify.Notifier, error) {
	getenv = orEnv(getenv)
	raw := strings.TrimSpace(getenv(EnvNotifyEmail))
	if m == nil || raw == "" {
		return base, nil
	}
	var to []string
	for _, a := range strings.Split(raw, ",") {
		if a = strings.TrimSpace(a); a != "" {
			to = append(to, a)
		}
	}
	email := toDefault{&mail.Transport{Mailer: m, Default: to}}
	return notify.NewRouter(map[string]notify.Notifier{"log": base, mail.TransportName: email},
		notify.Route{Transports: []string{"log"}},
		notify.Route{Kinds: []notify.Kind{notify.KindReminder, notify.KindDue, notify.KindOverdue, notify.KindObligationDue, notify.KindStepAwaitingApproval},
			Transports: []string{mail.TransportName}},
	)
}

// wireNotices gives the service its notice store, defaults and intake.
func wireNotices(svc *service.Service, store incident.NoticeStore, getenv func(string) string, logger *slog.Logger) *intake.Processor {
	svc.Notices = store
	svc.NoticeDefaults = noticeDefaults(getenv)
	p := &intake.Processor{Store: store, Declarer: svc, Rules: intake.DefaultRules(), Logger: logger}
	svc.Intake = p
	return p
}

// noticeActivities builds the notice activities.
func noticeActivities(store incident.NoticeStore, m *mail.Mailer, c client.Client, zd *zendesk.Client) *activities.NoticeActivities {
	return &activities.NoticeActivities{Store: store, Mailer: m, Temporal: c, Zendesk: zd}
}

// toDefault sends every message to the email transport's default addresses: the
// recipients a message names (roles, channels) are the log's and Slack's business.
type toDefault struct{ t *mail.Transport }

func (d toDefault) Send(ctx context.Context, m notify.Message) (notify.Sent, error) {
	m.Recipients = nil
	return d.t.Send(ctx, m)
}
