// Package servicetest holds a fake of the Temporal client calls the service makes,
// for the tests of the service and of the transports over it.
package servicetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"irflow/internal/incident"
	"irflow/workflows"
)

// Temporal answers the calls the service's reads and actions make: the state and
// clock queries from States and Clocks (a workflow in neither is NotFound, as after
// the namespace's retention), and Updates (with or without a start), which it records and answers with
// Results[update name]; a result that is an error is the Update's failure (a
// validator's refusal, say). Any other call panics: the embedded nil client.Client
// has nothing to run.
type Temporal struct {
	client.Client
	States  map[string]incident.State     // by incident workflow id
	Clocks  map[string]incident.ClockView // by clock workflow id
	Results map[string]any                // by Update name; an error fails the Update

	mu      sync.Mutex
	calls   []string
	updates []client.UpdateWorkflowOptions
}

// New returns an empty fake.
func New() *Temporal {
	return &Temporal{States: map[string]incident.State{}, Clocks: map[string]incident.ClockView{}, Results: map[string]any{}}
}

// Calls lists every call made, as "query <workflow id> <name>" or
// "update <workflow id> <name>".
func (f *Temporal) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Updates lists every Update sent, oldest first.
func (f *Temporal) Updates() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]client.UpdateWorkflowOptions(nil), f.updates...)
}

// QueryWorkflow implements client.Client.
func (f *Temporal) QueryWorkflow(_ context.Context, workflowID, _, name string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "query "+workflowID+" "+name)
	switch name {
	case workflows.StateQuery:
		if st, ok := f.States[workflowID]; ok {
			return value{st}, nil
		}
	case workflows.ClockQuery:
		if cv, ok := f.Clocks[workflowID]; ok {
			return value{cv}, nil
		}
	}
	return nil, serviceerror.NewNotFound("workflow not found for ID: " + workflowID)
}

// UpdateWorkflow implements client.Client.
func (f *Temporal) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "update "+opts.WorkflowID+" "+opts.UpdateName)
	f.updates = append(f.updates, opts)
	return handle{workflowID: opts.WorkflowID, result: f.Results[opts.UpdateName]}, nil
}

// NewWithStartWorkflowOperation implements client.Client: UpdateWithStartWorkflow
// records only the Update.
func (f *Temporal) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

// UpdateWithStartWorkflow implements client.Client (a notice's draft starts its
// workflow): it records and answers the Update as UpdateWorkflow does.
func (f *Temporal) UpdateWithStartWorkflow(ctx context.Context, opts client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return f.UpdateWorkflow(ctx, opts.UpdateOptions)
}

// value is an EncodedValue that decodes like Temporal's JSON payloads.
type value struct{ v any }

func (j value) HasValue() bool { return j.v != nil }
func (j value) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

type handle struct {
	workflowID string
	result     any
}

func (h handle) WorkflowID() string { return h.workflowID }
func (h handle) RunID() string      { return "" }
func (h handle) UpdateID() string   { return "fake" }
func (h handle) Get(_ context.Context, ptr any) error {
	if h.result == nil {
		return fmt.Errorf("servicetest: no result for this update")
	}
	if err, ok := h.result.(error); ok {
		return err
	}
	return value{h.result}.Get(ptr)
}
