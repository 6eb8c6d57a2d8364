// Package intake receives email (raw RFC 5322, over SMTP or HTTP) and recognises
// Zendesk's notices of a breach of the Service (SRM-VI.Z.4). Such a notice starts the
// subscriber's own notification clocks (SRM-VI.S.2), so the instant it arrives is
// recorded as timeline.zendesk_notice_received_at and aware_at, and a
// zendesk-service-breach incident is declared at once, without waiting for a person
// to read the mail. Every message, recognised or not, is kept with its SHA-256 and
// reported: intake never drops mail.
//
// Parse and Recognise are pure; Receiver is the SMTP listener; Processor ties them to
// a store and to the service that declares incidents.
package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"encoding/base64"
)

// MaxMessageBytes bounds one message. A security notice is a few kilobytes; the
// limit keeps a flood of large mail from exhausting the intake.
const MaxMessageBytes = 10 << 20

// Message is a parsed email.
type Message struct {
	// SHA256 is the hash of Raw, the chain-of-custody anchor for the original.
	SHA256     string    `json:"sha256"`
	ReceivedAt time.Time `json:"received_at"`
	From       string    `json:"from"`
	// FromAddress is the address part of From, lower-cased.
	FromAddress string     `json:"from_address"`
	To          []string   `json:"to,omitempty"`
	Subject     string     `json:"subject"`
	MessageID   string     `json:"message_id,omitempty"`
	Date        *time.Time `json:"date,omitempty"`
	// Text is the plain-text body (the text/plain part of a multipart message, or
	// an HTML body with its tags removed).
	Text string `json:"text"`
	// Headers keeps the header fields intake reads besides the above.
	AuthenticationResults string `json:"authentication_results,omitempty"`
}

// Hash returns the SHA-256 of raw, hex.
func Hash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// ParseError says why a message is not a readable RFC 5322 message. The raw bytes
// are still kept and reported by the caller.
type ParseError struct{ Reason string }

func (e *ParseError) Error() string { return "malformed message: " + e.Reason }

// Parse reads a raw RFC 5322 message received at receivedAt.
func Parse(raw []byte, receivedAt time.Time) (Message, error) {
	m := Message{SHA256: Hash(raw), ReceivedAt: receivedAt.UTC()}
	if len(raw) == 0 {
		return m, &ParseError{Reason: "empty message"}
	}
	if len(raw) > MaxMessageBytes {
		return m, &ParseError{Reason: fmt.Sprintf("%d bytes, over the %d-byte limit", len(raw), MaxMessageBytes)}
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return m, &ParseError{Reason: "contains NUL bytes"}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m, &ParseError{Reason: "headers: " + err.Error()}
	}
	h := msg.Header
	if h.Get("From") == "" {
		return m, &ParseError{Reason: "no From header"}
	}
	dec := new(mime.WordDecoder)
	decode := func(s string) string {
		if d, err := dec.DecodeHeader(s); err == nil {
			return d
		}
		return s
	}
	m.From = decode(h.Get("From"))
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.FromAddress = strings.ToLower(a.Address)
	} else {
		return m, &ParseError{Reason: fmt.Sprintf("From %q is not an address", h.Get("From"))}
	}
	if to, err := h.AddressList("To"); err == nil {
		for _, a := range to {
			m.To = append(m.To, a.Address)
		}
	}
	m.Subject = decode(h.Get("Subject"))
	m.MessageID = strings.Trim(h.Get("Message-ID"), "<> ")
	if d, err := h.Date(); err == nil {
		d = d.UTC()
		m.Date = &d
	}
	m.AuthenticationResults = h.Get("Authentication-Results")
	text, err := bodyText(h.Get("Content-Type"), h.Get("Content-Transfer-Encoding"), msg.Body, 0)
	if err != nil {
		return m, &ParseError{Reason: "body: " + err.Error()}
	}
	m.Text = text
	// Headers and bodies may carry any bytes (a raw 8-bit Subject, a wrong charset);
	// what intake keeps as text, and may put in an incident's title and facts, is
	// valid UTF-8. The original bytes stay in the kept message.
	for _, s := range []*string{&m.From, &m.Subject, &m.MessageID, &m.AuthenticationResults, &m.Text} {
		*s = validUTF8(*s)
	}
	for i := range m.To {
		m.To[i] = validUTF8(m.To[i])
	}
	return m, nil
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// bodyText returns the best plain-text rendering of a body: text/plain first, then
// text/html without tags, descending into multipart parts.
func bodyText(contentType, encoding string, body io.Reader, depth int) (string, error) {
	if depth > 5 {
		return "", fmt.Errorf("multipart nested more than 5 deep")
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" || err != nil {
		mediaType = "text/plain"
	}
	r := decodeTransfer(encoding, body)
	if strings.HasPrefix(mediaType, "multipart/") {
		boundary := params["boundary"]
		if boundary == "" {
			return "", fmt.Errorf("%s without a boundary", mediaType)
		}
		mr := multipart.NewReader(r, boundary)
		var plain, html string
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", fmt.Errorf("multipart: %w", err)
			}
			t, err := bodyText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if err != nil {
				return "", err
			}
			pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			switch {
			case pt == "text/html" && html == "":
				html = t
			case plain == "" && t != "":
				plain = t
			}
		}
		if plain != "" {
			return plain, nil
		}
		return html, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxMessageBytes))
	if err != nil {
		return "", err
	}
	if mediaType == "text/html" {
		return stripTags(string(b)), nil
	}
	if !strings.HasPrefix(mediaType, "text/") {
		return "", nil // an attachment: not text to read
	}
	return string(b), nil
}

func decodeTransfer(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, newlineStripper{r})
	}
	return r
}

// newlineStripper drops CR and LF so base64 lines decode as one stream.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}

var tagRe = regexp.MustCompile(`(?s)<[^>]*>`)

func stripTags(s string) string {
	s = tagRe.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(s), " ")
}
