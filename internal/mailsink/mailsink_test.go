package mailsink_test

import (
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	irmail "irflow/internal/mail"
	"irflow/internal/mailsink"
)

// TestSinkKeepsWhatIrflowSends: irflow's own mailer, over real SMTP, and every
// message lands whole in the folder, in the order sent, with its envelope, and the
// server's answer names the file.
func TestSinkKeepsWhatIrflowSends(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, err := mailsink.Start("127.0.0.1:0", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	cfg, err := irmail.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.From, cfg.Timeout = "irflow@localhost", 5*time.Second
	m, err := irmail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	emails := []irmail.Email{
		{Key: "INC-20261201-001/eu-gdpr-33-sa/1", To: []string{"breach@dpa.example"}, Subject: "Personal data breach notification",
			Text: "Nature of the breach: ...", Headers: []irmail.Header{{Name: "X-Irflow-Notice-Sha256", Value: "5d0c0a1b2c3d"}}},
		{Key: "INC-20261201-001/eu-gdpr-34-individuals/1", To: []string{"p0001@people.example"}, Subject: "About your data", Text: "We are writing to tell you ..."},
	}
	res, err := m.SendBatch(context.Background(), emails)
	if err != nil {
		t.Fatal(err)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != len(emails) || !slices.IsSorted(names) {
		t.Fatalf("the folder holds %q, want %d .eml files", names, len(emails))
	}
	for i, name := range names {
		if res[i].Err != nil {
			t.Fatalf("message %d: %v", i, res[i].Err)
		}
		if !strings.HasSuffix(name, ".eml") || !strings.Contains(res[i].Delivery.Response, "kept as "+name) {
			t.Errorf("message %d in %s; the server answered %q", i, name, res[i].Delivery.Response)
		}
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(f)
		_ = f.Close()
		if err != nil {
			t.Fatalf("%s is not a message: %v", name, err)
		}
		h := msg.Header
		if h.Get("Return-Path") != "<irflow@localhost>" || !strings.Contains(h.Get("Received"), "for <"+emails[i].To[0]+">") {
			t.Errorf("%s: envelope headers Return-Path %q, Received %q", name, h.Get("Return-Path"), h.Get("Received"))
		}
		if h.Get("Subject") != emails[i].Subject || strings.Trim(h.Get("Message-ID"), "<>") != res[i].Delivery.MessageID {
			t.Errorf("%s: Subject %q, Message-ID %q; sent %q, %q", name, h.Get("Subject"), h.Get("Message-ID"), emails[i].Subject, res[i].Delivery.MessageID)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, names[0])); !strings.Contains(string(b), "X-Irflow-Notice-Sha256: 5d0c0a1b2c3d") {
		t.Errorf("%s lost the notice's hash header:\n%s", names[0], b)
	}
	if fi, err := os.Stat(filepath.Join(dir, names[0])); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600: notices name people", names[0], fi.Mode().Perm(), err)
	}
}

// TestSinkLoopbackOnly: it accepts mail from anyone who reaches it and writes it to
// disk, so it never listens beyond loopback.
func TestSinkLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:1025"} {
		if s, err := mailsink.Start(addr, t.TempDir(), nil); !errors.Is(err, mailsink.ErrNotLoopback) {
			if s != nil {
				_ = s.Close()
			}
			t.Errorf("%s: %v, want ErrNotLoopback", addr, err)
		}
	}
}

// TestSinkCannotWrite: a message the sink could not keep is answered 451, which
// irflow's mailer treats as worth retrying, never as delivered.
func TestSinkCannotWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	s, err := mailsink.Start("127.0.0.1:0", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// The folder is gone and a file has its name: no message can be written there.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := irmail.ParseURL(s.URL() + "&from=irflow@localhost&timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	m, err := irmail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Send(context.Background(), irmail.Email{Key: "k", To: []string{"breach@dpa.example"}, Subject: "s", Text: "t"})
	var me *irmail.Error
	if !errors.As(err, &me) || me.Code != 451 || irmail.IsPermanent(err) {
		t.Errorf("send to a sink that cannot write: %v, want a retryable 451", err)
	}
}
