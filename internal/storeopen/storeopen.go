// Package storeopen opens irflow's store from the one setting that names it
// (IRFLOW_STORE, --store): a postgres:// or postgresql:// URL opens the PostgreSQL
// store, anything else is a SQLite file, the default. Every command that opens a
// store goes through it, so the choice is made in one place.
package storeopen

import (
	"context"
	"errors"
	"net/url"

	"irflow/internal/incident"
	"irflow/internal/postgres"
	"irflow/internal/sqlite"
)

// Store is what irflow's processes use of a store: the read model, the users and
// their tokens, containment leases, the Slack objects made for incidents, the rate
// budgets workers share, notices with their recipients and the intake's messages,
// and Close.
type Store interface {
	incident.Store
	incident.UserStore
	incident.LeaseStore
	incident.SlackStore
	incident.RateBudget
	incident.NoticeStore
	Close() error
}

var (
	_ Store = (*sqlite.DB)(nil)
	_ Store = (*postgres.DB)(nil)
)

// ErrNoStore reports that OpenExisting found no store where target points.
var ErrNoStore = errors.New("no irflow store")

// IsPostgres reports whether target names a PostgreSQL database rather than a file.
func IsPostgres(target string) bool { return postgres.IsDSN(target) }

// Open opens the store target names, creating it (the SQLite file, or the tables in
// the PostgreSQL database) when it does not exist, and applies pending migrations.
func Open(ctx context.Context, target string) (Store, error) {
	// Each branch returns its own nil on error: a nil *DB in a Store would not be
	// a nil Store.
	if IsPostgres(target) {
		s, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := sqlite.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenExisting is Open for a client reading a store that another process writes: it
// creates nothing, and reports a missing one as ErrNoStore.
func OpenExisting(ctx context.Context, target string) (Store, error) {
	if IsPostgres(target) {
		s, err := postgres.OpenExisting(ctx, target)
		if err != nil {
			return nil, noStoreErr(err)
		}
		return s, nil
	}
	s, err := sqlite.OpenExisting(ctx, target)
	if err != nil {
		return nil, noStoreErr(err)
	}
	return s, nil
}

// noStoreErr makes a backend's "no store" error ErrNoStore too.
func noStoreErr(err error) error {
	if errors.Is(err, postgres.ErrNoStore) || errors.Is(err, sqlite.ErrNoStore) {
		return noStore{err}
	}
	return err
}

// noStore is a backend's "no store" error, which is also ErrNoStore.
type noStore struct{ err error }

func (e noStore) Error() string        { return e.err.Error() }
func (e noStore) Unwrap() error        { return e.err }
func (e noStore) Is(target error) bool { return target == ErrNoStore }

// Describe names target for logs and messages: a PostgreSQL URL without its
// password, a path as it is.
func Describe(target string) string {
	if !IsPostgres(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(unparsable DSN)"
	}
	return u.Redacted()
}
