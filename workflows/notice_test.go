package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"irflow/activities"
	"irflow/internal/incident"
)

// TestNoticeLifecycle runs the notice workflow in the SDK's test environment: a
// stale hash, a send before approval and an edit after it are refused or withdraw
// the approval; the send fans out and the obligation is fulfilled with the delivery
// reference and the approved text's hash.
func TestNoticeLifecycle(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	var na *activities.NoticeActivities
	env.RegisterWorkflow(NoticeFanOut)
	var saved []incident.Notice
	env.OnActivity(na.SaveNotice, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SaveNoticeInput) error {
		saved = append(saved, in.Notice)
		return nil
	})
	batches := 0
	env.OnActivity(na.SendNoticeBatch, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SendNoticeBatchInput) (activities.SendNoticeBatchResult, error) {
		batches++
		if batches == 1 {
			return activities.SendNoticeBatchResult{Claimed: 2, Counts: map[string]int{"sent": 2, "queued": 1}}, nil
		}
		if batches == 2 {
			return activities.SendNoticeBatchResult{Claimed: 1, Counts: map[string]int{"sent": 3}}, nil
		}
		return activities.SendNoticeBatchResult{Counts: map[string]int{"sent": 3}}, nil
	})
	var fulfilled activities.FulfilObligationInput
	env.OnActivity(na.FulfilObligation, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.FulfilObligationInput) (activities.FulfilObligationResult, error) {
		fulfilled = in
		return activities.FulfilObligationResult{}, nil
	})

	good, bad := &updateOutcome{}, &updateOutcome{}
	var draftSHA string
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(SendNoticeUpdate, "s0", bad.cb(), incident.SendNoticeRequest{Channel: "email", Recipients: 3, Actor: "lee"})
		env.UpdateWorkflow(EditNoticeUpdate, "e0", bad.cb(), incident.EditNoticeRequest{Text: "x", Actor: "dana"})
		env.UpdateWorkflow(DraftNoticeUpdate, "d1", good.cb(), incident.DraftNoticeRequest{Template: "generic", Subject: "S", Text: "first text\n", Actor: "dana", Inputs: map[string]string{"delay_reason": "forensics"}})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		draftSHA = textHash("first text\n")
		env.UpdateWorkflow(ApproveNoticeUpdate, "a0", bad.cb(), incident.ApproveNoticeRequest{SHA256: "", Actor: "lee"})
		env.UpdateWorkflow(ApproveNoticeUpdate, "a1", good.cb(), incident.ApproveNoticeRequest{SHA256: draftSHA[:12], Actor: "lee"})
		env.UpdateWorkflow(ApproveNoticeUpdate, "a1b", bad.cb(), incident.ApproveNoticeRequest{SHA256: draftSHA, Actor: "lee"})
		// An edit withdraws the approval; approving the old hash is refused.
		env.UpdateWorkflow(EditNoticeUpdate, "e1", good.cb(), incident.EditNoticeRequest{Text: "second text\n", Actor: "dana"})
		env.UpdateWorkflow(ApproveNoticeUpdate, "a2", bad.cb(), incident.ApproveNoticeRequest{SHA256: draftSHA, Actor: "lee"})
		env.UpdateWorkflow(SendNoticeUpdate, "s1", bad.cb(), incident.SendNoticeRequest{Channel: "email", Recipients: 3, Actor: "lee"})
		env.UpdateWorkflow(ApproveNoticeUpdate, "a3", good.cb(), incident.ApproveNoticeRequest{SHA256: textHash("second text\n"), Actor: "lee"})
		env.UpdateWorkflow(SendNoticeUpdate, "s2", bad.cb(), incident.SendNoticeRequest{Channel: "fax", Recipients: 3, Actor: "lee"})
		env.UpdateWorkflow(SendNoticeUpdate, "s3", good.cb(), incident.SendNoticeRequest{Channel: "email", Recipients: 3, Actor: "lee", By: &incident.Actor{ID: "lee", Via: "api"}})
	}, 2*time.Minute)

	env.ExecuteWorkflow(Notice, NoticeInput{IncidentID: "INC-20261201-001", ObligationID: "us-tx-521-053-individuals", Rule: "us-tx-521-053-individuals", ClockWorkflowID: "clock-1"})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var v incident.NoticeView
	if err := env.GetWorkflowResult(&v); err != nil {
		t.Fatal(err)
	}
	bad.wantRejected(t, "is not approved", "no draft", "name the sha256", "already approved", "changed since you read it", "is not approved", `channel "fax"`)
	if good.accepted != 5 {
		t.Errorf("%d updates accepted, want 5", good.accepted)
	}
	if v.Status != incident.NoticeSent || v.ApprovedText != "second text\n" || v.ApprovedSHA256 != textHash("second text\n") || v.Edits != 1 {
		t.Errorf("final notice %+v", v.Notice)
	}
	if !strings.HasPrefix(v.DeliveryRef, "notice:INC-20261201-001/us-tx-521-053-individuals@") || v.Progress == nil || v.Progress.Sent != 3 || v.Progress.FinishedAt == nil {
		t.Errorf("delivery %q progress %+v", v.DeliveryRef, v.Progress)
	}
	r := fulfilled.Request
	if fulfilled.ClockWorkflowID != "clock-1" || r.Reference != v.DeliveryRef || r.Attachment == nil || r.Attachment.SHA256 != v.ApprovedSHA256 ||
		r.LateReason != "forensics" || r.By == nil || r.By.ID != "lee" {
		t.Errorf("fulfilment %+v", fulfilled)
	}
	if len(saved) == 0 || saved[len(saved)-1].Revision <= saved[0].Revision {
		t.Errorf("saves did not move forward: %d saves", len(saved))
	}
	var kinds []string
	for _, e := range v.History {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "drafted,approved,approval_withdrawn,edited,approved,sending,sent,fulfilled" {
		t.Errorf("history %s", got)
	}
}
