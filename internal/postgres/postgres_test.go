package postgres_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
	"irflow/internal/postgres"
	"irflow/internal/postgres/pgtest"
	"irflow/internal/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func openDB(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestStore runs the store contract against a real PostgreSQL, a schema per test.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) incident.Store { return openDB(t, pgtest.DSN(t)) })
}

// TestRateBudget runs the rate budget contract against a real PostgreSQL, and
// checks two connection pools (two workers) share one budget.
func TestRateBudget(t *testing.T) {
	storetest.RunRateBudget(t, func(t *testing.T) incident.RateBudget { return openDB(t, pgtest.DSN(t)) })
	dsn := pgtest.DSN(t)
	a, b := openDB(t, dsn), openDB(t, dsn)
	if w, err := a.ReserveRate(t.Context(), "zendesk:acme", time.Hour); err != nil || w > 0 {
		t.Fatalf("first slot: %s %v", w, err)
	}
	if w, err := b.ReserveRate(t.Context(), "zendesk:acme", time.Hour); err != nil || w < 59*time.Minute {
		t.Fatalf("second worker's slot: wait %s, %v; want about 1h", w, err)
	}
}

// TestLeaseStore runs the containment lease contract against a real PostgreSQL.
func TestLeaseStore(t *testing.T) {
	storetest.RunLeases(t, func(t *testing.T) storetest.LeaseStore { return openDB(t, pgtest.DSN(t)) })
}

// TestUserStore runs the user store contract against a real PostgreSQL.
func TestUserStore(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) incident.UserStore { return openDB(t, pgtest.DSN(t)) })
}

// TestSlackStore runs the Slack refs contract against PostgreSQL.
func TestSlackStore(t *testing.T) {
	storetest.RunSlack(t, func(t *testing.T) incident.SlackStore { return openDB(t, pgtest.DSN(t)) })
}

type migration struct {
	Version   int       `db:"version"`
	Name      string    `db:"name"`
	AppliedAt time.Time `db:"applied_at"`
}

func appliedMigrations(t *testing.T, dsn string) []migration {
	t.Helper()
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var out []migration
	if err := db.SelectContext(t.Context(), &out, `SELECT version, name, applied_at FROM migrations ORDER BY version`); err != nil {
		t.Fatalf("read migrations: %v", err)
	}
	return out
}

// TestMigrationsConcurrentStart starts five processes' worth of stores on one empty
// schema at once, as three workers and two API servers deployed together do: each
// migration is applied once, every store opens and they all see one database.
func TestMigrationsConcurrentStart(t *testing.T) {
	dsn := pgtest.DSN(t)
	const n = 5
	stores := make([]*postgres.DB, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = postgres.Open(context.Background(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	got := appliedMigrations(t, dsn)
	shipped, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(shipped) == 0 {
		t.Fatalf("shipped migrations: %v, %v", shipped, err)
	}
	if len(got) != len(shipped) {
		t.Fatalf("migrations = %+v, want each of %v once", got, shipped)
	}
	for i, m := range got {
		if m.Version != i+1 || m.Name != filepath.Base(shipped[i]) || m.AppliedAt.IsZero() {
			t.Errorf("migration %d = %+v", i, m)
		}
	}
	// A write through one store is read through another.
	sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "t", Playbook: "p",
		Phase: incident.PhaseTriage, DeclaredAt: time.Now(), UpdatedAt: time.Now()}
	if err := stores[0].SaveIncident(t.Context(), incident.IncidentSave{Summary: sum, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[n-1].GetIncident(t.Context(), sum.ID); err != nil {
		t.Errorf("read back through another store: %v", err)
	}

	// Reopening applies nothing again.
	openDB(t, dsn)
	if again := appliedMigrations(t, dsn); len(again) != len(got) || !again[len(got)-1].AppliedAt.Equal(got[len(got)-1].AppliedAt) {
		t.Errorf("after reopening, migrations = %+v, want %+v", again, got)
	}
}

// TestSchemasAreSeparate checks that two stores in two schemas of one database (two
// tests, or two irflow installations) do not see each other's rows.
func TestSchemasAreSeparate(t *testing.T) {
	a, b := openDB(t, pgtest.DSN(t)), openDB(t, pgtest.DSN(t))
	sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "t", Playbook: "p",
		Phase: incident.PhaseTriage, DeclaredAt: time.Now(), UpdatedAt: time.Now()}
	if err := a.SaveIncident(t.Context(), incident.IncidentSave{Summary: sum, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if list, err := b.ListIncidents(t.Context(), incident.ListFilter{}); err != nil || len(list) != 0 {
		t.Errorf("other schema lists %v, %v; want nothing", list, err)
	}
}

// TestOpenBadDSN checks that a wrong DSN fails at Open with the host it tried, and
// never prints the password.
func TestOpenBadDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://irflow:s3cret-pass@127.0.0.1:1/irflow?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("open of a closed port succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "s3cret-pass") {
		t.Errorf("error = %q: want the host named and the password hidden", msg)
	}
	// A DSN that does not parse is quoted with its password masked.
	_, err = postgres.Open(ctx, "postgres://irflow:s3cret-pass@127.0.0.1:notaport/irflow")
	if err == nil || strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("unparsable DSN: error %v: want one, without the password", err)
	}
}

// TestTextPostgresRefuses: a NUL character or invalid UTF-8 in a title, a note or an
// audit reason (SQLite stores both; PostgreSQL's text refuses them) is stored as
// U+FFFD rather than failing the save, which the workflow would retry for ever.
func TestTextPostgresRefuses(t *testing.T) {
	s := openDB(t, pgtest.DSN(t))
	ctx := t.Context()
	now := time.Now()
	sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "nul\x00here",
		Playbook: "p", Phase: incident.PhaseTriage, DeclaredAt: now, UpdatedAt: now}
	note := incident.TimelineEntry{Seq: 1, At: now, Actor: "alice", Kind: incident.KindNote, Text: "bad \xff byte and \x00"}
	if err := s.SaveIncident(ctx, incident.IncidentSave{Summary: sum, Version: 1, Entries: []incident.TimelineEntry{note}}); err != nil {
		t.Fatalf("save: %v", err)
	}
	got, err := s.GetIncident(ctx, sum.ID)
	if err != nil || got.Title != "nul\uFFFDhere" {
		t.Errorf("title = %q, %v", got.Title, err)
	}
	tl, err := s.Timeline(ctx, sum.ID)
	if err != nil || len(tl) != 1 || tl[0].Text != "bad \uFFFD byte and \uFFFD" {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	if list, err := s.ListIncidents(ctx, incident.ListFilter{Query: "\x00"}); err != nil || len(list) != 1 {
		t.Errorf("search for NUL = %v, %v", list, err)
	}
	if err := s.RecordAudit(ctx, incident.AuditEntry{ActorID: "alice", Via: "api", Action: incident.ActAddNote, Reason: "\x00"}); err != nil {
		t.Errorf("audit: %v", err)
	}
}

// TestNoticeStore runs the notice store contract against a real PostgreSQL.
func TestNoticeStore(t *testing.T) {
	storetest.RunNotices(t, func(t *testing.T) incident.NoticeStore { return openDB(t, pgtest.DSN(t)) })
}
