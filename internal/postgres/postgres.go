// Package postgres is irflow's store on PostgreSQL, for installations that run several
// workers and API servers on more than one host: incident.Store and
// incident.UserStore through sqlx and pgx's database/sql driver, with numbered
// migrations embedded in the binary, each applied in its own transaction under an
// advisory lock so that processes starting together apply it once.
//
// It answers exactly as internal/sqlite does: both run internal/storetest unchanged.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"irflow/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the irflow store on PostgreSQL: the shared SQL store (its Now included) in
// PostgreSQL's dialect, and the rate budgets, booked by the database's clock.
// storeopen checks that it is every store interface irflow uses.
type DB struct {
	*sqlstore.Store
	db *sqlx.DB
}

// dialect is what PostgreSQL's SQL needs. Transactions run under READ COMMITTED
// side by side, from several processes: what must not interleave takes a row lock
// or an advisory lock.
var dialect = sqlstore.Dialect{
	ILike:       "ILIKE", // folds case as the column's collation does: ASCII at least
	InsertOrder: "seq",
	BoolParam:   "CAST(? AS BOOLEAN)",
	TimeParam:   "CAST(? AS TIMESTAMPTZ)",
	// FOR UPDATE: the row stays locked until the transaction ends.
	ForUpdate:           " FOR UPDATE",
	ForUpdateSkipLocked: " FOR UPDATE SKIP LOCKED",
	NullsLast:           func(col string) string { return col + " ASC NULLS LAST" },
	Text:                text,
	IsUniqueViolation:   uniqueViolation,
	Lock: func(ctx context.Context, tx *sqlx.Tx, key string) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, key)
		return err
	},
}

// maxOpenConns bounds each process's connections. PostgreSQL's default
// max_connections is 100, shared by every worker and server; a pool without a bound
// lets one busy worker take them all.
const maxOpenConns = 16

// IsDSN reports whether s names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a file.
func IsDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database dsn names (a postgres:// URL; libpq's PG*
// environment variables fill in what it leaves out) and applies pending migrations.
// Tables are created in the first schema of the search_path, so one database can
// hold several irflow stores (a search_path=NAME parameter in the DSN picks one).
func Open(ctx context.Context, dsn string) (*DB, error) { return open(ctx, dsn, false) }

// ErrNoStore reports that OpenExisting found no irflow store in the database.
var ErrNoStore = errors.New("no irflow store")

// OpenExisting is Open for a client of a store another process writes (the CLI
// reading what the workers recorded): it creates no tables, so a DSN naming the
// wrong database or schema is reported as ErrNoStore instead of answered from an
// empty store.
func OpenExisting(ctx context.Context, dsn string) (*DB, error) { return open(ctx, dsn, true) }

func open(ctx context.Context, dsn string, existing bool) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message names the DSN with its password masked.
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	// Instants come back in UTC whatever zone the client runs in (the store
	// contract), not in time.Local as pgx would return them.
	sqldb := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}))
	sqldb.SetMaxOpenConns(maxOpenConns)
	sqldb.SetMaxIdleConns(maxOpenConns / 4)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := sqlx.NewDb(sqldb, "pgx")
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres store %s: %w", where, err)
	}
	s := &DB{Store: sqlstore.New(db, dialect), db: db}
	if existing {
		var found bool
		if err := db.GetContext(ctx, &found, `SELECT to_regclass('migrations') IS NOT NULL`); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open postgres store %s: %w", where, err)
		}
		if !found {
			_ = db.Close()
			return nil, fmt.Errorf("%w in postgres database %s (search_path %q)", ErrNoStore, where, cfg.RuntimeParams["search_path"])
		}
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres store %s: %w", where, err)
	}
	return s, nil
}

// migrationLock is the advisory lock's first key ("irfl"); the second is the schema,
// so stores in different schemas of one database migrate independently.
const migrationLock = 0x6972666c

func (s *DB) migrate(ctx context.Context) error {
	return sqlstore.Migrate(ctx, s.db, migrationFS, s.Now, lockMigrations)
}

// lockMigrations begins each migration's transaction. Three workers and a server
// started together all try to apply it: the transaction-scoped advisory lock lets
// one apply it while the others wait, then find it recorded. The migrations table
// is made under the lock too, so that two first starts do not race to create it.
func lockMigrations(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))`, migrationLock); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return nil
}

// text makes s storable in a PostgreSQL text column, which refuses the NUL
// character and invalid UTF-8 that SQLite keeps: each becomes U+FFFD, as Go's JSON
// decoder does with invalid UTF-8. Without it, a note or ticket subject carrying
// "\u0000" would fail every retry of its save and stall the incident's writes.
func text(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation (23505).
func uniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}
