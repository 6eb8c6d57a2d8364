// Package worker registers every irflow workflow and activity on a Temporal worker.
// It does nothing else, so that `irflow dev`, `irflow worker` and the tests run the
// exact same registrations.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/workflows"
)

// Deps are the activity implementations, built by the caller from its config.
type Deps struct {
	Incident    *activities.Activities
	Containment *activities.ContainmentActivities
	Evidence    *activities.EvidenceActivities
	Notify      *activities.NotifyActivities
	// Leases keep containment leases in the store, shared by every worker.
	Leases *activities.LeaseActivities
	// Notices send notices and keep their delivery state.
	Notices *activities.NoticeActivities
}

// StopTimeout is how long Stop waits for running activities to finish.
const StopTimeout = 10 * time.Second

// New returns a worker on workflows.TaskQueue with every workflow and activity
// registered. The caller starts and stops it.
func New(c client.Client, deps Deps) sdkworker.Worker {
	w := sdkworker.New(c, workflows.TaskQueue, sdkworker.Options{
		// Obligation clocks fire in bursts (many incidents' reminders at round
		// instants); more pollers keep a burst from queueing behind two pollers.
		MaxConcurrentWorkflowTaskPollers: 8,
		MaxConcurrentActivityTaskPollers: 8,
		// Let in-flight activities finish and report before Stop returns. With no
		// grace period Stop cancels them and the caller closes the client before
		// their result is sent, so the server only learns of it when the heartbeat
		// or start-to-close timeout expires: minutes during which a restarted
		// `irflow dev` shows evidence "collecting" and a closed incident cannot end.
		WorkerStopTimeout: StopTimeout,
	})
	Register(w, deps)
	return w
}

// Register registers irflow's workflows and activities on any registry, including
// the SDK test environment and the replayer.
func Register(r sdkworker.Registry, deps Deps) {
	r.RegisterWorkflow(workflows.Incident)
	r.RegisterWorkflow(workflows.Registry)
	r.RegisterWorkflowWithOptions(workflows.EvidenceCollection,
		workflow.RegisterOptions{Name: workflows.WorkflowEvidenceCollection})
	r.RegisterActivity(deps.Incident)
	r.RegisterActivity(deps.Containment)
	r.RegisterWorkflow(workflows.ObligationClock)
	r.RegisterActivity(deps.Evidence)
	r.RegisterActivity(deps.Notify)
	r.RegisterActivity(deps.Leases)
	r.RegisterWorkflow(workflows.Notice)
	r.RegisterWorkflow(workflows.NoticeFanOut)
	r.RegisterActivity(deps.Notices)
}
