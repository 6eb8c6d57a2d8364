// Package pgtest gives each test a PostgreSQL schema of its own on the server that
// IRFLOW_TEST_POSTGRES names, so tests and test packages run in parallel on one
// database. `make test` starts that server (scripts/test-postgres) and sets the
// variable; a test run without it fails instead of skipping, because a skipped store
// test would pass a broken store.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// Env is the variable holding the test server's DSN.
const Env = "IRFLOW_TEST_POSTGRES"

// prefix starts every test schema's name; the rest is the creation time in Unix
// seconds and a random suffix.
const prefix = "irflow_t"

// staleAfter is the age past which a test schema is dropped by the next test: it was
// left by a run that crashed before its cleanup (no run lasts this long).
const staleAfter = 6 * time.Hour

// DSN creates a fresh, empty schema for t and returns a DSN whose search_path selects
// it; the schema is dropped when t ends. It fails t when IRFLOW_TEST_POSTGRES is not
// set or the server does not answer.
func DSN(t testing.TB) string {
	t.Helper()
	base := BaseDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", Env, err)
	}
	defer func() { _ = db.Close() }()
	sweep(ctx, db)
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	schema := prefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(suffix[:])
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("pgtest: create schema on the server %s names: %v", Env, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = db.Close() }()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(base, schema)
}

// BaseDSN returns IRFLOW_TEST_POSTGRES, failing t when it is not set.
func BaseDSN(t testing.TB) string {
	t.Helper()
	base := strings.TrimSpace(os.Getenv(Env))
	if base == "" {
		t.Fatalf("pgtest: %s is not set: run `make test`, which starts a test PostgreSQL, "+
			"or export %s=\"$(scripts/test-postgres)\" before go test", Env, Env)
	}
	return base
}

// WithSearchPath returns dsn with search_path set to schema, in the URL or the
// keyword=value form dsn is written in.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}

// sweep drops test schemas left by crashed runs. Errors are ignored: another
// package's test may be dropping the same schema.
func sweep(ctx context.Context, db *sql.DB) {
	rows, err := db.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, prefix+"%")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		if sec, err := strconv.ParseInt(ts, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > staleAfter {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		_, _ = db.ExecContext(ctx, fmt.Sprintf(`DROP SCHEMA IF EXISTS %s CASCADE`, name))
	}
}

// Main runs a test package that needs PostgreSQL (call it from TestMain): without
// IRFLOW_TEST_POSTGRES it fails the package with one message instead of one per
// test.
func Main(m *testing.M) {
	if strings.TrimSpace(os.Getenv(Env)) == "" {
		fmt.Fprintf(os.Stderr, "FAIL: %s is not set: run `make test`, which starts a test PostgreSQL, "+
			"or export %s=\"$(scripts/test-postgres)\" before go test\n", Env, Env)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
