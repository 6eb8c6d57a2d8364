package facts

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Parse decodes a facts document strictly: unknown fields are errors.
func Parse(data []byte) (Document, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("facts: %w", err)
	}
	if d.Version == 0 {
		d.Version = Version
	}
	return d, nil
}
