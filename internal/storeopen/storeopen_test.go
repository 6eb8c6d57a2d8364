package storeopen_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
	"irflow/internal/postgres/pgtest"
	"irflow/internal/storeopen"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestOpenChoosesBackend: a path opens SQLite (the default, unchanged), a postgres://
// URL opens PostgreSQL, and what one process writes another reads through
// OpenExisting.
func TestOpenChoosesBackend(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target string
		want   string
	}{
		{"sqlite path", filepath.Join(t.TempDir(), "irflow.db"), "*sqlite.DB"},
		{"postgres url", pgtest.DSN(t), "*postgres.DB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := storeopen.Open(t.Context(), tc.target)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if got := fmt.Sprintf("%T", s); got != tc.want {
				t.Errorf("%s opened %s, want %s", storeopen.Describe(tc.target), got, tc.want)
			}
			now := time.Now()
			sum := incident.Summary{ID: "INC-20260306-001", WorkflowID: "incident-INC-20260306-001", Title: "t",
				Playbook: "p", Phase: incident.PhaseTriage, DeclaredAt: now, UpdatedAt: now}
			if err := s.SaveIncident(t.Context(), incident.IncidentSave{Summary: sum, Version: 1}); err != nil {
				t.Fatal(err)
			}
			reader, err := storeopen.OpenExisting(t.Context(), tc.target)
			if err != nil {
				t.Fatalf("open existing: %v", err)
			}
			defer func() { _ = reader.Close() }()
			if _, err := reader.GetIncident(t.Context(), sum.ID); err != nil {
				t.Errorf("read back: %v", err)
			}
		})
	}
}

// TestOpenExistingMissing: a client pointed at the wrong file or the wrong schema is
// told there is no store, and nothing is created there.
func TestOpenExistingMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nothing", "irflow.db")
	_, err := storeopen.OpenExisting(t.Context(), path)
	if !errors.Is(err, storeopen.ErrNoStore) || !strings.Contains(err.Error(), path) {
		t.Errorf("missing sqlite file: %v, want ErrNoStore naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenExisting created %s", path)
	}

	dsn := pgtest.DSN(t)
	_, err = storeopen.OpenExisting(t.Context(), dsn)
	if !errors.Is(err, storeopen.ErrNoStore) {
		t.Fatalf("empty schema: %v, want ErrNoStore", err)
	}
	// Nothing was created: a later OpenExisting still finds no store.
	if _, err := storeopen.OpenExisting(t.Context(), dsn); !errors.Is(err, storeopen.ErrNoStore) {
		t.Errorf("second look at the empty schema: %v, want ErrNoStore", err)
	}
}

func TestDescribeHidesPassword(t *testing.T) {
	got := storeopen.Describe("postgres://irflow:s3cret@db.internal:5432/irflow?sslmode=require")
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "db.internal:5432/irflow") {
		t.Errorf("Describe = %q", got)
	}
	if got := storeopen.Describe("./irflow.db"); got != "./irflow.db" {
		t.Errorf("Describe(path) = %q", got)
	}
}
