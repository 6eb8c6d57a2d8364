package workflows

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"irflow/internal/incident"
)

// RegistryState is the registry workflow's whole state, carried across
// continue-as-new.
type RegistryState struct {
	// Counters holds the last sequence number used per UTC day (YYYYMMDD).
	Counters map[string]int `json:"counters"`
	// Keys maps idempotency keys to the incident they declared.
	Keys map[string]RegistryKey `json:"keys"`
}

// RegistryKey records which incident an idempotency key declared, and when.
type RegistryKey struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// DeclareRequest asks the registry for an incident id.
type DeclareRequest struct {
	// IdempotencyKey, when set, makes a repeated declare return the same id.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// DeclareResponse is the allocated (or, for a repeated key, the existing) id.
type DeclareResponse struct {
	ID       string `json:"id"`
	Existing bool   `json:"existing"`
}

// registryKeyRetention is how long an idempotency key is remembered. A retry comes
// within minutes; a week covers a client that retries after an outage.
const registryKeyRetention = 7 * 24 * time.Hour

// registryMaxUpdates bounds the history of one run; the state is carried over.
const registryMaxUpdates = 1000

// Registry allocates human-readable incident ids (INC-YYYYMMDD-NNN, unique per
// namespace) and remembers idempotency keys. Ids come from one workflow so that they
// are unique without a shared database: the CLI and the HTTP API only need Temporal.
func Registry(ctx workflow.Context, st RegistryState) error {
	if st.Counters == nil {
		st.Counters = map[string]int{}
	}
	if st.Keys == nil {
		st.Keys = map[string]RegistryKey{}
	}
	handled := 0
	err := workflow.SetUpdateHandlerWithOptions(ctx, DeclareUpdate,
		func(ctx workflow.Context, req DeclareRequest) (DeclareResponse, error) {
			handled++
			now := workflow.Now(ctx).UTC()
			if req.IdempotencyKey != "" {
				if k, ok := st.Keys[req.IdempotencyKey]; ok {
					return DeclareResponse{ID: k.ID, Existing: true}, nil
				}
			}
			day := now.Format("20060102")
			st.Counters[day]++
			id := incident.FormatID(now, st.Counters[day])
			if req.IdempotencyKey != "" {
				st.Keys[req.IdempotencyKey] = RegistryKey{ID: id, At: now}
			}
			return DeclareResponse{ID: id}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req DeclareRequest) error {
			if len(req.IdempotencyKey) > 200 {
				return errors.New("idempotency key longer than 200 characters")
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("register declare handler: %w", err)
	}
	// Run until the history should be rolled over, then carry the state to a new run.
	if err := workflow.Await(ctx, func() bool {
		return handled >= registryMaxUpdates || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}); err != nil {
		return err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	pruneRegistry(&st, workflow.Now(ctx).UTC())
	return workflow.NewContinueAsNewError(ctx, Registry, st)
}

// pruneRegistry drops counters of days before yesterday (no id is allocated for a
// past day) and idempotency keys past their retention.
func pruneRegistry(st *RegistryState, now time.Time) {
	keep := now.Add(-24 * time.Hour).Format("20060102")
	days := make([]string, 0, len(st.Counters))
	for d := range st.Counters {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		if d < keep {
			delete(st.Counters, d)
		}
	}
	for k, v := range st.Keys {
		if now.Sub(v.At) > registryKeyRetention {
			delete(st.Keys, k)
		}
	}
}
