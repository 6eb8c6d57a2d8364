package incident

import (
	"testing"

	"irflow/internal/evidence"
)

// A partial collection never reads as a complete one wherever the status is shown.
func TestEvidenceSummary(t *testing.T) {
	for _, tt := range []struct {
		ev   EvidenceStatus
		want string
	}{
		{EvidenceStatus{Status: EvidenceCollecting}, "collecting"},
		{EvidenceStatus{Status: EvidenceCollected, Completeness: evidence.StatusComplete}, "collected"},
		{EvidenceStatus{Status: EvidenceCollected}, "collected"},
		{EvidenceStatus{Status: EvidenceCollected, Completeness: evidence.StatusPartial, FailedSources: []string{"audit_logs", "webhooks"}},
			"collected (partial: failed audit_logs, webhooks)"},
		{EvidenceStatus{Status: EvidenceFailed, Completeness: evidence.StatusPartial}, "failed (partial)"},
	} {
		if got := tt.ev.Summary(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.ev, got, tt.want)
		}
	}
}
