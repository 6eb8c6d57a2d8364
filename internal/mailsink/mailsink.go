// Package mailsink is irflow dev's built-in mail server, as zdsim is its built-in
// Zendesk: a real SMTP server (github.com/emersion/go-smtp) on loopback that accepts
// every message for every recipient and writes it, whole, to a folder as one .eml
// file. Notices sent in dev then go out through the same mailer and the same SMTP
// conversation as in production, and what arrived can be read with ls and grep,
// with no mail server to install. It delivers nothing onwards.
package mailsink

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// MaxMessageBytes bounds one message: a notice is a few kilobytes, and a sink
// that takes anything would let a runaway sender fill the disk.
const MaxMessageBytes = 10 << 20

// Sink is a running mail sink.
type Sink struct {
	// Addr is the address it listens on (host:port).
	Addr string
	// Dir is the folder each message is written to.
	Dir string

	srv    *smtp.Server
	logger *slog.Logger
	now    func() time.Time

	mu sync.Mutex
	n  int // messages written by this process, for file names
}

// ErrNotLoopback reports an address beyond loopback: the sink accepts mail from
// anyone who reaches it and writes it into the data folder.
var ErrNotLoopback = errors.New("the mail sink listens on loopback only")

// Start listens on addr (a loopback address; port 0 picks a free one) and writes
// every message it accepts to dir, which it creates (mode 0700: notices name
// people).
func Start(addr, dir string, logger *slog.Logger) (*Sink, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("mail sink address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: %s (use 127.0.0.1:PORT)", ErrNotLoopback, addr)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create mail sink folder %s: %w", dir, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail sink listen %s: %w", addr, err)
	}
	s := &Sink{Addr: ln.Addr().String(), Dir: dir, logger: logger, now: time.Now}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, remote: c.Conn().RemoteAddr().String(), helo: c.Hostname()}, nil
	}))
	s.srv.Domain = "irflow-mailsink"
	s.srv.MaxMessageBytes = MaxMessageBytes
	// A notice's fan-out sends one message per recipient, but other senders (a test,
	// a script) may put many on one message.
	s.srv.MaxRecipients = 1000
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			logger.Error("Mail sink stopped", "error", err)
		}
	}()
	return s, nil
}

// URL is the SMTP URL irflow's mailer reaches the sink with: plain SMTP, since it
// never leaves the machine.
func (s *Sink) URL() string { return "smtp://" + s.Addr + "?tls=none" }

// Close stops the server; messages already written stay.
func (s *Sink) Close() error { return s.srv.Close() }

// write stores one message as <Dir>/<UTC time>-<n>.eml with the envelope in front,
// as a receiving server records it (Return-Path, Received), and returns the file's
// name. The file is written beside its final name and renamed, so a reader never
// sees half a message.
func (s *Sink) write(from string, to []string, remote, helo string, data []byte) (string, error) {
	now := s.now().UTC()
	var head strings.Builder
	fmt.Fprintf(&head, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(&head, "Received: from %s (%s)\r\n\tby irflow-mailsink with SMTP\r\n\tfor <%s>; %s\r\n",
		helo, remote, strings.Join(to, ">, <"), now.Format(time.RFC1123Z))
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		s.n++
		name := fmt.Sprintf("%s-%06d.eml", now.Format("20060102T150405.000Z"), s.n)
		path := filepath.Join(s.Dir, name)
		// A sink restarted within the same millisecond numbers from 1 again: never
		// overwrite a message another run kept.
		if _, err := os.Lstat(path); err == nil {
			continue
		}
		tmp := filepath.Join(s.Dir, "."+name+".tmp")
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return "", err
		}
		_, err = io.WriteString(f, head.String())
		if err == nil {
			_, err = f.Write(data)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			_ = os.Remove(tmp)
			return "", err
		}
		return name, nil
	}
}

type session struct {
	s            *Sink
	remote, helo string
	from         string
	to           []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	name, err := x.s.write(x.from, x.to, x.remote, x.helo, data)
	if err != nil {
		x.s.logger.Error("Mail sink could not keep a message; the sender will retry", "from", x.from, "error", err)
		// 451: the sender keeps the message and tries again later.
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mail sink could not write the message, try again later"}
	}
	// go-smtp answers the end of DATA with the code of the error Data returns, so a
	// 250 "error" is an acceptance whose text names the file: the mailer records
	// the server's answer in the delivery record, which then points at the file.
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK: kept as " + name}
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
