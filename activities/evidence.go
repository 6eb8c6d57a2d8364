package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"irflow/internal/evidence"
	"irflow/internal/zendesk"
)

// defaultPageBudget is how many pages one CollectSource run fetches before handing
// its cursor back to the workflow; it keeps one activity's history event small and
// lets the workflow continue-as-new between runs.
const defaultPageBudget = 50

// EvidenceActivities collects evidence from the subscriber's Zendesk instance into
// evidence storage, one NDJSON file per source, with a chain of custody
// (SRM-IV.S.3, SRM-VI.S.1).
type EvidenceActivities struct {
	Zendesk *zendesk.Client
	// Objects is where evidence is kept (a local folder or S3-compatible storage
	// every worker reaches); nil means evidence.Folder{Dir}.
	Objects evidence.Objects
	// Dir is the local evidence root: an incident's evidence goes to
	// Dir/<incident id>. Collections started before evidence storage append to
	// files there; with Objects set it may be empty.
	Dir string
	// Now stamps collection times; nil means time.Now.
	Now func() time.Time
}

// objects returns the evidence storage.
func (a *EvidenceActivities) objects() (evidence.Objects, error) {
	if a.Objects != nil {
		return a.Objects, nil
	}
	if a.Dir != "" {
		return evidence.Folder{Dir: a.Dir}, nil
	}
	return nil, errors.New("no evidence storage configured (IRFLOW_EVIDENCE)")
}

// sink is where a collector writes records: the part objects of evidence storage
// (evidence.PartWriter), or the local file of collections started before it
// (evidence.Writer).
type sink interface {
	Write(record any) (bool, error)
	Flush() (evidence.Committed, error)
	Close() (evidence.Committed, error)
}

func (a *EvidenceActivities) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// collectProgress is heartbeated after every page is on disk, so a retried attempt
// resumes from the last committed page instead of starting over or duplicating.
type collectProgress struct {
	// Source and Incident guard against resuming from another collection's details.
	Source     string             `json:"source"`
	Incident   string             `json:"incident"`
	Cursor     evidence.Cursor    `json:"cursor"`
	Committed  evidence.Committed `json:"committed"`
	Pages      int                `json:"pages"`
	Duplicates int                `json:"duplicates"`
}

// CollectSource streams one source page by page into its NDJSON file, from the
// input's cursor (or the last heartbeated one on a retry), and stops at the end of
// the source or after the page budget, returning the cursor to continue from. A
// source the account's plan does not provide (audit logs without Enterprise, access
// logs without the ADPP add-on, API token access turned off) comes back as a gap,
// not an error.
func (a *EvidenceActivities) CollectSource(ctx context.Context, in evidence.CollectInput) (evidence.CollectResult, error) {
	if err := evidence.ValidIncidentID(in.IncidentID); err != nil {
		return evidence.CollectResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	if !evidence.ValidSource(in.Source) {
		err := fmt.Errorf("unknown evidence source %q (known: %s)", in.Source, strings.Join(evidence.Sources(), ", "))
		return evidence.CollectResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	if in.Window.From.IsZero() || in.Window.To.IsZero() || in.Window.To.Before(in.Window.From) {
		err := fmt.Errorf("evidence window %s..%s is not a time range", in.Window.From, in.Window.To)
		return evidence.CollectResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	c := &collector{a: a, in: in, budget: in.PageBudget,
		res: evidence.CollectResult{Source: in.Source, File: evidence.FileName(in.Source), Query: describeQuery(in),
			Cursor: in.Cursor, Committed: in.Committed}}
	if c.budget <= 0 {
		c.budget = defaultPageBudget
	}
	c.stop = activity.GetWorkerStopChannel(ctx)
	ctx, p := startPulse(ctx, nil)
	defer p.Stop()
	if activity.HasHeartbeatDetails(ctx) {
		var p collectProgress
		if err := activity.GetHeartbeatDetails(ctx, &p); err == nil && p.Source == in.Source && p.Incident == in.IncidentID {
			c.res.Cursor, c.res.Committed, c.res.Pages, c.res.Duplicates = p.Cursor, p.Committed, p.Pages, p.Duplicates
		}
	}
	key := evidence.IDKey
	if in.Source == evidence.SourceUsers || in.Source == evidence.SourceTickets {
		key = evidence.IDUpdatedKey // snapshots and change streams of mutable objects
	}
	if in.Objects {
		return a.collectObjects(ctx, c, key)
	}
	if a.Dir == "" {
		err := fmt.Errorf("collect %s: this collection was started before evidence storage and appends to files in the worker's local evidence folder, which this worker has none of (IRFLOW_EVIDENCE names object storage)", in.Source)
		return evidence.CollectResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	w, err := evidence.Open(filepath.Join(a.Dir, in.IncidentID, c.res.File), c.res.Committed, key)
	if err != nil {
		return evidence.CollectResult{}, fmt.Errorf("collect %s: %w", in.Source, err)
	}
	c.w = w
	err = c.run(ctx)
	committed, cerr := w.Close()
	if err == nil {
		err = cerr
	}
	var gap *evidence.Gap
	if errors.As(err, &gap) {
		// Nothing was written; an empty file would claim "collected, zero records".
		res := evidence.CollectResult{Source: in.Source, Query: c.res.Query, Done: true, Gap: gap, CollectedAt: a.now()}
		if rerr := removeEmpty(filepath.Join(a.Dir, in.IncidentID, c.res.File)); rerr != nil {
			return evidence.CollectResult{}, rerr
		}
		activity.GetLogger(ctx).Info("evidence gap", "source", in.Source, "reason", gap.Reason)
		return res, nil
	}
	if err != nil {
		return evidence.CollectResult{}, classify(fmt.Errorf("collect %s: %w", in.Source, err))
	}
	c.res.Committed = committed
	c.res.CollectedAt = a.now()
	activity.GetLogger(ctx).Info("evidence collected", "source", in.Source, "records", committed.Records,
		"pages", c.res.Pages, "done", c.res.Done)
	return c.res, nil
}

// collectObjects is CollectSource for collections kept in evidence storage: every
// committed page is a part object, and the committed parts and the cursor are all a
// worker needs to resume another's collection. A failure carries the progress made
// in its details, so the workflow can record a failed source with what was
// collected of it.
func (a *EvidenceActivities) collectObjects(ctx context.Context, c *collector, key evidence.KeyFunc) (evidence.CollectResult, error) {
	in := c.in
	objs, err := a.objects()
	if err != nil {
		return evidence.CollectResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	w, err := evidence.OpenParts(ctx, objs, in.IncidentID, in.Source, c.res.Committed, key)
	if err != nil {
		return evidence.CollectResult{}, fmt.Errorf("collect %s: %w", in.Source, err)
	}
	c.w = w
	err = c.run(ctx)
	committed, cerr := w.Close()
	if err == nil {
		err = cerr
	}
	var gap *evidence.Gap
	if errors.As(err, &gap) {
		// What was collected before Zendesk said the plan lacks the source (a
		// later user's access logs) stays in the manifest beside the gap.
		res := evidence.CollectResult{Source: in.Source, Query: c.res.Query, Done: true, Gap: gap, CollectedAt: a.now(),
			Cursor: c.res.Cursor, Committed: committed, Pages: c.res.Pages, Duplicates: c.res.Duplicates}
		if committed.Records > 0 {
			res.File = c.res.File
		}
		activity.GetLogger(ctx).Info("evidence gap", "source", in.Source, "reason", gap.Reason)
		return res, nil
	}
	if err != nil {
		if cerr == nil {
			// Close wrote what the run had fetched: it is committed with the
			// cursor after it.
			c.res.Committed = committed
		} else {
			c.res.Cursor, c.res.Committed = in.Cursor, in.Committed
		}
		return evidence.CollectResult{}, withProgress(classify(fmt.Errorf("collect %s: %w", in.Source, err)), c.res)
	}
	c.res.Committed = committed
	c.res.CollectedAt = a.now()
	activity.GetLogger(ctx).Info("evidence collected", "source", in.Source, "records", committed.Records,
		"parts", len(committed.Parts), "pages", c.res.Pages, "done", c.res.Done)
	return c.res, nil
}

// withProgress returns err as an application error (retryable or not, as classified)
// whose details are the source's progress at its last commit.
func withProgress(err error, progress evidence.CollectResult) error {
	opts := temporal.ApplicationErrorOptions{Cause: err, Details: []any{progress}}
	typ := "EvidenceCollect"
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		typ, opts.NonRetryable, opts.NextRetryDelay = appErr.Type(), appErr.NonRetryable(), appErr.NextRetryDelay()
		if c := errors.Unwrap(appErr); c != nil {
			opts.Cause = c
		}
	}
	return temporal.NewApplicationErrorWithOptions(err.Error(), typ, opts)
}

type collector struct {
	a      *EvidenceActivities
	in     evidence.CollectInput
	w      sink
	res    evidence.CollectResult
	budget int
	pages  int // pages fetched by this attempt
	// stop is the worker's stop channel: when the worker shuts down, the attempt
	// ends at its next committed page and hands its cursor back to the workflow,
	// as a spent page budget does, instead of being cut off mid-page when the
	// worker's stop timeout runs out. The workflow's next run resumes from the
	// cursor on whichever worker is up.
	stop <-chan struct{}
}

// commit flushes a page to disk, moves the cursor and heartbeats the new position.
// It reports whether the page budget is spent.
func (c *collector) commit(ctx context.Context, next evidence.Cursor, done bool) (stop bool, err error) {
	committed, err := c.w.Flush()
	if err != nil {
		return false, err
	}
	c.res.Cursor, c.res.Committed, c.res.Done = next, committed, done
	c.res.Pages++
	c.pages++
	// Only a cursor whose records are all committed may be resumed from: a part
	// writer keeps a page's records until it has a part's worth, and a retry then
	// resumes from the last cursor heartbeated with its part.
	if pw, ok := c.w.(*evidence.PartWriter); !ok || pw.Pending() == 0 {
		record(ctx, collectProgress{Source: c.in.Source, Incident: c.in.IncidentID, Cursor: next, Committed: committed, Pages: c.res.Pages, Duplicates: c.res.Duplicates}, false)
	}
	if done || c.pages >= c.budget {
		return true, nil
	}
	select {
	case <-c.stop:
		activity.GetLogger(ctx).Info("worker stopping: the evidence collection hands its cursor back",
			"source", c.in.Source, "records", committed.Records, "pages", c.res.Pages)
		return true, nil
	default:
		return false, nil
	}
}

// write appends records, counting the ones the dedupe set drops.
func (c *collector) write(recs ...any) error {
	for _, r := range recs {
		ok, err := c.w.Write(r)
		if err != nil {
			return err
		}
		if !ok {
			c.res.Duplicates++
		}
	}
	return nil
}

func (c *collector) run(ctx context.Context) error {
	if c.res.Done {
		return nil
	}
	switch c.in.Source {
	case evidence.SourceAuditLogs:
		return c.auditLogs(ctx)
	case evidence.SourceAccessLogs:
		return c.accessLogs(ctx)
	case evidence.SourceTicketAudits:
		return c.ticketAudits(ctx)
	case evidence.SourceTicketEvents:
		return c.ticketEvents(ctx)
	case evidence.SourceUsers:
		return c.users(ctx)
	case evidence.SourceTickets:
		return c.tickets(ctx)
	case evidence.SourceSessions:
		return c.sessions(ctx)
	case evidence.SourceAPITokens:
		return c.apiTokens(ctx)
	case evidence.SourceOAuthTokens:
		return c.oauthTokens(ctx)
	case evidence.SourceAppInstallations:
		return c.appInstallations(ctx)
	case evidence.SourceWebhooks:
		return c.webhooks(ctx)
	}
	return fmt.Errorf("no collector for source %s", c.in.Source)
}

// gapFor turns a 403 or 404 on a plan-dependent endpoint into a gap.
func gapFor(source, need string, err error) error {
	var ze *zendesk.Error
	if errors.As(err, &ze) && (ze.StatusCode == http.StatusForbidden || ze.StatusCode == http.StatusNotFound) {
		return &evidence.Gap{Source: source, Reason: fmt.Sprintf("%s (Zendesk answered %d %s)", need, ze.StatusCode, strings.TrimSpace(ze.Code+" "+ze.Message))}
	}
	return err
}

// pages walks a list from the cursor's NextURL (or the pager first builds), writing
// every page, until the list ends (then next reports the cursor after it) or the
// budget is spent. keep filters and transforms items; stopAfter ends a stream early
// (a change stream past the window's end).
func pages[T any](ctx context.Context, c *collector, first func(zendesk.ListOptions) *zendesk.Pager[T],
	keep func(T) (any, bool), stopAfter func(*zendesk.Page[T]) bool, after func() (evidence.Cursor, bool)) (stop bool, err error) {
	for {
		opts := zendesk.ListOptions{NextURL: c.res.Cursor.NextURL}
		page, err := first(opts).Next(ctx)
		if err != nil {
			return false, err
		}
		for _, it := range page.Items {
			if rec, ok := keep(it); ok {
				if err := c.write(rec); err != nil {
					return false, err
				}
			}
		}
		c.res.Duplicates += page.Duplicates
		next := evidence.Cursor{Index: c.res.Cursor.Index, NextURL: page.NextURL, Seen: page.Seen}
		done, ended := false, !page.HasMore || page.NextURL == "" || (stopAfter != nil && stopAfter(page))
		if ended {
			next, done = after()
		}
		if stop, err := c.commit(ctx, next, done); err != nil || stop {
			return stop, err
		}
		if ended {
			return false, nil // this item's list is over; the caller moves on
		}
	}
}

// endOf returns an "after" function for a single list: the source is done.
func endOf() (evidence.Cursor, bool) { return evidence.Cursor{}, true }

// auditLogs collects the window's audit logs. Like access logs and ticket events it
// keeps only the records inside the window: the API's time filters take whole
// seconds, so a window starting mid-second (a workflow's starts at declaration time
// minus a week) is asked for from the second before, and records stamped in that
// second are outside the window the manifest names.
func (c *collector) auditLogs(ctx context.Context) error {
	f := zendesk.AuditLogFilter{CreatedAfter: c.in.Window.From, CreatedBefore: c.in.Window.To, Sort: "created_at",
		ActorID: c.in.AuditFilter.ActorID, IPAddress: c.in.AuditFilter.IPAddress,
		SourceType: c.in.AuditFilter.SourceType, SourceID: c.in.AuditFilter.SourceID}
	_, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[zendesk.AuditLog] { return c.a.Zendesk.ListAuditLogs(f, o) },
		func(l zendesk.AuditLog) (any, bool) { return l, !l.CreatedAt.Before(c.in.Window.From) }, nil, endOf)
	return gapFor(evidence.SourceAuditLogs, "audit logs need a Zendesk plan with audit-log access (Enterprise)", err)
}

// accessLogs collects the window's access logs (reference B4): everyone's when the
// scope names no users, otherwise one filtered list per user (Index into
// Scope.Users). Records are deduplicated on their string id. Accounts without the
// Advanced Data Privacy and Protection add-on get a gap, not a failure.
func (c *collector) accessLogs(ctx context.Context) error {
	list := func(userID string) func(zendesk.ListOptions) *zendesk.Pager[zendesk.AccessLog] {
		f := zendesk.AccessLogFilter{Start: c.in.Window.From, End: c.in.Window.To, UserID: userID}
		return func(o zendesk.ListOptions) *zendesk.Pager[zendesk.AccessLog] { return c.a.Zendesk.ListAccessLogs(f, o) }
	}
	keep := func(l zendesk.AccessLog) (any, bool) { return l, !l.Timestamp.Before(c.in.Window.From) }
	gap := func(err error) error {
		return gapFor(evidence.SourceAccessLogs, "access logs need the Advanced Data Privacy and Protection add-on", err)
	}
	users := c.in.Scope.Users
	if len(users) == 0 {
		_, err := pages(ctx, c, list(""), keep, nil, endOf)
		return gap(err)
	}
	// Not perItem: a 404 here means the endpoint is missing (a gap), not that one
	// user is gone.
	for c.res.Cursor.Index < len(users) {
		i := c.res.Cursor.Index
		after := func() (evidence.Cursor, bool) { return evidence.Cursor{Index: i + 1}, i+1 >= len(users) }
		stop, err := pages(ctx, c, list(strconv.FormatInt(users[i], 10)), keep, nil, after)
		if err != nil {
			return gap(err)
		}
		if stop {
			return nil
		}
	}
	return nil
}

// perItem walks a per-object source (one list per ticket or user), resuming at the
// cursor's Index.
func perItem[T any](ctx context.Context, c *collector, ids []int64, list func(id int64, o zendesk.ListOptions) *zendesk.Pager[T], keep func(T) (any, bool)) error {
	if len(ids) == 0 {
		_, err := c.commit(ctx, evidence.Cursor{}, true)
		return err
	}
	for c.res.Cursor.Index < len(ids) {
		i := c.res.Cursor.Index
		after := func() (evidence.Cursor, bool) {
			return evidence.Cursor{Index: i + 1}, i+1 >= len(ids)
		}
		stop, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[T] { return list(ids[i], o) }, keep, nil, after)
		if zendesk.IsNotFound(err) {
			// The object is gone (deleted ticket or user): nothing to collect for it.
			if stop, err = c.commit(ctx, evidence.Cursor{Index: i + 1}, i+1 >= len(ids)); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if stop {
			return nil
		}
	}
	return nil
}

func (c *collector) ticketAudits(ctx context.Context) error {
	return perItem(ctx, c, c.in.Scope.Tickets, func(id int64, o zendesk.ListOptions) *zendesk.Pager[zendesk.Audit] {
		return c.a.Zendesk.ListTicketAudits(id, o)
	}, func(a zendesk.Audit) (any, bool) { return a, true })
}

func (c *collector) sessions(ctx context.Context) error {
	return perItem(ctx, c, c.in.Scope.Users, func(id int64, o zendesk.ListOptions) *zendesk.Pager[zendesk.Session] {
		return c.a.Zendesk.ListUserSessions(id, o)
	}, func(s zendesk.Session) (any, bool) { return s, true })
}

func (c *collector) ticketEvents(ctx context.Context) error {
	to := c.in.Window.To
	_, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[zendesk.TicketEvent] {
		io := zendesk.IncrementalOptions{NextURL: o.NextURL, Seen: c.res.Cursor.Seen, IncludeCommentEvents: true}
		if o.NextURL == "" {
			io.StartTime = c.in.Window.From
		}
		return c.a.Zendesk.IncrementalTicketEvents(io)
	}, func(e zendesk.TicketEvent) (any, bool) {
		return e, c.in.Window.Contains(time.Unix(e.Timestamp, 0))
	}, func(p *zendesk.Page[zendesk.TicketEvent]) bool { return p.EndTime > to.Unix() }, endOf)
	return err
}

// snapshotThenStream collects the incident's own objects as they are now (Index
// 0..n-1), then the window's change stream (Index n): the current state of what is
// involved, and every change any object had during the window.
func snapshotThenStream[T any](ctx context.Context, c *collector, ids []int64, get func(int64) (*T, error),
	stream func(zendesk.IncrementalOptions) *zendesk.Pager[T], updated func(T) time.Time) error {
	for c.res.Cursor.Index < len(ids) {
		i := c.res.Cursor.Index
		obj, err := get(ids[i])
		if err != nil && !zendesk.IsNotFound(err) {
			return err
		}
		if err == nil {
			if err := c.write(obj); err != nil {
				return err
			}
		}
		if stop, err := c.commit(ctx, evidence.Cursor{Index: i + 1}, false); err != nil || stop {
			return err
		}
	}
	from, to := c.in.Window.From, c.in.Window.To
	_, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[T] {
		io := zendesk.IncrementalOptions{NextURL: o.NextURL}
		if o.NextURL == "" {
			io.StartTime = from
		}
		return stream(io)
	}, func(it T) (any, bool) {
		return it, c.in.Window.Contains(updated(it))
	}, func(p *zendesk.Page[T]) bool {
		// Cursor exports run in update order: once a page reaches past the window,
		// later pages only hold later changes.
		return len(p.Items) > 0 && updated(p.Items[len(p.Items)-1]).After(to)
	}, endOf)
	return err
}

func (c *collector) users(ctx context.Context) error {
	return snapshotThenStream(ctx, c, c.in.Scope.Users, func(id int64) (*zendesk.User, error) {
		u, _, err := c.a.Zendesk.GetUser(ctx, id)
		return u, err
	}, c.a.Zendesk.IncrementalUsers, func(u zendesk.User) time.Time { return u.UpdatedAt })
}

func (c *collector) tickets(ctx context.Context) error {
	return snapshotThenStream(ctx, c, c.in.Scope.Tickets, func(id int64) (*zendesk.Ticket, error) {
		t, _, err := c.a.Zendesk.GetTicket(ctx, id)
		return t, err
	}, c.a.Zendesk.IncrementalTickets, func(t zendesk.Ticket) time.Time { return t.UpdatedAt })
}

func (c *collector) apiTokens(ctx context.Context) error {
	toks, _, err := c.a.Zendesk.ListAPITokens(ctx)
	if err != nil {
		return gapFor(evidence.SourceAPITokens, "API token access is turned off for the account or the credentials may not list tokens", err)
	}
	for _, t := range toks {
		// Metadata only: token and visible_token are the secret (reference A4).
		t.Token, t.VisibleToken = "", ""
		if err := c.write(t); err != nil {
			return err
		}
	}
	_, err = c.commit(ctx, evidence.Cursor{}, true)
	return err
}

func (c *collector) oauthTokens(ctx context.Context) error {
	_, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[zendesk.OAuthToken] {
		return c.a.Zendesk.ListOAuthTokens(zendesk.OAuthTokenFilter{All: true}, o)
	}, func(t zendesk.OAuthToken) (any, bool) {
		// The token prefix and the refresh token are credentials: not evidence.
		t.Token, t.RefreshToken = "", nil
		return t, true
	}, nil, endOf)
	return err
}

func (c *collector) appInstallations(ctx context.Context) error {
	apps, _, err := c.a.Zendesk.ListAppInstallations(ctx)
	if err != nil {
		return err
	}
	for _, app := range apps {
		app.Settings = redactSettings(app.Settings)
		if err := c.write(app); err != nil {
			return err
		}
	}
	_, err = c.commit(ctx, evidence.Cursor{}, true)
	return err
}

func (c *collector) webhooks(ctx context.Context) error {
	_, err := pages(ctx, c, func(o zendesk.ListOptions) *zendesk.Pager[zendesk.Webhook] {
		return c.a.Zendesk.ListWebhooks(zendesk.WebhookFilter{}, o)
	}, func(w zendesk.Webhook) (any, bool) {
		// authentication.data holds the webhook's credentials; keep only its type.
		if len(w.Authentication) > 0 {
			w.Authentication = authenticationType(w.Authentication)
		}
		return w, true
	}, nil, endOf)
	return err
}

// secretSetting matches app setting names that hold credentials.
func secretSetting(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "secret", "password", "key", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func redactSettings(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		if secretSetting(k) {
			out[k] = "[redacted by irflow]"
		} else {
			out[k] = v
		}
	}
	return out
}

// authenticationType keeps a webhook's authentication type and position and drops
// its data (the credentials). Anything unreadable is dropped whole.
func authenticationType(raw json.RawMessage) json.RawMessage {
	var auth map[string]json.RawMessage
	if err := json.Unmarshal(raw, &auth); err != nil {
		return nil
	}
	delete(auth, "data")
	out, err := json.Marshal(auth)
	if err != nil {
		return nil
	}
	return out
}

func describeQuery(in evidence.CollectInput) string {
	from, to := in.Window.From.UTC().Format(time.RFC3339), in.Window.To.UTC().Format(time.RFC3339)
	ids := func(xs []int64) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	}
	switch in.Source {
	case evidence.SourceAuditLogs:
		q := fmt.Sprintf("GET /api/v2/audit_logs?filter[created_at][]=%s&filter[created_at][]=%s&sort=created_at", from, to)
		f := in.AuditFilter
		if f.ActorID != 0 {
			q += fmt.Sprintf("&filter[actor_id]=%d", f.ActorID)
		}
		if f.IPAddress != "" {
			q += "&filter[ip_address]=" + f.IPAddress
		}
		if f.SourceType != "" {
			q += "&filter[source_type]=" + f.SourceType
		}
		if f.SourceID != 0 {
			q += fmt.Sprintf("&filter[source_id]=%d", f.SourceID)
		}
		return q
	case evidence.SourceAccessLogs:
		const f = zendesk.AccessLogTimeFormat
		q := fmt.Sprintf("GET /api/v2/access_logs?filter[start]=%s&filter[end]=%s", in.Window.From.UTC().Format(f), in.Window.To.UTC().Format(f))
		if len(in.Scope.Users) > 0 {
			q += "&filter[user_id]={id} for users " + ids(in.Scope.Users)
		}
		return q
	case evidence.SourceTicketAudits:
		return "GET /api/v2/tickets/{id}/audits for tickets " + ids(in.Scope.Tickets)
	case evidence.SourceTicketEvents:
		return fmt.Sprintf("GET /api/v2/incremental/ticket_events?start_time=%d&include=comment_events until %s", in.Window.From.Unix(), to)
	case evidence.SourceUsers:
		return fmt.Sprintf("GET /api/v2/users/{id} for users %s; GET /api/v2/incremental/users/cursor?start_time=%d, updated %s..%s",
			ids(in.Scope.Users), in.Window.From.Unix(), from, to)
	case evidence.SourceTickets:
		return fmt.Sprintf("GET /api/v2/tickets/{id} for tickets %s; GET /api/v2/incremental/tickets/cursor?start_time=%d, updated %s..%s",
			ids(in.Scope.Tickets), in.Window.From.Unix(), from, to)
	case evidence.SourceSessions:
		return "GET /api/v2/users/{id}/sessions for users " + ids(in.Scope.Users)
	case evidence.SourceAPITokens:
		return "GET /api/v2/api_tokens (metadata only: token and visible_token removed)"
	case evidence.SourceOAuthTokens:
		return "GET /api/v2/oauth/tokens?all=true (token and refresh_token removed)"
	case evidence.SourceAppInstallations:
		return "GET /api/v2/apps/installations (credential-like settings redacted)"
	case evidence.SourceWebhooks:
		return "GET /api/v2/webhooks (authentication.data removed)"
	}
	return in.Source
}

func removeEmpty(path string) error {
	for _, p := range []string{path, path + evidence.LineHashSuffix} {
		if _, size, _, err := evidence.HashFile(p); err == nil && size == 0 {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("remove empty evidence file: %w", err)
			}
		}
	}
	return nil
}

// WriteManifest hashes every collected file and writes the incident's manifest.json
// (and its hash file), returning the manifest's SHA-256 for the store and the
// timeline.
func (a *EvidenceActivities) WriteManifest(ctx context.Context, in evidence.WriteManifestInput) (evidence.ManifestResult, error) {
	if err := evidence.ValidIncidentID(in.IncidentID); err != nil {
		return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	if in.Objects {
		return a.writeManifestObjects(ctx, in)
	}
	dir := filepath.Join(a.Dir, in.IncidentID)
	m := evidence.Manifest{Incident: in.IncidentID}
	res := evidence.ManifestResult{Gaps: []evidence.Gap{}}
	for _, c := range in.Collected {
		if c.Gap != nil {
			m.Gaps = append(m.Gaps, *c.Gap)
			res.Gaps = append(res.Gaps, *c.Gap)
			if c.Gap.Failed {
				res.Failed = append(res.Failed, c.Source)
			}
			continue
		}
		if !c.Done {
			return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("source %s is not fully collected", c.Source), ErrTypeInvalidStep, nil)
		}
		f, err := evidence.DescribeFile(dir, c.File)
		if err != nil {
			return evidence.ManifestResult{}, fmt.Errorf("write manifest: %w", err)
		}
		if f.Records != c.Committed.Records || f.Bytes != c.Committed.Bytes {
			// The file changed between collection and the manifest: refuse to bless it.
			return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"evidence file %s holds %d records in %d bytes, collection committed %d in %d",
				c.File, f.Records, f.Bytes, c.Committed.Records, c.Committed.Bytes), ErrTypeInvalidStep, nil)
		}
		m.Sources = append(m.Sources, evidence.Source{Source: c.Source, Query: c.Query, Window: in.Window,
			CollectedAt: c.CollectedAt, Records: f.Records, Files: []evidence.File{f}})
		res.Files++
		res.Records += f.Records
	}
	sum, err := evidence.WriteManifest(dir, m)
	if err != nil {
		return evidence.ManifestResult{}, fmt.Errorf("write manifest: %w", err)
	}
	res.Path, res.SHA256 = filepath.Join(dir, evidence.ManifestName), sum
	activity.GetLogger(ctx).Info("evidence manifest written", "incident_id", in.IncidentID, "sha256", sum,
		"files", res.Files, "records", res.Records, "gaps", len(res.Gaps))
	return res, nil
}

// writeManifestObjects is WriteManifest for collections kept in evidence storage:
// each source's parts become the incident's file and line-hash file (the layout of
// the local folder, so a folder collected either way reads the same), then the
// manifest is written once. Every step can be retried: an object already written
// with the same content is taken as it is.
func (a *EvidenceActivities) writeManifestObjects(ctx context.Context, in evidence.WriteManifestInput) (evidence.ManifestResult, error) {
	objs, err := a.objects()
	if err != nil {
		return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidStep, err)
	}
	ctx, p := startPulse(ctx, nil)
	defer p.Stop()
	m := evidence.Manifest{Incident: in.IncidentID, Status: evidence.StatusComplete, RequestedWindow: in.RequestedWindow}
	res := evidence.ManifestResult{Gaps: []evidence.Gap{}, Status: evidence.StatusComplete}
	for _, c := range in.Collected {
		if c.Gap != nil {
			m.Gaps = append(m.Gaps, *c.Gap)
			res.Gaps = append(res.Gaps, *c.Gap)
			if c.Gap.Failed {
				m.Failed = append(m.Failed, c.Source)
			}
			if c.File == "" {
				continue
			}
		} else if !c.Done {
			return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("source %s is not fully collected", c.Source), ErrTypeInvalidStep, nil)
		}
		f, err := evidence.AssembleSource(ctx, objs, in.IncidentID, evidence.FileName(c.Source), c.Committed.Parts)
		if err != nil {
			return evidence.ManifestResult{}, fmt.Errorf("write manifest: %w", err)
		}
		if f.Records != c.Committed.Records || f.Bytes != c.Committed.Bytes {
			return evidence.ManifestResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"evidence file %s holds %d records in %d bytes, collection committed %d in %d",
				f.Path, f.Records, f.Bytes, c.Committed.Records, c.Committed.Bytes), ErrTypeInvalidStep, nil)
		}
		query := c.Query
		if query == "" {
			query = "(collection failed part-way; see the gap)"
		}
		m.Sources = append(m.Sources, evidence.Source{Source: c.Source, Query: query, Window: in.Window,
			CollectedAt: c.CollectedAt, Records: f.Records, Files: []evidence.File{f}})
		res.Files++
		res.Records += f.Records
	}
	if len(m.Failed) > 0 {
		m.Status = evidence.StatusPartial
	}
	res.Status, res.Failed = m.Status, m.Failed
	sum, err := evidence.PutManifest(ctx, objs, in.IncidentID, m)
	if err != nil {
		return evidence.ManifestResult{}, err
	}
	res.Path, res.SHA256 = evidence.Location(objs, evidence.ObjectKey(in.IncidentID, evidence.ManifestName)), sum
	activity.GetLogger(ctx).Info("evidence manifest written", "incident_id", in.IncidentID, "sha256", sum, "storage", objs.String(),
		"status", res.Status, "files", res.Files, "records", res.Records, "gaps", len(res.Gaps))
	return res, nil
}
