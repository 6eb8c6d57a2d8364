package incident

import (
	"time"

	"irflow/internal/facts"
)

// Size limits on what a caller may send. The service checks them before anything
// reaches Temporal, so an over-limit request is refused (EINVALID: HTTP 400, CLI
// exit status 2) with the field and the limit named, instead of starting a workflow
// whose first task fails on Temporal's 2 MB payload limit and leaves a declared
// incident that can never run. Lengths of text are counted in characters (Unicode
// code points), sizes of documents in bytes of their JSON encoding.
const (
	// MaxTitle bounds an incident's title, a single line.
	MaxTitle = 200
	// MaxQuery bounds a list's search text (GET /api/incidents?q=, incident list
	// --query). A longer one cannot be part of any title, id or playbook name, and
	// SQLite refuses LIKE patterns over 50,000 bytes ("pattern too complex").
	MaxQuery = MaxTitle
	// MaxActor bounds an actor's name, a single line.
	MaxActor = 200
	// MaxLine bounds every other single-line field: step, field and obligation ids,
	// owners, clause ids, references, idempotency keys.
	MaxLine = 200
	// MaxReason bounds a reason (approve, skip, close, set-trigger, waive, a late
	// fulfilment), and a fulfilment's reference or attachment URI.
	MaxReason = 2000
	// MaxNote bounds a note's text.
	MaxNote = 10000
	// MaxFactsString bounds each string of a facts document, summary included.
	MaxFactsString = 8192
	// MaxList bounds each list of a request or of a facts document (affected
	// jurisdictions, Zendesk users, tickets, clauses...).
	MaxList = 1000
	// MaxFactsDocument bounds a facts document (or a set-facts patch) in bytes of
	// JSON.
	MaxFactsDocument = facts.MaxDocumentBytes
	// MaxPayload bounds a workflow's input or an Update's argument as encoded for
	// Temporal: far enough below its 2 MB limit that the incident's state, which
	// carries the input along with the timeline, still fits.
	MaxPayload = 256 << 10
)

// Instants a caller gives (facts timeline instants, trigger moves, pauses,
// fulfilment times) must lie in [EarliestInstant, LatestInstant): every deadline
// and reminder computed from them must still be a time that JSON and Temporal can
// carry (years 0 to 9999), or the incident fails on its first workflow task.
var (
	EarliestInstant = facts.EarliestInstant
	LatestInstant   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)
