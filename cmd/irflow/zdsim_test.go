package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"irflow/internal/zendesk"
)

// syncBuffer lets the test read output while the command is still running.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestZdsimCommandServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"zdsim", "--addr", "127.0.0.1:0", "--json", "--rate-limit", "0"}, &out, &errOut)
	}()

	var ready zdsimReady
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := json.Unmarshal([]byte(out.String()), &ready); err == nil && ready.URL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ready JSON; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := zendesk.New(zendesk.Config{BaseURL: ready.URL, Email: ready.Email, APIToken: ready.APIToken})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := c.GetUser(ctx, ready.Facts.CompromisedUserID)
	if err != nil || u.Email != ready.Facts.CompromisedEmail {
		t.Fatalf("printed credentials do not work: %+v %v", u, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("zdsim did not stop on context cancellation")
	}
}

func TestZdsimCommandBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"zdsim", "--seed", "prod"}, `--seed "prod"`},
		{[]string{"zdsim", "--fault-5xx", "1.5"}, "--fault-5xx 1.5"},
		{[]string{"zdsim", "--addr", "256.0.0.1:99999"}, "256.0.0.1:99999"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q (want it to name %q)", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// TestZdsimClock: a standalone simulator lives on the real clock unless --now says
// otherwise, so irflow's evidence window (from its own clock) finds its records.
func TestZdsimClock(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want func() time.Time
	}{
		{"default: the real clock", nil, time.Now},
		{"--now for reproducible runs", []string{"--now", "2026-03-02T09:00:00Z"},
			func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut syncBuffer
			done := make(chan int, 1)
			args := append([]string{"zdsim", "--addr", "127.0.0.1:0", "--json"}, tc.args...)
			go func() { done <- run(ctx, args, &out, &errOut) }()
			var ready zdsimReady
			deadline := time.Now().Add(5 * time.Second)
			for json.Unmarshal([]byte(out.String()), &ready) != nil || ready.URL == "" {
				if time.Now().After(deadline) {
					t.Fatalf("no ready JSON; stdout %q stderr %q", out.String(), errOut.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if d := ready.Facts.Now.Sub(tc.want()); d < -time.Minute || d > time.Minute {
				t.Errorf("simulated present %s, want %s", ready.Facts.Now, tc.want())
			}
			cancel()
			<-done
		})
	}
}
