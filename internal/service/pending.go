package service

import (
	"context"
	"errors"

	"go.temporal.io/sdk/client"
)

// Pending is an action Temporal has accepted: the workflow's validator passed and
// the Update is durable in its history, so it will run to the end even if the
// caller goes away, but its result may not be known yet.
//
// Every action X has a Start variant, StartX, that returns a Pending as soon as the
// action is accepted; X itself waits for the result. A chat transport that must
// answer within 3 s calls StartRollback, answers "rolling back", and posts what
// Get returns when the undos finish. A rejection (a validator's reason, a closed
// incident) comes back from StartX itself, never later from Get.
type Pending[T any] struct {
	handle client.WorkflowUpdateHandle
	// what names the target in errors, as mapErr words them.
	what string
}

// Get waits for the action's result and returns it, or the error it ended with.
// ctx bounds the wait only: when it ends, the action still runs to its end, and
// Get can be called again.
func (p *Pending[T]) Get(ctx context.Context) (T, error) {
	var out T
	if err := p.handle.Get(ctx, &out); err != nil {
		return out, mapErr(p.what, err)
	}
	return out, nil
}

// stage is how long a send waits: until the Update is accepted, or completed.
type stage = client.WorkflowUpdateStage

const (
	accepted  = client.WorkflowUpdateStageAccepted
	completed = client.WorkflowUpdateStageCompleted
)

// send sends the Update name with arg to a workflow and waits for stage. what
// names the target in errors.
func send[T any](ctx context.Context, c client.Client, workflowID, what, name string, arg any, st stage) (*Pending[T], error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: st,
	})
	if err != nil {
		return nil, mapErr(what, err)
	}
	p := &Pending[T]{handle: h, what: what}
	if st == accepted {
		if err := p.rejection(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// rejection returns the validator's rejection of an Update sent for the accepted
// stage. Temporal answers such a send with the Update's outcome when it is already
// known (a rejected Update is completed with its failure) and without one when the
// Update is running, and the SDK offers no public way to tell which. Get on an
// already cancelled context tells without waiting: it returns a known outcome at
// once, and a cancellation for an Update still running.
func (p *Pending[T]) rejection(ctx context.Context) error {
	peek, cancel := context.WithCancel(ctx)
	cancel()
	var out T
	err := p.handle.Get(peek, &out)
	var running *client.WorkflowUpdateServiceTimeoutOrCanceledError
	if err == nil || errors.As(err, &running) {
		return nil
	}
	return mapErr(p.what, err)
}

// wait sends an action and waits for its result.
func wait[T any](ctx context.Context, p *Pending[T], err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return p.Get(ctx)
}
