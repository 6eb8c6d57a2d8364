package sqlite

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// TestMigrationNumbersAreUnique: migrations are recorded by number, so two files
// with one number (two branches each adding the next one) would leave one of them
// unapplied. The PostgreSQL store's migrations must match these one for one.
func TestMigrationNumbersAreUnique(t *testing.T) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			t.Fatalf("%s: name must start with a number", base)
		}
		if other, dup := seen[n]; dup {
			t.Errorf("migrations %s and %s share the number %d", other, base, n)
		}
		seen[n] = base
	}
}
