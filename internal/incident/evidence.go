package incident

import "irflow/internal/evidence"

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
	Error          string          `json:"error,omitempty"`
}

// Evidence collection statuses.
const (
	EvidenceNotStarted = "not_started"
	EvidenceCollecting = "collecting"
	EvidenceCollected  = "collected"
	EvidenceFailed     = "failed"
	EvidenceNone       = "none"
)
