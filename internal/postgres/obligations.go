package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"irflow/internal/incident"
	"irflow/internal/obligations"
)

// SaveObligation implements incident.Store. One statement: the upsert locks the
// clock's row, so concurrent saves of one clock serialise and the highest revision
// stays.
func (s *DB) SaveObligation(ctx context.Context, o incident.ObligationRecord) error {
	clock, err := json.Marshal(o.Clock)
	if err != nil {
		return fmt.Errorf("save obligation %s of %s: encode clock: %w", o.ObligationID, o.IncidentID, err)
	}
	_, err = s.db.ExecContext(ctx, `
INSERT INTO obligations (incident_id, obligation_id, clock_workflow_id, rule, jurisdiction, audience, verification,
    depends_on, status, trigger_at, due_at, fulfilled_at, revision, updated_at, clock_json)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (clock_workflow_id) DO UPDATE SET
    rule = excluded.rule, jurisdiction = excluded.jurisdiction, audience = excluded.audience,
    verification = excluded.verification, depends_on = excluded.depends_on, status = excluded.status,
    trigger_at = excluded.trigger_at, due_at = excluded.due_at, fulfilled_at = excluded.fulfilled_at,
    revision = excluded.revision, updated_at = excluded.updated_at, clock_json = excluded.clock_json
WHERE excluded.revision >= obligations.revision`, texts(
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
func (s *DB) Obligations(ctx context.Context, f incident.ObligationFilter) ([]incident.ObligationRecord, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = "+arg(v))
		}
	}
	eq("incident_id", f.IncidentID)
	eq("obligation_id", f.ObligationID)
	eq("depends_on", f.DependsOn)
	eq("jurisdiction", f.Jurisdiction)
	eq("audience", f.Audience)
	eq("rule", f.Rule)
	if f.Open {
		var ps []string
		for _, st := range finalStatuses {
			ps = append(ps, arg(st))
		}
		where = append(where, "status NOT IN ("+strings.Join(ps, ", ")+")")
	}
	q := `SELECT incident_id, obligation_id, clock_workflow_id, rule, jurisdiction, audience, verification,
    depends_on, status, trigger_at, due_at, fulfilled_at, revision, updated_at, clock_json FROM obligations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	// The id columns sort in byte order (COLLATE "C" in the schema), as in SQLite.
	q += " ORDER BY due_at ASC NULLS LAST, incident_id, obligation_id, clock_workflow_id"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	var rows []struct {
		incident.ObligationRecord
		ClockJSON string `db:"clock_json"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, texts(args...)...); err != nil {
		return nil, fmt.Errorf("list obligations: %w", err)
	}
	out := make([]incident.ObligationRecord, 0, len(rows))
	for _, r := range rows {
		rec := r.ObligationRecord
		if err := json.Unmarshal([]byte(r.ClockJSON), &rec.Clock); err != nil {
			return nil, fmt.Errorf("list obligations: clock of %s in %s: %w", rec.ObligationID, rec.IncidentID, err)
		}
		out = append(out, rec)
	}
	return out, nil
}
