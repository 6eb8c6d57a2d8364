package incident

// Attributed is a request the service stamps with the verified actor before it
// sends the Update: whatever the caller wrote in Actor is replaced.
type Attributed interface {
	// ActorName is the actor the request names.
	ActorName() string
	// WithActor returns a copy attributed to a.
	WithActor(a Actor) any
}

// ActorName implements Attributed.
func (r NoteRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r NoteRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r CloseRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r CloseRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r ApproveStepRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r ApproveStepRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r SkipStepRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r SkipStepRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r RetryStepRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r RetryStepRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r RollbackRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r RollbackRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r SetFactsRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r SetFactsRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r ConfirmOwnershipRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r ConfirmOwnershipRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r OverrideOwnershipRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r OverrideOwnershipRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r SetIncidentTriggerRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r SetIncidentTriggerRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r MarkFulfilledRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r MarkFulfilledRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r PauseRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r PauseRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r ResumeRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r ResumeRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r WaiveRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r WaiveRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }

// ActorName implements Attributed.
func (r SetTriggerRequest) ActorName() string { return r.Actor }

// WithActor implements Attributed.
func (r SetTriggerRequest) WithActor(a Actor) any { r.Actor, r.By = a.ID, &a; return r }
