// Package service is irflow's incident API over Temporal: declare, list, show, note
// and close. The CLI and the HTTP API both call it, so a test that drives the service
// drives the same code path as a responder at a terminal.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks"
	"irflow/playbooks/regimes"
	"irflow/workflows"
)

// Service talks to the incident workflows of one namespace.
type Service struct {
	Client    client.Client
	Namespace string
	Playbooks *playbooks.Catalogue
}

// DeclareRequest declares a new incident.
type DeclareRequest struct {
	Playbook       string
	Title          string
	Facts          *facts.Document
	Actor          string
	IdempotencyKey string
}

// Declared names the declared incident.
type Declared struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	// Existing is true when an idempotency key returned an incident declared before.
	Existing bool `json:"-"`
}

// Declare allocates an incident id from the registry workflow (started on first use)
// and starts the incident workflow. With an idempotency key, a repeated call returns
// the incident the first call declared, even if that call failed half way.
func (s *Service) Declare(ctx context.Context, req DeclareRequest) (Declared, error) {
	if strings.TrimSpace(req.Title) == "" {
		return Declared{}, incident.Errorf(incident.EINVALID, "title is required")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return Declared{}, incident.Errorf(incident.EINVALID, "actor is required")
	}
	pb, err := s.Playbooks.Get(req.Playbook)
	if err != nil {
		return Declared{}, incident.Errorf(incident.EINVALID, "%v", err)
	}
	var doc facts.Document
	if req.Facts != nil {
		doc = *req.Facts
	}
	if doc.Version == 0 {
		doc.Version = facts.Version
	}

	start := s.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.RegistryWorkflowID,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.Registry, workflows.RegistryState{})
	handle, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID:   workflows.RegistryWorkflowID,
			UpdateName:   workflows.DeclareUpdate,
			Args:         []any{workflows.DeclareRequest{IdempotencyKey: req.IdempotencyKey}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return Declared{}, fmt.Errorf("allocate incident id: %w", err)
	}
	var resp workflows.DeclareResponse
	if err := handle.Get(ctx, &resp); err != nil {
		return Declared{}, fmt.Errorf("allocate incident id: %w", err)
	}

	wid := workflows.IncidentWorkflowID(resp.ID)
	_, err = s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        wid,
		TaskQueue: workflows.TaskQueue,
		// An incident id is never reused, even after the incident closed.
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		Memo: map[string]any{
			"title":    req.Title,
			"playbook": pb.ID,
			"phase":    string(incident.PhaseDeclared),
		},
	}, workflows.Incident, workflows.IncidentInput{
		ID:             resp.ID,
		Title:          req.Title,
		Playbook:       pb,
		Facts:          doc,
		DeclaredBy:     req.Actor,
		IdempotencyKey: req.IdempotencyKey,
		PlaybookRefs:   s.Playbooks.Refs(),
	})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
	case errors.As(err, &started) && resp.Existing:
		// The first declare with this key started it: same incident.
	case errors.As(err, &started):
		return Declared{}, fmt.Errorf("incident %s already exists but was not declared with this idempotency key", resp.ID)
	default:
		return Declared{}, fmt.Errorf("start incident %s: %w", resp.ID, err)
	}
	return Declared{ID: resp.ID, WorkflowID: wid, Existing: resp.Existing}, nil
}

// State queries an incident's current state.
func (s *Service) State(ctx context.Context, id string) (workflows.State, error) {
	var st workflows.State
	if !incident.ValidID(id) {
		return st, incident.Errorf(incident.EINVALID, "%q is not an incident id (expected INC-YYYYMMDD-NNN)", id)
	}
	v, err := s.Client.QueryWorkflow(ctx, workflows.IncidentWorkflowID(id), "", workflows.StateQuery)
	if err != nil {
		return st, mapErr(id, err)
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode state of %s: %w", id, err)
	}
	return st, nil
}

// AddNote appends a note to an incident's timeline.
func (s *Service) AddNote(ctx context.Context, id, actor, text string) (incident.TimelineEntry, error) {
	var e incident.TimelineEntry
	err := s.Update(ctx, id, workflows.AddNoteUpdate, workflows.NoteRequest{Actor: actor, Text: text}, &e)
	return e, err
}

// Close closes an incident.
func (s *Service) Close(ctx context.Context, id, actor, reason string) (workflows.State, error) {
	var st workflows.State
	err := s.Update(ctx, id, workflows.CloseUpdate, workflows.CloseRequest{Actor: actor, Reason: reason}, &st)
	return st, err
}

// Update sends any incident Update and decodes its result into out. Rejections by
// the workflow's validators come back as EINVALID errors with the validator's reason.
func (s *Service) Update(ctx context.Context, id, name string, arg, out any) error {
	if !incident.ValidID(id) {
		return incident.Errorf(incident.EINVALID, "%q is not an incident id (expected INC-YYYYMMDD-NNN)", id)
	}
	h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.IncidentWorkflowID(id),
		UpdateName:   name,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return mapErr(id, err)
	}
	if err := h.Get(ctx, out); err != nil {
		return mapErr(id, err)
	}
	return nil
}

// ListItem is one incident in a list.
type ListItem struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Title      string    `json:"title"`
	Playbook   string    `json:"playbook"`
	Phase      string    `json:"phase"`
	Status     string    `json:"status"`
	DeclaredAt time.Time `json:"declared_at"`
}

// List returns incidents from Temporal's visibility store, newest first.
func (s *Service) List(ctx context.Context, limit int) ([]ListItem, error) {
	var out []ListItem
	var token []byte
	for {
		resp, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace:     s.Namespace,
			Query:         "WorkflowType = 'Incident'",
			NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		for _, e := range resp.Executions {
			id, ok := workflows.IncidentIDFromWorkflowID(e.GetExecution().GetWorkflowId())
			if !ok {
				continue
			}
			item := ListItem{
				ID:         id,
				WorkflowID: e.GetExecution().GetWorkflowId(),
				Status:     strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WORKFLOW_EXECUTION_STATUS_")),
				DeclaredAt: e.GetStartTime().AsTime().UTC(),
			}
			for k, p := range e.GetMemo().GetFields() {
				var v string
				if err := json.Unmarshal(p.GetData(), &v); err != nil {
					continue
				}
				switch k {
				case "title":
					item.Title = v
				case "playbook":
					item.Playbook = v
				case "phase":
					item.Phase = v
				}
			}
			out = append(out, item)
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			return out, nil
		}
	}
}

// mapErr turns Temporal errors into incident errors a user can act on.
func mapErr(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if strings.Contains(nf.Message, "completed") {
			return incident.Errorf(incident.ECONFLICT, "incident %s is closed", id)
		}
		return incident.Errorf(incident.ENOTFOUND, "incident %s not found", id)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeClosed {
		return incident.Errorf(incident.ECONFLICT, "%s: %s", id, app.Message())
	}
	if errors.As(err, &app) {
		return incident.Errorf(incident.EINVALID, "%s: %s", id, app.Message())
	}
	var inv *serviceerror.InvalidArgument
	if errors.As(err, &inv) {
		return incident.Errorf(incident.EINVALID, "%s: %s", id, inv.Message)
	}
	var fp *serviceerror.FailedPrecondition
	if errors.As(err, &fp) {
		return incident.Errorf(incident.ECONFLICT, "%s: %s", id, fp.Message)
	}
	return fmt.Errorf("incident %s: %w", id, err)
}

// ObligationView is an incident's obligation with its clock's live view.
type ObligationView struct {
	workflows.IncidentObligation
	// Clock is the clock's own answer to the clock query: authoritative status,
	// fulfilment, pauses, reminders sent and the time left.
	Clock *workflows.ClockView `json:"clock,omitempty"`
}

// Obligations lists an incident's notification obligations with their clocks. With
// all, the obligations that do not apply are added with their reasons, computed
// from the incident's current facts (the workflow keeps only those with clocks).
func (s *Service) Obligations(ctx context.Context, incidentID string, all bool) ([]ObligationView, error) {
	st, err := s.State(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	out := []ObligationView{}
	for _, o := range st.Obligations {
		v := ObligationView{IncidentObligation: o}
		if o.ClockWorkflowID != "" {
			q, err := s.Client.QueryWorkflow(ctx, o.ClockWorkflowID, "", workflows.ClockQuery)
			if err == nil {
				var cv workflows.ClockView
				if err := q.Get(&cv); err == nil {
					v.Clock = &cv
				}
			}
		}
		out = append(out, v)
	}
	if all {
		out = append(out, notApplicable(st)...)
	}
	return out, nil
}

// ObligationUpdate sends an Update (mark_fulfilled, pause, resume, waive) to one
// obligation's clock; the clock's validators reject a late fulfilment without a
// reason, a fulfilment before the trigger, and so on.
func (s *Service) ObligationUpdate(ctx context.Context, incidentID, obligationID, name string, arg, out any) error {
	st, err := s.State(ctx, incidentID)
	if err != nil {
		return err
	}
	var known []string
	for _, o := range st.Obligations {
		if o.ClockWorkflowID == "" {
			continue
		}
		known = append(known, o.ID)
		if o.ID != obligationID {
			continue
		}
		h, err := s.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: o.ClockWorkflowID, UpdateName: name, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return mapErr(incidentID+" "+obligationID, err)
		}
		if err := h.Get(ctx, out); err != nil {
			return mapErr(incidentID+" "+obligationID, err)
		}
		return nil
	}
	return incident.Errorf(incident.ENOTFOUND, "incident %s has no obligation clock %q (clocks: %s)", incidentID, obligationID, strings.Join(known, ", "))
}

// notApplicable computes the obligations that do not apply to the incident's facts,
// with the threshold or flag that decided each.
func notApplicable(st workflows.State) []ObligationView {
	cat, err := regimes.Load()
	if err != nil {
		return nil
	}
	have := map[string]bool{}
	for _, o := range st.Obligations {
		have[o.ID] = true
	}
	var out []ObligationView
	for _, o := range obligations.ComputeAll(st.Facts, cat, time.Now()) {
		if !o.Applicable && !have[o.ID] {
			out = append(out, ObligationView{IncidentObligation: workflows.IncidentObligation{Obligation: o}})
		}
	}
	return out
}
