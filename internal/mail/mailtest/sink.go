// Package mailtest is an in-process SMTP server (github.com/emersion/go-smtp) that keeps
// what it receives: the sink irflow's mail, notice and fan-out tests and benchmarks
// send to over real SMTP. It can require AUTH, offer STARTTLS or speak implicit TLS
// with a self-signed certificate, and refuse chosen recipients with a 5xx reply.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configures a Sink.
type Options struct {
	// Username and Password, when set, make AUTH PLAIN required before MAIL.
	Username, Password string
	// STARTTLS offers STARTTLS with a self-signed certificate for 127.0.0.1.
	STARTTLS bool
	// ImplicitTLS speaks TLS from the first byte (SMTPS).
	ImplicitTLS bool
	// Reject, when set, is asked for every RCPT; a non-empty answer refuses the
	// recipient with 550 and that text.
	Reject func(rcpt string) string
	// Addr to listen on; 127.0.0.1:0 when empty.
	Addr string
}

// Message is one message the sink accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	// TLS says whether the session was encrypted when DATA arrived.
	TLS bool
	// User is the authenticated user, empty without AUTH.
	User string
	At   time.Time
}

// MessageID is the message's Message-ID header without angle brackets.
func (m Message) MessageID() string { return strings.Trim(m.Header("Message-ID"), "<> ") }

// Header returns the first value of a header field of the message.
func (m Message) Header(name string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	return msg.Header.Get(name)
}

// Sink is a running SMTP server that keeps messages in memory.
type Sink struct {
	Addr string
	// RootCAs trusts the sink's self-signed certificate (TLS modes only).
	RootCAs *x509.CertPool

	opts   Options
	srv    *smtp.Server
	ln     net.Listener
	mu     sync.Mutex
	msgs   []Message
	counts map[string]int
	down   bool
}

// Start listens and serves until Close.
func Start(opts Options) (*Sink, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := &Sink{opts: opts, counts: map[string]int{}}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "sink.irflow.test"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxRecipients = 100
	s.srv.AllowInsecureAuth = !opts.STARTTLS && !opts.ImplicitTLS
	var ln net.Listener
	var err error
	if opts.STARTTLS || opts.ImplicitTLS {
		cert, pool, cerr := SelfSigned()
		if cerr != nil {
			return nil, cerr
		}
		s.RootCAs = pool
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if opts.ImplicitTLS {
		ln, err = tls.Listen("tcp", addr, s.srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp sink listen %s: %w", addr, err)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Host and Port split Addr.
func (s *Sink) Host() string { h, _, _ := net.SplitHostPort(s.Addr); return h }

// Port is the port the sink listens on.
func (s *Sink) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	var n int
	_, _ = fmt.Sscanf(p, "%d", &n)
	return n
}

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// SetDown makes the sink answer every MAIL with 421 (service not available) while on,
// the way a server in maintenance does: senders must retry later.
func (s *Sink) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Messages returns a copy of what arrived, in order.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Len is how many messages arrived.
func (s *Sink) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Received returns how many messages arrived for each recipient address.
func (s *Sink) Received() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// Reset forgets what arrived.
func (s *Sink) Reset() {
	s.mu.Lock()
	s.msgs, s.counts = nil, map[string]int{}
	s.mu.Unlock()
}

type backend struct{ s *Sink }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s    *Sink
	conn *smtp.Conn
	user string
	from string
	to   []string
}

var errAuthRequired = smtp.ErrAuthRequired

func (x *session) AuthMechanisms() []string {
	if x.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnsupported
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.opts.Username || password != x.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		x.user = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	down := x.s.down
	x.s.mu.Unlock()
	if down {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "service not available, try later"}
	}
	if x.s.opts.Username != "" && x.user == "" {
		return errAuthRequired
	}
	if _, tlsOn := x.conn.TLSConnectionState(); x.s.opts.STARTTLS && !tlsOn {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "must issue STARTTLS first"}
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.opts.Reject != nil {
		if why := x.s.opts.Reject(to); why != "" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: why}
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(x.to) == 0 {
		return errors.New("no recipients")
	}
	_, tlsOn := x.conn.TLSConnectionState()
	m := Message{From: x.from, To: append([]string(nil), x.to...), Data: data, TLS: tlsOn, User: x.user, At: time.Now()}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	for _, to := range m.To {
		x.s.counts[strings.ToLower(to)]++
	}
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// SelfSigned makes a certificate for 127.0.0.1, ::1 and localhost and a pool that
// trusts it.
func SelfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "irflow test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
