package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"irflow/internal/mail"
	"irflow/internal/mail/mailtest"
	"irflow/internal/notify"
)

func startSink(t *testing.T, o mailtest.Options) *mailtest.Sink {
	t.Helper()
	s, err := mailtest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mailer(t *testing.T, c mail.Config) *mail.Mailer {
	t.Helper()
	if c.From == "" {
		c.From = "irflow <privacy@example.com>"
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	m, err := mail.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSendPaths(t *testing.T) {
	cases := []struct {
		name     string
		sink     mailtest.Options
		tls      mail.TLSMode
		user, pw string
		wantTLS  bool
		wantUser string
	}{
		{name: "none", tls: mail.TLSNone},
		{name: "auth in the clear on loopback", sink: mailtest.Options{Username: "bot", Password: "s3cret"}, tls: mail.TLSNone, user: "bot", pw: "s3cret", wantUser: "bot"},
		{name: "starttls", sink: mailtest.Options{STARTTLS: true}, tls: mail.TLSStartTLS, wantTLS: true},
		{name: "starttls and auth", sink: mailtest.Options{STARTTLS: true, Username: "bot", Password: "s3cret"}, tls: mail.TLSStartTLS, user: "bot", pw: "s3cret", wantTLS: true, wantUser: "bot"},
		{name: "opportunistic upgrades", sink: mailtest.Options{STARTTLS: true}, tls: mail.TLSOpportunistic, wantTLS: true},
		{name: "implicit tls and auth", sink: mailtest.Options{ImplicitTLS: true, Username: "bot", Password: "s3cret"}, tls: mail.TLSImplicit, user: "bot", pw: "s3cret", wantTLS: true, wantUser: "bot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startSink(t, tc.sink)
			c := mail.Config{Host: s.Host(), Port: s.Port(), TLS: tc.tls, Username: tc.user, Password: tc.pw}
			if s.RootCAs != nil {
				c.TLSConfig = &tls.Config{RootCAs: s.RootCAs}
			}
			m := mailer(t, c)
			d, err := m.Send(context.Background(), mail.Email{
				Key: "INC-20261201-001/eu-gdpr-33-sa/1", To: []string{"dpa@example.org"},
				Subject: "Personal data breach notification", Text: "Nature of the breach: ...",
				HTML: "<p>Nature of the breach: ...</p>",
			})
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			got := s.Messages()
			if len(got) != 1 {
				t.Fatalf("sink got %d messages, want 1", len(got))
			}
			if got[0].TLS != tc.wantTLS || got[0].User != tc.wantUser {
				t.Errorf("tls=%v user=%q, want tls=%v user=%q", got[0].TLS, got[0].User, tc.wantTLS, tc.wantUser)
			}
			if got[0].MessageID() != d.MessageID || d.MessageID != mail.MessageID("INC-20261201-001/eu-gdpr-33-sa/1", "privacy@example.com") {
				t.Errorf("message id: sink %q, delivery %q", got[0].MessageID(), d.MessageID)
			}
			if !strings.HasSuffix(d.MessageID, "@example.com") || d.Response == "" || d.At.IsZero() {
				t.Errorf("delivery = %+v", d)
			}
			if got[0].Header("Subject") != "Personal data breach notification" || got[0].To[0] != "dpa@example.org" {
				t.Errorf("subject %q to %v", got[0].Header("Subject"), got[0].To)
			}
		})
	}
}

func TestStartTLSMandatoryRefusesPlainServer(t *testing.T) {
	s := startSink(t, mailtest.Options{})
	m := mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSStartTLS})
	_, err := m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("sent in the clear although STARTTLS is mandatory")
	}
	if s.Len() != 0 {
		t.Errorf("sink got %d messages", s.Len())
	}
}

func TestUntrustedCertificateFails(t *testing.T) {
	s := startSink(t, mailtest.Options{STARTTLS: true})
	m := mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSStartTLS})
	if _, err := m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Text: "t"}); err == nil {
		t.Fatal("a self-signed certificate was trusted without being configured")
	}
}

func TestWrongPasswordIsPermanent(t *testing.T) {
	s := startSink(t, mailtest.Options{Username: "bot", Password: "right"})
	m := mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSNone, Username: "bot", Password: "wrong"})
	_, err := m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Text: "t"})
	if err == nil || !mail.IsPermanent(err) || !notify.IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent auth failure", err)
	}
}

func TestUnreachableServerIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	_ = ln.Close() // nothing listens there now
	m := mailer(t, mail.Config{Host: "127.0.0.1", Port: addr.Port, TLS: mail.TLSNone, Timeout: time.Second})
	_, err = m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Text: "t"})
	if err == nil {
		t.Fatal("sent to nothing")
	}
	if mail.IsPermanent(err) || notify.IsPermanent(err) {
		t.Errorf("unreachable server classified permanent: %v", err)
	}
	if !strings.Contains(err.Error(), addr.String()) {
		t.Errorf("error does not name the server: %v", err)
	}
}

func TestServerDownIsRetryable(t *testing.T) {
	s := startSink(t, mailtest.Options{})
	s.SetDown(true)
	m := mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSNone})
	_, err := m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Text: "t"})
	var me *mail.Error
	if !errors.As(err, &me) || me.Code != 421 || me.Final {
		t.Fatalf("err = %v, want a retryable 421", err)
	}
}

func TestBatchFailsOnlyTheBadRecipient(t *testing.T) {
	s := startSink(t, mailtest.Options{Reject: func(rcpt string) string {
		if strings.HasPrefix(rcpt, "gone@") {
			return "mailbox unavailable"
		}
		return ""
	}})
	m := mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSNone})
	res, err := m.SendBatch(context.Background(), []mail.Email{
		{Key: "1", To: []string{"ann@example.org"}, Text: "t"},
		{Key: "2", To: []string{"not an address"}, Text: "t"},
		{Key: "3", To: []string{"gone@example.org"}, Text: "t"},
		{Key: "4", To: []string{"bob@example.org"}, Text: "t"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", "not an email address", "550", ""} {
		got := res[i].Err
		switch {
		case want == "" && got != nil:
			t.Errorf("message %d: %v", i+1, got)
		case want != "" && (got == nil || !strings.Contains(got.Error(), want) || !mail.IsPermanent(got)):
			t.Errorf("message %d: err = %v, want permanent %q", i+1, got, want)
		}
	}
	if r := s.Received(); r["ann@example.org"] != 1 || r["bob@example.org"] != 1 || len(r) != 2 {
		t.Errorf("received %v", r)
	}
}

func TestParseURLAndEnv(t *testing.T) {
	cases := []struct {
		in      string
		want    mail.Config
		wantErr string
	}{
		{in: "smtp://mail.example.com", want: mail.Config{Host: "mail.example.com", Port: 587, TLS: mail.TLSStartTLS, Timeout: mail.DefaultTimeout}},
		{in: "smtps://bot:pw@mail.example.com?from=privacy@example.com&timeout=5s", want: mail.Config{Host: "mail.example.com", Port: 465, TLS: mail.TLSImplicit, Username: "bot", Password: "pw", From: "privacy@example.com", Timeout: 5 * time.Second}},
		{in: "smtp://127.0.0.1:1025?tls=none", want: mail.Config{Host: "127.0.0.1", Port: 1025, TLS: mail.TLSNone, Timeout: mail.DefaultTimeout}},
		{in: "http://x", wantErr: `scheme "http"`},
		{in: "smtp://x?tls=maybe", wantErr: `tls "maybe"`},
		{in: "smtp://x?tsl=none", wantErr: `unknown parameter "tsl"`},
		{in: "smtp://x?from=nobody", wantErr: `from "nobody"`},
		{in: "smtps://x?tls=none", wantErr: "always implicit"},
	}
	for _, tc := range cases {
		got, err := mail.ParseURL(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Host != tc.want.Host || got.Port != tc.want.Port || got.TLS != tc.want.TLS ||
			got.Username != tc.want.Username || got.Password != tc.want.Password || got.From != tc.want.From || got.Timeout != tc.want.Timeout {
			t.Errorf("%s: got %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if strings.Contains(got.String(), "pw") {
			t.Errorf("String leaks the password: %s", got)
		}
	}

	env := map[string]string{"SMTP_HOST": "relay.internal", "SMTP_PORT": "2525", "SMTP_USER": "u", "SMTP_PASSWORD": "p", "SMTP_TLS": "none", "SMTP_FROM": "a@b.example"}
	c, err := mail.FromEnv(func(k string) string { return env[k] })
	if err != nil || c.Addr() != "relay.internal:2525" || c.TLS != mail.TLSNone || c.Username != "u" {
		t.Errorf("FromEnv = %+v, %v", c, err)
	}
	if _, err := mail.FromEnv(func(string) string { return "" }); !errors.Is(err, mail.ErrNotConfigured) {
		t.Errorf("empty env: %v", err)
	}
	env["SMTP_PORT"] = "x"
	if _, err := mail.FromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SMTP_PORT") {
		t.Errorf("bad port: %v", err)
	}
}

func TestTransport(t *testing.T) {
	s := startSink(t, mailtest.Options{})
	tr := &mail.Transport{
		Mailer: mailer(t, mail.Config{Host: s.Host(), Port: s.Port(), TLS: mail.TLSNone}),
		Roles:  map[string][]string{"legal": {"legal@example.com", "dpo@example.com"}},
	}
	due := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m := notify.Message{Key: "rem-1", Kind: notify.KindReminder, IncidentID: "INC-20261201-001",
		ObligationID: "eu-gdpr-33-sa", Text: "24 h left to notify the supervisory authority", DueAt: &due,
		At: due.Add(-24 * time.Hour), Recipients: []notify.Recipient{{Kind: notify.RecipientRole, ID: "legal"}, {Kind: notify.RecipientPerson, ID: "dpo@example.com"}}}
	sent, err := tr.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	got := s.Messages()
	if len(got) != 1 || len(got[0].To) != 2 {
		t.Fatalf("messages %+v", got)
	}
	if sent.Transport != "email" || sent.MessageID != got[0].MessageID() {
		t.Errorf("sent %+v, sink id %q", sent, got[0].MessageID())
	}
	if !strings.Contains(string(got[0].Data), "Due: 2026-12-03T10:00:00Z") || got[0].Header("X-Irflow-Obligation") != "eu-gdpr-33-sa" {
		t.Errorf("body/header missing:\n%s", got[0].Data)
	}

	// An update threads under the first message.
	m2 := m
	m2.Key, m2.Kind, m2.Update = "due-1", notify.KindDue, &sent
	if _, err := tr.Send(context.Background(), m2); err != nil {
		t.Fatal(err)
	}
	if irt := s.Messages()[1].Header("In-Reply-To"); irt != "<"+sent.MessageID+">" {
		t.Errorf("In-Reply-To = %q", irt)
	}

	// A role without addresses is permanent and names the role.
	m3 := m
	m3.Key, m3.Recipients = "rem-2", []notify.Recipient{{Kind: notify.RecipientRole, ID: "ciso"}}
	if _, err := tr.Send(context.Background(), m3); err == nil || !notify.IsPermanent(err) || !strings.Contains(err.Error(), `"ciso"`) {
		t.Errorf("unknown role: %v", err)
	}
}

// TestSilentServerTimesOut: a server that accepts the connection and never greets
// fails the send after the configured timeout, retryably, instead of hanging.
func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	m := mailer(t, mail.Config{Host: "127.0.0.1", Port: addr.Port, TLS: mail.TLSNone, Timeout: 300 * time.Millisecond})
	done := make(chan error, 1)
	go func() {
		_, err := m.Send(context.Background(), mail.Email{Key: "k", To: []string{"a@example.org"}, Text: "t"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || mail.IsPermanent(err) {
			t.Fatalf("err = %v, want a retryable timeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the send hung past its timeout")
	}
}
