package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"irflow/internal/incident"
)

// SaveSlackRef implements incident.SlackStore: INSERT OR IGNORE, then read back
// the row that won.
func (s *Store) SaveSlackRef(ctx context.Context, ref incident.SlackRef) (incident.SlackRef, error) {
	if strings.TrimSpace(ref.Key) == "" || ref.Kind == "" || ref.IncidentID == "" || ref.Channel == "" {
		return incident.SlackRef{}, incident.Errorf(incident.EINVALID, "slack ref %q needs a key, kind, incident id and channel", ref.Key)
	}
	if ref.CreatedAt.IsZero() {
		ref.CreatedAt = s.Now()
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO slack_refs (key, kind, incident_id, channel, ts, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
		s.texts(ref.Key, ref.Kind, ref.IncidentID, ref.Channel, ref.TS, ref.CreatedAt.UTC())...); err != nil {
		return incident.SlackRef{}, fmt.Errorf("save slack ref %s: %w", ref.Key, err)
	}
	return s.GetSlackRef(ctx, ref.Key)
}

// GetSlackRef implements incident.SlackStore.
func (s *Store) GetSlackRef(ctx context.Context, key string) (incident.SlackRef, error) {
	var ref incident.SlackRef
	err := s.db.GetContext(ctx, &ref, s.q(`SELECT key, kind, incident_id, channel, ts, created_at FROM slack_refs WHERE key = ?`), s.text(key))
	if errors.Is(err, sql.ErrNoRows) {
		return incident.SlackRef{}, incident.Errorf(incident.ENOTFOUND, "no slack ref %s", key)
	}
	if err != nil {
		return incident.SlackRef{}, fmt.Errorf("get slack ref %s: %w", key, err)
	}
	ref.CreatedAt = ref.CreatedAt.UTC()
	return ref, nil
}

// SlackChannelIncident implements incident.SlackStore.
func (s *Store) SlackChannelIncident(ctx context.Context, channel string) (string, error) {
	var id string
	err := s.db.GetContext(ctx, &id, s.q(`SELECT incident_id FROM slack_refs WHERE kind = ? AND channel = ? ORDER BY created_at LIMIT 1`),
		incident.SlackRefChannel, s.text(channel))
	if errors.Is(err, sql.ErrNoRows) {
		return "", incident.Errorf(incident.ENOTFOUND, "channel %s is no incident's channel", channel)
	}
	if err != nil {
		return "", fmt.Errorf("incident of slack channel %s: %w", channel, err)
	}
	return id, nil
}

// SlackRefs implements incident.SlackStore.
func (s *Store) SlackRefs(ctx context.Context, kind string) ([]incident.SlackRef, error) {
	refs := []incident.SlackRef{}
	if err := s.db.SelectContext(ctx, &refs, s.q(`SELECT key, kind, incident_id, channel, ts, created_at FROM slack_refs WHERE kind = ? ORDER BY created_at, key`), s.text(kind)); err != nil {
		return nil, fmt.Errorf("list slack refs of kind %s: %w", kind, err)
	}
	for i := range refs {
		refs[i].CreatedAt = refs[i].CreatedAt.UTC()
	}
	return refs, nil
}
