package devserver

import (
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// stoppingLogger is the server's logger, which drops the warnings its own
// internal workers (the worker service's system workflows, which poll the
// frontend like any SDK worker) write while the server stops: a "Failed to poll
// for task." per poller as the frontend sends GOAWAY, and dials of services
// already gone. They are the server taking itself down in its fixed order, not
// faults, and they buried a real warning of the last seconds (issue 14). Before
// Stop nothing is dropped.
type stoppingLogger struct {
	log.Logger
	stopping *atomic.Bool
}

// shutdownNoise is what a stopping server's own workers log.
var shutdownNoise = map[string]bool{
	"Failed to poll for task.": true,
	"network dial error":       true,
}

func (l stoppingLogger) Warn(msg string, tags ...tag.Tag) {
	if l.stopping.Load() && shutdownNoise[msg] {
		return
	}
	l.Logger.Warn(msg, tags...)
}

func (l stoppingLogger) Error(msg string, tags ...tag.Tag) {
	if l.stopping.Load() && shutdownNoise[msg] {
		return
	}
	l.Logger.Error(msg, tags...)
}

// With keeps the filter on loggers derived with tags (every component derives
// one).
func (l stoppingLogger) With(tags ...tag.Tag) log.Logger {
	return stoppingLogger{Logger: log.With(l.Logger, tags...), stopping: l.stopping}
}

// Skip keeps the filter on loggers that skip stack frames for caller info.
func (l stoppingLogger) Skip(extra int) log.Logger {
	if s, ok := l.Logger.(log.SkipLogger); ok {
		return stoppingLogger{Logger: s.Skip(extra), stopping: l.stopping}
	}
	return l
}
