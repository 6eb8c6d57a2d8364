package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
)

// SaveObligation implements incident.Store. One statement: on PostgreSQL the
// upsert locks the clock's row, so concurrent saves of one clock serialise and the
// highest revision stays.
func (s *Store) SaveObligation(ctx context.Context, o incident.ObligationRecord) error {
	clock, err := json.Marshal(o.Clock)
	if err != nil {
		return fmt.Errorf("save obligation %s of %s: encode clock: %w", o.ObligationID, o.IncidentID, err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`
INSERT INTO obligations (incident_id, obligation_id, clock_workflow_id, rule, jurisdiction, audience, verification,
    depends_on, status, trigger_at, due_at, fulfilled_at, revision, updated_at, clock_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (clock_workflow_id) DO UPDATE SET
    rule = excluded.rule, jurisdiction = excluded.jurisdiction, audience = excluded.audience,
    verification = excluded.verification, depends_on = excluded.depends_on, status = excluded.status,
    trigger_at = excluded.trigger_at, due_at = excluded.due_at, fulfilled_at = excluded.fulfilled_at,
    revision = excluded.revision, updated_at = excluded.updated_at, clock_json = excluded.clock_json
WHERE excluded.revision >= obligations.revision`), s.texts(
		o.IncidentID, o.ObligationID, o.ClockWorkflowID, o.Rule, o.Jurisdiction, o.Audience, o.Verification,
		o.DependsOn, o.Status, utcPtr(o.TriggerAt), utcPtr(o.DueAt), utcPtr(o.FulfilledAt), o.Revision,
		o.UpdatedAt.UTC(), string(clock))...)
	if err != nil {
		return fmt.Errorf("save obligation %s of %s: %w", o.ObligationID, o.IncidentID, err)
	}
	return nil
}

// finalStatuses are the statuses of clocks that have ended.
var finalStatuses = []string{obligations.StatusFulfilled, incident.ClockWaived, incident.ClockRetired}

// Obligations implements incident.Store.
func (s *Store) Obligations(ctx context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("incident_id", f.IncidentID)
	eq("obligation_id", f.ObligationID)
	eq("depends_on", f.DependsOn)
	eq("jurisdiction", f.Jurisdiction)
	eq("audience", f.Audience)
	eq("rule", f.Rule)
	if f.Open {
		where = append(where, "status NOT IN (?, ?, ?)")
		for _, st := range finalStatuses {
			args = append(args, st)
		}
	}
	q := `SELECT incident_id, obligation_id, clock_workflow_id, rule, jurisdiction, audience, verification,
    depends_on, status, trigger_at, due_at, fulfilled_at, revision, updated_at, clock_json FROM obligations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// The id columns sort in byte order (COLLATE "C" in PostgreSQL's schema).
	q += " ORDER BY " + s.d.NullsLast("due_at") + ", incident_id, obligation_id, clock_workflow_id"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(q), s.texts(args...)...)
	if err != nil {
		return nil, fmt.Errorf("list obligations: %w", err)
	}
	defer rows.Close()
	// Scanned by hand, not through sqlx's reflection, and the clocks decoded in
	// parallel: the deadline board reads every open clock of every incident
	// (10,000 rows in its benchmark) on each view.
	var out []incident.ObligationRecord
	var clocks [][]byte
	for rows.Next() {
		var rec incident.ObligationRecord
		var trigger, due, fulfilled sql.NullTime
		var clock []byte
		if err := rows.Scan(&rec.IncidentID, &rec.ObligationID, &rec.ClockWorkflowID, &rec.Rule, &rec.Jurisdiction, &rec.Audience,
			&rec.Verification, &rec.DependsOn, &rec.Status, &trigger, &due, &fulfilled, &rec.Revision, &rec.UpdatedAt, &clock); err != nil {
			return nil, fmt.Errorf("list obligations: %w", err)
		}
		rec.TriggerAt, rec.DueAt, rec.FulfilledAt = timePtr(trigger), timePtr(due), timePtr(fulfilled)
		rec.UpdatedAt = rec.UpdatedAt.UTC()
		out = append(out, rec)
		clocks = append(clocks, clock)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list obligations: %w", err)
	}
	if err := s.clocks.decode(out, clocks); err != nil {
		return nil, err
	}
	if out == nil {
		out = []incident.ObligationRecord{}
	}
	return out, nil
}

// clockCache keeps the clocks Obligations decoded, by clock workflow id with a
// hash of the JSON they were decoded from: the deadline board reads every open
// clock on each view, and most have not changed since the last one, so their
// JSON need not be decoded again (it was most of a 10,000-clock board's cost).
// Keyed by content, not by revision, so a row rewritten in any way, by this
// process or another sharing the database, is decoded afresh. Each caller gets its own copy of a cached clock's slices and map.
type clockCache struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[string]cachedClock
}

type cachedClock struct {
	sum   uint64
	clock incident.ClockState
}

// maxCachedClocks bounds the cache; past it, it starts again empty.
const maxCachedClocks = 200_000

// decode sets each row's Clock from its JSON: from the cache when the JSON is
// the one decoded before, else decoded (in as many goroutines as there are
// processors when there are enough rows to be worth it) and remembered.
func (c *clockCache) decode(out []incident.ObligationRecord, clocks [][]byte) error {
	sums := make([]uint64, len(out))
	var miss []int
	c.mu.Lock()
	if c.m == nil {
		c.seed, c.m = maphash.MakeSeed(), map[string]cachedClock{}
	}
	for i := range out {
		sums[i] = maphash.Bytes(c.seed, clocks[i])
		if hit, ok := c.m[out[i].ClockWorkflowID]; ok && hit.sum == sums[i] {
			out[i].Clock = cloneClock(hit.clock)
			continue
		}
		miss = append(miss, i)
	}
	c.mu.Unlock()
	if len(miss) == 0 {
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	if len(miss) < 512 || workers < 2 {
		workers = 1
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(miss) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(miss))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range miss[lo:hi] {
				if err := json.Unmarshal(clocks[i], &out[i].Clock); err != nil {
					errs[w] = fmt.Errorf("list obligations: clock of %s in %s: %w", out[i].ObligationID, out[i].IncidentID, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	c.mu.Lock()
	if len(c.m)+len(miss) > maxCachedClocks {
		c.m = map[string]cachedClock{}
	}
	for _, i := range miss {
		c.m[out[i].ClockWorkflowID] = cachedClock{sum: sums[i], clock: cloneClock(out[i].Clock)}
	}
	c.mu.Unlock()
	return nil
}

// cloneClock copies a clock's slices and map, so that no two callers share them.
func cloneClock(c incident.ClockState) incident.ClockState {
	c.Sent = maps.Clone(c.Sent)
	c.RemindersSent = slices.Clone(c.RemindersSent)
	c.History = slices.Clone(c.History)
	return c
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
