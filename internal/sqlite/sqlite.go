// Package sqlite is irflow's store: SQLite through sqlx and mattn/go-sqlite3, in WAL
// mode, with numbered migrations embedded in the binary and each applied in its own
// transaction.
package sqlite

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver

	"irflow/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the irflow store on SQLite: the shared SQL store (its Now included) in
// SQLite's dialect, and the rate budgets, whose clock is this host's.
// storeopen checks that it is every store interface irflow uses.
type DB struct {
	*sqlstore.Store
	db *sqlx.DB
}

// dialect is what SQLite's SQL needs. Write transactions are immediate (the DSN's
// _txlock) and so run one at a time: no row locks, no advisory locks.
var dialect = sqlstore.Dialect{
	ILike:       "LIKE", // folds ASCII case
	InsertOrder: "rowid",
	BoolParam:   "?",
	TimeParam:   "?",
	NullsLast:   func(col string) string { return col + " IS NULL, " + col },
	IsUniqueViolation: func(err error) bool {
		var e sqlite3.Error
		return errors.As(err, &e) &&
			(e.ExtendedCode == sqlite3.ErrConstraintUnique || e.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
	},
}

// Open opens (creating if needed) the database at path and applies pending migrations.
// Pragmas go in the DSN so that every pooled connection gets them, not just one.
func Open(ctx context.Context, path string) (*DB, error) { return open(ctx, path, "rwc") }

// ErrNoStore reports that OpenExisting found no database at its path.
var ErrNoStore = errors.New("no irflow store")

// OpenExisting is Open for a client of a store another process writes (the CLI
// reading what `irflow dev` or the worker recorded): it never creates the file, so a
// wrong path is reported as ErrNoStore instead of answered from an empty database.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s", ErrNoStore, path)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// mode=rw: if the file vanishes between the check and the open, fail rather
	// than create it.
	return open(ctx, path, "rw")
}

func open(ctx context.Context, path, mode string) (*DB, error) {
	if mode == "rwc" {
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Set("mode", mode)
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sqlx.ConnectContext(ctx, "sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &DB{Store: sqlstore.New(db, dialect), db: db}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// createPrivate creates the store file readable and writable by its owner only
// (0600), before SQLite would create it 0644: it holds the users, the hashes of
// their API tokens and the audit log. SQLite gives the -wal and -shm files the
// mode of the database file. An existing file keeps its mode, which an operator
// may have chosen to share the store between the worker's and serve's users.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	return f.Close()
}

// migrate applies pending migrations. The migrations table is made first, outside
// them: SQLite's write lock already keeps two processes from applying one twice.
func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return sqlstore.Migrate(ctx, s.db, migrationFS, s.Now, nil)
}
