package mail

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// Email is one message to send.
type Email struct {
	// Key is the idempotency key of the message (one per notice and recipient, made
	// once by the workflow). The Message-ID is derived from it, so a message sent
	// twice after a crash carries the same Message-ID and the receiving side, and
	// the delivery record, can tell it is one message.
	Key string
	// From overrides Config.From.
	From    string
	To      []string
	Subject string
	// Text is the plain-text body; HTML, when set, is added as an alternative.
	Text string
	HTML string
	// Headers are extra header fields (X-Irflow-Incident, ...), in order.
	Headers []Header
	// Date stamps the Date header; time.Now when zero.
	Date time.Time
}

// Header is one extra header field.
type Header struct{ Name, Value string }

// Delivery is what the server answered for one accepted message.
type Delivery struct {
	// MessageID is the Message-ID header, without angle brackets.
	MessageID string `json:"message_id"`
	// Response is the server's answer to the end of DATA ("250 2.0.0 Ok: queued as
	// 4F…"), which names the message in the server's own logs.
	Response string    `json:"response,omitempty"`
	At       time.Time `json:"at"`
}

// Error is a failed send. Final is true when the server refused it for good (a
// 5xx reply: unknown mailbox, policy) or the message cannot be built (an invalid
// address); retrying cannot fix those. Everything else (refused connection, TLS or
// AUTH failure on the way in, 4xx, timeout) is worth retrying with back-off.
type Error struct {
	Op    string
	Final bool
	// Code is the SMTP reply code when the server gave one.
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s: smtp %d: %v", e.Op, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether retrying cannot fix the failure; notify.IsPermanent
// reads it.
func (e *Error) Permanent() bool { return e.Final }

func classified(e *Error) error { return e }

// IsPermanent reports whether err is a mail *Error that retrying cannot fix.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Final
}

// Mailer sends email through one SMTP server. It is safe for concurrent use: each
// Send and SendBatch opens its own connection.
type Mailer struct {
	cfg    Config
	client *gomail.Client
	now    func() time.Time
}

// New checks cfg and returns a Mailer. It does not connect.
func New(cfg Config) (*Mailer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
	}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.TLSConfig != nil {
		tc := cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	} else if cfg.TLS != TLSNone {
		opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if cfg.Username != "" {
		// Over TLS, the strongest mechanism the server offers. In the clear only
		// PLAIN, which go-mail (like net/smtp) sends to a loopback server only: a
		// password never crosses a network unencrypted.
		auth := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("new smtp client for %s: %w", cfg.Addr(), err)
	}
	return &Mailer{cfg: cfg, client: c, now: time.Now}, nil
}

// Config returns the mailer's settings.
func (m *Mailer) Config() Config { return m.cfg }

// Send delivers one message on a connection of its own.
func (m *Mailer) Send(ctx context.Context, e Email) (Delivery, error) {
	res, err := m.SendBatch(ctx, []Email{e})
	if err != nil {
		return Delivery{}, err
	}
	return res[0].Delivery, res[0].Err
}

// Result is the outcome of one message of a batch: a Delivery, or Err (an *Error
// that says whether it is permanent).
type Result struct {
	Delivery Delivery
	Err      error
}

// SendBatch delivers messages over one connection, in order, and returns one Result
// per message. The error is for the batch as a whole (the server cannot be reached,
// TLS or AUTH failed): then nothing was sent and every message can be retried. A
// message the server refuses, or one that cannot be built, fails alone.
func (m *Mailer) SendBatch(ctx context.Context, emails []Email) ([]Result, error) {
	results := make([]Result, len(emails))
	msgs := make([]*gomail.Msg, 0, len(emails))
	index := make([]int, 0, len(emails))
	for i, e := range emails {
		msg, id, err := m.build(e)
		if err != nil {
			results[i].Err = classified(&Error{Op: "build message " + e.Key, Final: true, Err: err})
			continue
		}
		results[i].Delivery.MessageID = id
		msgs = append(msgs, msg)
		index = append(index, i)
	}
	if len(msgs) == 0 {
		return results, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, classified(&Error{Op: "connect to " + m.cfg.Addr(), Err: err, Final: authRefused(err)})
	}
	defer func() { _ = m.client.CloseWithSMTPClient(conn) }()
	// Per-message errors are attached to each Msg; the joined error adds nothing.
	_ = m.client.SendWithSMTPClient(conn, msgs...)
	now := m.now().UTC()
	for j, msg := range msgs {
		i := index[j]
		if msg.IsDelivered() {
			results[i].Delivery.Response = msg.ServerResponse()
			results[i].Delivery.At = now
			continue
		}
		results[i].Delivery = Delivery{}
		results[i].Err = sendError(emails[i], msg.SendError())
	}
	return results, nil
}

func sendError(e Email, err error) error {
	if err == nil {
		err = errors.New("not delivered")
	}
	out := &Error{Op: "send " + strings.Join(e.To, ","), Err: err}
	var se *gomail.SendError
	if errors.As(err, &se) {
		out.Code = se.ErrorCode()
		// Only an explicit 5xx reply is final; a broken connection (no code) is not.
		out.Final = out.Code >= 500 && out.Code < 600
	}
	return classified(out)
}

// authRefused reports a 535 (authentication credentials invalid): retrying with the
// same password cannot help, so the notice is shown as failed, not retried forever.
func authRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "535")
}

func (m *Mailer) build(e Email) (*gomail.Msg, string, error) {
	if len(e.To) == 0 {
		return nil, "", errors.New("no recipient")
	}
	from := e.From
	if from == "" {
		from = m.cfg.From
	}
	if from == "" {
		return nil, "", errors.New("no sender: set SMTP_FROM or the from parameter of SMTP_URL")
	}
	if e.Text == "" && e.HTML == "" {
		return nil, "", errors.New("empty body")
	}
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, "", fmt.Errorf("from %q: %w", from, err)
	}
	for _, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, "", fmt.Errorf("recipient %q is not an email address: %w", to, err)
		}
	}
	if err := msg.To(e.To...); err != nil {
		return nil, "", fmt.Errorf("recipients %q: %w", e.To, err)
	}
	msg.Subject(e.Subject)
	id := MessageID(e.Key, from)
	if e.Key == "" {
		msg.SetMessageID()
		id = strings.Trim(msg.GetMessageID(), "<>")
	} else {
		msg.SetMessageIDWithValue(id)
	}
	date := e.Date
	if date.IsZero() {
		date = m.now()
	}
	msg.SetDateWithValue(date)
	msg.SetUserAgent("irflow")
	for _, h := range e.Headers {
		msg.SetGenHeader(gomail.Header(h.Name), h.Value)
	}
	if e.Text != "" {
		msg.SetBodyString(gomail.TypeTextPlain, e.Text)
		if e.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
		}
	} else {
		msg.SetBodyString(gomail.TypeTextHTML, e.HTML)
	}
	return msg, id, nil
}

// MessageID derives a Message-ID (without angle brackets) from an idempotency key
// and the sender's domain: the same key always gives the same id, so a retried
// notice is recognisable as the same message.
func MessageID(key, from string) string {
	sum := sha256.Sum256([]byte(key))
	domain := "irflow.invalid"
	if a, err := mail.ParseAddress(from); err == nil {
		if at := strings.LastIndexByte(a.Address, '@'); at >= 0 && at < len(a.Address)-1 {
			domain = a.Address[at+1:]
		}
	}
	return hex.EncodeToString(sum[:16]) + "@" + domain
}

// Session is one open SMTP connection for sending many messages in turn, as a
// notice's fan-out does: one dial, TLS handshake and AUTH for a whole batch. It is
// not safe for concurrent use.
type Session struct {
	m    *Mailer
	conn *gosmtp.Client
}

// Open dials the server, upgrades and authenticates as configured.
func (m *Mailer) Open(ctx context.Context) (*Session, error) {
	conn, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, &Error{Op: "connect to " + m.cfg.Addr(), Err: err, Final: authRefused(err)}
	}
	return &Session{m: m, conn: conn}, nil
}

// Send delivers one message on the session. A *Error with Final false and Code 0
// means the connection itself failed: the session is no longer usable.
func (s *Session) Send(e Email) (Delivery, error) {
	msg, id, err := s.m.build(e)
	if err != nil {
		return Delivery{}, &Error{Op: "build message " + e.Key, Final: true, Err: err}
	}
	err = s.m.client.SendWithSMTPClient(s.conn, msg)
	if !msg.IsDelivered() {
		if se := msg.SendError(); se != nil {
			err = se
		}
		return Delivery{}, sendError(e, err)
	}
	return Delivery{MessageID: id, Response: msg.ServerResponse(), At: s.m.now().UTC()}, nil
}

// Close quits the session.
func (s *Session) Close() error { return s.m.client.CloseWithSMTPClient(s.conn) }
