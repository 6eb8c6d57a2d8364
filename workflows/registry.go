package workflows

import (
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
	// Request is the digest of what the key declared (see DeclareRequest), so that
	// a reuse of the key for another incident is told apart from a retry; empty for
	// keys recorded before it was kept.
	Request string `json:"request,omitempty"`
}

// DeclareRequest asks the registry for an incident id.
type DeclareRequest struct {
	// IdempotencyKey, when set, makes a repeated declare return the same id.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Request is a short digest of the playbook and title the key declares,
	// recorded with the key. The title itself is not: the registry carries every
	// key of the last week across continue-as-new, in one payload.
	Request string `json:"request,omitempty"`
}

// DeclareResponse is the allocated (or, for a repeated key, the existing) id.
type DeclareResponse struct {
	ID       string `json:"id"`
	Existing bool   `json:"existing"`
	// Request is the digest an existing key was recorded with (empty when the
	// registry did not record one), for the caller to check against its own.
	Request string `json:"request,omitempty"`
}

// DeclareBatchRequest asks for several ids in one Update: a service that receives
// many declares at once (an intake storm, a drill) sends them together, since a
// workflow takes only a few Updates in flight and each costs a workflow task.
type DeclareBatchRequest struct {
	Declares []DeclareRequest `json:"declares"`
}

// DeclareBatchResponse answers each request of a batch, in order.
type DeclareBatchResponse struct {
	Results []DeclareResponse `json:"results"`
}

// MaxDeclareBatch bounds one batch, so that its Update stays far below Temporal's
// payload limit (a request is at most a few hundred bytes).
const MaxDeclareBatch = 500

// maxIdempotencyKey bounds an idempotency key's length in bytes.
const maxIdempotencyKey = 200

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
	allocate := func(ctx workflow.Context, req DeclareRequest) DeclareResponse {
		now := workflow.Now(ctx).UTC()
		if req.IdempotencyKey != "" {
			if k, ok := st.Keys[req.IdempotencyKey]; ok {
				return DeclareResponse{ID: k.ID, Existing: true, Request: k.Request}
			}
		}
		day := now.Format("20060102")
		st.Counters[day]++
		id := incident.FormatID(now, st.Counters[day])
		if req.IdempotencyKey != "" {
			k := RegistryKey{ID: id, At: now}
			if workflow.GetVersion(ctx, versionRegistryKeyRequest, workflow.DefaultVersion, 1) == 1 {
				k.Request = req.Request
			}
			st.Keys[req.IdempotencyKey] = k
		}
		return DeclareResponse{ID: id}
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, DeclareUpdate,
		func(ctx workflow.Context, req DeclareRequest) (DeclareResponse, error) {
			handled++
			return allocate(ctx, req), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req DeclareRequest) error {
			return validateDeclare(req)
		}})
	if err != nil {
		return fmt.Errorf("register declare handler: %w", err)
	}
	// A new handler adds no command to an old history, so it needs no version: a
	// history recorded before it has no declare_batch Update to replay.
	err = workflow.SetUpdateHandlerWithOptions(ctx, DeclareBatchUpdate,
		func(ctx workflow.Context, req DeclareBatchRequest) (DeclareBatchResponse, error) {
			handled++
			res := DeclareBatchResponse{Results: make([]DeclareResponse, len(req.Declares))}
			for i, d := range req.Declares {
				res.Results[i] = allocate(ctx, d)
			}
			return res, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req DeclareBatchRequest) error {
			if len(req.Declares) == 0 || len(req.Declares) > MaxDeclareBatch {
				return fmt.Errorf("a batch holds 1 to %d declares, not %d", MaxDeclareBatch, len(req.Declares))
			}
			for i, d := range req.Declares {
				if err := validateDeclare(d); err != nil {
					return fmt.Errorf("declare %d: %w", i, err)
				}
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("register declare batch handler: %w", err)
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

// versionRegistryKeyRequest: from version 1 the registry records, with each new
// idempotency key, the digest of the request that declared it.
const versionRegistryKeyRequest = "registry-key-request"

func validateDeclare(req DeclareRequest) error {
	if len(req.IdempotencyKey) > maxIdempotencyKey {
		return fmt.Errorf("idempotency key longer than %d characters", maxIdempotencyKey)
	}
	return nil
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
