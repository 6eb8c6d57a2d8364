package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/incident"
)

// Message names of the notice workflow (one per incident and obligation): a draft
// legal can approve, and its sending.
const (
	// NoticeQuery returns the NoticeView.
	NoticeQuery = "notice"
	// DraftNoticeUpdate stores a draft rendered from the incident record.
	DraftNoticeUpdate = "draft_notice"
	// EditNoticeUpdate replaces the draft's text; it withdraws an approval.
	EditNoticeUpdate = "edit_notice"
	// ApproveNoticeUpdate approves the text as it stands (legal only, checked by the
	// service's permission table); the approved text and its SHA-256 are recorded.
	ApproveNoticeUpdate = "approve_notice"
	// SendNoticeUpdate sends the approved text to the notice's recipient list. It
	// returns once the send started; the fan-out reports progress to the query.
	SendNoticeUpdate = "send_notice"
	// FanOutProgressSignal carries the fan-out child's progress to the notice.
	FanOutProgressSignal = "fanout_progress"
	// FanOutProgressQuery returns the fan-out's FanOutProgress.
	FanOutProgressQuery = "progress"
)

// NoticeWorkflowID is the notice workflow of one obligation of one incident.
func NoticeWorkflowID(incidentID, obligationID string) string {
	return "notice-" + incidentID + "-" + obligationID
}

// NoticeFanOutWorkflowID is the fan-out child of a notice's nth send.
func NoticeFanOutWorkflowID(incidentID, obligationID string, n int) string {
	return fmt.Sprintf("notice-fanout-%s-%s-%d", incidentID, obligationID, n)
}

// ErrTypeNotice is the application error type of the notice workflow's refusals.
const ErrTypeNotice = "NoticeRefused"

// NoticeInput starts a notice workflow.
type NoticeInput struct {
	IncidentID   string `json:"incident_id"`
	ObligationID string `json:"obligation_id"`
	Rule         string `json:"rule"`
	// ClockWorkflowID is the obligation's clock, marked fulfilled after the send.
	ClockWorkflowID string `json:"clock_workflow_id"`
	// Authenticated requires a verified actor on every Update (as the incident does).
	Authenticated bool `json:"authenticated"`
}

// FanOutInput starts a notice's fan-out.
type FanOutInput struct {
	IncidentID    string  `json:"incident_id"`
	ObligationID  string  `json:"obligation_id"`
	Subject       string  `json:"subject"`
	Text          string  `json:"text"`
	TextSHA256    string  `json:"text_sha256"`
	Total         int     `json:"total"`
	BatchSize     int     `json:"batch_size"`
	RatePerSecond float64 `json:"rate_per_second"`
}

// Fan-out defaults: a batch is one SMTP session and one activity; the rate keeps a
// relay's per-sender limits (and a Zendesk-sized list) in mind.
const (
	DefaultFanOutBatch = 200
	DefaultFanOutRate  = 500.0
	maxFanOutBackoff   = 5 * time.Minute
)

type noticeImpl struct {
	in      NoticeInput
	st      incident.NoticeView
	send    *incident.SendNoticeRequest
	sends   int
	working bool
}

func textHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func refuseNotice(format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), ErrTypeNotice)
}

// Notice is the workflow of one obligation's notice: drafted from the incident
// record, edited, approved by legal (the approved text and its hash recorded), then
// sent to every recipient by a fan-out child, after which the obligation's clock is
// marked fulfilled with a reference to the delivery record. The workflow ends when
// the notice is sent; a send with failed recipients can be repeated.
func Notice(ctx workflow.Context, in NoticeInput) (incident.NoticeView, error) {
	n := &noticeImpl{in: in}
	n.st.IncidentID, n.st.ObligationID, n.st.Rule = in.IncidentID, in.ObligationID, in.Rule
	n.st.History = []incident.NoticeEvent{}
	if err := n.register(ctx); err != nil {
		return n.st, err
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	for {
		if err := workflow.Await(ctx, func() bool { return n.send != nil }); err != nil {
			return n.st, err
		}
		req := *n.send
		n.send = nil
		n.sends++
		var na *activities.NoticeActivities
		if n.sends > 1 {
			var requeued int
			if err := workflow.ExecuteActivity(actx, na.RequeueFailed, activities.NoticeRef{IncidentID: in.IncidentID, ObligationID: in.ObligationID}).Get(ctx, &requeued); err != nil {
				n.event(ctx, req.By, "send_failed", "could not requeue failed recipients: "+err.Error())
				n.st.Status = incident.NoticeFailed
				n.save(ctx)
				continue
			}
			n.event(ctx, req.By, "requeued", fmt.Sprintf("%d failed or bounced recipients queued again", requeued))
		}
		if len(req.Tickets) > 0 {
			zctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
				StartToCloseTimeout: 10 * time.Minute,
				RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 10},
			})
			var found activities.CollectRequestersResult
			err := workflow.ExecuteActivity(zctx, na.CollectRequesters, activities.CollectRequestersInput{
				IncidentID: in.IncidentID, ObligationID: in.ObligationID, Tickets: req.Tickets, KeyPrefix: req.KeyPrefix,
			}).Get(ctx, &found)
			if err != nil {
				n.st.Status = incident.NoticeFailed
				n.event(ctx, req.By, "send_failed", "could not read the requesters of the incident's tickets from Zendesk: "+err.Error())
				n.save(ctx)
				continue
			}
			req.Recipients += found.Added
			text := fmt.Sprintf("%d requesters of tickets %v added from Zendesk", found.Added, req.Tickets)
			if len(found.Skipped) > 0 {
				text += "; skipped: " + strings.Join(found.Skipped, "; ")
			}
			n.event(ctx, req.By, "recipients", text)
		}
		if req.Recipients == 0 {
			n.st.Status = incident.NoticeFailed
			n.event(ctx, req.By, "send_failed", "no recipients: nobody to send to")
			n.save(ctx)
			continue
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: NoticeFanOutWorkflowID(in.IncidentID, in.ObligationID, n.sends),
		})
		batch, rate := req.BatchSize, req.RatePerSecond
		if batch <= 0 {
			batch = DefaultFanOutBatch
		}
		if rate <= 0 {
			rate = DefaultFanOutRate
		}
		var p incident.FanOutProgress
		err := workflow.ExecuteChildWorkflow(cctx, NoticeFanOut, FanOutInput{
			IncidentID: in.IncidentID, ObligationID: in.ObligationID, Subject: n.st.Subject,
			Text: n.st.ApprovedText, TextSHA256: n.st.ApprovedSHA256, Total: req.Recipients,
			BatchSize: batch, RatePerSecond: rate,
		}).Get(ctx, &p)
		if err != nil {
			n.st.Status = incident.NoticeFailed
			n.event(ctx, req.By, "send_failed", "the fan-out failed: "+err.Error())
			n.save(ctx)
			continue
		}
		n.st.Progress = &p
		if p.Failed+p.Bounced > 0 {
			n.st.Status = incident.NoticeFailed
			n.event(ctx, req.By, "send_incomplete", fmt.Sprintf("%d sent, %d failed, %d bounced: the obligation is not fulfilled; fix the addresses or the server and send again", p.Sent, p.Failed, p.Bounced))
			n.save(ctx)
			continue
		}
		now := workflow.Now(ctx)
		n.st.SentAt = &now
		n.st.DeliveryRef = fmt.Sprintf("notice:%s/%s@%s", in.IncidentID, in.ObligationID, incident.ShortHash(n.st.ApprovedSHA256))
		n.event(ctx, req.By, "sent", fmt.Sprintf("sent to %d recipients by %s (delivery record %s)", p.Sent, n.st.Channel, n.st.DeliveryRef))
		// The status says sent only once the obligation's fulfilment was tried, so
		// whoever waits for "sent" sees the fulfilment (or why it failed) with it.
		n.fulfil(ctx, req, p)
		n.st.Status = incident.NoticeSent
		n.save(ctx)
		return n.st, nil
	}
}

// fulfil marks the obligation fulfilled at the send's end, referring to the delivery
// record and the approved text's hash.
func (n *noticeImpl) fulfil(ctx workflow.Context, req incident.SendNoticeRequest, p incident.FanOutProgress) {
	if n.in.ClockWorkflowID == "" {
		n.st.FulfilError = "no obligation clock known for " + n.in.ObligationID + ": mark it fulfilled with irflow obligations fulfil"
		n.event(ctx, nil, "fulfil_failed", n.st.FulfilError)
		return
	}
	at := *n.st.SentAt
	if p.FinishedAt != nil {
		at = *p.FinishedAt
	}
	mreq := incident.MarkFulfilledRequest{
		Obligation: n.in.ObligationID, At: at, Actor: req.Actor, By: req.By,
		Reference: n.st.DeliveryRef,
		Attachment: &incident.Attachment{Name: "approved notice (" + n.st.Template + ")",
			URI: "irflow:notice/" + n.in.IncidentID + "/" + n.in.ObligationID, SHA256: n.st.ApprovedSHA256},
		LateReason: n.st.Inputs["delay_reason"],
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	var na *activities.NoticeActivities
	var res activities.FulfilObligationResult
	err := workflow.ExecuteActivity(actx, na.FulfilObligation, activities.FulfilObligationInput{ClockWorkflowID: n.in.ClockWorkflowID, Request: mreq}).Get(ctx, &res)
	switch {
	case err != nil:
		n.st.FulfilError = err.Error()
	case res.Refused != "":
		n.st.FulfilError = res.Refused
	default:
		n.event(ctx, nil, "fulfilled", "obligation "+n.in.ObligationID+" marked fulfilled with reference "+n.st.DeliveryRef)
		return
	}
	n.event(ctx, nil, "fulfil_failed", "the obligation was not marked fulfilled: "+n.st.FulfilError)
}

func (n *noticeImpl) event(ctx workflow.Context, by *incident.Actor, kind, text string) {
	e := incident.NoticeEvent{At: workflow.Now(ctx), Kind: kind, Text: text}
	if by != nil {
		e.Actor, e.Via, e.ExternalID = by.ID, by.Via, by.ExternalID
	}
	n.st.History = append(n.st.History, e)
}

// save writes the notice's row; every change bumps the revision so the store keeps
// the newest.
func (n *noticeImpl) save(ctx workflow.Context) {
	n.st.Revision++
	n.st.UpdatedAt = workflow.Now(ctx)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 200 * time.Millisecond, MaximumInterval: 10 * time.Second},
	})
	var na *activities.NoticeActivities
	if err := workflow.ExecuteActivity(actx, na.SaveNotice, activities.SaveNoticeInput{Notice: n.st.Notice}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("Notice not saved to the store", "error", err)
	}
}

func (n *noticeImpl) register(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, NoticeQuery, func() (incident.NoticeView, error) { return n.st, nil }); err != nil {
		return err
	}
	progress := workflow.GetSignalChannel(ctx, FanOutProgressSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var p incident.FanOutProgress
			progress.Receive(ctx, &p)
			n.st.Progress = &p
		}
	})
	open := func() error {
		switch n.st.Status {
		case incident.NoticeSending:
			return refuseNotice("the notice of %s is being sent: it can no longer change", n.in.ObligationID)
		case incident.NoticeSent:
			return refuseNotice("the notice of %s was sent: it can no longer change", n.in.ObligationID)
		}
		return nil
	}
	handlers := []struct {
		name    string
		handler any
		valid   any
	}{
		{DraftNoticeUpdate,
			func(ctx workflow.Context, req incident.DraftNoticeRequest) (incident.NoticeView, error) {
				now := workflow.Now(ctx)
				redraft := n.st.Text != ""
				n.st.Template, n.st.Subject, n.st.Text = req.Template, req.Subject, req.Text
				if req.Rule != "" {
					n.st.Rule = req.Rule
				}
				n.st.TextSHA256 = textHash(req.Text)
				n.st.Inputs = req.Inputs
				n.st.DraftedBy, n.st.DraftedAt = req.Actor, now
				n.st.EditedBy, n.st.Edits = "", 0
				n.withdraw(ctx, req.By)
				n.st.Status = incident.NoticeDrafted
				kind := "drafted"
				if redraft {
					kind = "redrafted"
				}
				n.event(ctx, req.By, kind, fmt.Sprintf("%s from the incident record with template %s (sha256 %s)", kind, req.Template, incident.ShortHash(n.st.TextSHA256)))
				n.save(ctx)
				return n.st, nil
			},
			func(ctx workflow.Context, req incident.DraftNoticeRequest) error {
				if err := checkBy(n.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				if strings.TrimSpace(req.Text) == "" {
					return refuseNotice("a draft needs a text")
				}
				return open()
			}},
		{EditNoticeUpdate,
			func(ctx workflow.Context, req incident.EditNoticeRequest) (incident.NoticeView, error) {
				if req.Subject != "" {
					n.st.Subject = req.Subject
				}
				n.st.Text = req.Text
				n.st.TextSHA256 = textHash(req.Text)
				n.st.EditedBy = req.Actor
				n.st.Edits++
				n.withdraw(ctx, req.By)
				n.st.Status = incident.NoticeDrafted
				n.event(ctx, req.By, "edited", fmt.Sprintf("text edited (sha256 %s)", incident.ShortHash(n.st.TextSHA256)))
				n.save(ctx)
				return n.st, nil
			},
			func(ctx workflow.Context, req incident.EditNoticeRequest) error {
				if err := checkBy(n.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				if n.st.Text == "" {
					return refuseNotice("no draft of %s to edit: draft it first", n.in.ObligationID)
				}
				if strings.TrimSpace(req.Text) == "" {
					return refuseNotice("an edit needs a text")
				}
				if req.Text == n.st.Text && (req.Subject == "" || req.Subject == n.st.Subject) {
					return refuseNotice("the edit changes nothing")
				}
				return open()
			}},
		{ApproveNoticeUpdate,
			func(ctx workflow.Context, req incident.ApproveNoticeRequest) (incident.NoticeView, error) {
				now := workflow.Now(ctx)
				n.st.ApprovedText, n.st.ApprovedSHA256 = n.st.Text, n.st.TextSHA256
				n.st.ApprovedBy, n.st.ApprovedAt = req.Actor, &now
				n.st.Status = incident.NoticeApproved
				n.event(ctx, req.By, "approved", "approved text sha256 "+n.st.ApprovedSHA256)
				n.save(ctx)
				return n.st, nil
			},
			func(ctx workflow.Context, req incident.ApproveNoticeRequest) error {
				if err := checkBy(n.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				if n.st.Text == "" {
					return refuseNotice("no draft of %s to approve", n.in.ObligationID)
				}
				if err := open(); err != nil {
					return err
				}
				if n.st.Status == incident.NoticeApproved && n.st.ApprovedSHA256 == n.st.TextSHA256 {
					return refuseNotice("this text is already approved (by %s)", n.st.ApprovedBy)
				}
				if req.SHA256 == "" {
					return refuseNotice("name the sha256 of the text you approve (irflow notices show prints it)")
				}
				if !strings.HasPrefix(n.st.TextSHA256, strings.ToLower(req.SHA256)) || len(req.SHA256) < 12 {
					return refuseNotice("the text changed since you read it: its sha256 is now %s, not %s; read it again", n.st.TextSHA256, req.SHA256)
				}
				return nil
			}},
		{SendNoticeUpdate,
			func(ctx workflow.Context, req incident.SendNoticeRequest) (incident.NoticeView, error) {
				n.st.Status = incident.NoticeSending
				n.st.Channel = req.Channel
				n.st.Progress = &incident.FanOutProgress{Total: req.Recipients, Queued: req.Recipients, StartedAt: workflow.Now(ctx)}
				n.st.FulfilError = ""
				n.event(ctx, req.By, "sending", fmt.Sprintf("sending the approved text (sha256 %s) to %d recipients by %s", incident.ShortHash(n.st.ApprovedSHA256), req.Recipients, req.Channel))
				n.save(ctx)
				n.send = &req
				return n.st, nil
			},
			func(ctx workflow.Context, req incident.SendNoticeRequest) error {
				if err := checkBy(n.in.Authenticated, req.By, req.Actor); err != nil {
					return err
				}
				if err := open(); err != nil {
					return err
				}
				if n.send != nil {
					return refuseNotice("a send of %s is already starting", n.in.ObligationID)
				}
				if n.st.ApprovedSHA256 == "" || (n.st.Status != incident.NoticeApproved && n.st.Status != incident.NoticeFailed) {
					return refuseNotice("the notice of %s is not approved: legal approves it first (irflow notices approve)", n.in.ObligationID)
				}
				if n.st.ApprovedSHA256 != n.st.TextSHA256 {
					return refuseNotice("the text changed after it was approved: it needs a new approval")
				}
				if req.Channel != incident.ChannelEmail {
					return refuseNotice("channel %q is not supported (email)", req.Channel)
				}
				if req.Recipients <= 0 && len(req.Tickets) == 0 {
					return refuseNotice("no recipients: add them with --to, --csv or --requesters")
				}
				return nil
			}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.valid}); err != nil {
			return fmt.Errorf("register update %s: %w", h.name, err)
		}
	}
	return nil
}

// withdraw clears an approval: legal approved a text, and the text changed.
func (n *noticeImpl) withdraw(ctx workflow.Context, by *incident.Actor) {
	if n.st.ApprovedSHA256 == "" {
		return
	}
	n.event(ctx, by, "approval_withdrawn", "approval by "+n.st.ApprovedBy+" withdrawn: the text changed")
	n.st.ApprovedText, n.st.ApprovedSHA256, n.st.ApprovedBy, n.st.ApprovedAt = "", "", "", nil
}

// NoticeFanOut sends a notice to its recipient list in batches, each one SMTP
// session in one activity, until no recipient is queued. An activity that fails (the
// server unreachable) is retried by this loop with exponential back-off, and the
// error and the next attempt's time are in the progress, so a responder sees why the
// notice is waiting. It reports progress to its parent after every batch.
func NoticeFanOut(ctx workflow.Context, in FanOutInput) (incident.FanOutProgress, error) {
	p := incident.FanOutProgress{Total: in.Total, Queued: in.Total, StartedAt: workflow.Now(ctx)}
	if err := workflow.SetQueryHandler(ctx, FanOutProgressQuery, func() (incident.FanOutProgress, error) { return p, nil }); err != nil {
		return p, err
	}
	parent := workflow.GetInfo(ctx).ParentWorkflowExecution
	report := func() {
		if parent == nil {
			return
		}
		_ = workflow.SignalExternalWorkflow(ctx, parent.ID, "", FanOutProgressSignal, p).Get(ctx, nil)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		// A killed worker is noticed within this; the loop then retries the batch.
		HeartbeatTimeout: 30 * time.Second,
		// This loop retries, so that the error shows in the progress meanwhile.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var na *activities.NoticeActivities
	backoff := time.Second
	for {
		var res activities.SendNoticeBatchResult
		err := workflow.ExecuteActivity(actx, na.SendNoticeBatch, activities.SendNoticeBatchInput{
			IncidentID: in.IncidentID, ObligationID: in.ObligationID, Subject: in.Subject, Text: in.Text,
			TextSHA256: in.TextSHA256, Limit: in.BatchSize, RatePerSecond: in.RatePerSecond,
		}).Get(ctx, &res)
		p.Batches++
		if res.Counts != nil {
			p.Queued = res.Counts[incident.RecipientQueued] + res.Counts[incident.RecipientSending]
			p.Sent, p.Failed, p.Bounced = res.Counts[incident.RecipientSent], res.Counts[incident.RecipientFailed], res.Counts[incident.RecipientBounced]
			if t := p.Queued + p.Done(); t > p.Total {
				p.Total = t
			}
		}
		if elapsed := workflow.Now(ctx).Sub(p.StartedAt).Seconds(); elapsed > 0 {
			p.PerSecond = float64(p.Sent) / elapsed
		}
		if err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.NonRetryable() {
				p.LastError = app.Message()
				report()
				return p, err
			}
			p.LastError = err.Error()
			retry := workflow.Now(ctx).Add(backoff)
			p.RetryAt = &retry
			report()
			if err := workflow.Sleep(ctx, backoff); err != nil {
				return p, err
			}
			backoff = min(backoff*2, maxFanOutBackoff)
			continue
		}
		p.LastError, p.RetryAt = "", nil
		backoff = time.Second
		if res.Claimed == 0 && p.Queued == 0 {
			now := workflow.Now(ctx)
			p.FinishedAt = &now
			report()
			return p, nil
		}
		report()
	}
}
