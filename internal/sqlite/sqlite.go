// Package sqlite is irflow's store: SQLite through sqlx and mattn/go-sqlite3, in WAL
// mode, with numbered migrations embedded in the binary and each applied in its own
// transaction.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"irflow/internal/incident"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the irflow store: incident.Store on SQLite.
type DB struct {
	db *sqlx.DB
	// Now returns the current time; tests replace it.
	Now func() time.Time
	// clocks caches decoded obligation clocks (see clockCache).
	clocks clockCache
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
	s := &DB{db: db, Now: time.Now}
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

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

var _ incident.Store = (*DB)(nil)

func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
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

func (s *DB) applyMigration(ctx context.Context, version int, base, name string) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration %s: %w", base, err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM migrations WHERE version = ?`, version); err != nil {
		return fmt.Errorf("check migration %s: %w", base, err)
	}
	if n > 0 {
		return nil
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read migration %s: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("apply migration %s: %w", base, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, base, s.Now().UTC()); err != nil {
		return fmt.Errorf("record migration %s: %w", base, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration %s: %w", base, err)
	}
	return nil
}

// SaveIncident implements incident.Store.
func (s *DB) SaveIncident(ctx context.Context, in incident.IncidentSave) error {
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
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET
    title = excluded.title, playbook = excluded.playbook, phase = excluded.phase,
    severity = excluded.severity, owner = excluded.owner, updated_at = excluded.updated_at,
    closed_at = excluded.closed_at, close_reason = excluded.close_reason,
    state_json = CASE WHEN ? THEN incidents.state_json ELSE excluded.state_json END, version = excluded.version
WHERE excluded.version >= incidents.version`,
		sum.ID, sum.WorkflowID, sum.Title, sum.Playbook, string(sum.Phase), sum.Severity, sum.Owner,
		sum.DeclaredAt.UTC(), sum.UpdatedAt.UTC(), utcPtr(sum.ClosedAt), sum.CloseReason, stateJSON, in.Version, keepState)
	if err != nil {
		return fmt.Errorf("save incident %s: %w", sum.ID, err)
	}
	for _, e := range in.Entries {
		_, err := tx.ExecContext(ctx, `INSERT INTO timeline (incident_id, seq, at, actor, via, external_id, kind, text, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(incident_id, seq) DO NOTHING`,
			sum.ID, e.Seq, e.At.UTC(), e.Actor, e.Via, e.ExternalID, e.Kind, e.Text, e.Data)
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

// ListIncidents implements incident.Store. LIKE folds ASCII case only, which is what
// the contract promises.
func (s *DB) ListIncidents(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	var where []string
	var args []any
	if f.Phase != "" {
		where = append(where, "phase = ?")
		args = append(args, f.Phase)
	}
	if f.Open {
		where = append(where, "phase != 'closed'")
	}
	if utf8.RuneCountInString(f.Query) > incident.MaxQuery {
		// Longer than any title, id or playbook: nothing matches, and the pattern
		// would be too long for SQLite's LIKE.
		return []incident.Summary{}, nil
	}
	if f.Query != "" {
		where = append(where, `(id LIKE ? ESCAPE '\' OR title LIKE ? ESCAPE '\' OR playbook LIKE ? ESCAPE '\')`)
		like := "%" + likeEscaper.Replace(f.Query) + "%"
		args = append(args, like, like, like)
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
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// GetIncident implements incident.Store.
func (s *DB) GetIncident(ctx context.Context, id string) (incident.StoredIncident, error) {
	var row incident.StoredIncident
	err := s.db.GetContext(ctx, &row, `SELECT `+summaryColumns+`, state_json, version FROM incidents WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return row, incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
	}
	if err != nil {
		return row, fmt.Errorf("get incident %s: %w", id, err)
	}
	return row, nil
}

// Timeline returns an incident's timeline in order.
func (s *DB) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	var out []incident.TimelineEntry
	if err := s.db.SelectContext(ctx, &out,
		`SELECT seq, at, actor, via, external_id, kind, text, data FROM timeline WHERE incident_id = ? ORDER BY seq`, id); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return out, nil
}

// SaveEvidenceManifest records a manifest's hash; recording the same one twice is a
// no-op, so a retried activity is harmless.
func (s *DB) SaveEvidenceManifest(ctx context.Context, m incident.EvidenceManifest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO evidence_manifests
(incident_id, manifest_path, sha256, files, records, gaps, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(incident_id, sha256) DO NOTHING`,
		m.IncidentID, m.ManifestPath, m.SHA256, m.Files, m.Records, m.Gaps, s.Now().UTC())
	if err != nil {
		return fmt.Errorf("save evidence manifest of %s: %w", m.IncidentID, err)
	}
	return nil
}

// LatestEvidenceManifest returns the last manifest recorded for an incident. "Last"
// is the order of insertion (rowid, which only grows since rows are never deleted),
// not recorded_at: two manifests recorded within one tick of the clock, or after it
// stepped back, would otherwise come back in index order.
func (s *DB) LatestEvidenceManifest(ctx context.Context, incidentID string) (incident.EvidenceManifest, error) {
	var m incident.EvidenceManifest
	err := s.db.GetContext(ctx, &m, `SELECT incident_id, manifest_path, sha256, files, records, gaps, recorded_at
FROM evidence_manifests WHERE incident_id = ? ORDER BY rowid DESC LIMIT 1`, incidentID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, incident.Errorf(incident.ENOTFOUND, "no evidence manifest recorded for %s", incidentID)
	}
	if err != nil {
		return m, fmt.Errorf("evidence manifest of %s: %w", incidentID, err)
	}
	return m, nil
}
