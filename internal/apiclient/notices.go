package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"irflow/internal/incident"
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
