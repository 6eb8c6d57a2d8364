package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Migrate applies, in the order of their numbers, the migrations/NNNN_name.sql files
// of fsys that the migrations table does not record, each in its own transaction
// with its record. Each backend keeps its own files: the schemas differ in types.
//
// prepare, when not nil, runs first in each migration's transaction: PostgreSQL
// takes its advisory lock there and creates the migrations table. Where prepare
// does not create it, the caller creates the migrations table beforehand.
func Migrate(ctx context.Context, db *sqlx.DB, fsys fs.FS, now func() time.Time, prepare func(context.Context, *sqlx.Tx) error) error {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	m := migrator{db: db, fsys: fsys, now: now, prepare: prepare}
	seen := map[int]string{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		// Migrations are recorded by number: a second file with a number already
		// applied would be skipped silently (two branches both adding 0006_...).
		if other, dup := seen[version]; dup {
			return fmt.Errorf("migrations %s and %s share the number %d: renumber one", other, base, version)
		}
		seen[version] = base
		if err := m.apply(ctx, version, base, name); err != nil {
			return err
		}
	}
	return nil
}

type migrator struct {
	db      *sqlx.DB
	fsys    fs.FS
	now     func() time.Time
	prepare func(context.Context, *sqlx.Tx) error
}

// apply applies one migration unless it is recorded. DDL is transactional in both
// engines, so a migration that fails leaves nothing half-applied.
func (m migrator) apply(ctx context.Context, version int, base, name string) error {
	tx, err := m.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %s: %w", base, err)
	}
	defer func() { _ = tx.Rollback() }()
	if m.prepare != nil {
		if err := m.prepare(ctx, tx); err != nil {
			return err
		}
	}
	var n int
	if err := tx.GetContext(ctx, &n, m.db.Rebind(`SELECT COUNT(*) FROM migrations WHERE version = ?`), version); err != nil {
		return fmt.Errorf("check migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(m.fsys, name)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", base, err)
	}
	// Without arguments pgx sends the file in one simple-protocol message, which
	// may hold several statements; mattn/go-sqlite3 runs them one after another.
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("apply migration %s: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, m.db.Rebind(`INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		version, base, m.now().UTC()); err != nil {
		return fmt.Errorf("record migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %s: %w", base, err)
	}
	return nil
}
