package main

import (
	"fmt"
	"io"
	"irflow/internal/incident"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// The text output of "incident show", "incident list" and "obligations list" fits
// the terminal: long cells are cut with "…" and long lines wrap under their own
// column. --wide (and --json) print everything in full.

// defaultWidth is the width assumed when standard output is not a terminal and
// COLUMNS is not set: the classic terminal, so a pipe into less or a file reads
// the same as a terminal would.
const defaultWidth = 80

// outputWidth returns the width to fit text output to, 0 meaning unlimited: 0 with
// wide; else COLUMNS when it is a positive number (shells set it, tests too); else
// the width of w when it is a terminal; else defaultWidth.
func outputWidth(w io.Writer, wide bool) int {
	if wide {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if e, ok := w.(*escaper); ok {
		// Everything the CLI prints goes through an escaper: the terminal is under it.
		w = e.w
	}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if n, _, err := term.GetSize(int(f.Fd())); err == nil && n > 0 {
			return n
		}
	}
	return defaultWidth
}

// table is a text table that fits a width. Columns keep their natural width (the
// widest cell) while the table fits; when it does not, the shrinkable columns give
// up width, widest first, down to their minimum, and their cells are cut with "…";
// when that is not enough, optional columns are left out, rightmost first. Lines
// never end in spaces.
type table struct {
	header []string
	rows   [][]string
	// shrink[i] is the narrowest column i may become; 0 keeps it whole.
	shrink []int
	// optional[i] lets column i be left out when the table cannot fit otherwise.
	optional []bool
	// indent is printed before every line.
	indent string
}

func newTable(header ...string) *table {
	return &table{header: header, shrink: make([]int, len(header)), optional: make([]bool, len(header))}
}

// canShrink lets column i shrink down to minWidth runes when the table is too wide.
func (t *table) canShrink(i, minWidth int) *table {
	t.shrink[i] = minWidth
	return t
}

// canDrop lets column i be left out when the table is too wide even shrunk.
func (t *table) canDrop(i int) *table {
	t.optional[i] = true
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

const tableGap = 2

// layout returns each column's width, 0 for a column left out.
func (t *table) layout(width int) []int {
	cols := len(t.shrink)
	natural := make([]int, cols)
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i := 0; i < cols && i < len(r); i++ {
			natural[i] = max(natural[i], utf8.RuneCountInString(r[i]))
		}
	}
	keep := make([]bool, cols)
	for i := range keep {
		keep[i] = true
	}
	for {
		widths := make([]int, cols)
		total := utf8.RuneCountInString(t.indent) - tableGap
		for i := range widths {
			if keep[i] {
				widths[i] = natural[i]
				total += natural[i] + tableGap
			}
		}
		for width > 0 && total > width {
			// Take one rune from the widest column that may still shrink.
			best := -1
			for i, n := range widths {
				if keep[i] && t.shrink[i] > 0 && n > t.shrink[i] && (best < 0 || n > widths[best]) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			widths[best]--
			total--
		}
		if width <= 0 || total <= width {
			return widths
		}
		dropped := false
		for i := cols - 1; i >= 0; i-- {
			if keep[i] && t.optional[i] {
				keep[i], dropped = false, true
				break
			}
		}
		if !dropped {
			return widths // as narrow as it gets: the terminal wraps the rest
		}
	}
}

// write prints the table fitted to width (0: unlimited) and reports which columns
// it left out.
func (t *table) write(w io.Writer, width int) (left []int, err error) {
	widths := t.layout(width)
	for i, n := range widths {
		if n == 0 && t.optional[i] {
			left = append(left, i)
		}
	}
	all := t.rows
	if t.header != nil {
		all = append([][]string{t.header}, t.rows...)
	}
	var b strings.Builder
	for _, r := range all {
		b.Reset()
		b.WriteString(t.indent)
		first := true
		for i, n := range widths {
			if n == 0 && t.optional[i] {
				continue
			}
			if !first {
				b.WriteString(strings.Repeat(" ", tableGap))
			}
			first = false
			cell := ""
			if i < len(r) {
				cell = truncate(r[i], n)
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", n-utf8.RuneCountInString(cell)))
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return left, err
		}
	}
	return left, nil
}

// truncate cuts s to n runes, the last one "…", when it is longer.
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrapText breaks text into lines of at most width runes at spaces: the first line
// follows a prefix already printed, first runes wide, and the others start with
// indent. When the first line has no room left, the text starts on the next one.
// Width 0 (or an indent that leaves no room) keeps each line of text whole. The
// result never ends a line in spaces, so a caller's prefix may end in one.
func wrapText(text string, first int, indent string, width int) string {
	rest := width - utf8.RuneCountInString(indent)
	if width <= 0 || rest < 20 {
		return strings.ReplaceAll(text, "\n", "\n"+indent)
	}
	var b strings.Builder
	avail := width - first
	if avail < 20 {
		b.WriteString("\n" + indent)
		avail = rest
	}
	for p, para := range strings.Split(text, "\n") {
		if p > 0 {
			b.WriteString("\n" + indent)
			avail = rest
		}
		line := 0
		for i, word := range splitLong(strings.Fields(para), rest) {
			n := utf8.RuneCountInString(word)
			if i > 0 && line+1+n > avail {
				b.WriteString("\n" + indent)
				avail, line = rest, 0
			} else if i > 0 {
				b.WriteByte(' ')
				line++
			}
			b.WriteString(word)
			line += n
		}
	}
	return b.String()
}

// splitLong cuts words longer than n runes (a JSON value, a URL) into pieces of n,
// so that no wrapped line is wider than the terminal.
func splitLong(words []string, n int) []string {
	out := words[:0:0]
	for _, w := range words {
		for r := []rune(w); ; r = r[n:] {
			if len(r) <= n {
				out = append(out, string(r))
				break
			}
			out = append(out, string(r[:n]))
		}
	}
	return out
}

// leftOrOverdue renders the time from now to due: "26d 15h" when it is ahead,
// "3d 2h overdue" when it has passed.
func leftOrOverdue(due, now time.Time) string {
	if d := due.Sub(now); d < 0 {
		return incident.Span(d) + " overdue"
	}
	return incident.Span(due.Sub(now))
}
