package service

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"irflow/internal/facts"
	"irflow/internal/incident"
)

// The checks every request passes before it reaches Temporal: the size limits of
// incident/limits.go and the characters a field may hold. They walk the request's
// fields by their JSON names, so that a new request type or field is checked
// without being listed; rules names the fields whose limit is not MaxLine.

// fieldRule is how long a field may be and whether it may span lines.
type fieldRule struct {
	max       int
	multiline bool
}

// rules are the string fields of requests that are not single-line MaxLine fields.
var rules = map[string]fieldRule{
	"title":       {incident.MaxTitle, false},
	"actor":       {incident.MaxActor, false},
	"reason":      {incident.MaxReason, true},
	"late_reason": {incident.MaxReason, true},
	"reference":   {incident.MaxReason, false},
	"uri":         {incident.MaxReason, false},
	"text":        {incident.MaxNote, true},
}

// factsRules: every string of a facts document is MaxFactsString long at most; only
// the summary may span lines.
func factsRule(name string) fieldRule {
	return fieldRule{max: incident.MaxFactsString, multiline: name == "summary"}
}

func requestRule(name string) fieldRule {
	if r, ok := rules[name]; ok {
		return r
	}
	return fieldRule{max: incident.MaxLine}
}

// checkText checks one string: its length in characters and its characters. A
// single-line field takes no control character at all; a multi-line one takes
// newlines and tabs. Neither takes the bidirectional overrides and isolates that
// make a terminal show text in another order than it is stored (U+202A-U+202E,
// U+2066-U+2069): an incident record must read as what it says.
func checkText(path, s string, r fieldRule) error {
	if !utf8.ValidString(s) {
		return incident.Errorf(incident.EINVALID, "%s: not valid UTF-8", path)
	}
	if n := utf8.RuneCountInString(s); n > r.max {
		return incident.Errorf(incident.EINVALID, "%s: %d characters, the limit is %d", path, n, r.max)
	}
	for i, c := range s {
		if forbidden(c, r.multiline) {
			what := "a control character"
			if !r.multiline {
				what = "a control character (it must be a single line)"
			}
			return incident.Errorf(incident.EINVALID, "%s: %s %U at byte %d", path, what, c, i)
		}
	}
	return nil
}

// forbidden reports whether c may not appear in a field.
func forbidden(c rune, multiline bool) bool {
	switch {
	case c == '\n' || c == '\t':
		return !multiline
	case c == '\r':
		// A pasted Windows line end; shown escaped.
		return !multiline
	case c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f):
		return true
	case c >= 0x202a && c <= 0x202e, c >= 0x2066 && c <= 0x2069:
		return true
	case c == 0x2028 || c == 0x2029:
		return !multiline
	}
	return false
}

// checkInstant checks that t lies where every deadline computed from it can still
// be carried (see incident.EarliestInstant).
func checkInstant(path string, t time.Time) error {
	if t.Before(incident.EarliestInstant) || !t.Before(incident.LatestInstant) {
		return incident.Errorf(incident.EINVALID, "%s: %s is out of range; give an instant from %d to %d",
			path, t.UTC().Format(time.RFC3339), incident.EarliestInstant.Year(), incident.LatestInstant.Year()-1)
	}
	return nil
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage(nil))
)

// checkFields walks v (a struct, or a pointer, slice or map of them) and checks
// each string against rule(its JSON name), each list against MaxList and each
// instant against the range. Zero instants are "not given" and pass. path names
// v in messages: "facts", or "" for a request, whose fields are named alone.
func checkFields(path string, v reflect.Value, rule func(string) fieldRule) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkFields(path, v.Elem(), rule)
	case reflect.String:
		return checkText(path, v.String(), rule(lastName(path)))
	case reflect.Slice:
		if v.Type() == rawType {
			return checkPatch(path, v.Bytes())
		}
		if v.Len() > incident.MaxList {
			return incident.Errorf(incident.EINVALID, "%s: %d items, the limit is %d", path, v.Len(), incident.MaxList)
		}
		for i := range v.Len() {
			if err := checkFields(fmt.Sprintf("%s[%d]", path, i), v.Index(i), rule); err != nil {
				return err
			}
		}
	case reflect.Map:
		if v.Len() > incident.MaxList {
			return incident.Errorf(incident.EINVALID, "%s: %d entries, the limit is %d", path, v.Len(), incident.MaxList)
		}
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if err := checkText(join(path, "key"), k, fieldRule{max: incident.MaxLine}); err != nil {
				return err
			}
			if err := checkFields(join(path, k), iter.Value(), rule); err != nil {
				return err
			}
		}
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			if t.IsZero() {
				return nil
			}
			return checkInstant(path, t)
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := checkFields(join(path, name), v.Field(i), rule); err != nil {
				return err
			}
		}
	}
	return nil
}

// join appends a JSON name to a path; the root path is empty.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// lastName is the last JSON name of a path: "facts.affected.individuals[0].jurisdiction"
// → "jurisdiction".
func lastName(path string) string {
	path = strings.TrimRight(path, "]0123456789[")
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// checkFacts checks a facts document against the facts limits: its size, each of
// its strings and lists, and its instants.
func checkFacts(path string, doc facts.Document) error {
	b, err := json.Marshal(doc)
	if err != nil {
		// An instant outside years 0-9999 cannot even be encoded.
		return incident.Errorf(incident.EINVALID, "%s: %v", path, err)
	}
	if len(b) > incident.MaxFactsDocument {
		return incident.Errorf(incident.EINVALID, "%s: the document is %d bytes, the limit is %d", path, len(b), incident.MaxFactsDocument)
	}
	return checkFields(path, reflect.ValueOf(doc), factsRule)
}

// checkPatch checks a set-facts merge patch as a facts document: its size, each
// string and list, and each string that is an instant. The workflow's validator
// checks the merged document's meaning.
func checkPatch(path string, raw []byte) error {
	if len(raw) > incident.MaxFactsDocument {
		return incident.Errorf(incident.EINVALID, "%s: %d bytes, the limit is %d", path, len(raw), incident.MaxFactsDocument)
	}
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return incident.Errorf(incident.EINVALID, "%s: %v", path, err)
	}
	return checkJSON(path, v)
}

func checkJSON(path string, v any) error {
	switch v := v.(type) {
	case string:
		if err := checkText(path, v, factsRule(lastName(path))); err != nil {
			return err
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return checkInstant(path, t)
		}
	case []any:
		if len(v) > incident.MaxList {
			return incident.Errorf(incident.EINVALID, "%s: %d items, the limit is %d", path, len(v), incident.MaxList)
		}
		for i, e := range v {
			if err := checkJSON(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	case map[string]any:
		if len(v) > incident.MaxList {
			return incident.Errorf(incident.EINVALID, "%s: %d entries, the limit is %d", path, len(v), incident.MaxList)
		}
		for k, e := range v {
			if err := checkText(join(path, "key"), k, fieldRule{max: incident.MaxLine}); err != nil {
				return err
			}
			if err := checkJSON(join(path, k), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPayload checks the size of what goes to Temporal as one payload.
func checkPayload(what string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return incident.Errorf(incident.EINVALID, "%s cannot be encoded: %v", what, err)
	}
	if len(b) > incident.MaxPayload {
		return incident.Errorf(incident.EINVALID, "%s is %d bytes encoded, the limit is %d", what, len(b), incident.MaxPayload)
	}
	return nil
}

// checkRequest checks an Update's argument: every field, then its encoded size.
func checkRequest(arg any) error {
	if err := checkFields("", reflect.ValueOf(arg), requestRule); err != nil {
		return err
	}
	return checkPayload("the request", arg)
}

// CheckDeclare checks a declare's fields and facts against the limits of
// incident/limits.go, as Declare does before anything else: a CLI calls it before
// dialling Temporal, so bad input is reported as such even when Temporal is down.
func CheckDeclare(req DeclareRequest) error {
	for _, f := range []struct {
		name, value string
		rule        fieldRule
	}{
		{"title", req.Title, rules["title"]},
		{"actor", req.Actor, rules["actor"]},
		{"playbook", req.Playbook, fieldRule{max: incident.MaxLine}},
		{"idempotency_key", req.IdempotencyKey, fieldRule{max: incident.MaxLine}},
	} {
		if err := checkText(f.name, f.value, f.rule); err != nil {
			return err
		}
	}
	// The registry counts a key's bytes.
	if n := len(req.IdempotencyKey); n > incident.MaxLine {
		return incident.Errorf(incident.EINVALID, "idempotency_key: %d bytes, the limit is %d", n, incident.MaxLine)
	}
	if req.Facts != nil {
		if err := checkFacts("facts", *req.Facts); err != nil {
			return err
		}
		// A trigger in the future is a typo; set-trigger refuses the same
		// instants (facts.MaxAhead).
		if err := req.Facts.CheckInstants(time.Now()); err != nil {
			return incident.Errorf(incident.EINVALID, "facts.%v", err)
		}
	}
	return nil
}
