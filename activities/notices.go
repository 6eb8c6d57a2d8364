package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/time/rate"

	"irflow/internal/incident"
	"irflow/internal/mail"
	"irflow/internal/notices"
	"irflow/internal/zendesk"
)

// NoticeActivities send notices and keep their read model: the notice row, and each
// recipient's delivery state, which is what makes a fan-out resumable without
// sending to anyone twice.
type NoticeActivities struct {
	Store incident.NoticeStore
	// Mailer sends email notices; nil when SMTP is not configured (a send then fails
	// with a permanent error that says so).
	Mailer *mail.Mailer
	// Temporal marks the obligation fulfilled on its clock workflow.
	Temporal client.Client
	// Zendesk reads the requesters of the incident's tickets, for a notice to the
	// people affected.
	Zendesk *zendesk.Client
	// MaxAttempts is how many times a recipient whose server answered 4xx is tried
	// before it is marked failed (default 5).
	MaxAttempts int
}

// SaveNoticeInput is SaveNotice's input.
type SaveNoticeInput struct {
	Notice incident.Notice `json:"notice"`
}

// SaveNotice writes a notice's row (idempotent: the store keeps the highest revision).
func (a *NoticeActivities) SaveNotice(ctx context.Context, in SaveNoticeInput) error {
	if err := a.Store.SaveNotice(ctx, in.Notice); err != nil {
		return fmt.Errorf("save notice %s of %s revision %d: %w", in.Notice.ObligationID, in.Notice.IncidentID, in.Notice.Revision, err)
	}
	return nil
}

// NoticeRef names a notice.
type NoticeRef struct {
	IncidentID   string `json:"incident_id"`
	ObligationID string `json:"obligation_id"`
}

// RequeueFailed puts a notice's failed and bounced recipients back in the queue,
// for a send repeated after the cause was fixed. It returns how many.
func (a *NoticeActivities) RequeueFailed(ctx context.Context, in NoticeRef) (int, error) {
	var results []incident.RecipientResult
	for _, state := range []string{incident.RecipientFailed, incident.RecipientBounced} {
		rs, err := a.Store.Recipients(ctx, incident.RecipientFilter{IncidentID: in.IncidentID, ObligationID: in.ObligationID, State: state})
		if err != nil {
			return 0, fmt.Errorf("requeue failed recipients of %s of %s: %w", in.ObligationID, in.IncidentID, err)
		}
		for _, r := range rs {
			results = append(results, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientQueued, Error: "requeued after: " + r.Error})
		}
	}
	if err := a.Store.RecordResults(ctx, in.IncidentID, in.ObligationID, results); err != nil {
		return 0, fmt.Errorf("requeue failed recipients of %s of %s: %w", in.ObligationID, in.IncidentID, err)
	}
	return len(results), nil
}

// SendNoticeBatchInput is SendNoticeBatch's input: the approved text and how many
// recipients to try.
type SendNoticeBatchInput struct {
	IncidentID   string `json:"incident_id"`
	ObligationID string `json:"obligation_id"`
	Subject      string `json:"subject"`
	Text         string `json:"text"`
	// TextSHA256 is the approved hash, carried in a header so a recipient's copy can
	// be matched to the approval.
	TextSHA256    string  `json:"text_sha256"`
	Limit         int     `json:"limit"`
	RatePerSecond float64 `json:"rate_per_second"`
}

// SendNoticeBatchResult is the notice's recipient counts after the batch.
type SendNoticeBatchResult struct {
	Claimed int            `json:"claimed"`
	Counts  map[string]int `json:"counts"`
	// Stopped is true when the worker began shutting down and the batch stopped
	// early, handing its untried recipients back to the queue.
	Stopped bool `json:"stopped,omitempty"`
}

// flushEvery bounds how many sent messages can wait for their result to be stored.
const flushEvery = 20

// SendNoticeBatch claims up to Limit queued recipients and sends each the approved
// notice over one SMTP session, rate-limited, recording each outcome in the store.
//
// Exactly once: a recipient is claimed (state sending) before its message goes out
// and recorded sent right after the server accepted it, and a claimed recipient is
// never sent again by another attempt. Recipients a previous attempt claimed and did
// not record (its worker died between the server's 250 and the store write) are
// marked failed with "outcome unknown" instead of being resent: their Message-ID is
// in the server's log to check. On a graceful worker stop the batch finishes the
// message in flight, hands its untried recipients back and returns.
func (a *NoticeActivities) SendNoticeBatch(ctx context.Context, in SendNoticeBatchInput) (SendNoticeBatchResult, error) {
	ref := fmt.Sprintf("notice %s of %s", in.ObligationID, in.IncidentID)
	if a.Mailer == nil {
		return SendNoticeBatchResult{}, temporal.NewNonRetryableApplicationError(
			"email is not configured: set SMTP_URL (or SMTP_HOST) for the worker", "SMTPNotConfigured", nil)
	}
	if err := a.abandonUnknown(ctx, in); err != nil {
		return SendNoticeBatchResult{}, err
	}
	claimed, err := a.Store.ClaimRecipients(ctx, in.IncidentID, in.ObligationID, in.Limit)
	if err != nil {
		return SendNoticeBatchResult{}, fmt.Errorf("%s: %w", ref, err)
	}
	res := SendNoticeBatchResult{Claimed: len(claimed)}
	if len(claimed) == 0 {
		res.Counts, err = a.Store.RecipientCounts(ctx, in.IncidentID, in.ObligationID)
		return res, err
	}
	// Whatever happens below, results reach the store and untried recipients go
	// back to the queue, even when ctx is cancelled.
	store := context.WithoutCancel(ctx)
	var pending []incident.RecipientResult
	tried := 0
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := a.Store.RecordResults(store, in.IncidentID, in.ObligationID, pending); err != nil {
			return fmt.Errorf("%s: record results: %w", ref, err)
		}
		pending = pending[:0]
		return nil
	}
	release := func() error {
		var seqs []int64
		for _, r := range claimed[tried:] {
			seqs = append(seqs, r.Seq)
		}
		return a.Store.ReleaseRecipients(store, in.IncidentID, in.ObligationID, seqs)
	}
	finish := func(cause error) (SendNoticeBatchResult, error) {
		err := errors.Join(flush(), release(), cause)
		if counts, cerr := a.Store.RecipientCounts(store, in.IncidentID, in.ObligationID); cerr == nil {
			res.Counts = counts
		}
		return res, err
	}

	session, err := a.Mailer.Open(ctx)
	if err != nil {
		// The server is unreachable or refused us: nobody was tried. The fan-out
		// shows the error and retries with back-off.
		return finish(fmt.Errorf("%s: %w", ref, err))
	}
	defer func() { _ = session.Close() }()
	perSecond := in.RatePerSecond
	if perSecond <= 0 {
		perSecond = 500
	}
	limiter := rate.NewLimiter(rate.Limit(perSecond), max(1, int(perSecond/10)))
	html, err := notices.HTML(in.Subject, in.Text)
	if err != nil {
		return finish(temporal.NewNonRetryableApplicationError(err.Error(), "NoticeHTML", err))
	}
	stop := activity.GetWorkerStopChannel(ctx)
	maxAttempts := a.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	for tried < len(claimed) {
		select {
		case <-stop:
			res.Stopped = true
			return finish(nil)
		case <-ctx.Done():
			return finish(ctx.Err())
		default:
		}
		if err := limiter.Wait(ctx); err != nil {
			return finish(err)
		}
		r := claimed[tried]
		d, err := session.Send(mail.Email{
			Key: r.Key, To: []string{r.Address}, Subject: in.Subject, Text: in.Text, HTML: html,
			Headers: []mail.Header{{Name: "X-Irflow-Incident", Value: in.IncidentID}, {Name: "X-Irflow-Obligation", Value: in.ObligationID},
				{Name: "X-Irflow-Notice-Sha256", Value: in.TextSHA256}},
		})
		tried++
		now := time.Now().UTC()
		var me *mail.Error
		switch {
		case err == nil:
			pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientSent, MessageID: d.MessageID, At: d.At})
		case errors.As(err, &me) && me.Final && me.Code >= 500:
			// The server refused the mailbox for good (550 5.1.1 and the like): a bounce.
			pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientBounced, Error: err.Error(), At: now})
		case errors.As(err, &me) && me.Final:
			// Not deliverable as given (an invalid address): this recipient only.
			pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientFailed, Error: err.Error(), At: now})
		case errors.As(err, &me) && me.Code >= 400 && me.Code < 500:
			// The server deferred it (4xx: busy, greylisting, down for maintenance):
			// back to the queue, up to maxAttempts, and the batch stops so the fan-out
			// backs off instead of hammering a server that asked it to wait.
			if r.Attempts >= maxAttempts {
				pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientFailed, Error: fmt.Sprintf("deferred %d times, last: %v", r.Attempts, err), At: now})
			} else {
				pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientQueued, Error: err.Error(), At: now})
			}
			return finish(fmt.Errorf("%s: server deferred delivery: %w", ref, err))
		default:
			// The connection broke during this message: whether the server took it is
			// unknown, so it is not resent (never twice); the rest go back to the queue
			// and the fan-out retries on a new connection.
			pending = append(pending, incident.RecipientResult{Seq: r.Seq, State: incident.RecipientFailed,
				Error: "delivery outcome unknown, not resent to avoid a duplicate (Message-ID " + mail.MessageID(r.Key, a.Mailer.Config().From) + "): " + err.Error(), At: now})
			return finish(fmt.Errorf("%s: connection lost: %w", ref, err))
		}
		if len(pending) >= flushEvery {
			if err := flush(); err != nil {
				return finish(err)
			}
			activity.RecordHeartbeat(ctx, tried)
		}
	}
	return finish(nil)
}

// abandonUnknown marks failed the recipients an earlier attempt claimed and never
// recorded: it died with them in flight, and sending again could send twice.
func (a *NoticeActivities) abandonUnknown(ctx context.Context, in SendNoticeBatchInput) error {
	stuck, err := a.Store.Recipients(ctx, incident.RecipientFilter{IncidentID: in.IncidentID, ObligationID: in.ObligationID, State: incident.RecipientSending})
	if err != nil || len(stuck) == 0 {
		return err
	}
	from := ""
	if a.Mailer != nil {
		from = a.Mailer.Config().From
	}
	results := make([]incident.RecipientResult, len(stuck))
	for i, r := range stuck {
		results[i] = incident.RecipientResult{Seq: r.Seq, State: incident.RecipientFailed, At: time.Now().UTC(),
			Error: "delivery outcome unknown: the worker stopped while sending; not resent to avoid a duplicate (check Message-ID " + mail.MessageID(r.Key, from) + " at the server)"}
	}
	activity.GetLogger(ctx).Warn("Recipients left in flight by a stopped worker marked failed", "incident_id", in.IncidentID, "obligation_id", in.ObligationID, "count", len(stuck))
	return a.Store.RecordResults(ctx, in.IncidentID, in.ObligationID, results)
}

// FulfilObligationInput names the clock to mark fulfilled and how.
type FulfilObligationInput struct {
	ClockWorkflowID string                        `json:"clock_workflow_id"`
	Request         incident.MarkFulfilledRequest `json:"request"`
}

// FulfilObligationResult says whether the clock accepted the fulfilment; Refused
// holds its validator's reason (late without reasons, already ended).
type FulfilObligationResult struct {
	Refused string              `json:"refused,omitempty"`
	Clock   incident.ClockState `json:"clock"`
}

// FulfilObligation sends mark_fulfilled to the obligation's clock. A refusal is a
// result, not an error: retrying cannot change the clock's mind, and the notice
// shows why.
func (a *NoticeActivities) FulfilObligation(ctx context.Context, in FulfilObligationInput) (FulfilObligationResult, error) {
	h, err := a.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: in.ClockWorkflowID, UpdateName: "mark_fulfilled", Args: []any{in.Request},
		WaitForStage: client.WorkflowUpdateStageCompleted,
		// One id per notice: a retried activity finds the first Update's outcome.
		UpdateID: "notice-fulfil-" + in.Request.Reference,
	})
	var out FulfilObligationResult
	if err == nil {
		err = h.Get(ctx, &out.Clock)
	}
	var app *temporal.ApplicationError
	var nf *serviceerror.NotFound
	switch {
	case err == nil:
		return out, nil
	case errors.As(err, &app):
		out.Refused = app.Message()
		return out, nil
	case errors.As(err, &nf):
		out.Refused = "the obligation's clock " + in.ClockWorkflowID + " is not running: " + nf.Message
		return out, nil
	}
	return out, fmt.Errorf("fulfil %s on %s: %w", in.Request.Obligation, in.ClockWorkflowID, err)
}

// CollectRequestersInput names the tickets whose requesters a notice goes to.
type CollectRequestersInput struct {
	IncidentID   string  `json:"incident_id"`
	ObligationID string  `json:"obligation_id"`
	Tickets      []int64 `json:"tickets"`
	// KeyPrefix starts each recipient's idempotency key (the address ends it).
	KeyPrefix string `json:"key_prefix"`
}

// CollectRequestersResult says who was found.
type CollectRequestersResult struct {
	Added int `json:"added"`
	// Skipped lists tickets or requesters without a usable address, with why.
	Skipped []string `json:"skipped,omitempty"`
}

// CollectRequesters adds the requesters of the incident's tickets (the people whose
// data the tickets hold, as the evidence names them) to the notice's recipient list:
// GET /api/v2/tickets/{id}, then the requester's user for the address. Adding is
// idempotent, so a retry adds nobody twice.
func (a *NoticeActivities) CollectRequesters(ctx context.Context, in CollectRequestersInput) (CollectRequestersResult, error) {
	var res CollectRequestersResult
	if a.Zendesk == nil {
		return res, temporal.NewNonRetryableApplicationError("zendesk is not configured: requesters cannot be read", "ZendeskNotConfigured", nil)
	}
	seen := map[int64]bool{}
	var rs []incident.NoticeRecipient
	for _, id := range in.Tickets {
		t, _, err := a.Zendesk.GetTicket(ctx, id)
		if err != nil {
			if zendesk.IsNotFound(err) {
				res.Skipped = append(res.Skipped, fmt.Sprintf("ticket %d: not found", id))
				continue
			}
			return res, fmt.Errorf("requesters of %s: %w", in.ObligationID, err)
		}
		if t.RequesterID == 0 || seen[t.RequesterID] {
			continue
		}
		seen[t.RequesterID] = true
		u, _, err := a.Zendesk.GetUser(ctx, t.RequesterID)
		if err != nil {
			if zendesk.IsNotFound(err) {
				res.Skipped = append(res.Skipped, fmt.Sprintf("ticket %d: requester %d not found", id, t.RequesterID))
				continue
			}
			return res, fmt.Errorf("requesters of %s: %w", in.ObligationID, err)
		}
		if strings.TrimSpace(u.Email) == "" {
			res.Skipped = append(res.Skipped, fmt.Sprintf("ticket %d: requester %d has no email address", id, u.ID))
			continue
		}
		rs = append(rs, incident.NoticeRecipient{Address: u.Email, Name: u.Name, Key: in.KeyPrefix + strings.ToLower(u.Email)})
	}
	n, err := a.Store.AddRecipients(ctx, in.IncidentID, in.ObligationID, rs)
	if err != nil {
		return res, fmt.Errorf("requesters of %s: %w", in.ObligationID, err)
	}
	res.Added = n
	return res, nil
}
