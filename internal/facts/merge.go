package facts

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Merge applies a partial update to base and returns the merged, validated document.
// patch is a JSON merge patch (RFC 7396): its members replace the base's, objects
// merge recursively, null clears a field back to unknown, and arrays replace the
// base's array as a whole. The patch is checked as strictly as a document (unknown
// field, wrong type or bad timestamp is an error naming its path, line and column),
// and the result must validate. base is not modified.
func Merge(base Document, patch []byte) (Document, error) {
	if errs, more, _ := checkSchema(patch, docType); len(errs) > 0 {
		return Document{}, fmt.Errorf("facts patch: %w", withMore(errs, more))
	}
	var p any
	if err := decodeGeneric(patch, &p); err != nil {
		return Document{}, fmt.Errorf("facts patch: %w", err)
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return Document{}, fmt.Errorf("encode base facts: %w", err)
	}
	var target any
	if err := decodeGeneric(raw, &target); err != nil {
		return Document{}, fmt.Errorf("decode base facts: %w", err)
	}
	merged, err := json.Marshal(mergePatch(target, p))
	if err != nil {
		return Document{}, fmt.Errorf("encode merged facts: %w", err)
	}
	d, err := Parse(merged)
	if err != nil {
		return Document{}, fmt.Errorf("merged facts: %w", err)
	}
	return d, nil
}

// decodeGeneric decodes JSON keeping numbers exact (Zendesk ids exceed float64's
// integer precision in principle).
func decodeGeneric(data []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// mergePatch is RFC 7396 section 2's MergePatch.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
