package workflows

import (
	"errors"
	"regexp"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// versionFailureText: from version 1 a failed activity or child workflow is
// recorded in the timeline and the state by its root cause once (failureText),
// not by the SDK's whole error chain (issue 14).
const versionFailureText = "failure-text"

// failureMessage is what the timeline and the state say about err: its root cause
// once in executions from versionFailureText on, legacy (what the code said
// before) in older ones. The whole chain always goes to the log, where an operator
// debugging the SDK's view of it can still read every layer.
func failureMessage(ctx workflow.Context, what string, err error, legacy string) string {
	workflow.GetLogger(ctx).Warn(what+" failed", "error", err)
	if workflow.GetVersion(ctx, versionFailureText, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return legacy
	}
	return failureText(err)
}

var requestIDPattern = regexp.MustCompile(`request_id=[^\s,;)]+`)

// failureText is the root cause of a failed activity or child workflow, said once:
// the words of the code that failed (which already carry Zendesk's answer and its
// request id), without the SDK's wrapping ("activity error (type: ...,
// scheduledEventID: ...)", "child workflow execution error (...)", "(type: ...,
// retryable: ...)") and without a cause repeated after a message that already
// contains it. Before this, one failed Zendesk call read as about 3 KB with the
// same answer four times. When the text kept names no request id but the chain
// does, the first one is appended: it is what Zendesk support asks for.
func failureText(err error) string {
	if err == nil {
		return ""
	}
	s := rootText(err)
	if !strings.Contains(s, "request_id=") {
		if id := requestIDPattern.FindString(err.Error()); id != "" {
			s += " (" + id + ")"
		}
	}
	return s
}

func rootText(err error) string {
	var (
		app   *temporal.ApplicationError
		act   *temporal.ActivityError
		child *temporal.ChildWorkflowExecutionError
		to    *temporal.TimeoutError
		cxl   *temporal.CanceledError
	)
	switch {
	case asExact(err, &act):
		if c := act.Unwrap(); c != nil {
			return rootText(c)
		}
	case asExact(err, &child):
		if c := child.Unwrap(); c != nil {
			return rootText(c)
		}
	case asExact(err, &to):
		s := "timed out (" + strings.ToLower(strings.TrimPrefix(to.TimeoutType().String(), "TIMEOUT_TYPE_")) + ")"
		if c := to.Unwrap(); c != nil {
			s += ": last error: " + rootText(c)
		}
		return s
	case asExact(err, &cxl):
		return "cancelled"
	case asExact(err, &app):
		return withoutCause(app.Message(), app.Unwrap())
	}
	return withoutCause(err.Error(), errors.Unwrap(err))
}

// withoutCause returns msg with its cause's text, when msg ends with it, replaced
// by the cause's own root text (so it appears once, unwrapped).
func withoutCause(msg string, cause error) string {
	if cause == nil {
		return msg
	}
	if msg == "" {
		return rootText(cause)
	}
	if cs := cause.Error(); strings.HasSuffix(msg, cs) {
		return strings.TrimSuffix(msg, cs) + rootText(cause)
	}
	return msg
}

// asExact reports whether err itself (not something it wraps) is a *T, and
// stores it in target.
func asExact[T error](err error, target *T) bool {
	t, ok := err.(T)
	if ok {
		*target = t
	}
	return ok
}
