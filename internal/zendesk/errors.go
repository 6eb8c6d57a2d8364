package zendesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Error codes the client reports in Error.Code. Codes sent by Zendesk in the body
// (RecordNotFound, RecordInvalid, InvalidPaginationDepth, InvalidEndpoint, ...) are
// passed through unchanged; the others are derived from the status when the body
// carries no code.
const (
	CodeRecordNotFound         = "RecordNotFound"
	CodeRecordInvalid          = "RecordInvalid"
	CodeInvalidEndpoint        = "InvalidEndpoint"
	CodeInvalidPaginationDepth = "InvalidPaginationDepth"
	CodeUnauthorized           = "Unauthorized"
	CodeForbidden              = "Forbidden"
	CodeNotFound               = "NotFound"
	CodeBadRequest             = "BadRequest"
	CodeConflict               = "Conflict"
	CodeUnprocessable          = "UnprocessableEntity"
	CodeTooManyRequests        = "TooManyRequests"
	CodeServerError            = "ServerError"
	CodeTimeout                = "Timeout"
	CodeTransport              = "TransportError"
)

// ErrorDetail is one entry of a RecordInvalid "details" list, e.g.
// {"description":"Assignee: is required when solving a ticket","ticket_field_id":1}.
type ErrorDetail struct {
	Description string `json:"description,omitempty"`
	Error       string `json:"error,omitempty"`
	// Title and Code come from the {"errors":[{"code","title"}]} shape.
	Title string `json:"title,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Error is a failed Zendesk request: a non-2xx answer or a transport failure.
// Zendesk has no single error envelope (reference C5); every known shape is folded
// into Code and Message here.
type Error struct {
	// Method and Path identify the request (no query string, no credentials).
	Method string
	Path   string
	// StatusCode is the HTTP status, 0 for a transport failure or timeout.
	StatusCode int
	// Code is Zendesk's error code ("RecordNotFound", "RecordInvalid",
	// "InvalidPaginationDepth", ...) or one derived from the status.
	Code string
	// Message is the human-readable description Zendesk sent (or the plain-text
	// body of a 429).
	Message string
	// Details holds per-field validation errors of a RecordInvalid, keyed by field
	// ("base", "role", ...), and the list of a {"errors":[...]} body under "errors".
	Details map[string][]ErrorDetail
	// RequestID is the x-request-id response header, for Zendesk support tickets
	// and the evidence chain of custody.
	RequestID string
	// RetryAfter is the parsed Retry-After header of a 429 or 503 (0 when absent).
	RetryAfter time.Duration
	// Auth describes instance and auth mode; set on 401 so the message says which
	// credentials were rejected.
	Auth string
	// Err is the underlying transport error, if any.
	Err error
}

// Error renders the failure with its status, code, message and request id.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zendesk ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.StatusCode == http.StatusUnauthorized {
		fmt.Fprintf(&b, "authentication failed for %s: %s", e.Auth, e.Message)
	} else {
		if e.StatusCode != 0 {
			fmt.Fprintf(&b, "%d ", e.StatusCode)
		}
		b.WriteString(e.Code)
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	}
	if d := e.detailText(); d != "" {
		fmt.Fprintf(&b, " (%s)", d)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " retry_after=%s", e.RetryAfter)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " request_id=%s", e.RequestID)
	}
	return b.String()
}

func (e *Error) detailText() string {
	if len(e.Details) == 0 {
		return ""
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, d := range e.Details[k] {
			msg := d.Description
			if msg == "" {
				msg = d.Title
			}
			if msg == "" {
				msg = d.Error
			}
			if msg == "" {
				msg = d.Code
			}
			parts = append(parts, k+": "+msg)
		}
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether repeating the request may succeed: 429, 5xx, timeouts
// and transport failures are retryable; every other 4xx is not (the request itself
// is wrong, or the credentials are).
func (e *Error) Retryable() bool {
	switch {
	case e.StatusCode == http.StatusTooManyRequests, e.StatusCode >= 500:
		return true
	case e.StatusCode == 0:
		return true
	default:
		return false
	}
}

// IsNotFound reports whether err is a Zendesk 404. Containment uses it to treat
// "already deleted" as done.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// IsRetryable reports whether err is an *Error that Retryable says may succeed on a
// retry. Context cancellation and decoding failures are not retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// parseError builds an *Error from a non-2xx response, accepting every body shape in
// reference C5:
//
//	{"error":"Couldn't authenticate you"}
//	{"error":"RecordNotFound","description":"Not found"}
//	{"error":{"title":"Forbidden","message":"You do not have access to this page."}}
//	{"error":"RecordInvalid","description":"...","details":{"base":[{"description":"..."}]}}
//	{"errors":[{"code":"InvalidPaginationDepth","title":"..."}]}
//	text/plain "Number of allowed API requests per minute exceeded"
func parseError(method, path string, status int, h http.Header, body []byte, now time.Time) *Error {
	e := &Error{
		Method:     method,
		Path:       path,
		StatusCode: status,
		RequestID:  h.Get("X-Request-Id"),
		RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		parseErrorJSON(e, trimmed)
	} else if len(trimmed) > 0 {
		e.Message = truncate(string(trimmed), 300)
	}
	if e.Code == "" {
		e.Code = codeForStatus(status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.Message == "" {
		// A status net/http has no text for (a proxy's 520, a 518), with no body:
		// still say something a responder can quote (found by FuzzResponseDecoding).
		e.Message = fmt.Sprintf("HTTP status %d with no message", status)
	}
	return e
}

func parseErrorJSON(e *Error, body []byte) {
	var raw struct {
		Error       json.RawMessage            `json:"error"`
		Description string                     `json:"description"`
		Message     string                     `json:"message"`
		Details     map[string]json.RawMessage `json:"details"`
		Errors      []ErrorDetail              `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		e.Message = truncate(string(body), 300)
		return
	}
	if len(raw.Error) > 0 {
		var s string
		var obj struct {
			Title   string `json:"title"`
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(raw.Error, &s) == nil:
			// "RecordNotFound" is a code; "Couldn't authenticate you" is a message.
			if strings.ContainsAny(s, " '.") {
				e.Message = s
			} else {
				e.Code = s
			}
		case json.Unmarshal(raw.Error, &obj) == nil:
			e.Code = strings.ReplaceAll(obj.Title, " ", "")
			e.Message = obj.Message
		}
	}
	if raw.Description != "" {
		e.Message = raw.Description
	} else if e.Message == "" && raw.Message != "" {
		e.Message = raw.Message
	}
	for field, v := range raw.Details {
		var list []ErrorDetail
		if json.Unmarshal(v, &list) != nil {
			var one ErrorDetail
			if json.Unmarshal(v, &one) != nil {
				continue
			}
			list = []ErrorDetail{one}
		}
		if e.Details == nil {
			e.Details = map[string][]ErrorDetail{}
		}
		e.Details[field] = list
	}
	if len(raw.Errors) > 0 {
		first := raw.Errors[0]
		if e.Code == "" {
			e.Code = first.Code
		}
		if e.Message == "" {
			e.Message = first.Title
			if e.Message == "" {
				e.Message = first.Description
			}
		}
		if len(raw.Errors) > 1 {
			if e.Details == nil {
				e.Details = map[string][]ErrorDetail{}
			}
			e.Details["errors"] = raw.Errors
		}
	}
}

func codeForStatus(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return CodeBadRequest
	case status == http.StatusUnauthorized:
		return CodeUnauthorized
	case status == http.StatusForbidden:
		return CodeForbidden
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusConflict:
		return CodeConflict
	case status == http.StatusUnprocessableEntity:
		return CodeUnprocessable
	case status == http.StatusTooManyRequests:
		return CodeTooManyRequests
	case status >= 500:
		return CodeServerError
	default:
		return "HTTP" + strconv.Itoa(status)
	}
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 means absent or unusable.
// maxRetryAfter caps a Retry-After header.
const maxRetryAfter = 24 * time.Hour

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs > 0) { // also NaN
			return 0
		}
		// A value past a day (or "Inf", or 1e10, whose nanoseconds overflow into a
		// negative Duration: found by FuzzResponseDecoding) is capped at a day;
		// the caller's own maximum wait applies after that.
		if secs >= maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
