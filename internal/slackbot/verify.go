// Package slackbot is irflow's Slack app: the /incident slash command, the buttons
// and modals of the incident channel's status card, the Notifier v2 transport that
// posts to Slack, and the incident channel itself. Requests arrive over HTTP
// (/slack/commands, /slack/interactions, /slack/events, signed by Slack) or over
// Socket Mode; both hand the same payloads to the same handlers, which answer
// within Slack's 3 s and let the work continue on a queue. Every action goes
// through the service with the Slack user's verified irflow identity.
package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers Slack signs requests with.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
)

// MaxSkew is how far a request's timestamp may be from our clock: Slack's
// documented five minutes, which bounds how long a captured request can be replayed.
const MaxSkew = 5 * time.Minute

// VerifyError says why a request's signature was refused. Reason is one of
// missing_headers, bad_timestamp, stale_timestamp, bad_signature, no_secret.
type VerifyError struct {
	Reason string
	Detail string
}

// Error names the reason and the detail; it never contains the secret or the
// expected signature.
func (e *VerifyError) Error() string {
	return "slack signature refused (" + e.Reason + "): " + e.Detail
}

// Sign returns the X-Slack-Signature value for body sent at timestamp ts (Unix
// seconds): "v0=" and the hex HMAC-SHA256, keyed by the signing secret, of
// "v0:<ts>:<body>". Tests sign synthetic requests with it.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks that body with headers h was signed by Slack with secret and sent
// within MaxSkew of now. It runs before any parsing of the body, so a forged
// request never reaches a parser. The comparison is constant-time (hmac.Equal).
func Verify(h http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return &VerifyError{"no_secret", "SLACK_SIGNING_SECRET is not set"}
	}
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return &VerifyError{"missing_headers", "both " + HeaderSignature + " and " + HeaderTimestamp + " are required"}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return &VerifyError{"bad_timestamp", fmt.Sprintf("%s %q is not Unix seconds", HeaderTimestamp, truncate(ts, 32))}
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > MaxSkew || skew < -MaxSkew {
		return &VerifyError{"stale_timestamp", fmt.Sprintf("request timestamp is %s away from now; at most %s allowed", skew.Round(time.Second).Abs(), MaxSkew)}
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return &VerifyError{"bad_signature", "signature version is not v0"}
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return &VerifyError{"bad_signature", "signature is not a hex SHA-256"}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return &VerifyError{"bad_signature", "signature does not match the body"}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
