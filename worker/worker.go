// Package worker registers every irflow workflow and activity on a Temporal worker.
// It does nothing else, so that `irflow dev`, `irflow worker` and the tests run the
// exact same registrations.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"irflow/activities"
	"irflow/workflows"
)

// New returns a worker on workflows.TaskQueue with every workflow and activity
// registered. The caller starts and stops it.
func New(c client.Client, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{})
	Register(w, acts)
	return w
}

// Register registers irflow's workflows and activities on any registry, including
// the SDK test environment and the replayer.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflow(workflows.Incident)
	r.RegisterWorkflow(workflows.Registry)
	r.RegisterActivity(acts)
}
