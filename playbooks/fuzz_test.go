package playbooks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: a playbook file, whatever its bytes, is parsed without a panic; a
// refusal names the file; an accepted playbook parses again to the same hash and
// id. Seeds: every shipped playbook and testdata/fuzz/FuzzParse. Run longer with:
// go test ./playbooks -run '^$' -fuzz '^FuzzParse$' -fuzztime 10m
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no playbooks to seed from: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "id: x\n", "id: [\n", "containment:\n  - id: a\n    action: suspend_user\n    params: {user_id: \"x\"}\n",
		"&a [*a]", "id: x\ntitle: y\ncontainment: {}\n", "\xef\xbb\xbfid: x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		l, err := Parse(name, data)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("a refusal that does not name the file: %v", err)
			}
			return
		}
		again, err := Parse(name, data)
		if err != nil || again.Hash != l.Hash || again.ID != l.ID {
			t.Fatalf("parsing the same bytes twice: %+v then %+v (%v)", l.Hash, again.Hash, err)
		}
	})
}
