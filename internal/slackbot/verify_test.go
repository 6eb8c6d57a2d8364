package slackbot

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Slack's published example (docs.slack.dev/authentication/verifying-requests-from-slack).
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = "1531420618"
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSignMatchesSlackExample(t *testing.T) {
	if got := Sign(docSecret, docTS, []byte(docBody)); got != docSig {
		t.Fatalf("Sign = %s, want Slack's %s", got, docSig)
	}
}

func TestVerify(t *testing.T) {
	sec, _ := strconv.ParseInt(docTS, 10, 64)
	at := time.Unix(sec, 0)
	hdr := func(sig, ts string) http.Header {
		h := http.Header{}
		if sig != "" {
			h.Set(HeaderSignature, sig)
		}
		if ts != "" {
			h.Set(HeaderTimestamp, ts)
		}
		return h
	}
	flipped := []byte(docSig)
	flipped[len(flipped)-1] = '4'
	cases := []struct {
		name   string
		secret string
		h      http.Header
		body   string
		now    time.Time
		want   string // VerifyError reason; "" for success
	}{
		{"slack's example verifies", docSecret, hdr(docSig, docTS), docBody, at.Add(time.Minute), ""},
		{"4m59s late still verifies", docSecret, hdr(docSig, docTS), docBody, at.Add(5*time.Minute - time.Second), ""},
		{"stale: 5m1s after", docSecret, hdr(docSig, docTS), docBody, at.Add(5*time.Minute + time.Second), "stale_timestamp"},
		{"from the future: 6m before", docSecret, hdr(docSig, docTS), docBody, at.Add(-6 * time.Minute), "stale_timestamp"},
		{"body changed", docSecret, hdr(docSig, docTS), docBody + "&x=1", at, "bad_signature"},
		{"one hex digit changed", docSecret, hdr(string(flipped), docTS), docBody, at, "bad_signature"},
		{"wrong secret", "another-secret", hdr(docSig, docTS), docBody, at, "bad_signature"},
		{"timestamp changed (replay with a fresh one)", docSecret, hdr(docSig, "1531420619"), docBody, at, "bad_signature"},
		{"v1 scheme", docSecret, hdr("v1="+docSig[3:], docTS), docBody, at, "bad_signature"},
		{"not hex", docSecret, hdr("v0=zz", docTS), docBody, at, "bad_signature"},
		{"no signature", docSecret, hdr("", docTS), docBody, at, "missing_headers"},
		{"no timestamp", docSecret, hdr(docSig, ""), docBody, at, "missing_headers"},
		{"timestamp not a number", docSecret, hdr(docSig, "yesterday"), docBody, at, "bad_timestamp"},
		{"no secret configured", "", hdr(docSig, docTS), docBody, at, "no_secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.h, []byte(tc.body), tc.secret, tc.now)
			var ve *VerifyError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Verify = %v, want success", err)
			case tc.want != "" && (!errors.As(err, &ve) || ve.Reason != tc.want):
				t.Fatalf("Verify = %v, want reason %s", err, tc.want)
			}
		})
	}
}
