package zendesk

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Every body shape from reference C5, parsed into Code/Message/Details.
func TestParseErrorShapes(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name              string
		status            int
		header            http.Header
		body              string
		code, message     string
		detailKey, detail string
		retryAfter        time.Duration
		retryable         bool
	}{
		{name: "401 string error", status: 401, body: `{"error":"Couldn't authenticate you"}`,
			code: CodeUnauthorized, message: "Couldn't authenticate you"},
		{name: "404 RecordNotFound", status: 404, body: `{"error":"RecordNotFound","description":"Not found"}`,
			code: CodeRecordNotFound, message: "Not found"},
		{name: "404 InvalidEndpoint", status: 404, body: `{"error":"InvalidEndpoint","description":"Not found"}`,
			code: CodeInvalidEndpoint, message: "Not found"},
		{name: "403 object error", status: 403, body: `{"error":{"title":"Forbidden","message":"You do not have access to this page."}}`,
			code: "Forbidden", message: "You do not have access to this page."},
		{name: "422 details base", status: 422,
			body: `{"error":"RecordInvalid","description":"Record validation errors","details":{"base":[{"description":"Assignee: is required when solving a ticket","ticket_field_id":1,"ticket_field_type":"FieldAssignee"}]}}`,
			code: CodeRecordInvalid, message: "Record validation errors", detailKey: "base", detail: "Assignee: is required when solving a ticket"},
		{name: "422 details status", status: 422,
			body: `{"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"closed prevents ticket update"}]}}`,
			code: CodeRecordInvalid, message: "Record validation errors", detailKey: "status", detail: "closed prevents ticket update"},
		{name: "400 errors array", status: 400, body: `{"errors":[{"code":"InvalidPaginationDepth","title":"Pagination requests using Offset Pagination are limited"}]}`,
			code: CodeInvalidPaginationDepth, message: "Pagination requests using Offset Pagination are limited"},
		{name: "429 text/plain with Retry-After", status: 429,
			header: http.Header{"Content-Type": {"text/plain"}, "Retry-After": {"1"}, "X-Request-Id": {"abc"}},
			body:   "Number of allowed API requests per minute exceeded",
			code:   CodeTooManyRequests, message: "Number of allowed API requests per minute exceeded", retryAfter: time.Second, retryable: true},
		{name: "429 without Retry-After", status: 429, header: http.Header{"Content-Type": {"text/plain"}},
			body: "You have exceeded the rate limit for updating a single unique user.",
			code: CodeTooManyRequests, message: "You have exceeded the rate limit for updating a single unique user.", retryable: true},
		{name: "503 HTTP-date Retry-After, HTML body", status: 503,
			header: http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}},
			body:   "<html>maintenance</html>", code: CodeServerError, message: "<html>maintenance</html>", retryAfter: 30 * time.Second, retryable: true},
		{name: "500 empty body", status: 500, code: CodeServerError, message: "Internal Server Error", retryable: true},
		{name: "409 unknown json", status: 409, body: `{"something":"else"}`, code: CodeConflict, message: "Conflict"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			e := parseError("GET", "/api/v2/x", tc.status, h, []byte(tc.body), now)
			if e.Code != tc.code || e.Message != tc.message {
				t.Errorf("code %q message %q, want %q %q", e.Code, e.Message, tc.code, tc.message)
			}
			if tc.detailKey != "" && (len(e.Details[tc.detailKey]) != 1 || e.Details[tc.detailKey][0].Description != tc.detail) {
				t.Errorf("details = %+v", e.Details)
			}
			if e.RetryAfter != tc.retryAfter || e.Retryable() != tc.retryable {
				t.Errorf("retry_after %s retryable %v", e.RetryAfter, e.Retryable())
			}
			if tc.detail != "" && !strings.Contains(e.Error(), tc.detail) {
				t.Errorf("Error() %q lacks the detail", e.Error())
			}
		})
	}
}

// The limiter spaces admissions one interval apart (with headroom) and a pause
// holds every caller until it ends.
func TestLimiterSpacingAndPause(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(600) // 10/s → 100 ms, plus 3% headroom
	l.now = func() time.Time { return clock }
	want := l.interval
	if lo, hi := 100*time.Millisecond, 104*time.Millisecond; want < lo || want > hi {
		t.Fatalf("interval %s outside [%s, %s]", want, lo, hi)
	}
	if d := l.reserveLocal(); d != 0 {
		t.Fatalf("first reservation waits %s", d)
	}
	for i := 1; i <= 3; i++ {
		if d := l.reserveLocal(); d != time.Duration(i)*want {
			t.Fatalf("reservation %d waits %s, want %s", i, d, time.Duration(i)*want)
		}
	}
	// After idling, there is no burst beyond one request.
	clock = clock.Add(time.Hour)
	if d := l.reserveLocal(); d != 0 {
		t.Fatalf("after idle waits %s", d)
	}
	if d := l.reserveLocal(); d != want {
		t.Fatalf("second after idle waits %s, want %s (burst of one)", d, want)
	}
	l.pause(clock.Add(5 * time.Second))
	if d := l.reserveLocal(); d != 5*time.Second {
		t.Fatalf("during pause waits %s", d)
	}
	if newLimiter(0) != nil {
		t.Error("zero rate should disable the limiter")
	}
}
