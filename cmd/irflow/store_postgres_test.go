package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"irflow/internal/postgres/pgtest"
	"irflow/internal/storeopen"
)

// TestOpenStorePostgres: with IRFLOW_STORE naming PostgreSQL, the CLI reads the
// workers' shared store instead of <data>/irflow.db, and a schema without a store
// fails with exit status 1 without creating one.
func TestOpenStorePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Setenv("IRFLOW_STORE", dsn)
	_, err := openStore(context.Background(), t.TempDir())
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 || !errors.Is(err, storeopen.ErrNoStore) || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("openStore on an empty schema: %v, want exit status 1 and no store", err)
	}
	w, err := storeopen.Open(context.Background(), dsn) // what a worker does
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	s, err := openStore(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("openStore after a worker created the store: %v", err)
	}
	_ = s.Close()
}
