package facts

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// badFacts is a facts document of about n bytes with one wrong-typed count per
// line, and one minified line of unknown fields at the end: the shape of issue 17
// item 3's probe, which took 1,138 s for 1 MiB.
func badFacts(n int) (doc string, problems int) {
	var b strings.Builder
	b.WriteString("{\"affected\":{\"individuals\":[\n")
	for b.Len() < n/2 {
		if problems > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"jurisdiction":"DE","count":"many"}`)
		problems++
	}
	b.WriteString("]},\"zendesk\":{")
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"user%d":1`, i)
		problems++
	}
	b.WriteString("}}")
	return b.String(), problems
}

// TestParseStopsAfterMaxErrors is issue 17 item 3: a document full of mistakes
// lists the first MaxErrors, with their lines and columns, and counts the rest.
func TestParseStopsAfterMaxErrors(t *testing.T) {
	doc, problems := badFacts(1 << 20)
	_, err := Parse([]byte(doc))
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	if len(errs) != MaxErrors+1 {
		t.Fatalf("%d problems listed, want %d and a count of the rest", len(errs), MaxErrors+1)
	}
	// The duplicate-jurisdiction problems Validate finds are counted as well.
	var more int
	if _, err := fmt.Sscanf(errs[MaxErrors].Msg, "and %d more problems", &more); err != nil || more < problems-MaxErrors {
		t.Errorf("last entry %q, want \"and N more problems\" with N at least %d", errs[MaxErrors].Msg, problems-MaxErrors)
	}
	for i, e := range errs[:MaxErrors] {
		// Problem i is the count on line i+2, after `{"jurisdiction":"DE","count":`.
		if e.Path != fmt.Sprintf("affected.individuals[%d].count", i) || e.Line != i+2 || e.Column != 30 {
			t.Errorf("problem %d: %s at line %d column %d", i, e.Path, e.Line, e.Column)
		}
	}
}

// TestLocatorMatchesARecount: the one-pass cursor gives the positions a recount
// from byte 0 gives, for offsets in order, out of order, and in multi-byte text.
func TestLocatorMatchesARecount(t *testing.T) {
	data := []byte("{\n  \"summary\": \"Grüße\",\n\n  \"x\": [1,\n 2]}\n")
	recount := func(off int) (int, int) {
		line, col := 1, 1
		for _, r := range string(data[:off]) {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return line, col
	}
	l := locator{data: data, line: 1, col: 1}
	for _, off := range []int{0, 3, 18, 22, 24, 30, 5, 40, len(data)} {
		gl, gc := l.at(off)
		wl, wc := recount(off)
		if gl != wl || gc != wc {
			t.Errorf("offset %d: line %d column %d, want %d %d", off, gl, gc, wl, wc)
		}
	}
}

// BenchmarkParseBadMiB decodes 1 MiB of bad facts (issue 17 item 3: 1,138 s before
// positions were found in one pass and problems capped).
func BenchmarkParseBadMiB(b *testing.B) {
	doc, _ := badFacts(1 << 20)
	data := []byte(doc)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err == nil {
			b.Fatal("bad facts parsed")
		}
	}
}

// FuzzParse: no input panics the decoder, and none lists more than MaxErrors
// problems, a count of the rest and the point where malformed JSON broke.
func FuzzParse(f *testing.F) {
	doc, _ := badFacts(4 << 10)
	for _, seed := range []string{
		doc,
		`{"timeline":{"aware_at":"0001-01-01T00:00:00Z"}}`,
		`{"summary":"Grüße\n` + strings.Repeat(`"x":1,`, 40),
		`{"affected":{"individuals":[{"count":"x"},{"count":"x"}]}}` + "\n[",
		`[]`, `{`, `{"version":2,"version":3}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(data)
		var errs Errors
		if errors.As(err, &errs) && len(errs) > MaxErrors+2 {
			t.Errorf("%d problems listed", len(errs))
		}
	})
}
