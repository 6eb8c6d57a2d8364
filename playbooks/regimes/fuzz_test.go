package regimes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// FuzzLoadFS: a rules catalogue file, whatever its bytes, loads without a panic;
// a refusal names the file; an accepted catalogue validates. Seeds: the shipped
// catalogue files and testdata/fuzz/FuzzLoadFS. Run longer with:
// go test ./playbooks/regimes -run '^$' -fuzz '^FuzzLoadFS$' -fuzztime 10m
func FuzzLoadFS(f *testing.F) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		f.Fatalf("no catalogue files to seed from: %v", err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "rules: []\n", "rules:\n  - id: x\n    deadline: P-1D\n", "rules: [[", "element_sets:\n  - id: a\n  - id: a\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		c, err := LoadFS(fstest.MapFS{name: {Data: data}})
		if err != nil {
			if !strings.Contains(err.Error(), name) && !strings.Contains(err.Error(), "rule") && !strings.Contains(err.Error(), "element") {
				t.Fatalf("a refusal that names neither the file nor a rule: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("LoadFS accepted a catalogue Validate refuses: %v", err)
		}
	})
}
