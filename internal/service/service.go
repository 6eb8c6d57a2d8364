// Package service is irflow's incident API: one typed method per action on an
// incident or an obligation clock, and the reads of the store. The CLI and the HTTP
// API (and Slack and the web next) call it and nothing below it, so a test that
// drives the service drives the same code path as a responder at a terminal, and no
// transport can get a message name or payload wrong.
//
// Reads come from one read model, the store: lists, timelines, obligations and
// closed incidents. Only an open incident's detail comes from its workflow's
// `state` query. Actions are Temporal Updates; each method waits for the result,
// and its Start variant returns once Temporal accepted the action (see Pending).
package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/playbooks"
	"irflow/workflows"
)

// Service talks to the incident workflows of one namespace and reads the store
// their activities write.
type Service struct {
	Client    client.Client
	Playbooks *playbooks.Catalogue
	// Store is the read model. Declare and the incident actions do not need it;
	// every read and the obligation actions do.
	Store incident.Store
	// Now is the clock reads compute the time left with; time.Now when nil.
	Now func() time.Time
	// Users keeps users and the audit log; with it, every decision on an
	// authenticated caller is recorded. Nil in tools without identities.
	Users incident.UserStore
	// Via is the channel of callers without a verified identity (the operator's
	// CLI talking to Temporal directly): "cli" when empty.
	Via    string
	Logger *slog.Logger
	// Notices keeps notices, their recipients and the intake's messages; Store is
	// used when it implements incident.NoticeStore and this is nil.
	Notices incident.NoticeStore
	// NoticeDefaults are notice inputs every draft starts from (controller,
	// contact_point), from the server's configuration.
	NoticeDefaults map[string]string
	// Intake handles email posted to the HTTP intake; nil disables it.
	Intake intake.Handler

	idsOnce sync.Once
	ids     *ids
}

// idAllocator returns the service's batcher of registry Updates.
func (s *Service) idAllocator() *ids {
	s.idsOnce.Do(func() { s.ids = &ids{client: s.Client} })
	return s.ids
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
// the incident the first call declared, even if that call failed half way; the same
// key with another playbook or title is a conflict naming that incident. Every input
// is checked against the limits of incident/limits.go before an id is used up.
func (s *Service) Declare(ctx context.Context, req DeclareRequest) (Declared, error) {
	actor, err := s.authorize(ctx, incident.ActDeclare, "", req.Playbook, req.Actor)
	if err != nil {
		return Declared{}, err
	}
	_, authenticated := incident.IdentityFrom(ctx)
	req.Actor = actor.ID
	if strings.TrimSpace(req.Title) == "" {
		return Declared{}, incident.Errorf(incident.EINVALID, "title is required")
	}
	if strings.TrimSpace(req.Actor) == "" {
		return Declared{}, incident.Errorf(incident.EINVALID, "actor is required")
	}
	if err := CheckDeclare(req); err != nil {
		return Declared{}, err
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
	input := workflows.IncidentInput{
		Title:              req.Title,
		Playbook:           pb,
		Facts:              doc,
		DeclaredBy:         req.Actor,
		IdempotencyKey:     req.IdempotencyKey,
		PlaybookRefs:       s.Playbooks.Refs(),
		Steps:              workflows.DeclaredSteps(pb),
		Authenticated:      authenticated,
		DeclaredVia:        actor.Via,
		DeclaredExternalID: actor.ExternalID,
	}
	if err := checkPayload("the incident's input (title, facts, playbook)", input); err != nil {
		return Declared{}, err
	}

	digest := requestDigest(pb.ID, req.Title)
	resp, err := s.idAllocator().allocate(ctx, workflows.DeclareRequest{IdempotencyKey: req.IdempotencyKey, Request: digest})
	if err != nil {
		return Declared{}, err
	}
	if resp.Existing && resp.Request != "" && resp.Request != digest {
		return Declared{}, incident.Errorf(incident.ECONFLICT,
			"idempotency key %q already declared %s with another playbook or title; use a new key for a new incident", req.IdempotencyKey, resp.ID)
	}
	input.ID = resp.ID

	wid := workflows.IncidentWorkflowID(resp.ID)
	_, err = s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        wid,
		TaskQueue: workflows.TaskQueue,
		// An incident id is never reused, even after the incident closed.
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// For readers of the Temporal UI only: lists come from the store.
		Memo: map[string]any{"title": req.Title, "playbook": pb.ID},
	}, workflows.Incident, input)
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

// requestDigest is what the registry records of a declare with an idempotency
// key: 64 bits of SHA-256 over the playbook and the title tell a reuse of the key
// for another incident from a retry, in 16 characters per key.
func requestDigest(playbook, title string) string {
	sum := sha256.Sum256([]byte(playbook + "\x00" + title))
	return hex.EncodeToString(sum[:8])
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// store returns the read model, or says that this service was built without one.
func (s *Service) store() (incident.Store, error) {
	if s.Store == nil {
		return nil, incident.Errorf(incident.EUNAVAILABLE, "no store: this irflow was started without one")
	}
	return s.Store, nil
}

func checkID(id string) error {
	if !incident.ValidID(id) {
		return incident.Errorf(incident.EINVALID, "%q is not an incident id (expected INC-YYYYMMDD-NNN)", id)
	}
	return nil
}

// mapErr turns Temporal errors into incident errors a user can act on. what names
// the target: "incident INC-…" or "obligation … of incident INC-…".
func mapErr(what string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		if strings.Contains(nf.Message, "completed") {
			return incident.Errorf(incident.ECONFLICT, "%s is closed", what)
		}
		return incident.Errorf(incident.ENOTFOUND, "%s not found", what)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeClosed {
		return incident.Errorf(incident.ECONFLICT, "%s", app.Message()) // it names the incident
	}
	if errors.As(err, &app) && app.Type() == workflows.ErrTypeConflict {
		return incident.Errorf(incident.ECONFLICT, "%s: %s", what, app.Message())
	}
	if errors.As(err, &app) {
		return incident.Errorf(incident.EINVALID, "%s: %s", what, app.Message())
	}
	var inv *serviceerror.InvalidArgument
	if errors.As(err, &inv) {
		return incident.Errorf(incident.EINVALID, "%s: %s", what, inv.Message)
	}
	var fp *serviceerror.FailedPrecondition
	if errors.As(err, &fp) {
		return incident.Errorf(incident.ECONFLICT, "%s: %s", what, fp.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isNotFound reports whether err says Temporal has no such workflow: never
// started, or deleted after the namespace's retention.
func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// hasCode reports whether err is an *incident.Error with code.
func hasCode(err error, code string) bool {
	var e *incident.Error
	return errors.As(err, &e) && e.Code == code
}
