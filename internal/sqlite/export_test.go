package sqlite

import (
	"context"
	"database/sql"
)

// Conn hands a test one of the pool's connections, to check what every connection
// gets from the DSN.
func (s *DB) Conn(ctx context.Context) (*sql.Conn, error) { return s.db.Conn(ctx) }
