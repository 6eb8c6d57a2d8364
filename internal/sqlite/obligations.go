package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"irflow/internal/incident"
	"irflow/internal/obligations"
)

// SaveObligation implements incident.Store.
func (s *DB) SaveObligation(ctx context.Context, o incident.ObligationRecord) error {
	clock, err := json.Marshal(o.Clock)
	if err != nil {
		return fmt.Errorf("save obligation %s of %s: encode clock: %w", o.ObligationID, o.IncidentID, err)
	}
	_, err = s.db.ExecContext(ctx, `
INSERT INTO obligations (incident_id, obligation_id, clock_workflow_id, rule, jurisdiction, audience, verification,
    depends_on, status, trigger_at, due_at, fulfilled_at, revision, updated_at, clock_json)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(clock_workflow_id) DO UPDATE SET
    rule = excluded.rule, jurisdiction = excluded.jurisdiction, audience = excluded.audience,
    verification = excluded.verification, depends_on = excluded.depends_on, status = excluded.status,
    trigger_at = excluded.trigger_at, due_at = excluded.due_at, fulfilled_at = excluded.fulfilled_at,
    revision = excluded.revision, updated_at = excluded.updated_at, clock_json = excluded.clock_json
WHERE excluded.revision >= obligations.revision`,
		o.IncidentID, o.ObligationID, o.ClockWorkflowID, o.Rule, o.Jurisdiction, o.Audience, o.Verification,
		o.DependsOn, o.Status, utcPtr(o.TriggerAt), utcPtr(o.DueAt), utcPtr(o.FulfilledAt), o.Revision,
		o.UpdatedAt.UTC(), string(clock))
	if err != nil {
		return fmt.Errorf("save obligation %s of %s: %w", o.ObligationID, o.IncidentID, err)
	}
	return nil
}

// finalStatuses are the statuses of clocks that have ended.
var finalStatuses = []string{obligations.StatusFulfilled, incident.ClockWaived, incident.ClockRetired}

// Obligations implements incident.Store.
func (s *DB) Obligations(ctx context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error) {
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
	q += " ORDER BY due_at IS NULL, due_at, incident_id, obligation_id, clock_workflow_id"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
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
	if err := decodeClocks(out, clocks); err != nil {
		return nil, err
	}
	if out == nil {
		out = []incident.ObligationRecord{}
	}
	return out, nil
}

// decodeClocks decodes each row's clock JSON, in as many goroutines as there are
// processors when there are enough rows to be worth it.
func decodeClocks(out []incident.ObligationRecord, clocks [][]byte) error {
	workers := runtime.GOMAXPROCS(0)
	if len(out) < 512 || workers < 2 {
		workers = 1
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(out) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(out))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if err := json.Unmarshal(clocks[i], &out[i].Clock); err != nil {
					errs[w] = fmt.Errorf("list obligations: clock of %s in %s: %w", out[i].ObligationID, out[i].IncidentID, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
