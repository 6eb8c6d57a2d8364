package facts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FieldError is one problem with one field of a facts document.
type FieldError struct {
	// Path is the field's JSON path, e.g. "affected.individuals[1].count"; empty for
	// the document as a whole (malformed JSON).
	Path string
	// Line and Column locate the problem in the input (1-based, columns in
	// characters). They are zero for problems found after decoding.
	Line, Column int
	// Msg says what is wrong.
	Msg string
}

// Error renders the problem as "path: message (line L, column C)".
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	return b.String()
}

// Errors is every problem found in one facts document, in input order.
type Errors []*FieldError

// Error renders one problem per line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Decode reads one facts document from r; see Parse.
func Decode(r io.Reader) (Document, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Document{}, fmt.Errorf("read facts: %w", err)
	}
	return Parse(data)
}

// Parse decodes a facts document strictly and validates it, so a Document returned
// without error is valid. Unknown and duplicate fields, wrong JSON types and
// malformed timestamps are errors naming the field's path and its line and column;
// a typo must not silently change a legal result. The error is an Errors value when
// the input is well-formed JSON.
//
// An absent (or zero) version is read as version 1, so hand-written what-if files
// may leave it out; any other version is an error.
func Parse(data []byte) (Document, error) {
	errs, more, malformed := checkSchema(data, docType)
	if malformed {
		return Document{}, withMore(errs, more)
	}
	var d Document
	if err := json.Unmarshal(data, &d); err != nil && len(errs) == 0 {
		// checkSchema has already vetted every type, so this is a bug, not bad input.
		return Document{}, fmt.Errorf("decode facts: %w", err)
	}
	// With schema errors, d holds what could be decoded; validating it anyway lets
	// one run report every problem instead of one per edit.
	if d.Version == 0 {
		d.Version = Version
	}
	if verr, ok := d.Validate().(Errors); ok {
		for _, e := range verr {
			switch {
			case reported(errs, e.Path):
			case len(errs) >= MaxErrors:
				more++
			default:
				errs = append(errs, e)
			}
		}
	}
	if len(errs) > 0 {
		return Document{}, withMore(errs, more)
	}
	return d, nil
}

// MaxErrors is how many problems one facts document reports; the rest are counted
// ("and 12 more problems"). A megabyte of mistakes must answer in milliseconds with
// a screenful, not in minutes with megabytes (issue 17 item 3).
const MaxErrors = 20

// MaxDocumentBytes bounds a facts document (or a set-facts patch) in bytes of JSON;
// callers check it before decoding (incident.MaxFactsDocument is the same limit).
const MaxDocumentBytes = 64 << 10

// CheckSize refuses a facts document over MaxDocumentBytes, before any decoding.
func CheckSize(data []byte) error {
	if len(data) > MaxDocumentBytes {
		return &TooLargeError{Size: len(data)}
	}
	return nil
}

// TooLargeError is a facts document over MaxDocumentBytes.
type TooLargeError struct{ Size int }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the facts document is %d bytes, the limit is %d", e.Size, MaxDocumentBytes)
}

// withMore appends the count of problems not listed.
func withMore(errs Errors, more int) Errors {
	if more > 0 {
		errs = append(errs, &FieldError{Msg: fmt.Sprintf("and %d more problems", more)})
	}
	return errs
}

// reported reports whether errs already has a problem at path.
func reported(errs Errors, path string) bool {
	for _, e := range errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

var (
	docType  = reflect.TypeFor[Document]()
	timeType = reflect.TypeFor[time.Time]()
)

// checkSchema walks the JSON token stream against the Go type t and reports every
// unknown or duplicate field and every type mismatch with its path and position.
// null is accepted everywhere: every fact is optional, and in a merge patch null
// clears a field. A syntax error stops the walk.
//
// It returns the first MaxErrors problems found, how many more there were, and
// malformed when the input is not well-formed JSON (the last problem then says
// where it broke). It reads the input once: positions are found by a cursor that
// moves forward with the problems, not by recounting from byte 0 for each.
func checkSchema(data []byte, t reflect.Type) (errs Errors, more int, malformed bool) {
	c := &checker{data: data, dec: json.NewDecoder(bytes.NewReader(data)), loc: locator{data: data, line: 1, col: 1}}
	c.dec.UseNumber()
	tok, pos, err := c.next()
	if err != nil {
		return c.syntax(err), 0, true
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Errors{c.errorAt(pos, "", "the document must be a JSON object, got %s", describe(tok))}, 0, true
	}
	if err := c.object(t, ""); err != nil {
		return c.syntax(err), c.more, true
	}
	if tok, pos, err := c.next(); err != io.EOF {
		if err != nil {
			return c.syntax(err), c.more, true
		}
		c.errs = append(c.errs, c.errorAt(pos, "", "more JSON (%s) after the end of the document", describe(tok)))
		return c.errs, c.more, true
	}
	return c.errs, c.more, false
}

type checker struct {
	data []byte
	dec  *json.Decoder
	errs Errors
	// more counts the problems past MaxErrors, which are not described.
	more int
	loc  locator
}

// full reports whether MaxErrors problems are listed; a caller that finds another
// counts it in more instead of describing it.
func (c *checker) full() bool {
	if len(c.errs) >= MaxErrors {
		c.more++
		return true
	}
	return false
}

// report lists a problem, or counts it when the list is full.
func (c *checker) report(off int, path, format string, args ...any) {
	if !c.full() {
		c.errs = append(c.errs, c.errorAt(off, path, format, args...))
	}
}

// next returns the next token and the byte offset where it starts.
func (c *checker) next() (json.Token, int, error) {
	off := int(c.dec.InputOffset())
	tok, err := c.dec.Token()
	// InputOffset points after the previous token; skip separators to reach this one.
	for off < len(c.data) && strings.IndexByte(" \t\r\n,:", c.data[off]) >= 0 {
		off++
	}
	return tok, off, err
}

// object checks the members of an object whose '{' has been read, then reads '}'.
func (c *checker) object(t reflect.Type, path string) error {
	known := jsonFields(t)
	seen := map[string]bool{}
	for c.dec.More() {
		tok, pos, err := c.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		sub := joinPath(path, key)
		ft, ok := known[key]
		switch {
		case !ok:
			if !c.full() {
				msg := "unknown field"
				if s := suggest(key, known); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				c.errs = append(c.errs, c.errorAt(pos, sub, "%s", msg))
			}
			if err := c.skip(); err != nil {
				return err
			}
			continue
		case seen[key]:
			c.report(pos, sub, "duplicate field")
		}
		seen[key] = true
		if err := c.value(ft, sub); err != nil {
			return err
		}
	}
	_, _, err := c.next() // '}'
	return err
}

// value checks one JSON value against t.
func (c *checker) value(t reflect.Type, path string) error {
	tok, pos, err := c.next()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	mismatch := func(want string) error {
		c.report(pos, path, "must be %s, got %s", want, describe(tok))
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			return c.skipRest()
		}
		return nil
	}
	switch {
	case t == timeType:
		s, ok := tok.(string)
		if !ok {
			return mismatch("an RFC 3339 timestamp string")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			c.report(pos, path, "%q is not an RFC 3339 timestamp such as 2026-03-06T14:00:00Z", s)
		}
		return nil
	case t.Kind() == reflect.Struct:
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return mismatch("an object")
		}
		return c.object(t, path)
	case t.Kind() == reflect.Slice:
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return mismatch("an array")
		}
		for i := 0; c.dec.More(); i++ {
			if err := c.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, _, err := c.next() // ']'
		return err
	case t.Kind() == reflect.String:
		if _, ok := tok.(string); !ok {
			return mismatch("a string")
		}
	case t.Kind() == reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return mismatch("true or false")
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return mismatch("a whole number")
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			c.report(pos, path, "must be a whole number, got %s", n)
		}
	default:
		panic(fmt.Sprintf("facts: checkSchema does not handle %s at %s", t, path))
	}
	return nil
}

// skip skips one whole value.
func (c *checker) skip() error {
	tok, _, err := c.next()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
		return c.skipRest()
	}
	return nil
}

// skipRest skips to the end of an object or array whose opening delimiter was read.
func (c *checker) skipRest() error {
	for depth := 1; depth > 0; {
		tok, _, err := c.next()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// syntax turns a decoder error into a problem with line and column, kept after the
// problems already collected.
func (c *checker) syntax(err error) Errors {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end of JSON input"):
		return append(c.errs, c.errorAt(len(c.data), "", "malformed JSON: unexpected end of input"))
	case errors.As(err, &se):
		return append(c.errs, c.errorAt(c.offending(se), "", "malformed JSON: %s", strings.TrimPrefix(se.Error(), "json: ")))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return append(c.errs, c.errorAt(len(c.data), "", "malformed JSON: unexpected end of input"))
	}
	// Token reads from a bytes.Reader, so only syntax errors can occur.
	return append(c.errs, &FieldError{Msg: fmt.Sprintf("malformed JSON: %v", err)})
}

// offending returns the byte offset of the character a syntax error complains about.
// json.Decoder.Token reports the offset of the token being scanned, which for an
// error inside a literal ("tru}") is the literal's second byte, not the bad one; so
// look ahead for the character the message names.
func (c *checker) offending(se *json.SyntaxError) int {
	off := int(se.Offset)
	_, rest, ok := strings.Cut(se.Error(), "invalid character '")
	if !ok {
		return off
	}
	r, _, tail, err := strconv.UnquoteChar(rest, '\'')
	if err != nil || !strings.HasPrefix(tail, "'") || r >= utf8.RuneSelf {
		return off
	}
	for i := off; i < len(c.data) && i < off+64; i++ {
		if c.data[i] == byte(r) {
			return i
		}
	}
	return off
}

func (c *checker) errorAt(off int, path, format string, args ...any) *FieldError {
	line, col := c.loc.at(off)
	return &FieldError{Path: path, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// locator converts byte offsets into lines and columns, moving forward from the
// last offset it was asked about: problems come in input order, so the input is
// read once however many there are. An offset before the last restarts it.
type locator struct {
	data      []byte
	off       int // the last offset converted
	line, col int // its 1-based line and column (in characters)
}

func (l *locator) at(off int) (line, col int) {
	off = max(0, min(off, len(l.data)))
	if off < l.off {
		l.off, l.line, l.col = 0, 1, 1
	}
	seg := l.data[l.off:off]
	if n := bytes.Count(seg, []byte("\n")); n > 0 {
		l.line += n
		l.col = utf8.RuneCount(seg[bytes.LastIndexByte(seg, '\n')+1:]) + 1
	} else {
		l.col += utf8.RuneCount(seg)
	}
	l.off = off
	return l.line, l.col
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		if v == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		return "the number " + string(v)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := make(map[string]reflect.Type)
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// suggest returns the known field closest to key when it is a likely typo.
func suggest(key string, known map[string]reflect.Type) string {
	best, bestDist := "", 3
	for k := range known {
		if d := editDistance(key, k); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	if bestDist > 2 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
