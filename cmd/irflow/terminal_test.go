package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"irflow/internal/incident"
)

// TestEscaperShowsControlCharacters: issue 17's probes (NUL, ESC, CR/LF in a title
// and U+202E) come out of the CLI as visible escapes, newlines and tabs pass, and a
// character cut between two writes is kept whole.
func TestEscaperShowsControlCharacters(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain title\n", "plain title\n"},
		{"a\x00b", `a\u0000b`},
		{"\x1b[31mred\x1b[0m", `\u001b[31mred\u001b[0m`},
		{"\x1b]0;pwned\x07", `\u001b]0;pwned\u0007`},
		{"line\r\nfake", `line\r` + "\nfake"},
		{"invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"tab\there", "tab\there"},
		{"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\xa5", "café — 🔥"},
		{"\x9b31m", `\x9b31m`}, // a lone 8-bit CSI byte
		{"\u0085", `\u0085`},
	} {
		var b bytes.Buffer
		e := newEscaper(&b)
		// Byte by byte: every multi-byte character is cut.
		for i := range len(tc.in) {
			if _, err := e.Write([]byte{tc.in[i]}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%q printed as %q, want %q", tc.in, b.String(), tc.want)
		}
	}
}

// TestShowEscapesTitleAndTimeline: an incident stored before titles were checked
// (or a note, which may span lines) prints escaped through the CLI's writer, in
// text and in JSON that still decodes to the stored title.
func TestShowEscapesTitleAndTimeline(t *testing.T) {
	title := "Takeover\x1b[2J\x1b]0;owned\x07\u202etxt.exe"
	st := incident.State{ID: "INC-20260306-001", Title: title, DeclaredAt: time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC),
		Timeline: []incident.TimelineEntry{{Seq: 1, Actor: "mallory\x1b[8m", Kind: incident.KindNote, Text: "first\nsecond\r\x1b[1A"}}}
	var raw bytes.Buffer
	e := newEscaper(&raw)
	writeState(e, st, 0)
	out := raw.String()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("show printed %q raw:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `Takeover\u001b[2J`) || !strings.Contains(out, `mallory\u001b[8m`) {
		t.Errorf("show does not print the escapes:\n%s", out)
	}
	raw.Reset()
	if err := printJSON(e, st); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), "\u202e") {
		t.Errorf("--json printed U+202E raw: %s", raw.String())
	}
	var back incident.State
	if err := json.Unmarshal(raw.Bytes(), &back); err != nil || back.Title != title {
		t.Errorf("--json output decodes to title %q (%v), want %q", back.Title, err, title)
	}
}

// FuzzEscaper: whatever bytes irflow prints, in whatever pieces, no control
// character other than newline and tab, no bidirectional override and no byte
// that is not UTF-8 reaches the terminal, and text without them passes unchanged.
func FuzzEscaper(f *testing.F) {
	for _, s := range []string{"plain\n", "a\x00b", "\x1b[31m", "\x1b]0;t\x07", "a\r\nb", "x\u202ey", "\u2066\u2069", "\x9b", "caf\xc3\xa9", "\xe2\x80", "\x7f\u0085"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, in string, cut int) {
		var b bytes.Buffer
		e := newEscaper(&b)
		data := []byte(in)
		if cut <= 0 {
			cut = 1
		}
		for len(data) > 0 {
			n := min(cut, len(data))
			if _, err := e.Write(data[:n]); err != nil {
				t.Fatal(err)
			}
			data = data[n:]
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !utf8.ValidString(out) {
			t.Fatalf("%q printed as invalid UTF-8 %q", in, out)
		}
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("%q printed %q raw: %q", in, r, out)
			}
		}
		safe := utf8.ValidString(in)
		for _, r := range in {
			safe = safe && !unsafeRune(r)
		}
		if safe && out != in {
			t.Fatalf("safe text %q printed as %q", in, out)
		}
	})
}

// TestEscaperConcurrentWrites: irflow dev's loggers write to stderr from several
// goroutines; each write comes out whole (run with -race).
func TestEscaperConcurrentWrites(t *testing.T) {
	var b bytes.Buffer
	e := newEscaper(&b)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				fmt.Fprintf(e, "writer %d: café \x1b\n", i)
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, `: café \u001b`) {
			t.Fatalf("line cut or mixed: %q", l)
		}
	}
}
