package incident_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"irflow/internal/incident"
)

// TestREADMEPermissionTable: the README's copy of the permission table (between
// its permissions markers) has one row per action of incident.Permissions, with a
// mark under exactly the roles the table allows, so that what people read is what
// the service enforces.
func TestREADMEPermissionTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	begin, end := strings.Index(text, "<!-- permissions:begin -->"), strings.Index(text, "<!-- permissions:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no <!-- permissions:begin --> ... <!-- permissions:end --> table")
	}
	lines := strings.Split(strings.TrimSpace(text[begin+len("<!-- permissions:begin -->"):end]), "\n")
	header := cells(lines[0])
	wantHeader := []string{"action", "what"}
	for _, r := range incident.Roles {
		wantHeader = append(wantHeader, string(r))
	}
	if !slices.Equal(header, wantHeader) {
		t.Fatalf("README permission table header %q, want %q", header, wantHeader)
	}
	seen := map[incident.Action]bool{}
	for _, line := range lines[2:] {
		c := cells(line)
		if len(c) != len(wantHeader) {
			t.Errorf("README permission table row %q: %d cells, want %d", line, len(c), len(wantHeader))
			continue
		}
		a := incident.Action(strings.Trim(c[0], "`"))
		allowed, ok := incident.Permissions[a]
		if !ok {
			t.Errorf("README permission table lists %q, which is not in incident.Permissions", a)
			continue
		}
		if seen[a] {
			t.Errorf("README permission table lists %q twice", a)
		}
		seen[a] = true
		for i, r := range incident.Roles {
			marked := c[2+i] == "✓"
			if c[2+i] != "" && !marked {
				t.Errorf("README permission table, %s under %s: %q, want ✓ or nothing", a, r, c[2+i])
			}
			if marked != slices.Contains(allowed, r) {
				t.Errorf("README permission table says %s may %sdo %s; incident.Permissions says the opposite", r, map[bool]string{true: "", false: "not "}[marked], a)
			}
		}
	}
	for a := range incident.Permissions {
		if !seen[a] {
			t.Errorf("README permission table has no row for %q", a)
		}
	}
}

// cells splits a Markdown table row into its trimmed cells.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}
