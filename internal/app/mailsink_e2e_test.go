package app_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/app"
	"irflow/internal/mail"
)

// startDevWith starts the dev stack with cfg's mail settings and env, retrying
// when the free port picked for Temporal was taken meanwhile.
func startDevWith(t *testing.T, dir string, env map[string]string, sink string, anyPort bool) *app.Dev {
	t.Helper()
	var err error
	for range 3 {
		cfg := devConfig(t, dir)
		cfg.Getenv = func(k string) string { return env[k] }
		cfg.MailSink, cfg.MailSinkAnyPort = sink, anyPort
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var d *app.Dev
		d, err = app.StartDev(ctx, cfg)
		cancel()
		if err == nil {
			t.Cleanup(d.Stop)
			return d
		}
		if !strings.Contains(err.Error(), "already in use") || strings.Contains(err.Error(), "mail sink") {
			break
		}
	}
	t.Fatalf("start dev stack: %v", err)
	return nil
}

// TestDevMailSink: with no SMTP server configured, irflow dev's mailer sends over
// SMTP to the built-in sink, which keeps the message in <data>/mail; the default
// address being taken moves the sink to a free port, and a configured SMTP server
// leaves the sink off.
func TestDevMailSink(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	dir := t.TempDir()
	d := startDevWith(t, dir, map[string]string{}, taken.Addr().String(), true)
	if d.MailSink == nil || d.Mailer == nil {
		t.Fatalf("sink %v, mailer %v: want both", d.MailSink, d.Mailer)
	}
	if d.MailSink.Addr == taken.Addr().String() || d.MailSink.Dir != filepath.Join(dir, app.MailSinkDir) {
		t.Errorf("sink on %s in %s; %s was taken", d.MailSink.Addr, d.MailSink.Dir, taken.Addr())
	}
	if got := d.MailDescription(); !strings.HasPrefix(got, "sink(") || !strings.Contains(got, d.MailSink.Addr) {
		t.Errorf("ready line says mail=%s", got)
	}
	if _, err := d.Mailer.Send(context.Background(), mail.Email{Key: "k1", To: []string{"breach@dpa.example"}, Subject: "Notification", Text: "Nature of the breach"}); err != nil {
		t.Fatalf("send to the sink: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(d.MailSink.Dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("the sink kept %q, want one .eml", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "From: <"+app.DevMailFrom+">") || !strings.Contains(string(b), "To: <breach@dpa.example>") {
		t.Errorf("%s:\n%s", files[0], b)
	}

	// A configured server wins: no sink, mail goes there.
	d2 := startDevWith(t, t.TempDir(), map[string]string{"SMTP_URL": "smtp://127.0.0.1:2?tls=none", "SMTP_FROM": "privacy@example.com"}, "127.0.0.1:0", false)
	if d2.MailSink != nil || d2.MailDescription() != "smtp://127.0.0.1:2(tls=none)" {
		t.Errorf("with SMTP_URL set: sink %v, mail=%s", d2.MailSink, d2.MailDescription())
	}
}
