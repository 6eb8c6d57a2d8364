package main

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// escaper is what irflow prints through: it passes text, newlines and tabs, and
// shows every other control character, every bidirectional override or isolate and
// every byte that is not UTF-8 as an escape, so that an incident's title, a note or
// a Zendesk object's name can never move the cursor, recolour or retitle the
// terminal, or make a line read in another order than it is stored. The service
// refuses such characters in new single-line fields; this covers older records,
// multi-line text and what comes from Zendesk. The escapes are JSON's (\u001b, \r),
// so that --json output stays valid JSON; JSON's encoder escapes most of them
// already.
type escaper struct {
	// mu serialises writes: irflow dev's loggers and its notices write from
	// several goroutines, as they could to the *os.File it wraps.
	mu sync.Mutex
	w  io.Writer
	// pending holds the start of a UTF-8 sequence that a write cut in two.
	pending []byte
}

func newEscaper(w io.Writer) *escaper { return &escaper{w: w} }

// Write implements io.Writer.
func (e *escaper) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	data := p
	if len(e.pending) > 0 {
		data = append(e.pending, p...)
		e.pending = nil
	}
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); {
		if !utf8.FullRune(data[i:]) {
			// The rest of this character comes with the next write.
			e.pending = append([]byte(nil), data[i:]...)
			break
		}
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = fmt.Appendf(out, `\x%02x`, data[i])
		case unsafeRune(r):
			out = appendEscape(out, r)
		default:
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a cut sequence that never got its end, escaped byte by byte.
func (e *escaper) Flush() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == 0 {
		return nil
	}
	var out []byte
	for _, b := range e.pending {
		out = fmt.Appendf(out, `\x%02x`, b)
	}
	e.pending = nil
	_, err := e.w.Write(out)
	return err
}

// unsafeRune reports whether r must not reach a terminal as itself.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028 || r == 0x2029:
		return true
	}
	return false
}

func appendEscape(out []byte, r rune) []byte {
	if r == '\r' {
		return append(out, `\r`...)
	}
	return fmt.Appendf(out, `\u%04x`, r)
}
