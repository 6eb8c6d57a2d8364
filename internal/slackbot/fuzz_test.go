package slackbot

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerify: whatever headers and body arrive at /slack/*, Verify never panics,
// accepts a request only when its signature is the secret's over that timestamp
// and body within MaxSkew, always accepts one Slack signed, and never echoes the
// secret or the expected signature in its refusal (issue 14). Run longer with:
// go test ./internal/slackbot -run '^$' -fuzz '^FuzzVerify$' -fuzztime 10m
func FuzzVerify(f *testing.F) {
	const now = 1531420618 // Slack's published example
	f.Add([]byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fincident"), "1531420618", []byte("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"), "8f742231b10e8888abcd99yyyzzz85a5", uint8(0))
	f.Add([]byte("payload=%7B%7D"), "1531420618", make([]byte, 32), "s3cret", uint8(1))
	f.Add([]byte(""), "-9223372036854775808", []byte("v0=zz"), "x", uint8(0))
	f.Add([]byte("a"), "1531420618", []byte{}, "secret", uint8(2))
	// mode 0: the signature header is sigRaw as it is; 1: "v0=" and sigRaw in hex
	// (a well-formed signature of the fuzzer's choosing); 2: Slack's own signature.
	f.Fuzz(func(t *testing.T, body []byte, ts string, sigRaw []byte, secret string, mode uint8) {
		var sig string
		switch mode % 3 {
		case 0:
			sig = string(sigRaw)
		case 1:
			sig = "v0=" + hex.EncodeToString(sigRaw)
		default:
			sig = Sign(secret, ts, body)
		}
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		at := time.Unix(now, 0)
		err := Verify(h, body, secret, at)
		want := Sign(secret, ts, body)
		if err == nil {
			if secret == "" || sig != want {
				t.Fatalf("accepted a request not signed with the secret: sig %q", sig)
			}
			sec, perr := strconv.ParseInt(ts, 10, 64)
			if perr != nil || at.Sub(time.Unix(sec, 0)).Abs() > MaxSkew {
				t.Fatalf("accepted a stale or unparsable timestamp %q", ts)
			}
			return
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Reason == "" {
			t.Fatalf("a refusal without a reason: %v", err)
		}
		if len(secret) >= 4 && strings.Contains(err.Error(), secret) {
			t.Fatalf("the refusal shows the secret: %v", err)
		}
		if strings.Contains(err.Error(), strings.TrimPrefix(want, "v0=")) {
			t.Fatalf("the refusal shows the expected signature: %v", err)
		}
		// A request Slack signed at this instant always passes.
		if secret != "" && strings.TrimSpace(ts) == ts {
			if _, perr := strconv.ParseInt(ts, 10, 64); perr == nil && ts == strconv.FormatInt(now, 10) {
				h.Set(HeaderSignature, want)
				if err := Verify(h, body, secret, at); err != nil {
					t.Fatalf("a correctly signed request was refused: %v", err)
				}
			}
		}
	})
}

// FuzzSlashCommand: whatever form body a verified slash command carries,
// ParseSlashCommand and ParseCommand never panic; what they accept has the
// fields the handlers rely on, as valid UTF-8 within its limits; what they
// refuse says why. Run longer with:
// go test ./internal/slackbot -run '^$' -fuzz '^FuzzSlashCommand$' -fuzztime 10m
func FuzzSlashCommand(f *testing.F) {
	for _, s := range []string{
		"command=%2Fincident&user_id=U1&channel_id=C1&text=declare+credential-compromise+Maya%27s+account",
		"command=%2Fincident&user_id=U1&channel_id=C1&text=approve+INC-20260306-001+suspend-accounts+confirmed",
		"command=%2Fincident&user_id=U1&channel_id=C1&text=note+%00",
		"command=%2Fincident&user_id=U1&channel_id=C1&text=%ff%fe",
		"user_id=U1", "%zz", "command=%2Fincident&user_id=U1&channel_id=C1&trigger_id=" + strings.Repeat("t", 300),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseSlashCommand(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal that says nothing")
			}
			return
		}
		for name, v := range map[string]string{"command": c.Command, "user_id": c.UserID, "channel_id": c.ChannelID} {
			if v == "" || !utf8.ValidString(v) || len(v) > 256 {
				t.Fatalf("accepted %s %q", name, v)
			}
		}
		cmd, err := ParseCommand(c.Text)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Problem == "" {
				t.Fatalf("ParseCommand refused %q without a usage problem: %v", c.Text, err)
			}
			return
		}
		if cmd.Name == "" || !utf8.ValidString(cmd.Text) || strings.ContainsRune(cmd.Text, 0) {
			t.Fatalf("ParseCommand(%q) = %+v", c.Text, cmd)
		}
	})
}
