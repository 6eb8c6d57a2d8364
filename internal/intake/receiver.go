package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// Envelope is the SMTP envelope of a received message.
type Envelope struct {
	MailFrom   string   `json:"mail_from,omitempty"`
	RcptTo     []string `json:"rcpt_to,omitempty"`
	RemoteAddr string   `json:"remote_addr,omitempty"`
	// Via is how the message came in: "smtp" or "http".
	Via string `json:"via"`
}

// Handler takes one received message. An error makes the SMTP receiver answer 451
// (try again later), so the sending server keeps the message and retries: a message
// the intake could not store is never acknowledged.
type Handler interface {
	Receive(ctx context.Context, raw []byte, env Envelope, receivedAt time.Time) (Outcome, error)
}

// Receiver is the intake's SMTP listener (--intake-smtp ADDR), built on
// github.com/emersion/go-smtp. It accepts mail for any recipient, reads it whole
// and hands it to the Handler before answering 250.
type Receiver struct {
	Addr string

	srv    *smtp.Server
	ln     net.Listener
	logger *slog.Logger
}

// Listen starts a Receiver on addr ("127.0.0.1:2525"; port 0 picks one).
func Listen(addr string, h Handler, logger *slog.Logger) (*Receiver, error) {
	if logger == nil {
		logger = slog.Default()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("intake smtp listen %s: %w", addr, err)
	}
	r := &Receiver{Addr: ln.Addr().String(), ln: ln, logger: logger}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		// Anyone who can reach it can start an incident with a forged notice; the
		// sender-domain and DKIM checks are the only gate.
		logger.Warn("The intake's SMTP receiver listens beyond loopback: put it behind the mail server that receives Zendesk's mail, which checks senders", "address", r.Addr)
	}
	r.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &intakeSession{h: h, remote: c.Conn().RemoteAddr().String(), logger: logger}, nil
	}))
	r.srv.Domain = "irflow-intake"
	r.srv.MaxMessageBytes = MaxMessageBytes
	r.srv.MaxRecipients = 50
	r.srv.ReadTimeout = time.Minute
	r.srv.WriteTimeout = time.Minute
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			logger.Error("Intake SMTP server stopped", "error", err)
		}
	}()
	return r, nil
}

// Close stops the listener.
func (r *Receiver) Close() error { return r.srv.Close() }

type intakeSession struct {
	h      Handler
	remote string
	logger *slog.Logger
	from   string
	to     []string
}

func (s *intakeSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *intakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *intakeSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	at := time.Now().UTC()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := s.h.Receive(ctx, raw, Envelope{MailFrom: s.from, RcptTo: s.to, RemoteAddr: s.remote, Via: "smtp"}, at)
	if err != nil {
		s.logger.Error("Intake could not keep a message; the sender will retry", "from", s.from, "error", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "intake could not store the message, try again later"}
	}
	s.logger.Info("Intake received a message", "intake_id", out.ID, "zendesk_notice", out.Recognition.Zendesk, "incident_id", out.IncidentID, "sha256", out.SHA256)
	return nil
}

func (s *intakeSession) Reset()        { s.from, s.to = "", nil }
func (s *intakeSession) Logout() error { return nil }
