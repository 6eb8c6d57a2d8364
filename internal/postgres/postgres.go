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
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the irflow store on PostgreSQL.
type DB struct {
	db *sqlx.DB
	// Now returns the current time; tests replace it.
	Now func() time.Time
}

var (
	_ incident.Store     = (*DB)(nil)
	_ incident.UserStore = (*DB)(nil)
)

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
	s := &DB{db: db, Now: time.Now}
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

// Close closes the connection pool.
func (s *DB) Close() error { return s.db.Close() }

// migrationLock is the advisory lock's first key ("irfl"); the second is the schema,
// so stores in different schemas of one database migrate independently.
const migrationLock = 0x6972666c

func (s *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
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
		if err := s.applyMigration(ctx, version, base, name); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies one migration unless it is recorded. Three workers and a
// server started together all try: the transaction-scoped advisory lock lets one
// apply it while the others wait, then find it recorded. DDL is transactional in
// PostgreSQL, so a migration that fails leaves nothing half-applied.
func (s *DB) applyMigration(ctx context.Context, version int, base, name string) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %s: %w", base, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))`, migrationLock); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM migrations WHERE version = $1`, version); err != nil {
		return fmt.Errorf("check migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", base, err)
	}
	// Without arguments pgx sends the file in one simple-protocol message, which
	// may hold several statements.
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("apply migration %s: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		version, base, s.Now().UTC()); err != nil {
		return fmt.Errorf("record migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %s: %w", base, err)
	}
	return nil
}

// SaveIncident implements incident.Store. The upsert locks the incident's row even
// when its WHERE keeps the stored version, so saves of one incident from several
// workers run one after another and their timeline inserts never interleave.
func (s *DB) SaveIncident(ctx context.Context, in incident.IncidentSave) error {
	err := s.saveIncident(ctx, in)
	if uniqueViolation(err) {
		// The first saves of a new incident from two workers race: ON CONFLICT (id)
		// arbitrates on the id index only, so the loser can trip workflow_id's unique
		// index instead. The row exists now, and the retry updates it.
		err = s.saveIncident(ctx, in)
	}
	return err
}

func (s *DB) saveIncident(ctx context.Context, in incident.IncidentSave) error {
	sum := in.Summary
	// An empty StateJSON keeps the stored state: the save only adds timeline rows.
	stateJSON, keepState := in.StateJSON, in.StateJSON == ""
	if keepState {
		stateJSON = "{}"
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save incident %s: begin: %w", sum.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, `
INSERT INTO incidents (id, workflow_id, title, playbook, phase, severity, owner, declared_at, updated_at, closed_at, close_reason, state_json, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, playbook = excluded.playbook, phase = excluded.phase,
    severity = excluded.severity, owner = excluded.owner, updated_at = excluded.updated_at,
    closed_at = excluded.closed_at, close_reason = excluded.close_reason,
    state_json = CASE WHEN $14::boolean THEN incidents.state_json ELSE excluded.state_json END, version = excluded.version
WHERE excluded.version >= incidents.version`, texts(
		sum.ID, sum.WorkflowID, sum.Title, sum.Playbook, string(sum.Phase), sum.Severity, sum.Owner,
		sum.DeclaredAt.UTC(), sum.UpdatedAt.UTC(), utcPtr(sum.ClosedAt), sum.CloseReason, stateJSON, in.Version, keepState)...)
	if err != nil {
		return fmt.Errorf("save incident %s: %w", sum.ID, err)
	}
	for _, e := range in.Entries {
		_, err := tx.ExecContext(ctx, `INSERT INTO timeline (incident_id, seq, at, actor, via, external_id, kind, text, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (incident_id, seq) DO NOTHING`,
			texts(sum.ID, e.Seq, e.At.UTC(), e.Actor, e.Via, e.ExternalID, e.Kind, e.Text, e.Data)...)
		if err != nil {
			return fmt.Errorf("save incident %s: timeline entry %d: %w", sum.ID, e.Seq, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save incident %s: commit: %w", sum.ID, err)
	}
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

const summaryColumns = `id, workflow_id, title, playbook, phase, severity, owner, declared_at, updated_at, closed_at, close_reason`

// likeEscaper makes a query a literal LIKE pattern: a title with "50%" or an id
// typed with "_" matches itself, not every incident.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListIncidents implements incident.Store. ILIKE folds case as the column's
// collation does: ASCII at least, as the contract promises.
func (s *DB) ListIncidents(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Phase != "" {
		where = append(where, "phase = "+arg(f.Phase))
	}
	if f.Open {
		where = append(where, "phase <> 'closed'")
	}
	if utf8.RuneCountInString(f.Query) > incident.MaxQuery {
		// Longer than any title, id or playbook: nothing matches, and the pattern
		// would be too long for SQLite's LIKE.
		return []incident.Summary{}, nil
	}
	if f.Query != "" {
		p := arg("%" + likeEscaper.Replace(f.Query) + "%")
		where = append(where, `(id ILIKE `+p+` ESCAPE '\' OR title ILIKE `+p+` ESCAPE '\' OR playbook ILIKE `+p+` ESCAPE '\')`)
	}
	q := `SELECT ` + summaryColumns + ` FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY declared_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	var out []incident.Summary
	if err := s.db.SelectContext(ctx, &out, q, texts(args...)...); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// GetIncident implements incident.Store.
func (s *DB) GetIncident(ctx context.Context, id string) (incident.StoredIncident, error) {
	var row incident.StoredIncident
	err := s.db.GetContext(ctx, &row, `SELECT `+summaryColumns+`, state_json, version FROM incidents WHERE id = $1`, text(id))
	if errors.Is(err, sql.ErrNoRows) {
		return row, incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
	}
	if err != nil {
		return row, fmt.Errorf("get incident %s: %w", id, err)
	}
	return row, nil
}

// Timeline implements incident.Store.
func (s *DB) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	var out []incident.TimelineEntry
	if err := s.db.SelectContext(ctx, &out,
		`SELECT seq, at, actor, via, external_id, kind, text, data FROM timeline WHERE incident_id = $1 ORDER BY seq`, text(id)); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return out, nil
}

// SaveEvidenceManifest implements incident.Store; recording the same manifest twice
// is a no-op, so a retried activity is harmless.
func (s *DB) SaveEvidenceManifest(ctx context.Context, m incident.EvidenceManifest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO evidence_manifests
(incident_id, manifest_path, sha256, files, records, gaps, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (incident_id, sha256) DO NOTHING`,
		texts(m.IncidentID, m.ManifestPath, m.SHA256, m.Files, m.Records, m.Gaps, s.Now().UTC())...)
	if err != nil {
		return fmt.Errorf("save evidence manifest of %s: %w", m.IncidentID, err)
	}
	return nil
}

// LatestEvidenceManifest implements incident.Store. "Latest" is the order of
// insertion (seq), not recorded_at, which may tie or step back.
func (s *DB) LatestEvidenceManifest(ctx context.Context, incidentID string) (incident.EvidenceManifest, error) {
	var m incident.EvidenceManifest
	err := s.db.GetContext(ctx, &m, `SELECT incident_id, manifest_path, sha256, files, records, gaps, recorded_at
FROM evidence_manifests WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1`, text(incidentID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, incident.Errorf(incident.ENOTFOUND, "no evidence manifest recorded for %s", incidentID)
	}
	if err != nil {
		return m, fmt.Errorf("evidence manifest of %s: %w", incidentID, err)
	}
	return m, nil
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

// texts applies text to every string among args.
func texts(args ...any) []any {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = text(s)
		}
	}
	return args
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation (23505).
func uniqueViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}
