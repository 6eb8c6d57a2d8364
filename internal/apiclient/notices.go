package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"irflow/internal/incident"
	"irflow/internal/intake"
	"irflow/internal/service"
)

func noticePath(id, obligation string) string {
	return incidentPath(id) + "/notices/" + url.PathEscape(obligation)
}

// DraftNotice implements service.Service.DraftNotice.
func (c *Client) DraftNotice(ctx context.Context, incidentID, obligationID string, req service.DraftNoticeRequest) (incident.NoticeView, error) {
	return post[incident.NoticeView](ctx, c, noticePath(incidentID, obligationID)+"/draft", req)
}

// EditNotice implements service.Service.EditNotice.
func (c *Client) EditNotice(ctx context.Context, incidentID, obligationID string, req incident.EditNoticeRequest) (incident.NoticeView, error) {
	return post[incident.NoticeView](ctx, c, noticePath(incidentID, obligationID)+"/edit", req)
}

// ApproveNotice implements service.Service.ApproveNotice.
func (c *Client) ApproveNotice(ctx context.Context, incidentID, obligationID string, req incident.ApproveNoticeRequest) (incident.NoticeView, error) {
	return post[incident.NoticeView](ctx, c, noticePath(incidentID, obligationID)+"/approve", req)
}

// SendNotice implements service.Service.SendNotice.
func (c *Client) SendNotice(ctx context.Context, incidentID, obligationID string, req service.SendNoticeRequest) (incident.NoticeView, error) {
	return post[incident.NoticeView](ctx, c, noticePath(incidentID, obligationID)+"/send", req)
}

// ShowNotice implements service.Service.ShowNotice.
func (c *Client) ShowNotice(ctx context.Context, incidentID, obligationID string) (incident.NoticeView, error) {
	var v incident.NoticeView
	_, err := c.do(ctx, http.MethodGet, noticePath(incidentID, obligationID), nil, nil, &v)
	return v, err
}

// ListNotices implements service.Service.ListNotices.
func (c *Client) ListNotices(ctx context.Context, incidentID string) ([]incident.Notice, error) {
	var out []incident.Notice
	_, err := c.do(ctx, http.MethodGet, incidentPath(incidentID)+"/notices", nil, nil, &out)
	return out, err
}

// NoticeStatus implements service.Service.NoticeStatus.
func (c *Client) NoticeStatus(ctx context.Context, incidentID, obligationID, state string, afterSeq int64, limit int) (service.NoticeStatus, error) {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	if afterSeq > 0 {
		q.Set("after", strconv.FormatInt(afterSeq, 10))
	}
	q.Set("limit", strconv.Itoa(limit))
	var st service.NoticeStatus
	_, err := c.do(ctx, http.MethodGet, noticePath(incidentID, obligationID)+"/status", q, nil, &st)
	return st, err
}

// ReceiveEmail implements service.Service.ReceiveEmail over POST /api/intake/email:
// the raw message is the body, as received.
func (c *Client) ReceiveEmail(ctx context.Context, raw []byte, receivedAt time.Time) (intake.Outcome, error) {
	const path = "/api/intake/email"
	q := url.Values{}
	if !receivedAt.IsZero() {
		q.Set("received_at", receivedAt.UTC().Format(time.RFC3339Nano))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+path+"?"+q.Encode(), bytes.NewReader(raw))
	if err != nil {
		return intake.Outcome{}, fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "irflow-cli")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return intake.Outcome{}, ctx.Err()
		}
		return intake.Outcome{}, fmt.Errorf("cannot reach irflow at %s: %w", c.base, unwrapURLError(err))
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return intake.Outcome{}, fmt.Errorf("POST %s: read the answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return intake.Outcome{}, answerError(http.MethodPost, path, resp, body)
	}
	var out intake.Outcome
	if err := json.Unmarshal(body, &out); err != nil {
		return out, fmt.Errorf("POST %s: the answer is not what this CLI expects (%v)", path, err)
	}
	return out, nil
}

// ListIntake implements service.Service.ListIntake.
func (c *Client) ListIntake(ctx context.Context, limit int) ([]incident.IntakeMessage, error) {
	var out []incident.IntakeMessage
	_, err := c.do(ctx, http.MethodGet, "/api/intake/email", url.Values{"limit": {strconv.Itoa(limit)}}, nil, &out)
	return out, err
}
