package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCodecServer: codec-server refuses to start without keys or with a short
// token (bad input), and serves /decode to the token holder only.
func TestCodecServer(t *testing.T) {
	t.Setenv("IRFLOW_CODEC_KEYS", "")
	t.Setenv("IRFLOW_CODEC_TOKEN", "0123456789abcdef0123")
	if code, _, stderr := runCLI(t, "codec-server", "--addr", "127.0.0.1:0"); code != exitInvalid || !strings.Contains(stderr, "IRFLOW_CODEC_KEYS is not set") {
		t.Fatalf("without keys: exit %d %s", code, stderr)
	}
	t.Setenv("IRFLOW_CODEC_KEYS", "k1:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
	t.Setenv("IRFLOW_CODEC_TOKEN", "short")
	if code, _, stderr := runCLI(t, "codec-server", "--addr", "127.0.0.1:0"); code != exitInvalid || !strings.Contains(stderr, "at least 16") {
		t.Fatalf("short token: exit %d %s", code, stderr)
	}
	t.Setenv("IRFLOW_CODEC_TOKEN", "0123456789abcdef0123")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"codec-server", "--addr", "127.0.0.1:0"}, &out, &errOut) }()
	var url string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && url == ""; time.Sleep(20 * time.Millisecond) {
		if rest, ok := strings.CutPrefix(out.String(), "irflow codec server ready: "); ok {
			url, _, _ = strings.Cut(rest, " ")
		}
	}
	if url == "" {
		t.Fatalf("not ready: %s %s", out.String(), errOut.String())
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer 0123456789abcdef0123", http.StatusOK}} {
		req, _ := http.NewRequest(http.MethodPost, url+"/decode", strings.NewReader(`{"payloads":[]}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("auth %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d after Ctrl-C: %s", code, errOut.String())
	}
}
