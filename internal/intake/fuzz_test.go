package intake

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"irflow/internal/facts"
)

// FuzzParseRecognise feeds arbitrary bytes to the intake as mail would arrive:
// Parse must never panic and must always return the message's hash (the original
// is kept whatever it holds), and what Recognise reads from a parsed message must
// be a title a declare accepts and a facts document the facts decoder accepts, so
// a hostile or garbled notice can never start an incident with a record that does
// not round-trip. The committed .eml samples are the seed corpus.
func FuzzParseRecognise(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.eml")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From: a@zendesk.com\r\nSubject: Security incident\r\n\r\nUnauthorized access to tickets."))
	f.Add([]byte("From: =?utf-8?q?Zendesk_S=C3=A9curit=C3=A9?= <security@zendesk.com>\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<p>breach</p>\r\n--x--\r\n"))
	at := time.Date(2026, 12, 1, 8, 41, 7, 0, time.UTC)
	rules := DefaultRules()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw, at)
		if m.SHA256 != Hash(raw) {
			t.Fatalf("hash %q, want the raw message's %q", m.SHA256, Hash(raw))
		}
		if err != nil {
			return
		}
		r := Recognise(m, rules)
		if !utf8.ValidString(r.Title) || len(r.Title) > 200 {
			t.Fatalf("title of %d bytes (valid UTF-8 %v): %q", len(r.Title), utf8.ValidString(r.Title), r.Title)
		}
		doc, err := json.Marshal(r.Facts)
		if err != nil {
			t.Fatalf("facts do not marshal: %v", err)
		}
		if _, err := facts.Parse(doc); err != nil {
			t.Fatalf("facts the intake read are refused by the decoder: %v\n%s", err, doc)
		}
	})
}
