package incident

import (
	"strings"

	"irflow/internal/evidence"
)

// EvidenceStatus is the evidence collection as the state query shows it.
type EvidenceStatus struct {
	Status         string          `json:"status"`
	Sources        []string        `json:"sources,omitempty"`
	Window         evidence.Window `json:"window"`
	WindowAssumed  bool            `json:"window_assumed,omitempty"`
	ManifestPath   string          `json:"manifest_path,omitempty"`
	ManifestSHA256 string          `json:"manifest_sha256,omitempty"`
	Files          int             `json:"files,omitempty"`
	Records        int64           `json:"records,omitempty"`
	Gaps           []evidence.Gap  `json:"gaps,omitempty"`
	// Completeness is the manifest's status once collected: complete, or partial
	// when some sources failed (FailedSources names them; what they gave before
	// failing is in the manifest). Empty before collection ends, and in states
	// from before it was recorded.
	Completeness  string   `json:"completeness,omitempty"`
	FailedSources []string `json:"failed_sources,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// Summary is the status for people: "collected", or "collected (partial: failed
// audit_logs)" when sources failed, so a partial collection never reads as a
// complete one.
func (e EvidenceStatus) Summary() string {
	if e.Completeness == evidence.StatusPartial {
		s := e.Status + " (partial"
		if len(e.FailedSources) > 0 {
			s += ": failed " + strings.Join(e.FailedSources, ", ")
		}
		return s + ")"
	}
	return e.Status
}

// Evidence collection statuses.
const (
	EvidenceNotStarted = "not_started"
	EvidenceCollecting = "collecting"
	EvidenceCollected  = "collected"
	EvidenceFailed     = "failed"
	EvidenceNone       = "none"
)
