package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"irflow/internal/containment"
	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/internal/notices"
	"irflow/workflows"
)

// DraftNoticeRequest asks for a notice drafted from the incident record.
type DraftNoticeRequest struct {
	// Inputs are facts the record does not hold (notices.Inputs); they add to the
	// service's NoticeDefaults and to the inputs of an earlier draft. An empty value
	// removes one.
	Inputs map[string]string `json:"inputs,omitempty"`
	// Template overrides the template the obligation's rule picks.
	Template string `json:"template,omitempty"`
	Actor    string `json:"actor,omitempty"`
}

// SendNoticeRequest sends an approved notice to recipients.
type SendNoticeRequest struct {
	Recipients    []incident.NoticeRecipientInput `json:"recipients"`
	Channel       string                          `json:"channel,omitempty"`
	RatePerSecond float64                         `json:"rate_per_second,omitempty"`
	BatchSize     int                             `json:"batch_size,omitempty"`
	// Requesters adds the requesters of the tickets the incident's facts name
	// (zendesk.tickets), read from Zendesk by the worker.
	Requesters bool   `json:"requesters,omitempty"`
	Actor      string `json:"actor,omitempty"`
}

// NoticeStatus is a notice with its delivery state.
type NoticeStatus struct {
	incident.NoticeView
	Counts map[string]int `json:"counts"`
	// Recipients lists the recipients from AfterSeq, up to the limit asked for.
	Recipients []incident.NoticeRecipient `json:"recipients,omitempty"`
}

// MissingFactsError is a draft refused for missing facts: the notices.MissingError
// as an EINVALID *incident.Error a transport can show (errors.As finds it), listing
// every fact and its hint, with the facts kept as data for a transport that asks
// for them (the web UI's draft form shows an input for each).
type MissingFactsError struct {
	Err      *incident.Error
	Template string
	Missing  []notices.Missing
}

func (e *MissingFactsError) Error() string { return e.Err.Error() }

// Unwrap returns the EINVALID *incident.Error.
func (e *MissingFactsError) Unwrap() error { return e.Err }

func missingFacts(me *notices.MissingError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "the %s notice cannot be drafted: %d fact(s) missing from the incident record:", me.Template, len(me.Missing))
	for _, m := range me.Missing {
		fmt.Fprintf(&b, "\n  %s: %s", m.Fact, m.Hint)
	}
	return &MissingFactsError{Err: incident.Errorf(incident.EINVALID, "%s", b.String()), Template: me.Template,
		Missing: append([]notices.Missing(nil), me.Missing...)}
}

func (s *Service) notices() (incident.NoticeStore, error) {
	if s.Notices != nil {
		return s.Notices, nil
	}
	if ns, ok := s.Store.(incident.NoticeStore); ok {
		return ns, nil
	}
	return nil, incident.Errorf(incident.EUNAVAILABLE, "no notice store: this irflow was started without one")
}

func checkObligationID(id string) error {
	if strings.TrimSpace(id) == "" {
		return incident.Errorf(incident.EINVALID, "an obligation id is required")
	}
	return nil
}

// DraftNotice renders the obligation's notice from the incident record and stores
// it as the notice's draft (replacing an unsent draft and withdrawing its approval).
// A fact the template needs that the record lacks refuses the draft, naming it.
func (s *Service) DraftNotice(ctx context.Context, incidentID, obligationID string, req DraftNoticeRequest) (incident.NoticeView, error) {
	if err := checkID(incidentID); err != nil {
		return incident.NoticeView{}, err
	}
	if err := checkObligationID(obligationID); err != nil {
		return incident.NoticeView{}, err
	}
	actor, err := s.authorize(ctx, incident.ActDraftNotice, incidentID, obligationID, req.Actor)
	if err != nil {
		return incident.NoticeView{}, err
	}
	if err := notices.CheckInputs(req.Inputs); err != nil {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "%v", err)
	}
	for k, v := range req.Inputs {
		if n := utf8.RuneCountInString(v); n > incident.MaxNote {
			return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "input %s: %d characters, over the limit of %d", k, n, incident.MaxNote)
		}
	}
	st, err := s.Show(ctx, incidentID)
	if err != nil {
		return incident.NoticeView{}, err
	}
	var ob *incident.IncidentObligation
	for i := range st.Obligations {
		if st.Obligations[i].ID == obligationID {
			ob = &st.Obligations[i]
		}
	}
	if ob == nil {
		var ids []string
		for _, o := range st.Obligations {
			ids = append(ids, o.ID)
		}
		return incident.NoticeView{}, incident.Errorf(incident.ENOTFOUND, "incident %s has no obligation %q (it has: %s)", incidentID, obligationID, strings.Join(ids, ", "))
	}
	inputs := map[string]string{}
	for k, v := range s.NoticeDefaults {
		inputs[k] = v
	}
	if ns, err := s.notices(); err == nil {
		if prev, err := ns.GetNotice(ctx, incidentID, obligationID); err == nil {
			if prev.Status == incident.NoticeSent {
				return incident.NoticeView{}, incident.Errorf(incident.ECONFLICT, "the notice of %s was sent (delivery record %s): it can no longer change", obligationID, prev.DeliveryRef)
			}
			for k, v := range prev.Inputs {
				inputs[k] = v
			}
		}
	}
	for k, v := range req.Inputs {
		if strings.TrimSpace(v) == "" {
			delete(inputs, k)
		} else {
			inputs[k] = v
		}
	}
	rec := notices.Record{
		IncidentID: incidentID, Title: st.Title, Facts: st.Facts, Obligation: ob.Obligation,
		Measures: measures(st.Steps), Inputs: inputs, Now: s.now(),
	}
	tmpl := req.Template
	if tmpl == "" {
		tmpl = notices.TemplateFor(ob.Rule)
	}
	d, err := notices.RenderWith(tmpl, rec)
	var me *notices.MissingError
	if errors.As(err, &me) {
		return incident.NoticeView{}, missingFacts(me)
	}
	if err != nil {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "%v", err)
	}
	clock := ob.ClockWorkflowID
	if clock == "" {
		if clock, err = s.clock(ctx, incidentID, obligationID); err != nil {
			return incident.NoticeView{}, err
		}
	}
	_, authenticated := incident.IdentityFrom(ctx)
	arg := incident.DraftNoticeRequest{Rule: ob.Rule, Template: d.Template, Subject: d.Subject, Text: d.Text, Inputs: inputs}.WithActor(actor)
	start := s.Client.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: workflows.NoticeWorkflowID(incidentID, obligationID), TaskQueue: workflows.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A sent notice's workflow has ended; a new one would send it twice.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.Notice, workflows.NoticeInput{IncidentID: incidentID, ObligationID: obligationID, Rule: ob.Rule,
		ClockWorkflowID: clock, Authenticated: authenticated})
	h, err := s.Client.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID: workflows.NoticeWorkflowID(incidentID, obligationID), UpdateName: workflows.DraftNoticeUpdate,
			Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	what := noticeWhat(incidentID, obligationID)
	if err != nil {
		return incident.NoticeView{}, mapErr(what, err)
	}
	var v incident.NoticeView
	if err := h.Get(ctx, &v); err != nil {
		return incident.NoticeView{}, mapErr(what, err)
	}
	return v, nil
}

func noticeWhat(incidentID, obligationID string) string {
	return fmt.Sprintf("notice of obligation %s of incident %s", obligationID, incidentID)
}

// measures lists the completed containment steps as the measures taken (Art.
// 33(3)(d)).
func measures(steps []incident.StepState) []string {
	var out []string
	for _, s := range steps {
		if s.Status != incident.StepDone {
			continue
		}
		line := strings.ReplaceAll(s.Step.Action, "_", " ")
		if len(line) > 0 {
			line = strings.ToUpper(line[:1]) + line[1:]
		}
		var targets []string
		for _, t := range s.Targets {
			targets = append(targets, targetText(t))
		}
		if len(targets) > 0 {
			line += " (" + strings.Join(targets, ", ") + ")"
		}
		if s.FinishedAt != nil {
			line += ", " + s.FinishedAt.UTC().Format("2 January 2006 15:04 MST")
		}
		out = append(out, line)
	}
	return out
}

func targetText(t containment.Target) string {
	kind := strings.ReplaceAll(string(t.Kind), "_", " ")
	if t.WebhookID != "" {
		return kind + " " + t.WebhookID
	}
	if t.ID != 0 {
		return fmt.Sprintf("%s %d", kind, t.ID)
	}
	return kind
}

// EditNotice replaces the draft's text (and subject); an approval is withdrawn.
func (s *Service) EditNotice(ctx context.Context, incidentID, obligationID string, req incident.EditNoticeRequest) (incident.NoticeView, error) {
	if n := utf8.RuneCountInString(req.Text); n > incident.MaxNoticeText {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "text: %d characters, over the limit of %d", n, incident.MaxNoticeText)
	}
	if n := utf8.RuneCountInString(req.Subject); n > incident.MaxLine {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "subject: %d characters, over the limit of %d", n, incident.MaxLine)
	}
	return s.noticeUpdate(ctx, incidentID, obligationID, workflows.EditNoticeUpdate, req)
}

// ApproveNotice approves the notice's text as it stands (legal only). req.SHA256
// names the text read: a text changed since is refused.
func (s *Service) ApproveNotice(ctx context.Context, incidentID, obligationID string, req incident.ApproveNoticeRequest) (incident.NoticeView, error) {
	return s.noticeUpdate(ctx, incidentID, obligationID, workflows.ApproveNoticeUpdate, req)
}

func (s *Service) noticeUpdate(ctx context.Context, incidentID, obligationID, name string, arg any) (incident.NoticeView, error) {
	if err := checkID(incidentID); err != nil {
		return incident.NoticeView{}, err
	}
	if err := checkObligationID(obligationID); err != nil {
		return incident.NoticeView{}, err
	}
	arg, err := s.stamp(ctx, name, incidentID, obligationID, arg)
	if err != nil {
		return incident.NoticeView{}, err
	}
	p, err := send[incident.NoticeView](ctx, s.Client, workflows.NoticeWorkflowID(incidentID, obligationID), noticeWhat(incidentID, obligationID), name, arg, completed)
	if err != nil && hasCode(err, incident.ENOTFOUND) {
		return incident.NoticeView{}, incident.Errorf(incident.ENOTFOUND, "no notice drafted for obligation %s of incident %s: run irflow notices draft first", obligationID, incidentID)
	}
	return wait(ctx, p, err)
}

// SendNotice adds recipients to the notice's list (an address already on it is not
// added twice) and starts sending the approved text to everyone queued. It returns
// once the send started; NoticeStatus follows it.
func (s *Service) SendNotice(ctx context.Context, incidentID, obligationID string, req SendNoticeRequest) (incident.NoticeView, error) {
	if err := checkID(incidentID); err != nil {
		return incident.NoticeView{}, err
	}
	if err := checkObligationID(obligationID); err != nil {
		return incident.NoticeView{}, err
	}
	if req.Channel == "" {
		req.Channel = incident.ChannelEmail
	}
	// Authorize before touching the recipient list.
	arg, err := s.stamp(ctx, workflows.SendNoticeUpdate, incidentID, obligationID, incident.SendNoticeRequest{
		Channel: req.Channel, RatePerSecond: req.RatePerSecond, BatchSize: req.BatchSize, Actor: req.Actor})
	if err != nil {
		return incident.NoticeView{}, err
	}
	ns, err := s.notices()
	if err != nil {
		return incident.NoticeView{}, err
	}
	n, err := ns.GetNotice(ctx, incidentID, obligationID)
	if err != nil {
		return incident.NoticeView{}, err
	}
	if n.ApprovedSHA256 == "" || n.ApprovedSHA256 != n.TextSHA256 {
		return incident.NoticeView{}, incident.Errorf(incident.ECONFLICT, "the notice of %s is not approved as it stands: legal approves it first (irflow notices approve)", obligationID)
	}
	if len(req.Recipients) > incident.MaxNoticeRecipients {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "recipients: %d in one send, over the limit of %d; send the list in parts", len(req.Recipients), incident.MaxNoticeRecipients)
	}
	rs := make([]incident.NoticeRecipient, 0, len(req.Recipients))
	for _, r := range req.Recipients {
		addr := strings.TrimSpace(r.Address)
		if addr == "" {
			continue
		}
		if len(addr) > incident.MaxLine {
			return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "recipient %.40q…: longer than %d characters", addr, incident.MaxLine)
		}
		// The key names the approved text: a notice re-approved after an edit is a
		// new message to each recipient.
		rs = append(rs, incident.NoticeRecipient{Address: addr, Name: strings.TrimSpace(r.Name),
			Key: fmt.Sprintf("notice/%s/%s/%s/%s", incidentID, obligationID, incident.ShortHash(n.ApprovedSHA256), strings.ToLower(addr))})
	}
	if _, err := ns.AddRecipients(ctx, incidentID, obligationID, rs); err != nil {
		return incident.NoticeView{}, err
	}
	counts, err := ns.RecipientCounts(ctx, incidentID, obligationID)
	if err != nil {
		return incident.NoticeView{}, err
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	sr := arg.(incident.SendNoticeRequest)
	sr.Recipients = total
	sr.KeyPrefix = fmt.Sprintf("notice/%s/%s/%s/", incidentID, obligationID, incident.ShortHash(n.ApprovedSHA256))
	if req.Requesters {
		st, err := s.Show(ctx, incidentID)
		if err != nil {
			return incident.NoticeView{}, err
		}
		if len(st.Facts.Zendesk.Tickets) == 0 {
			return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "--requesters: the incident's facts name no tickets (zendesk.tickets): set them, or give --to or --csv")
		}
		sr.Tickets = st.Facts.Zendesk.Tickets
	} else if total == 0 {
		return incident.NoticeView{}, incident.Errorf(incident.EINVALID, "no recipients: give addresses (--to, --csv) or --requesters")
	}
	p, err := send[incident.NoticeView](ctx, s.Client, workflows.NoticeWorkflowID(incidentID, obligationID), noticeWhat(incidentID, obligationID), workflows.SendNoticeUpdate, sr, completed)
	return wait(ctx, p, err)
}

// ShowNotice returns the notice: live from its workflow while it runs, else from the
// store.
func (s *Service) ShowNotice(ctx context.Context, incidentID, obligationID string) (incident.NoticeView, error) {
	if err := checkID(incidentID); err != nil {
		return incident.NoticeView{}, err
	}
	if err := checkObligationID(obligationID); err != nil {
		return incident.NoticeView{}, err
	}
	if err := s.authorizeRead(ctx, incidentID); err != nil {
		return incident.NoticeView{}, err
	}
	if s.Client != nil {
		if q, err := s.Client.QueryWorkflow(ctx, workflows.NoticeWorkflowID(incidentID, obligationID), "", workflows.NoticeQuery); err == nil {
			var v incident.NoticeView
			if err := q.Get(&v); err == nil {
				return v, nil
			}
		}
	}
	ns, err := s.notices()
	if err != nil {
		return incident.NoticeView{}, err
	}
	n, err := ns.GetNotice(ctx, incidentID, obligationID)
	if err != nil {
		return incident.NoticeView{}, err
	}
	return incident.NoticeView{Notice: n, History: []incident.NoticeEvent{}}, nil
}

// ListNotices returns an incident's notices from the store.
func (s *Service) ListNotices(ctx context.Context, incidentID string) ([]incident.Notice, error) {
	if err := checkID(incidentID); err != nil {
		return nil, err
	}
	if err := s.authorizeRead(ctx, incidentID); err != nil {
		return nil, err
	}
	ns, err := s.notices()
	if err != nil {
		return nil, err
	}
	return ns.ListNotices(ctx, incidentID)
}

// NoticeStatus returns a notice, its recipients' counts by state, and up to limit
// recipients after afterSeq (state filters them when set).
func (s *Service) NoticeStatus(ctx context.Context, incidentID, obligationID, state string, afterSeq int64, limit int) (NoticeStatus, error) {
	v, err := s.ShowNotice(ctx, incidentID, obligationID)
	if err != nil {
		return NoticeStatus{}, err
	}
	ns, err := s.notices()
	if err != nil {
		return NoticeStatus{}, err
	}
	out := NoticeStatus{NoticeView: v}
	if out.Counts, err = ns.RecipientCounts(ctx, incidentID, obligationID); err != nil {
		return out, err
	}
	if state != "" && !validState(state) {
		return out, incident.Errorf(incident.EINVALID, "state %q is not one of %s", state, strings.Join(incident.RecipientStates, ", "))
	}
	if limit > 0 {
		if out.Recipients, err = ns.Recipients(ctx, incident.RecipientFilter{IncidentID: incidentID, ObligationID: obligationID, State: state, AfterSeq: afterSeq, Limit: limit}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func validState(s string) bool {
	for _, x := range incident.RecipientStates {
		if x == s {
			return true
		}
	}
	return false
}

// ReceiveEmail takes one raw RFC 5322 message for the intake (POST
// /api/intake/email): it is kept with its hash, and a Zendesk security notice starts
// a zendesk-service-breach incident.
func (s *Service) ReceiveEmail(ctx context.Context, raw []byte, receivedAt time.Time) (intake.Outcome, error) {
	if _, err := s.authorize(ctx, incident.ActIntakeEmail, "", "", "intake"); err != nil {
		return intake.Outcome{}, err
	}
	if s.Intake == nil {
		return intake.Outcome{}, incident.Errorf(incident.EUNAVAILABLE, "the intake is not configured on this server")
	}
	return s.Intake.Receive(ctx, raw, intake.Envelope{Via: "http"}, receivedAt)
}

// DeclareFromNotice implements intake.Declarer: it declares the incident a Zendesk
// security notice reports, as the intake (a system actor), with the notice's facts,
// and records where the original message is kept. The idempotency key makes a
// redelivered notice find the incident the first one declared.
func (s *Service) DeclareFromNotice(ctx context.Context, n intake.NoticeIncident) (string, error) {
	// The intake acts, not the person who posted the message: their identity must
	// not decide whether the notice starts its incident.
	sys, cancel := context.WithTimeout(context.WithoutCancel(noIdentity{ctx}), time.Minute)
	defer cancel()
	doc := n.Facts
	d, err := s.Declare(sys, DeclareRequest{Playbook: intake.Playbook, Title: n.Title, Facts: &doc, Actor: "intake", IdempotencyKey: n.IdempotencyKey})
	if err != nil {
		return "", err
	}
	if !d.Existing {
		if _, err := s.AddNote(sys, d.ID, incident.NoteRequest{Actor: "intake", Text: n.Evidence}); err != nil {
			return d.ID, fmt.Errorf("record the notice's evidence on %s: %w", d.ID, err)
		}
	}
	return d.ID, nil
}

// noIdentity hides the identity a context carries.
type noIdentity struct{ context.Context }

func (c noIdentity) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(incident.Identity); ok {
		return nil
	}
	return v
}

// ListIntake returns the intake's messages, newest first, without their bytes.
func (s *Service) ListIntake(ctx context.Context, limit int) ([]incident.IntakeMessage, error) {
	if err := s.authorizeRead(ctx, ""); err != nil {
		return nil, err
	}
	ns, err := s.notices()
	if err != nil {
		return nil, err
	}
	return ns.ListIntake(ctx, limit)
}

// Show returns an incident's state (see show: live from its workflow while it is
// open, else from the store), with its notices and their delivery counts from the
// store, so a send's progress is part of the incident's state.
func (s *Service) Show(ctx context.Context, id string) (incident.State, error) {
	st, err := s.show(ctx, id)
	if err != nil {
		return st, err
	}
	ns, err := s.notices()
	if err != nil {
		return st, nil // a store without notices: nothing to add
	}
	list, err := ns.ListNotices(ctx, id)
	if err != nil {
		return st, err
	}
	for _, n := range list {
		counts, err := ns.RecipientCounts(ctx, id, n.ObligationID)
		if err != nil {
			return st, err
		}
		st.Notices = append(st.Notices, incident.NoticeSummary{ObligationID: n.ObligationID, Status: n.Status, Template: n.Template,
			TextSHA256: n.TextSHA256, ApprovedSHA256: n.ApprovedSHA256, ApprovedBy: n.ApprovedBy, DeliveryRef: n.DeliveryRef, Recipients: counts})
	}
	return st, nil
}
