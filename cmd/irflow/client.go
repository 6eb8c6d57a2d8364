package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"irflow/internal/apiclient"
	"irflow/internal/incident"
	"irflow/internal/service"
)

// backend is what the incident and obligations commands call: the service itself
// (operator mode: Temporal and the store, recorded via cli) or, with --server, an
// irflow HTTP API (client mode: the server checks the token's user against the
// permission table and records who acted, via api). Both have the same methods, so
// a command's body does not know which one it drives.
type backend interface {
	Declare(ctx context.Context, req service.DeclareRequest) (service.Declared, error)
	List(ctx context.Context, f incident.ListFilter) ([]incident.Summary, error)
	Show(ctx context.Context, id string) (incident.State, error)
	AddNote(ctx context.Context, id string, req incident.NoteRequest) (incident.TimelineEntry, error)
	Close(ctx context.Context, id string, req incident.CloseRequest) (incident.State, error)
	ApproveStep(ctx context.Context, id string, req incident.ApproveStepRequest) (incident.StepState, error)
	SkipStep(ctx context.Context, id string, req incident.SkipStepRequest) (incident.StepState, error)
	RetryStep(ctx context.Context, id string, req incident.RetryStepRequest) (incident.StepState, error)
	Rollback(ctx context.Context, id string, req incident.RollbackRequest) (incident.RollbackResult, error)
	SetFacts(ctx context.Context, id string, req incident.SetFactsRequest) (incident.SetFactsResult, error)
	ConfirmOwnership(ctx context.Context, id string, req incident.ConfirmOwnershipRequest) (incident.OwnershipState, error)
	OverrideOwnership(ctx context.Context, id string, req incident.OverrideOwnershipRequest) (incident.OwnershipState, error)
	SetTrigger(ctx context.Context, id string, req incident.SetIncidentTriggerRequest) ([]incident.IncidentObligation, error)
	Obligations(ctx context.Context, incidentID string, all bool) ([]incident.ObligationView, error)
	Fulfil(ctx context.Context, incidentID, obligationID string, req incident.MarkFulfilledRequest) (incident.ClockState, error)
	Pause(ctx context.Context, incidentID, obligationID string, req incident.PauseRequest) (incident.ClockState, error)
	Resume(ctx context.Context, incidentID, obligationID string, req incident.ResumeRequest) (incident.ClockState, error)
	Waive(ctx context.Context, incidentID, obligationID string, req incident.WaiveRequest) (incident.ClockState, error)
}

var (
	_ backend = (*service.Service)(nil)
	_ backend = (*apiclient.Client)(nil)
)

// tokenEnv holds the API token of client mode. It is read from the environment
// only, never from a flag, so that it stays out of `ps` and shell history.
const tokenEnv = "IRFLOW_TOKEN"

// registerServer adds --server, which switches a command to client mode.
func (f *clientFlags) registerServer(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.server, "server", os.Getenv("IRFLOW_SERVER"),
		"drive the irflow HTTP API at this URL (e.g. http://127.0.0.1:8080) with the API token in $"+tokenEnv+
			", instead of Temporal and the store; the server records the token's user (env IRFLOW_SERVER)")
}

// remote returns the HTTP API client of client mode. Without a token it fails
// before any request, with the exit status of a refused one.
func (f *clientFlags) remote() (backend, func(), error) {
	token := strings.TrimSpace(os.Getenv(tokenEnv))
	if token == "" {
		return nil, nil, withExit(exitUnauthorized, fmt.Errorf("--server %s needs an API token in $%s (an admin creates one with: irflow users token create USER)", f.server, tokenEnv))
	}
	c, err := apiclient.New(f.server, token)
	if err != nil {
		return nil, nil, withExit(exitInvalid, fmt.Errorf("--server: %w", err))
	}
	return c, func() {}, nil
}

// authError gives the client-mode refusals their exit statuses, with a hint for a
// refused token; it returns nil for any other error.
func authError(err error) error {
	var e *incident.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case incident.EFORBIDDEN:
		return withExit(exitForbidden, err)
	case incident.EUNAUTHORIZED:
		return withExit(exitUnauthorized, fmt.Errorf("%w (check $%s: an admin creates a token with irflow users token create USER)", err, tokenEnv))
	}
	return nil
}
