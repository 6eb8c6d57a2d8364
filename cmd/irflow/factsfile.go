package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"irflow/internal/facts"
)

// loadFacts reads and validates the facts document at path ("-" for standard
// input). Every problem is reported on its own line as file:line:column: field:
// message, the way compilers and editors expect.
func loadFacts(cmd *cobra.Command, path string) (facts.Document, error) {
	name := path
	var data []byte
	var err error
	if path == "-" {
		name = "stdin"
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return facts.Document{}, withExit(exitBadInput, fmt.Errorf("read facts: %w", err))
	}
	d, err := facts.Parse(data)
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
