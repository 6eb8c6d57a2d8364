package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenStoreMissing: a data folder without a store fails with exit status 1, the
// path, and the flag that picks another, and creates nothing.
func TestOpenStoreMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "elsewhere")
	_, err := openStore(context.Background(), dir)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("openStore on a folder without a store: %v, want exit status 1", err)
	}
	path := filepath.Join(dir, "irflow.db")
	for _, want := range []string{"no irflow store at " + path, "--data", "IRFLOW_DATA"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not mention %q", err, want)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("openStore created %s (stat: %v)", dir, err)
	}
}
