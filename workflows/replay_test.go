package workflows_test

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nexus-rpc/sdk-go/nexus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"irflow/worker"
)

// TestReplayHistories replays every recorded history in testdata/*_history.json
// through today's workflow code, registered by worker.Register exactly as `irflow
// dev` and `irflow worker` register it. A failure means a change to a workflow
// would make its running executions fail on their next workflow task: put the
// change behind workflow.GetVersion instead, and keep the history files as they are
// (add a new recording alongside, never replace one).
//
// The histories and how they were made:
//
//   - incident_history.json was recorded by hand from `irflow dev` and the
//     credential-compromise playbook: declare with facts (DE and US-CA individuals,
//     aware_at, a compromised user), approve suspend-accounts and kill-sessions, skip
//     the other four steps, set_facts answering the cause questions (phished agent
//     without MFA), add a note, close; then client.GetWorkflowHistory(ctx,
//     "incident-ID", "", false, HISTORY_EVENT_FILTER_TYPE_ALL_EVENT) written as a
//     history.v1.History with protojson.
//
//   - clock_history.json, clock_chained_history.json, evidence_history.json and
//     registry_history.json are written by TestRecordHistories in internal/app, which
//     drives the demo takeover through the dev stack in-process (see its comment for
//     what each one holds). To record new ones before changing workflow code:
//
//     IRFLOW_RECORD_HISTORIES=$PWD/workflows/testdata go test ./internal/app -run TestRecordHistories -count=1 -v
//
//   - incident_credential_history.json and incident_leases*_history.json are written,
//     with the same variable set, by TestCredentialCompromiseEndToEnd (every step of
//     the credential-compromise playbook, with before-state snapshots, and a
//     rollback) and TestTwoIncidentsOnTheSameZendeskObjects (two incidents sharing
//     containment leases, both rolled back).
//
//   - incident_retry_history.json (a step failed, retried after set-facts; a step
//     ended no_targets and was retried) and clock_late_history.json (a clock armed
//     after its due date) are written by TestRecordFaultHistories, with the same
//     variable set.
//
//   - incident_closed_in_triage_history.json (closed in the workflow task that
//     declared it: no-phase-after-close), incident_trigger_later_history.json and
//     clock_due_text_history.json (aware_at given by set_trigger after declaration;
//     the clock re-armed with its recomputed due text: clock-rearm-due-text) are
//     written by TestRecordCloseAndTriggerHistories, with the same variable set.
//
// New files matching the pattern are replayed without editing this test, and every
// workflow type the worker registers must have at least one history.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*_history.json"))
	if err != nil {
		t.Fatalf("list histories: %v", err)
	}
	replayer := sdkworker.NewWorkflowReplayer()
	reg := &replayRegistry{WorkflowReplayer: replayer}
	worker.Register(reg, worker.Deps{})

	recorded := map[string][]string{} // workflow type → history files
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			typ, err := historyWorkflowType(f)
			if err != nil {
				t.Fatalf("read %s: %v", f, err)
			}
			recorded[typ] = append(recorded[typ], name)
			if !slices.Contains(reg.types, typ) {
				t.Fatalf("%s is a history of workflow type %q, which worker.Register does not register (registered: %s)",
					f, typ, strings.Join(reg.types, ", "))
			}
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s (%s): %v", f, typ, err)
			}
		})
	}
	for _, typ := range reg.types {
		if len(recorded[typ]) == 0 {
			t.Errorf("no recorded history of workflow type %s in testdata/*_history.json: record one (see TestRecordHistories in internal/app)", typ)
		}
	}
}

// historyWorkflowType reads a history file and returns the workflow type its first
// event started.
func historyWorkflowType(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return "", err
	}
	if len(h.GetEvents()) == 0 {
		return "", os.ErrNotExist
	}
	return h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName(), nil
}

// replayRegistry lets worker.Register register on a replayer: workflows go to the
// replayer and their type names are kept; activities and Nexus services are
// dropped, since replay takes their results from the history.
type replayRegistry struct {
	sdkworker.WorkflowReplayer
	types []string
}

func (r *replayRegistry) RegisterWorkflow(w any) {
	r.WorkflowReplayer.RegisterWorkflow(w)
	r.types = append(r.types, funcName(w))
}

func (r *replayRegistry) RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions) {
	r.WorkflowReplayer.RegisterWorkflowWithOptions(w, options)
	name := options.Name
	if name == "" {
		name = funcName(w)
	}
	r.types = append(r.types, name)
}

// funcName is the type name the SDK gives a workflow registered without a name: its
// function's name without the package path.
func funcName(w any) string {
	name := runtime.FuncForPC(reflect.ValueOf(w).Pointer()).Name()
	return name[strings.LastIndex(name, ".")+1:]
}

func (r *replayRegistry) RegisterActivity(any)                                         {}
func (r *replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (r *replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
func (r *replayRegistry) RegisterNexusService(*nexus.Service)                          {}
