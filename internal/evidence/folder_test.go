package evidence_test

import (
	"os"
	"path/filepath"
	"testing"

	"irflow/internal/evidence"
	"irflow/internal/evidence/objtest"
)

// TestFolderObjects runs the evidence storage contract on a local folder.
func TestFolderObjects(t *testing.T) {
	objtest.Run(t, func(t *testing.T) (evidence.Objects, objtest.Tamper) {
		dir := t.TempDir()
		return evidence.Folder{Dir: dir}, func(t *testing.T, key string, content []byte) {
			p := filepath.Join(dir, filepath.FromSlash(key))
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}
