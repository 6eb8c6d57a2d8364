package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/internal/sqlite"
	"irflow/internal/storetest"
)

func openDB(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestStore runs the store contract against a real SQLite file.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incident.Store {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
}

// TestLeaseStore runs the containment lease contract against a real SQLite file.
func TestLeaseStore(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) storetest.LeaseStore {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
}

// TestUserStore runs the user store contract against a real SQLite file.
func TestUserStore(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) incident.UserStore {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
}

// TestRateBudget runs the rate budget contract against a real SQLite file, and
// checks two handles on one file (two processes) share one budget.
func TestRateBudget(t *testing.T) {
	storetest.RunRateBudget(t, func(t *testing.T) incident.RateBudget {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
	path := filepath.Join(t.TempDir(), "irflow.db")
	a, b := openDB(t, path), openDB(t, path)
	if w, err := a.ReserveRate(t.Context(), "zendesk:acme", time.Hour); err != nil || w > 0 {
		t.Fatalf("first slot: %s %v", w, err)
	}
	if w, err := b.ReserveRate(t.Context(), "zendesk:acme", time.Hour); err != nil || w < 59*time.Minute {
		t.Fatalf("second process's slot: wait %s, %v; want about 1h", w, err)
	}
}

type migration struct {
	Version   int       `db:"version"`
	Name      string    `db:"name"`
	AppliedAt time.Time `db:"applied_at"`
}

// appliedMigrations reads the migrations table of the store file at path, which no
// store has open.
func appliedMigrations(t *testing.T, path string) []migration {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = raw.Close() }()
	rows, err := raw.Query(`SELECT version, name, applied_at FROM migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read migrations of %s: %v", path, err)
	}
	defer func() { _ = rows.Close() }()
	var out []migration
	for rows.Next() {
		var m migration
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shippedVersions are the versions of the migrations in the source tree, 1..n.
func shippedVersions(t *testing.T) []int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v, %v", names, err)
	}
	var out []int
	for i := range names {
		out = append(out, i+1)
	}
	return out
}

func versions(ms []migration) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.Version)
	}
	return out
}

func TestReopenAppliesNoMigrationTwice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "irflow.db")
	db := openDB(t, path)
	at := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "t",
		Playbook: "credential-compromise", Phase: incident.PhaseTriage, DeclaredAt: at, UpdatedAt: at}
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: sum, StateJSON: "{}", Version: 1,
		Entries: []incident.TimelineEntry{{Seq: 1, At: at, Actor: "alice", Kind: incident.KindDeclared, Text: "declared"}}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	first := appliedMigrations(t, path)
	if got, want := versions(first), shippedVersions(t); !slices.Equal(got, want) {
		t.Fatalf("applied migrations %v, want %v", got, want)
	}

	db = openDB(t, path)
	if _, err := db.GetIncident(ctx, sum.ID); err != nil {
		t.Errorf("after reopen: %v", err)
	}
	if tl, err := db.Timeline(ctx, sum.ID); err != nil || len(tl) != 1 {
		t.Errorf("timeline after reopen = %v, %v; want the one entry", tl, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if again := appliedMigrations(t, path); !slices.Equal(again, first) {
		t.Errorf("migrations after reopen = %v, want %v unchanged", again, first)
	}
}

// TestEveryConnectionGetsThePragmas holds several pooled connections at once: each
// must have foreign keys, the busy timeout and WAL from the DSN, not only the first.
func TestEveryConnectionGetsThePragmas(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range 4 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var fk, busy, sync int
		var journal string
		for _, p := range []struct {
			pragma string
			into   any
		}{{"foreign_keys", &fk}, {"busy_timeout", &busy}, {"synchronous", &sync}, {"journal_mode", &journal}} {
			if err := c.QueryRowContext(ctx, "PRAGMA "+p.pragma).Scan(p.into); err != nil {
				t.Fatalf("connection %d: PRAGMA %s: %v", i, p.pragma, err)
			}
		}
		if fk != 1 || busy != 5000 || sync != 1 || journal != "wal" {
			t.Errorf("connection %d: foreign_keys=%d busy_timeout=%d synchronous=%d journal_mode=%s; want 1, 5000, 1 (NORMAL), wal",
				i, fk, busy, sync, journal)
		}
	}
}

// TestOpenMigratesSchema2Store opens a store written before the obligations table
// existed: Open applies the later migrations and every row written before reads back.
func TestOpenMigratesSchema2Store(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "irflow.db")
	script, err := os.ReadFile(filepath.Join("testdata", "schema2.sql"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(string(script)); err != nil {
		t.Fatalf("write the schema 2 store: %v", err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	before := appliedMigrations(t, path)

	db := openDB(t, path)
	const id = "INC-20260306-001"
	got, err := db.GetIncident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	declared := time.Date(2026, 3, 6, 14, 0, 0, 123456000, time.UTC)
	closedAt := time.Date(2026, 3, 6, 16, 30, 0, 0, time.UTC)
	if got.Title != "Maya's account taken over" || got.Phase != incident.PhaseClosed || got.Severity != "SEV2" ||
		got.Owner != "alice" || got.CloseReason != "contained" || got.Version != 7 ||
		got.StateJSON != `{"id":"INC-20260306-001","phase":"closed"}` || !got.DeclaredAt.Equal(declared) ||
		got.ClosedAt == nil || !got.ClosedAt.Equal(closedAt) {
		t.Errorf("incident = %+v", got)
	}
	tl, err := db.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 3 || tl[1].Data != `{"srm":"VI.2"}` || !tl[1].At.Equal(time.Date(2026, 3, 6, 14, 5, 0, 500000000, time.UTC)) ||
		tl[2].Text != "Closed: contained" {
		t.Errorf("timeline = %+v", tl)
	}
	if m, err := db.LatestEvidenceManifest(ctx, id); err != nil || m.SHA256 != "9f86d081884c7d65" || m.Records != 1200 {
		t.Errorf("manifest = %+v, %v", m, err)
	}
	if l, err := db.ListIncidents(ctx, incident.ListFilter{Query: "maya"}); err != nil || len(l) != 1 {
		t.Errorf("list = %+v, %v", l, err)
	}

	// The migrated store takes the new rows and goes on with the old ones.
	due := closedAt.Add(72 * time.Hour)
	o := incident.ObligationRecord{IncidentID: id, ObligationID: "gdpr-33", ClockWorkflowID: "obligation-" + id + "-gdpr-33",
		Rule: "gdpr-33", Status: obligations.StatusOpen, DueAt: &due, Revision: 1, UpdatedAt: closedAt,
		Clock: incident.ClockState{IncidentID: id, Status: obligations.StatusOpen, DueAt: &due}}
	if err := db.SaveObligation(ctx, o); err != nil {
		t.Fatalf("save obligation in the migrated store: %v", err)
	}
	if rows, err := db.Obligations(ctx, incident.ObligationFilter{IncidentID: id, Open: true}); err != nil || len(rows) != 1 {
		t.Errorf("obligations = %+v, %v", rows, err)
	}
	sum := got.Summary
	sum.UpdatedAt = closedAt.Add(time.Hour)
	if err := db.SaveIncident(ctx, incident.IncidentSave{Summary: sum, StateJSON: "{}", Version: 8,
		Entries: []incident.TimelineEntry{{Seq: 4, At: sum.UpdatedAt, Actor: "dpo", Kind: incident.KindObligation, Text: "notified"}}}); err != nil {
		t.Fatal(err)
	}
	if tl, err := db.Timeline(ctx, id); err != nil || len(tl) != 4 {
		t.Errorf("timeline after a new save = %d entries, %v; want 4", len(tl), err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	after := appliedMigrations(t, path)
	if got, want := versions(after), shippedVersions(t); !slices.Equal(got, want) {
		t.Errorf("applied migrations %v, want %v", got, want)
	}
	if len(after) < len(before) || !slices.Equal(after[:len(before)], before) {
		t.Errorf("migrations %v: the ones applied before %v must stay as they were", after, before)
	}
}

// TestLatestManifestClockTicks records manifests within one tick of a coarse clock and
// after the clock stepped back: the last one recorded is still the latest.
func TestLatestManifestClockTicks(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	at := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	ticks := []time.Time{at, at, at.Add(-time.Hour)}
	db.Now = func() time.Time {
		t := ticks[0]
		ticks = ticks[1:]
		return t
	}
	for _, sha := range []string{"cc", "aa", "bb"} {
		if err := db.SaveEvidenceManifest(ctx, incident.EvidenceManifest{IncidentID: "INC-20260306-001", SHA256: sha}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.LatestEvidenceManifest(ctx, "INC-20260306-001")
	if err != nil || got.SHA256 != "bb" {
		t.Errorf("latest = %+v, %v; want bb, the last recorded", got, err)
	}
}

func TestOpenExistingNeverCreates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "irflow.db")
	_, err := sqlite.OpenExisting(ctx, path)
	if !errors.Is(err, sqlite.ErrNoStore) || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenExisting on a missing file: %v, want ErrNoStore naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenExisting created %s (stat: %v)", path, err)
	}
	_ = openDB(t, path).Close()
	db, err := sqlite.OpenExisting(ctx, path)
	if err != nil {
		t.Fatalf("OpenExisting on a store Open created: %v", err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ListIncidents(ctx, incident.ListFilter{}); err != nil {
		t.Errorf("list from the existing store: %v", err)
	}
}

// TestSlackStore runs the Slack refs contract against a real SQLite file.
func TestSlackStore(t *testing.T) {
	storetest.RunSlack(t, func(t *testing.T) incident.SlackStore {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
}

// TestStoreFileIsPrivate: a new store file and its WAL and shared-memory files are
// created 0600 whatever the umask lets through (issue 17 item 14): the store holds
// the users, their token hashes and the audit log.
func TestStoreFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "irflow.db")
	db := openDB(t, path)
	// A write makes SQLite create the -wal and -shm files.
	if err := db.CreateUser(context.Background(), incident.User{ID: "alice", Roles: []incident.Role{incident.RoleViewer}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

// TestNoticeStore runs the notice store contract against a real SQLite file.
func TestNoticeStore(t *testing.T) {
	storetest.RunNotices(t, func(t *testing.T) incident.NoticeStore {
		return openDB(t, filepath.Join(t.TempDir(), "irflow.db"))
	})
}
