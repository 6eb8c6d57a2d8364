package zdsim

import (
	"strconv"
	"time"
)

// Counting helpers: how many records each list endpoint holds right now for a
// query, computed from the simulator's own state with the filters its handlers
// apply, not by calling them. They are an oracle for tests that compare what was
// collected over the API (through retries, 429s and pagination) with what is there.
// Times are compared as given; the API's filters carry whole seconds, so callers
// comparing with a request should pass the times the request sent.

// CountAuditLogs is the number of records GET /api/v2/audit_logs lists for
// filter[created_at][]=from&filter[created_at][]=to (created_at from..to, both
// ends included) with no other filter. ok is false when the plan has no audit
// logs (Options.NoAuditLogs): the endpoint answers 403 and there is nothing to
// count.
func (s *Sim) CountAuditLogs(from, to time.Time) (n int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.NoAuditLogs {
		return 0, false
	}
	for _, l := range s.st.auditLogs {
		if !l.CreatedAt.Before(from) && !l.CreatedAt.After(to) {
			n++
		}
	}
	return n, true
}

// CountAccessLogs is the number of records GET /api/v2/access_logs lists for
// filter[start]=from&filter[end]=to (a zero time leaves that end open) and, when
// userID is not 0, filter[user_id]=userID: entries of the last 90 days with from <=
// timestamp <= to. ok is false without the ADPP add-on (Options.AccessLogsAddon):
// the endpoint answers 403.
func (s *Sim) CountAccessLogs(from, to time.Time, userID int64) (n int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opts.AccessLogsAddon {
		return 0, false
	}
	oldest := s.Now().Add(-accessLogRetention)
	user := ""
	if userID != 0 {
		user = strconv.FormatInt(userID, 10)
	}
	for _, l := range s.st.accessLogs {
		if l.Timestamp.Before(oldest) || (!from.IsZero() && l.Timestamp.Before(from)) || (!to.IsZero() && l.Timestamp.After(to)) ||
			(user != "" && l.UserID != user) {
			continue
		}
		n++
	}
	return n, true
}

// CountTicketAudits is the number of audits GET /api/v2/tickets/{id}/audits lists
// for one ticket. ok is false when there is no such ticket (the endpoint answers
// 404).
func (s *Sim) CountTicketAudits(ticketID int64) (n int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.tickets[ticketID] == nil {
		return 0, false
	}
	for _, a := range s.st.audits {
		if a.TicketID == ticketID {
			n++
		}
	}
	return n, true
}

// CountTicketEvents is the number of distinct events GET
// /api/v2/incremental/ticket_events streams from start_time=from until events
// stamped after to: one per ticket audit created from..to (both ends included) and
// not within the last minute, which the export leaves out. Pages repeat the events
// of their end_time; they are counted once here.
func (s *Sim) CountTicketEvents(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := s.Now().Add(-time.Minute).Unix()
	n := 0
	for _, a := range s.st.audits {
		if !a.CreatedAt.Before(from) && !a.CreatedAt.After(to) && a.CreatedAt.Unix() <= cutoff {
			n++
		}
	}
	return n
}

// CountUsersUpdated is the number of users GET /api/v2/incremental/users/cursor
// returns whose updated_at is from..to (both ends included), leaving out changes
// of the last minute as the export does. The export holds each user's current
// version only: a user changed again after to is not among them.
func (s *Sim) CountUsersUpdated(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := s.Now().Add(-time.Minute).Unix()
	n := 0
	for _, u := range s.st.users {
		if !u.UpdatedAt.Before(from) && !u.UpdatedAt.After(to) && u.UpdatedAt.Unix() <= cutoff {
			n++
		}
	}
	return n
}

// CountTicketsUpdated is CountUsersUpdated for GET
// /api/v2/incremental/tickets/cursor: tickets whose updated_at is from..to and
// whose generated_timestamp is not within the last minute.
func (s *Sim) CountTicketsUpdated(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := s.Now().Add(-time.Minute).Unix()
	n := 0
	for _, t := range s.st.tickets {
		if !t.UpdatedAt.Before(from) && !t.UpdatedAt.After(to) && t.GeneratedTimestamp <= cutoff {
			n++
		}
	}
	return n
}

// UserUpdatedAt is the updated_at GET /api/v2/users/{id} shows; ok is false when
// there is no such user (404).
func (s *Sim) UserUpdatedAt(id int64) (updated time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.st.users[id]; u != nil {
		return u.UpdatedAt, true
	}
	return time.Time{}, false
}

// TicketUpdatedAt is the updated_at GET /api/v2/tickets/{id} shows; ok is false
// when there is no such ticket (404).
func (s *Sim) TicketUpdatedAt(id int64) (updated time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.st.tickets[id]; t != nil {
		return t.UpdatedAt, true
	}
	return time.Time{}, false
}

// CountUserSessions is the number of sessions GET /api/v2/users/{id}/sessions
// lists to an admin. ok is false when there is no such user (404).
func (s *Sim) CountUserSessions(userID int64) (n int, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.users[userID] == nil {
		return 0, false
	}
	for _, v := range s.st.sessions {
		if v.UserID == userID {
			n++
		}
	}
	return n, true
}

// CountAPITokens is the number of tokens GET /api/v2/api_tokens lists.
func (s *Sim) CountAPITokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.apiTokens)
}

// CountOAuthTokens is the number of tokens GET /api/v2/oauth/tokens?all=true lists
// to an admin: every user's, of every client.
func (s *Sim) CountOAuthTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.oauthTokens)
}

// CountAppInstallations is the number of installations GET
// /api/v2/apps/installations lists.
func (s *Sim) CountAppInstallations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.installations)
}

// CountWebhooks is the number of webhooks GET /api/v2/webhooks lists without
// filters, active and inactive.
func (s *Sim) CountWebhooks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.webhooks)
}

// Deleted lists the ids of the objects of one kind (KindSession, KindAPIToken,
// KindOAuthToken or KindWebhook) that requests deleted, in the order they were
// deleted. Sessions ended by the bulk DELETE /users/{id}/sessions are listed one by
// one under KindSession. A test comparing a list collected while containment runs
// uses it to tell the objects whose presence depends on timing (deleted during the
// collection) from those that were there throughout.
func (s *Sim) Deleted(kind string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deleted[kind]...)
}

// tombstone records a deleted object for Deleted. Called with s.mu held.
func (s *Sim) tombstone(kind, id string) { s.deleted[kind] = append(s.deleted[kind], id) }
