package service_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// transports are the folders of irflow's transports, from the module root. Each
// imports the domain (internal/incident) and this service, never the workflows
// (STYLE rule 13): message names and payloads are the service's business, so a
// transport cannot get them wrong. A transport added later goes in this list.
var transports = []string{"cmd", "internal/httpapi", "internal/apiclient", "internal/slack", "internal/web"}

// TestTransportsDoNotImportWorkflows parses every Go file of every transport, tests
// included, and fails on an import of irflow/workflows.
func TestTransportsDoNotImportWorkflows(t *testing.T) {
	root := filepath.Join("..", "..")
	files := 0
	for _, dir := range transports {
		base := filepath.Join(root, dir)
		if _, err := os.Stat(base); os.IsNotExist(err) && dir != "cmd" && dir != "internal/httpapi" {
			continue // not written yet
		}
		err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			files++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == "irflow/workflows" || strings.HasPrefix(p, "irflow/workflows/") {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s imports %s: transports use internal/incident and internal/service only", rel, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walk %s: %v", base, err)
		}
	}
	if files == 0 {
		t.Fatal("found no transport source to check")
	}
}
