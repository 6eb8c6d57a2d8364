package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/facts"
)

// loadFacts reads and validates the facts document at path ("-" for standard
// input). Every problem is reported on its own line as file:line:column: field:
// message, the way compilers and editors expect. Timeline instants must lie between
// 1900 and a day after now (facts.CheckInstants): a what-if evaluated as of a later
// instant passes that instant as now.
func loadFacts(cmd *cobra.Command, path string, now time.Time) (facts.Document, error) {
	name := path
	in := cmd.InOrStdin()
	if path == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return facts.Document{}, withExit(exitBadInput, fmt.Errorf("read facts: %w", err))
		}
		defer f.Close()
		in = f
	}
	// Read one byte past the limit, and no more: the size is refused before
	// decoding, as the HTTP API refuses it (413).
	data, err := io.ReadAll(io.LimitReader(in, facts.MaxDocumentBytes+1))
	if err != nil {
		return facts.Document{}, withExit(exitBadInput, fmt.Errorf("read facts: %w", err))
	}
	if len(data) > facts.MaxDocumentBytes {
		return facts.Document{}, withExit(exitBadInput, fmt.Errorf("facts %s: larger than %d bytes, the limit of a facts document", name, facts.MaxDocumentBytes))
	}
	d, err := facts.Parse(data)
	if err == nil {
		// A trigger in the future or before 1900 is a typo; the service and
		// set-trigger refuse the same instants.
		err = d.CheckInstants(now)
	}
	var problems facts.Errors
	if errors.As(err, &problems) {
		lines := make([]string, len(problems))
		for i, p := range problems {
			loc := name
			if p.Line > 0 {
				loc = fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
			}
			if p.Path != "" {
				loc += ": " + p.Path
			}
			lines[i] = loc + ": " + p.Msg
		}
		return facts.Document{}, withExit(exitBadInput, errors.New(strings.Join(lines, "\n")))
	}
	if err != nil {
		return facts.Document{}, withExit(exitBadInput, fmt.Errorf("facts %s: %w", name, err))
	}
	return d, nil
}

// wrap word-wraps text to width columns, indenting every line by indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(text) {
		switch {
		case col == 0:
			b.WriteString(indent)
			col = len(indent)
		case col+1+len(word) > width:
			b.WriteString("\n" + indent)
			col = len(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// laterOf returns the later of two instants.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
