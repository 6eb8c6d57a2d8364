package intake_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/internal/mail"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var arrival = time.Date(2026, 12, 1, 8, 41, 7, 0, time.UTC)

func TestRecogniseZendeskNotice(t *testing.T) {
	m, err := intake.Parse(read(t, "zendesk-security-notice.eml"), arrival)
	if err != nil {
		t.Fatal(err)
	}
	if m.FromAddress != "security-noreply@zendesk.com" || m.MessageID != "sec-2026-1130-4471.example@zendesk.com" || m.Date == nil {
		t.Errorf("parsed %+v", m)
	}
	if !strings.Contains(m.Text, "Service Data of your Zendesk account example.zendesk.com") {
		t.Errorf("quoted-printable text not decoded:\n%s", m.Text)
	}
	r := intake.Recognise(m, intake.DefaultRules())
	if !r.Zendesk {
		t.Fatalf("not recognised: %v", r.Reasons)
	}
	f := r.Facts
	if f.Timeline.ZendeskNoticeReceivedAt == nil || !f.Timeline.ZendeskNoticeReceivedAt.Equal(arrival) ||
		f.Timeline.AwareAt == nil || !f.Timeline.AwareAt.Equal(arrival) {
		t.Errorf("trigger instants %+v, want both at arrival %s", f.Timeline, arrival)
	}
	if f.Cause.ServiceVulnerability != "yes" || f.Cause.ReportedByZendesk == nil || !*f.Cause.ReportedByZendesk {
		t.Errorf("cause %+v", f.Cause)
	}
	w := f.Zendesk.Window
	if w == nil || !w.From.Equal(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) || !w.To.Equal(time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("window %+v", w)
	}
	if got := f.Zendesk.Tickets; len(got) != 3 || got[0] != 2 || got[1] != 5 || got[2] != 10 {
		t.Errorf("tickets %v", got)
	}
	// "Passwords and payment information were not affected" must not add them.
	if strings.Join(f.DataCategories, ",") != "contact,other" {
		t.Errorf("data categories %v", f.DataCategories)
	}
	if r.Reference != "ZD-SEC-2026-1130" || r.Account != "example" {
		t.Errorf("reference %q account %q", r.Reference, r.Account)
	}
	if !strings.Contains(r.Title, "ZD-SEC-2026-1130") || !strings.Contains(f.Summary, "example.zendesk.com") {
		t.Errorf("title %q summary %q", r.Title, f.Summary)
	}
}

func TestNotRecognised(t *testing.T) {
	cases := []struct{ file, reason string }{
		{"not-zendesk.eml", "not in a Zendesk domain"},
		{"spoofed-zendesk.eml", `"security@zendesk-alerts.example.net" is not in a Zendesk domain`},
	}
	for _, tc := range cases {
		m, err := intake.Parse(read(t, tc.file), arrival)
		if err != nil {
			t.Fatal(err)
		}
		r := intake.Recognise(m, intake.DefaultRules())
		if r.Zendesk || !strings.Contains(strings.Join(r.Reasons, "; "), tc.reason) {
			t.Errorf("%s: zendesk=%v reasons %v", tc.file, r.Zendesk, r.Reasons)
		}
	}
	// Zendesk's domain but DKIM failed: a spoof.
	raw := strings.Replace(string(read(t, "zendesk-security-notice.eml")), "dkim=pass", "dkim=fail", 1)
	m, _ := intake.Parse([]byte(raw), arrival)
	if r := intake.Recognise(m, intake.DefaultRules()); r.Zendesk {
		t.Error("recognised a notice whose DKIM failed")
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	for _, raw := range [][]byte{read(t, "malformed.eml"), nil, []byte("Subject: no sender\r\n\r\nbody")} {
		_, err := intake.Parse(raw, arrival)
		var pe *intake.ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v", raw, err)
		}
	}
}

// memStore keeps intake messages in memory (the NoticeStore contract runs on the
// real stores in internal/storetest).
type memStore struct {
	incident.NoticeStore
	mu   sync.Mutex
	msgs []incident.IntakeMessage
}

func (s *memStore) SaveIntake(_ context.Context, m incident.IntakeMessage) (incident.IntakeMessage, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.msgs {
		if x.SHA256 == m.SHA256 {
			return x, true, nil
		}
	}
	m.ID = int64(len(s.msgs) + 1)
	s.msgs = append(s.msgs, m)
	return m, false, nil
}

func (s *memStore) UpdateIntake(_ context.Context, id int64, status, reason, incidentID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &s.msgs[id-1]
	m.Status, m.Reason, m.IncidentID = status, reason, incidentID
	return nil
}

func (s *memStore) all() []incident.IntakeMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]incident.IntakeMessage(nil), s.msgs...)
}

type fakeDeclarer struct {
	mu    sync.Mutex
	calls []intake.NoticeIncident
	fail  error
}

func (d *fakeDeclarer) DeclareFromNotice(_ context.Context, n intake.NoticeIncident) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return "", d.fail
	}
	d.calls = append(d.calls, n)
	return "INC-20261201-007", nil
}

func TestProcessorOverSMTP(t *testing.T) {
	store, dec := &memStore{}, &fakeDeclarer{}
	p := &intake.Processor{Store: store, Declarer: dec}
	rcv, err := intake.Listen("127.0.0.1:0", p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()

	host, port := splitAddr(t, rcv.Addr)
	m, err := mail.New(mail.Config{Host: host, Port: port, TLS: mail.TLSNone, From: "forwarder@example.com", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Relay the raw notice through a real SMTP session, as a mail server would.
	if err := sendRaw(rcv.Addr, "security-noreply@zendesk.com", "intake@example.com", read(t, "zendesk-security-notice.eml")); err != nil {
		t.Fatal(err)
	}
	if err := sendRaw(rcv.Addr, "security-noreply@zendesk.com", "intake@example.com", read(t, "zendesk-security-notice.eml")); err != nil {
		t.Fatal(err)
	}
	// And an ordinary message built by the mailer.
	if _, err := m.Send(context.Background(), mail.Email{Key: "x", To: []string{"intake@example.com"}, Subject: "hello", Text: "just saying hi"}); err != nil {
		t.Fatal(err)
	}
	got := store.all()
	if len(got) != 2 {
		t.Fatalf("stored %d messages, want 2 (the redelivered notice is one)", len(got))
	}
	if got[0].Status != incident.IntakeDeclared || got[0].IncidentID != "INC-20261201-007" || got[0].SHA256 != intake.Hash(got[0].Raw) || got[0].Via != "smtp" {
		// SMTP carries lines as CRLF, so the hash is of the bytes as received.
		t.Errorf("notice record: status %s incident %s sha256 %s via %s", got[0].Status, got[0].IncidentID, got[0].SHA256, got[0].Via)
	}
	if len(dec.calls) != 1 {
		t.Fatalf("declared %d times, want 1", len(dec.calls))
	}
	c := dec.calls[0]
	if c.Facts.Timeline.ZendeskNoticeReceivedAt == nil || !c.Facts.Timeline.ZendeskNoticeReceivedAt.Equal(got[0].ReceivedAt) ||
		!strings.Contains(c.Evidence, got[0].SHA256) || !strings.HasPrefix(c.IdempotencyKey, "intake-") {
		t.Errorf("declare %+v", c)
	}
	if got[1].Status != incident.IntakeUnrecognised || !strings.Contains(got[1].Reason, "not in a Zendesk domain") || len(got[1].Raw) == 0 {
		t.Errorf("other record %+v", got[1])
	}
}

func TestProcessorKeepsMalformedAndRetriesFailedDeclare(t *testing.T) {
	store, dec := &memStore{}, &fakeDeclarer{fail: errors.New("temporal unavailable")}
	p := &intake.Processor{Store: store, Declarer: dec}
	out, err := p.Receive(context.Background(), read(t, "malformed.eml"), intake.Envelope{Via: "http"}, arrival)
	if err != nil || out.Status != incident.IntakeMalformed || !strings.Contains(out.Reason, "NUL") {
		t.Fatalf("malformed: %+v, %v", out, err)
	}
	raw := read(t, "zendesk-security-notice.eml")
	if _, err := p.Receive(context.Background(), raw, intake.Envelope{Via: "http"}, arrival); err == nil {
		t.Fatal("a failed declare was acknowledged")
	}
	if s := store.all()[1].Status; s != incident.IntakeDeclareFailed {
		t.Errorf("status %s", s)
	}
	dec.fail = nil
	out, err = p.Receive(context.Background(), raw, intake.Envelope{Via: "http"}, arrival.Add(time.Hour))
	if err != nil || out.IncidentID == "" || !out.Duplicate {
		t.Fatalf("retry: %+v, %v", out, err)
	}
	// The arrival instant is the first delivery's, not the retry's.
	if at := dec.calls[0].Facts.Timeline.AwareAt; !at.Equal(arrival) {
		t.Errorf("aware_at %s, want %s", at, arrival)
	}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

// sendRaw relays raw bytes unchanged over SMTP with go-smtp's client.
func sendRaw(addr, from, to string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, []string{to}, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}
