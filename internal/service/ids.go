package service

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"irflow/workflows"
)

// ids hands out incident ids from the registry workflow, sending the requests of
// concurrent declares together: one Update of the registry (declare_batch)
// allocates every id a batch asks for. Temporal admits only a few Updates in flight
// per workflow (10 by default) and runs one workflow task per Update, so one
// Update per declare queued 200 concurrent declares for seconds each; batched, a
// burst costs a few workflow tasks. While a batch is in flight the next requests
// queue, and go together when it returns (a group commit): a lone declare is sent
// at once, a burst in as many batches as it takes.
type ids struct {
	client client.Client

	mu       sync.Mutex
	queue    []*idRequest
	inflight int
	// singleUntil is set when the registry did not know declare_batch (a worker
	// older than this service): until then every request goes alone, as before,
	// and then batches are tried again, in case the workers were upgraded.
	singleUntil time.Time
}

// maxBatchesInFlight leaves room under Temporal's in-flight Update limit for other
// services and CLIs declaring on the same namespace.
const maxBatchesInFlight = 3

// registryCallTimeout bounds one registry Update, whoever waits on it.
const registryCallTimeout = time.Minute

type idRequest struct {
	ctx  context.Context
	req  workflows.DeclareRequest
	done chan idResult // buffered: a flusher never blocks on a caller gone
}

type idResult struct {
	resp workflows.DeclareResponse
	err  error
}

// allocate returns the id for req: a new one, or the one its idempotency key
// declared before.
func (a *ids) allocate(ctx context.Context, req workflows.DeclareRequest) (workflows.DeclareResponse, error) {
	r := &idRequest{ctx: ctx, req: req, done: make(chan idResult, 1)}
	a.mu.Lock()
	a.queue = append(a.queue, r)
	if a.inflight < maxBatchesInFlight {
		a.inflight++
		go a.flush()
	}
	a.mu.Unlock()
	select {
	case res := <-r.done:
		return res.resp, res.err
	case <-ctx.Done():
		// Queued requests of a gone caller are dropped before they are sent; a sent
		// one may still allocate an id, as a declare cut off mid-call always could.
		return workflows.DeclareResponse{}, ctx.Err()
	}
}

// flush sends queued requests until the queue is empty.
func (a *ids) flush() {
	for {
		a.mu.Lock()
		var batch []*idRequest
		for len(a.queue) > 0 && len(batch) < workflows.MaxDeclareBatch {
			r := a.queue[0]
			a.queue = a.queue[1:]
			if r.ctx.Err() == nil {
				batch = append(batch, r)
			}
		}
		if len(batch) == 0 {
			a.queue = nil
			a.inflight--
			a.mu.Unlock()
			return
		}
		single := time.Now().Before(a.singleUntil)
		a.mu.Unlock()
		if single {
			for _, r := range batch {
				resp, err := a.declare(r.ctx, r.req)
				r.done <- idResult{resp, err}
			}
			continue
		}
		a.send(batch)
	}
}

// send allocates the ids of one batch.
func (a *ids) send(batch []*idRequest) {
	req := workflows.DeclareBatchRequest{Declares: make([]workflows.DeclareRequest, len(batch))}
	for i, r := range batch {
		req.Declares[i] = r.req
	}
	ctx, cancel := context.WithTimeout(context.Background(), registryCallTimeout)
	defer cancel()
	var resp workflows.DeclareBatchResponse
	err := a.update(ctx, workflows.DeclareBatchUpdate, req, &resp)
	if err != nil && strings.Contains(err.Error(), "unknown update") {
		// A registry run by an older worker: fall back to one Update per declare.
		a.mu.Lock()
		a.singleUntil = time.Now().Add(time.Minute)
		a.mu.Unlock()
		for _, r := range batch {
			resp, err := a.declare(r.ctx, r.req)
			r.done <- idResult{resp, err}
		}
		return
	}
	if err == nil && len(resp.Results) != len(batch) {
		err = fmt.Errorf("the registry answered %d of %d declares", len(resp.Results), len(batch))
	}
	for i, r := range batch {
		if err != nil {
			r.done <- idResult{err: err}
			continue
		}
		r.done <- idResult{resp: resp.Results[i]}
	}
}

// declare allocates one id with the single declare Update.
func (a *ids) declare(ctx context.Context, req workflows.DeclareRequest) (workflows.DeclareResponse, error) {
	var resp workflows.DeclareResponse
	err := a.update(ctx, workflows.DeclareUpdate, req, &resp)
	return resp, err
}

// update sends one Update to the registry workflow, starting it on first use.
func (a *ids) update(ctx context.Context, name string, arg, out any) error {
	start := a.client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.RegistryWorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.Registry, workflows.RegistryState{})
	handle, err := a.client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   workflows.RegistryWorkflowID,
			UpdateName:   name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return fmt.Errorf("allocate incident id: %w", err)
	}
	if err := handle.Get(ctx, out); err != nil {
		return fmt.Errorf("allocate incident id: %w", err)
	}
	return nil
}
