// Package mail sends email over SMTP with github.com/wneessen/go-mail: the notices
// irflow sends to regulators and people (GDPR Art. 33 and 34, US state laws) and the
// reminders and escalations Notifier v2 routes to email. It speaks real SMTP: STARTTLS,
// implicit TLS or none, AUTH, with dial and command timeouts, and records the
// Message-ID of each message it hands over, so a delivery record can point at it.
package mail

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses to send when
	// the server does not offer it (submission, port 587).
	TLSStartTLS TLSMode = "starttls"
	// TLSOpportunistic upgrades with STARTTLS when the server offers it, else sends in
	// the clear.
	TLSOpportunistic TLSMode = "opportunistic"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit TLSMode = "tls"
	// TLSNone never encrypts: a local relay or test sink only.
	TLSNone TLSMode = "none"
)

// DefaultTimeout bounds the dial and each SMTP command. A regulator notice is not
// worth a hung worker: a timeout fails the attempt and the activity retries it.
const DefaultTimeout = 15 * time.Second

// Config says how to reach the SMTP server and who mail comes from.
type Config struct {
	Host     string
	Port     int
	Username string
	// Password is never logged; String masks it.
	Password string
	TLS      TLSMode
	// From is the envelope and header sender, e.g. "irflow <privacy@example.com>".
	From    string
	Timeout time.Duration
	// HELO is the name the client greets with; go-mail's default (the hostname) when empty.
	HELO string
	// TLSConfig overrides the TLS settings (a private CA, a test certificate); the
	// system roots and ServerName Host when nil.
	TLSConfig *tls.Config
}

// Environment variables FromEnv reads.
const (
	EnvURL      = "SMTP_URL"
	EnvHost     = "SMTP_HOST"
	EnvPort     = "SMTP_PORT"
	EnvUser     = "SMTP_USER"
	EnvPassword = "SMTP_PASSWORD"
	EnvTLS      = "SMTP_TLS"
	EnvFrom     = "SMTP_FROM"
	EnvTimeout  = "SMTP_TIMEOUT"
)

// ErrNotConfigured is FromEnv's answer when neither SMTP_URL nor SMTP_HOST is set:
// email is off, which is a valid setup (notices then go by Zendesk ticket or by hand).
var ErrNotConfigured = errors.New("smtp is not configured: set SMTP_URL or SMTP_HOST")

// FromEnv builds a Config from SMTP_URL, or from SMTP_HOST, SMTP_PORT, SMTP_USER,
// SMTP_PASSWORD, SMTP_TLS, SMTP_FROM and SMTP_TIMEOUT when SMTP_URL is unset. Variables
// beside SMTP_URL override what the URL says (SMTP_FROM, SMTP_PASSWORD kept out of a
// URL). getenv is os.Getenv in production.
func FromEnv(getenv func(string) string) (Config, error) {
	var c Config
	if raw := strings.TrimSpace(getenv(EnvURL)); raw != "" {
		var err error
		if c, err = ParseURL(raw); err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvURL, err)
		}
	} else if h := strings.TrimSpace(getenv(EnvHost)); h != "" {
		c = Config{Host: h, TLS: TLSStartTLS}
	} else {
		return Config{}, ErrNotConfigured
	}
	if v := getenv(EnvPort); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a port number", EnvPort, v)
		}
		c.Port = p
	}
	if v := getenv(EnvUser); v != "" {
		c.Username = v
	}
	if v := getenv(EnvPassword); v != "" {
		c.Password = v
	}
	if v := getenv(EnvTLS); v != "" {
		c.TLS = TLSMode(strings.ToLower(v))
	}
	if v := getenv(EnvFrom); v != "" {
		c.From = v
	}
	if v := getenv(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %q is not a duration (e.g. 15s)", EnvTimeout, v)
		}
		c.Timeout = d
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ParseURL reads an SMTP URL:
//
//	smtp://[user[:password]@]host[:port][?tls=starttls|opportunistic|none&from=ADDR&timeout=15s]
//	smtps://[user[:password]@]host[:port][?from=ADDR&timeout=15s]
//
// smtp:// defaults to mandatory STARTTLS on port 587 (25 with tls=none); smtps:// is
// implicit TLS on port 465.
func ParseURL(raw string) (Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("parse smtp url: %w", err)
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.TLS = TLSStartTLS
	case "smtps":
		c.TLS = TLSImplicit
	default:
		return Config{}, fmt.Errorf("smtp url: scheme %q is not smtp or smtps", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return Config{}, fmt.Errorf("smtp url: port %q is not a number", p)
		}
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "tls", "from", "timeout", "helo":
		default:
			return Config{}, fmt.Errorf("smtp url: unknown parameter %q (want tls, from, timeout or helo)", k)
		}
	}
	if v := q.Get("tls"); v != "" {
		if c.TLS == TLSImplicit {
			return Config{}, errors.New("smtp url: smtps:// is always implicit TLS; drop the tls parameter")
		}
		c.TLS = TLSMode(strings.ToLower(v))
	}
	c.From = q.Get("from")
	c.HELO = q.Get("helo")
	if v := q.Get("timeout"); v != "" {
		if c.Timeout, err = time.ParseDuration(v); err != nil {
			return Config{}, fmt.Errorf("smtp url: timeout %q is not a duration (e.g. 15s)", v)
		}
	}
	c = c.withDefaults()
	return c, c.Validate()
}

func (c Config) withDefaults() Config {
	if c.Port == 0 {
		switch c.TLS {
		case TLSImplicit:
			c.Port = 465
		case TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate names the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Host == "":
		return errors.New("smtp config: host is empty")
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("smtp config: port %d is out of range", c.Port)
	case c.Timeout < 0:
		return fmt.Errorf("smtp config: timeout %s is negative", c.Timeout)
	case c.Password != "" && c.Username == "":
		return errors.New("smtp config: a password without a user")
	}
	switch c.TLS {
	case TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("smtp config: tls %q is not starttls, opportunistic, tls or none", c.TLS)
	}
	if c.From != "" {
		if _, err := mail.ParseAddress(c.From); err != nil {
			return fmt.Errorf("smtp config: from %q is not an address: %w", c.From, err)
		}
	}
	return nil
}

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String describes the config for logs, without the password.
func (c Config) String() string {
	user := ""
	if c.Username != "" {
		user = c.Username + ":***@"
	}
	return fmt.Sprintf("smtp://%s%s (tls=%s)", user, c.Addr(), c.TLS)
}
