package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"irflow/internal/zendesk"
)

// startZdsim runs `irflow zdsim` with extra flags and returns its ready JSON, a
// client on it, and a stop function that checks a clean exit.
func startZdsim(t *testing.T, flags ...string) (zdsimReady, *zendesk.Client, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	args := append([]string{"zdsim", "--addr", "127.0.0.1:0", "--json", "--rate-limit", "0"}, flags...)
	go func() { done <- run(ctx, args, &out, &errOut) }()
	var ready zdsimReady
	deadline := time.Now().Add(5 * time.Second)
	for json.Unmarshal([]byte(out.String()), &ready) != nil || ready.URL == "" {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no ready JSON; stdout %q stderr %q", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := zendesk.New(zendesk.Config{BaseURL: ready.URL, Email: ready.Email, APIToken: ready.APIToken, MaxRetries: -1})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return ready, c, func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exit %d, stderr %q", code, errOut.String())
			}
		case <-time.After(5 * time.Second):
			t.Error("zdsim did not stop")
		}
	}
}

func statusOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return http.StatusOK
	}
	var ze *zendesk.Error
	if !errors.As(err, &ze) {
		t.Fatalf("error %v is not a *zendesk.Error", err)
	}
	return ze.StatusCode
}

func TestZdsimPlanFlags(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		flags                   []string
		auditStatus, accessStat int
	}{
		{nil, http.StatusOK, http.StatusForbidden}, // Enterprise without the ADPP add-on
		{[]string{"--access-logs-addon"}, http.StatusOK, http.StatusOK},
		{[]string{"--no-audit-logs"}, http.StatusForbidden, http.StatusForbidden},
		{[]string{"--no-audit-logs", "--access-logs-addon"}, http.StatusForbidden, http.StatusOK},
	} {
		ready, c, stop := startZdsim(t, tc.flags...)
		if ready.AuditLogs != (tc.auditStatus == http.StatusOK) || ready.AccessLogsAddon != (tc.accessStat == http.StatusOK) {
			t.Errorf("%v: ready JSON plan audit_logs=%t access_logs_addon=%t", tc.flags, ready.AuditLogs, ready.AccessLogsAddon)
		}
		_, err := c.ListAuditLogs(zendesk.AuditLogFilter{}, zendesk.ListOptions{}).Next(ctx)
		if got := statusOf(t, err); got != tc.auditStatus {
			t.Errorf("%v: audit logs %d, want %d", tc.flags, got, tc.auditStatus)
		}
		logs, err := zendesk.All(ctx, c.ListAccessLogs(zendesk.AccessLogFilter{
			UserID: strconv.FormatInt(ready.Facts.CompromisedUserID, 10), Start: ready.Facts.TakeoverAt}, zendesk.ListOptions{}))
		if got := statusOf(t, err); got != tc.accessStat {
			t.Errorf("%v: access logs %d, want %d", tc.flags, got, tc.accessStat)
		}
		if err == nil && len(logs) != ready.Facts.AttackerAccessLogs {
			t.Errorf("%v: %d access logs since the takeover, want the attacker's %d", tc.flags, len(logs), ready.Facts.AttackerAccessLogs)
		}
		stop()
	}
}
