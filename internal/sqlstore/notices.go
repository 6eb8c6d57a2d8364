package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"irflow/internal/incident"
)

// noticeRow is a notices row; Inputs travel as JSON.
type noticeRow struct {
	incident.Notice
	InputsJSON string `db:"inputs_json"`
}

const noticeColumns = `incident_id, obligation_id, rule, template, status, subject, text, text_sha256, inputs_json,
    drafted_by, drafted_at, edited_by, edits, approved_text, approved_sha256, approved_by, approved_at,
    channel, delivery_ref, sent_at, revision, updated_at`

// SaveNotice implements incident.NoticeStore.
func (s *Store) SaveNotice(ctx context.Context, n incident.Notice) error {
	inputs, err := json.Marshal(n.Inputs)
	if err != nil {
		return fmt.Errorf("save notice %s of %s: encode inputs: %w", n.ObligationID, n.IncidentID, err)
	}
	if n.Inputs == nil {
		inputs = []byte("{}")
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO notices (`+noticeColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(incident_id, obligation_id) DO UPDATE SET
    rule = excluded.rule, template = excluded.template, status = excluded.status, subject = excluded.subject,
    text = excluded.text, text_sha256 = excluded.text_sha256, inputs_json = excluded.inputs_json,
    drafted_by = excluded.drafted_by, drafted_at = excluded.drafted_at, edited_by = excluded.edited_by,
    edits = excluded.edits, approved_text = excluded.approved_text, approved_sha256 = excluded.approved_sha256,
    approved_by = excluded.approved_by, approved_at = excluded.approved_at, channel = excluded.channel,
    delivery_ref = excluded.delivery_ref, sent_at = excluded.sent_at, revision = excluded.revision,
    updated_at = excluded.updated_at
WHERE excluded.revision >= notices.revision`),
		s.texts(n.IncidentID, n.ObligationID, n.Rule, n.Template, n.Status, n.Subject, n.Text, n.TextSHA256, string(inputs),
			n.DraftedBy, n.DraftedAt.UTC(), n.EditedBy, n.Edits, n.ApprovedText, n.ApprovedSHA256, n.ApprovedBy, utcPtr(n.ApprovedAt),
			n.Channel, n.DeliveryRef, utcPtr(n.SentAt), n.Revision, n.UpdatedAt.UTC())...)
	if err != nil {
		return fmt.Errorf("save notice %s of %s: %w", n.ObligationID, n.IncidentID, err)
	}
	return nil
}

func (r noticeRow) notice() (incident.Notice, error) {
	n := r.Notice
	n.DraftedAt = n.DraftedAt.UTC()
	n.UpdatedAt = n.UpdatedAt.UTC()
	n.ApprovedAt = utcPtr(n.ApprovedAt)
	n.SentAt = utcPtr(n.SentAt)
	if r.InputsJSON != "" && r.InputsJSON != "{}" && r.InputsJSON != "null" {
		if err := json.Unmarshal([]byte(r.InputsJSON), &n.Inputs); err != nil {
			return n, fmt.Errorf("notice %s of %s: decode inputs: %w", n.ObligationID, n.IncidentID, err)
		}
	}
	return n, nil
}

// GetNotice implements incident.NoticeStore.
func (s *Store) GetNotice(ctx context.Context, incidentID, obligationID string) (incident.Notice, error) {
	var r noticeRow
	err := s.db.GetContext(ctx, &r, s.q(`SELECT `+noticeColumns+` FROM notices WHERE incident_id = ? AND obligation_id = ?`), incidentID, obligationID)
	if errors.Is(err, sql.ErrNoRows) {
		return incident.Notice{}, incident.Errorf(incident.ENOTFOUND, "no notice drafted for obligation %s of incident %s", obligationID, incidentID)
	}
	if err != nil {
		return incident.Notice{}, fmt.Errorf("get notice %s of %s: %w", obligationID, incidentID, err)
	}
	return r.notice()
}

// ListNotices implements incident.NoticeStore.
func (s *Store) ListNotices(ctx context.Context, incidentID string) ([]incident.Notice, error) {
	var rows []noticeRow
	if err := s.db.SelectContext(ctx, &rows, s.q(`SELECT `+noticeColumns+` FROM notices WHERE incident_id = ? ORDER BY obligation_id`), incidentID); err != nil {
		return nil, fmt.Errorf("list notices of %s: %w", incidentID, err)
	}
	out := make([]incident.Notice, 0, len(rows))
	for _, r := range rows {
		n, err := r.notice()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// AddRecipients implements incident.NoticeStore.
func (s *Store) AddRecipients(ctx context.Context, incidentID, obligationID string, rs []incident.NoticeRecipient) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("add recipients to %s of %s: begin: %w", obligationID, incidentID, err)
	}
	defer func() { _ = tx.Rollback() }()
	// Numbering reads the last seq: serialise adds to one notice's list.
	if err := s.lock(ctx, tx, "notice_recipients/"+incidentID+"/"+obligationID); err != nil {
		return 0, fmt.Errorf("add recipients to %s of %s: lock: %w", obligationID, incidentID, err)
	}
	var last int64
	if err := tx.GetContext(ctx, &last, s.q(`SELECT COALESCE(MAX(seq), 0) FROM notice_recipients WHERE incident_id = ? AND obligation_id = ?`), incidentID, obligationID); err != nil {
		return 0, fmt.Errorf("add recipients to %s of %s: %w", obligationID, incidentID, err)
	}
	now := s.Now().UTC()
	stmt, err := tx.PreparexContext(ctx, s.q(`INSERT INTO notice_recipients
    (incident_id, obligation_id, seq, address, address_key, name, msg_key, state, attempts, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(incident_id, obligation_id, address_key) DO NOTHING`))
	if err != nil {
		return 0, fmt.Errorf("add recipients to %s of %s: %w", obligationID, incidentID, err)
	}
	defer func() { _ = stmt.Close() }()
	added := 0
	for _, r := range rs {
		key := r.Key
		if key == "" {
			key = incidentID + "/" + obligationID + "/" + strings.ToLower(r.Address)
		}
		res, err := stmt.ExecContext(ctx, s.texts(incidentID, obligationID, last+1, r.Address, strings.ToLower(r.Address), r.Name, key, incident.RecipientQueued, now)...)
		if err != nil {
			return 0, fmt.Errorf("add recipient %s to %s of %s: %w", r.Address, obligationID, incidentID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			last++
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("add recipients to %s of %s: commit: %w", obligationID, incidentID, err)
	}
	return added, nil
}

const recipientColumns = `incident_id, obligation_id, seq, address, name, msg_key, state, message_id, error, attempts, sent_at, updated_at`

func utcRecipients(rs []incident.NoticeRecipient) []incident.NoticeRecipient {
	for i := range rs {
		rs[i].SentAt = utcPtr(rs[i].SentAt)
		rs[i].UpdatedAt = rs[i].UpdatedAt.UTC()
	}
	return rs
}

// ClaimRecipients implements incident.NoticeStore. Two claims never take one row:
// SQLite serialises them (the transaction takes the write lock first,
// _txlock=immediate); on PostgreSQL FOR UPDATE SKIP LOCKED makes them take
// disjoint rows without waiting for each other.
func (s *Store) ClaimRecipients(ctx context.Context, incidentID, obligationID string, limit int) ([]incident.NoticeRecipient, error) {
	if limit <= 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim recipients of %s of %s: begin: %w", obligationID, incidentID, err)
	}
	defer func() { _ = tx.Rollback() }()
	var rs []incident.NoticeRecipient
	if err := tx.SelectContext(ctx, &rs, s.q(`SELECT `+recipientColumns+` FROM notice_recipients
WHERE incident_id = ? AND obligation_id = ? AND state = ? ORDER BY seq LIMIT ?`+s.d.ForUpdateSkipLocked), incidentID, obligationID, incident.RecipientQueued, limit); err != nil {
		return nil, fmt.Errorf("claim recipients of %s of %s: %w", obligationID, incidentID, err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	now := s.Now().UTC()
	seqs := make([]int64, len(rs))
	for i := range rs {
		seqs[i] = rs[i].Seq
		rs[i].State = incident.RecipientSending
		rs[i].Attempts++
		rs[i].UpdatedAt = now
	}
	q, args, err := sqlx.In(`UPDATE notice_recipients SET state = ?, attempts = attempts + 1, updated_at = ?
WHERE incident_id = ? AND obligation_id = ? AND seq IN (?)`, incident.RecipientSending, now, incidentID, obligationID, seqs)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
		return nil, fmt.Errorf("claim recipients of %s of %s: %w", obligationID, incidentID, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim recipients of %s of %s: commit: %w", obligationID, incidentID, err)
	}
	return utcRecipients(rs), nil
}

// RecordResults implements incident.NoticeStore.
func (s *Store) RecordResults(ctx context.Context, incidentID, obligationID string, rs []incident.RecipientResult) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record results of %s of %s: begin: %w", obligationID, incidentID, err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PreparexContext(ctx, s.q(`UPDATE notice_recipients SET state = ?, message_id = ?, error = ?,
    sent_at = CASE WHEN `+s.d.BoolParam+` THEN `+s.d.TimeParam+` ELSE sent_at END, updated_at = ?
WHERE incident_id = ? AND obligation_id = ? AND seq = ? AND state <> ?`))
	if err != nil {
		return fmt.Errorf("record results of %s of %s: %w", obligationID, incidentID, err)
	}
	defer func() { _ = stmt.Close() }()
	now := s.Now().UTC()
	for _, r := range rs {
		at := r.At.UTC()
		if r.At.IsZero() {
			at = now
		}
		sent := r.State == incident.RecipientSent
		if _, err := stmt.ExecContext(ctx, s.texts(r.State, r.MessageID, r.Error, sent, at, now, incidentID, obligationID, r.Seq, incident.RecipientSent)...); err != nil {
			return fmt.Errorf("record result of recipient %d of %s of %s: %w", r.Seq, obligationID, incidentID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record results of %s of %s: commit: %w", obligationID, incidentID, err)
	}
	return nil
}

// ReleaseRecipients implements incident.NoticeStore.
func (s *Store) ReleaseRecipients(ctx context.Context, incidentID, obligationID string, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE notice_recipients SET state = ?, updated_at = ?
WHERE incident_id = ? AND obligation_id = ? AND state = ? AND seq IN (?)`,
		incident.RecipientQueued, s.Now().UTC(), incidentID, obligationID, incident.RecipientSending, seqs)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.q(q), args...); err != nil {
		return fmt.Errorf("release recipients of %s of %s: %w", obligationID, incidentID, err)
	}
	return nil
}

// Recipients implements incident.NoticeStore.
func (s *Store) Recipients(ctx context.Context, f incident.RecipientFilter) ([]incident.NoticeRecipient, error) {
	where := []string{"seq > ?"}
	args := []any{f.AfterSeq}
	if f.IncidentID != "" {
		where = append(where, "incident_id = ?")
		args = append(args, f.IncidentID)
	}
	if f.ObligationID != "" {
		where = append(where, "obligation_id = ?")
		args = append(args, f.ObligationID)
	}
	if f.State != "" {
		where = append(where, "state = ?")
		args = append(args, f.State)
	}
	q := `SELECT ` + recipientColumns + ` FROM notice_recipients WHERE ` + strings.Join(where, " AND ") + ` ORDER BY incident_id, obligation_id, seq`
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var rs []incident.NoticeRecipient
	if err := s.db.SelectContext(ctx, &rs, s.q(q), args...); err != nil {
		return nil, fmt.Errorf("list recipients: %w", err)
	}
	return utcRecipients(rs), nil
}

// RecipientCounts implements incident.NoticeStore.
func (s *Store) RecipientCounts(ctx context.Context, incidentID, obligationID string) (map[string]int, error) {
	var rows []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.q(`SELECT state, COUNT(*) AS n FROM notice_recipients
WHERE incident_id = ? AND obligation_id = ? GROUP BY state`), incidentID, obligationID); err != nil {
		return nil, fmt.Errorf("count recipients of %s of %s: %w", obligationID, incidentID, err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

const intakeColumns = `id, sha256, received_at, via, mail_from, from_header, subject, message_id, size, status, reason, incident_id`

// SaveIntake implements incident.NoticeStore.
func (s *Store) SaveIntake(ctx context.Context, m incident.IntakeMessage) (incident.IntakeMessage, bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO intake_messages
    (sha256, received_at, via, mail_from, from_header, subject, message_id, size, status, reason, incident_id, raw)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING`),
		s.texts(m.SHA256, m.ReceivedAt.UTC(), m.Via, m.MailFrom, m.From, m.Subject, m.MessageID, m.Size, m.Status, m.Reason, m.IncidentID, m.Raw)...)
	if err != nil {
		return incident.IntakeMessage{}, false, fmt.Errorf("save intake message %s: %w", m.SHA256, err)
	}
	n, _ := res.RowsAffected()
	var got incident.IntakeMessage
	if err := s.db.GetContext(ctx, &got, s.q(`SELECT `+intakeColumns+`, raw FROM intake_messages WHERE sha256 = ?`), m.SHA256); err != nil {
		return incident.IntakeMessage{}, false, fmt.Errorf("read intake message %s: %w", m.SHA256, err)
	}
	got.ReceivedAt = got.ReceivedAt.UTC()
	return got, n == 0, nil
}

// UpdateIntake implements incident.NoticeStore.
func (s *Store) UpdateIntake(ctx context.Context, id int64, status, reason, incidentID string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE intake_messages SET status = ?, reason = ?, incident_id = ? WHERE id = ?`), s.texts(status, reason, incidentID, id)...)
	if err != nil {
		return fmt.Errorf("update intake message %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return incident.Errorf(incident.ENOTFOUND, "intake message %d not found", id)
	}
	return nil
}

// GetIntake implements incident.NoticeStore.
func (s *Store) GetIntake(ctx context.Context, id int64) (incident.IntakeMessage, error) {
	var m incident.IntakeMessage
	err := s.db.GetContext(ctx, &m, s.q(`SELECT `+intakeColumns+`, raw FROM intake_messages WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return m, incident.Errorf(incident.ENOTFOUND, "intake message %d not found", id)
	}
	if err != nil {
		return m, fmt.Errorf("get intake message %d: %w", id, err)
	}
	m.ReceivedAt = m.ReceivedAt.UTC()
	return m, nil
}

// ListIntake implements incident.NoticeStore.
func (s *Store) ListIntake(ctx context.Context, limit int) ([]incident.IntakeMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	var ms []incident.IntakeMessage
	if err := s.db.SelectContext(ctx, &ms, s.q(`SELECT `+intakeColumns+` FROM intake_messages ORDER BY id DESC LIMIT ?`), limit); err != nil {
		return nil, fmt.Errorf("list intake messages: %w", err)
	}
	for i := range ms {
		ms[i].ReceivedAt = ms[i].ReceivedAt.UTC()
	}
	return ms, nil
}
