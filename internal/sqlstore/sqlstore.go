// Package sqlstore is the SQL both of irflow's stores run: incident.Store,
// incident.UserStore, incident.LeaseStore, incident.SlackStore and
// incident.NoticeStore over a *sqlx.DB. internal/sqlite and internal/postgres open
// the database, apply their own migrations and wrap a Store with their Dialect, so
// that a change to a query is made once and both backends answer the contract in
// internal/storetest alike.
//
// Statements are written with ? placeholders and go through sqlx's Rebind, which
// turns them into $1, $2, ... for PostgreSQL.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
)

// Dialect is what one engine's SQL or concurrency needs that the other's does not.
// ILike, InsertOrder, BoolParam, TimeParam and NullsLast are required; an empty
// ForUpdate or a nil function adds nothing.
type Dialect struct {
	// ILike is the operator matching a LIKE pattern with ASCII case folded, as the
	// store contract promises for incident search: SQLite's LIKE does, PostgreSQL's
	// needs ILIKE.
	ILike string
	// InsertOrder names the column that grows with every insert into
	// evidence_manifests and containment_lease_relying: SQLite's rowid, PostgreSQL's
	// seq. Their timestamps may tie or step back, so "first" and "last" use it.
	InsertOrder string
	// BoolParam and TimeParam are the placeholders for a boolean and a timestamp
	// argument whose type the statement leaves open (CASE WHEN ? ...): PostgreSQL
	// must be told it, SQLite takes ?.
	BoolParam, TimeParam string
	// ForUpdate follows a SELECT (with its leading space) whose rows the
	// transaction changes next, to lock them until it ends. SQLite needs none: its
	// transactions are immediate (the DSN's _txlock) and take the database's write
	// lock when they begin.
	ForUpdate string
	// ForUpdateSkipLocked is ForUpdate passing over rows another transaction
	// locked, so that concurrent claims take disjoint rows without waiting.
	ForUpdateSkipLocked string
	// NullsLast orders by col ascending with NULLs after every value.
	NullsLast func(col string) string
	// Text makes a string argument storable in a text column; nil keeps it as it
	// is. PostgreSQL refuses NUL and invalid UTF-8, which SQLite keeps.
	Text func(string) string
	// IsUniqueViolation reports whether err is the engine's unique constraint
	// violation.
	IsUniqueViolation func(error) bool
	// Lock serialises the transactions that lock one key, until each ends; nil where
	// write transactions are serialised already (SQLite's immediate ones).
	Lock func(ctx context.Context, tx *sqlx.Tx, key string) error
}

// Store is irflow's store on a SQL database in one Dialect.
type Store struct {
	// Now returns the current time; tests replace it.
	Now func() time.Time

	db *sqlx.DB
	d  Dialect
	// clocks caches decoded obligation clocks (see clockCache).
	clocks clockCache
}

var (
	_ incident.Store       = (*Store)(nil)
	_ incident.UserStore   = (*Store)(nil)
	_ incident.LeaseStore  = (*Store)(nil)
	_ incident.SlackStore  = (*Store)(nil)
	_ incident.NoticeStore = (*Store)(nil)
)

// New returns the store on db, whose driver name tells sqlx its placeholders.
func New(db *sqlx.DB, d Dialect) *Store {
	return &Store{Now: time.Now, db: db, d: d}
}

// Close closes the database: its connection pool.
func (s *Store) Close() error { return s.db.Close() }

// q turns a statement's ? placeholders into the driver's.
func (s *Store) q(query string) string { return s.db.Rebind(query) }

// text applies the dialect's Text to one string.
func (s *Store) text(v string) string {
	if s.d.Text == nil {
		return v
	}
	return s.d.Text(v)
}

// texts applies the dialect's Text to every string among args.
func (s *Store) texts(args ...any) []any {
	if s.d.Text == nil {
		return args
	}
	for i, a := range args {
		if v, ok := a.(string); ok {
			args[i] = s.d.Text(v)
		}
	}
	return args
}

func (s *Store) uniqueViolation(err error) bool {
	return err != nil && s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err)
}

// lock takes the dialect's Lock on key, if it has one.
func (s *Store) lock(ctx context.Context, tx *sqlx.Tx, key string) error {
	if s.d.Lock == nil {
		return nil
	}
	return s.d.Lock(ctx, tx, key)
}

// SaveIncident implements incident.Store. On PostgreSQL the upsert locks the
// incident's row even when its WHERE keeps the stored version, so saves of one
// incident from several workers run one after another and their timeline inserts
// never interleave; SQLite serialises every write transaction.
func (s *Store) SaveIncident(ctx context.Context, in incident.IncidentSave) error {
	err := s.saveIncident(ctx, in)
	if s.uniqueViolation(err) {
		// The first saves of a new incident from two workers race: ON CONFLICT (id)
		// arbitrates on the id index only, so the loser can trip workflow_id's unique
		// index instead. The row exists now, and the retry updates it.
		err = s.saveIncident(ctx, in)
	}
	return err
}

func (s *Store) saveIncident(ctx context.Context, in incident.IncidentSave) error {
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
	_, err = tx.ExecContext(ctx, s.q(`
INSERT INTO incidents (id, workflow_id, title, playbook, phase, severity, owner, declared_at, updated_at, closed_at, close_reason, state_json, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, playbook = excluded.playbook, phase = excluded.phase,
    severity = excluded.severity, owner = excluded.owner, updated_at = excluded.updated_at,
    closed_at = excluded.closed_at, close_reason = excluded.close_reason,
    state_json = CASE WHEN `+s.d.BoolParam+` THEN incidents.state_json ELSE excluded.state_json END, version = excluded.version
WHERE excluded.version >= incidents.version`), s.texts(
		sum.ID, sum.WorkflowID, sum.Title, sum.Playbook, string(sum.Phase), sum.Severity, sum.Owner,
		sum.DeclaredAt.UTC(), sum.UpdatedAt.UTC(), utcPtr(sum.ClosedAt), sum.CloseReason, stateJSON, in.Version, keepState)...)
	if err != nil {
		return fmt.Errorf("save incident %s: %w", sum.ID, err)
	}
	for _, e := range in.Entries {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO timeline (incident_id, seq, at, actor, via, external_id, kind, text, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, seq) DO NOTHING`),
			s.texts(sum.ID, e.Seq, e.At.UTC(), e.Actor, e.Via, e.ExternalID, e.Kind, e.Text, e.Data)...)
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

// ListIncidents implements incident.Store. The dialect's ILike folds ASCII case at
// least, which is what the contract promises.
func (s *Store) ListIncidents(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error) {
	var where []string
	var args []any
	if f.Phase != "" {
		where = append(where, "phase = ?")
		args = append(args, f.Phase)
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
		like := s.d.ILike + ` ? ESCAPE '\'`
		where = append(where, `(id `+like+` OR title `+like+` OR playbook `+like+`)`)
		p := "%" + likeEscaper.Replace(f.Query) + "%"
		args = append(args, p, p, p)
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
	if err := s.db.SelectContext(ctx, &out, s.q(q), s.texts(args...)...); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// GetIncident implements incident.Store.
func (s *Store) GetIncident(ctx context.Context, id string) (incident.StoredIncident, error) {
	var row incident.StoredIncident
	err := s.db.GetContext(ctx, &row, s.q(`SELECT `+summaryColumns+`, state_json, version FROM incidents WHERE id = ?`), s.text(id))
	if errors.Is(err, sql.ErrNoRows) {
		return row, incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
	}
	if err != nil {
		return row, fmt.Errorf("get incident %s: %w", id, err)
	}
	return row, nil
}

// Timeline implements incident.Store: an incident's timeline in order.
func (s *Store) Timeline(ctx context.Context, id string) ([]incident.TimelineEntry, error) {
	var out []incident.TimelineEntry
	if err := s.db.SelectContext(ctx, &out,
		s.q(`SELECT seq, at, actor, via, external_id, kind, text, data FROM timeline WHERE incident_id = ? ORDER BY seq`), s.text(id)); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	return out, nil
}

// SaveEvidenceManifest implements incident.Store; recording the same manifest twice
// is a no-op, so a retried activity is harmless.
func (s *Store) SaveEvidenceManifest(ctx context.Context, m incident.EvidenceManifest) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO evidence_manifests
(incident_id, manifest_path, sha256, files, records, gaps, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (incident_id, sha256) DO NOTHING`),
		s.texts(m.IncidentID, m.ManifestPath, m.SHA256, m.Files, m.Records, m.Gaps, s.Now().UTC())...)
	if err != nil {
		return fmt.Errorf("save evidence manifest of %s: %w", m.IncidentID, err)
	}
	return nil
}

// LatestEvidenceManifest implements incident.Store. "Latest" is the order of
// insertion (the dialect's InsertOrder), not recorded_at: two manifests recorded
// within one tick of the clock, or after it stepped back, would otherwise come
// back in index order.
func (s *Store) LatestEvidenceManifest(ctx context.Context, incidentID string) (incident.EvidenceManifest, error) {
	var m incident.EvidenceManifest
	err := s.db.GetContext(ctx, &m, s.q(`SELECT incident_id, manifest_path, sha256, files, records, gaps, recorded_at
FROM evidence_manifests WHERE incident_id = ? ORDER BY `+s.d.InsertOrder+` DESC LIMIT 1`), s.text(incidentID))
	if errors.Is(err, sql.ErrNoRows) {
		return m, incident.Errorf(incident.ENOTFOUND, "no evidence manifest recorded for %s", incidentID)
	}
	if err != nil {
		return m, fmt.Errorf("evidence manifest of %s: %w", incidentID, err)
	}
	return m, nil
}
