package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"irflow/internal/incident"
)

// RunNotices runs the incident.NoticeStore contract. open must return a fresh,
// empty store for the test it is given.
func RunNotices(t *testing.T, open func(t *testing.T) incident.NoticeStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s incident.NoticeStore)
	}{
		{"Notice/RoundTrip", testNoticeRoundTrip},
		{"Notice/Revisions", testNoticeRevisions},
		{"Recipients/AddDedupes", testRecipientsAddDedupes},
		{"Recipients/ClaimRecordRelease", testRecipientsClaimRecordRelease},
		{"Recipients/ConcurrentClaimsDisjoint", testRecipientsConcurrentClaims},
		{"Intake/SaveOnceUpdateGet", testIntake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func testNoticeRoundTrip(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	if _, err := s.GetNotice(ctx, "INC-20260306-001", "eu-gdpr-33-sa"); !isCode(err, incident.ENOTFOUND) {
		t.Fatalf("get before save: %v, want not_found", err)
	}
	approved := base.Add(time.Hour).In(paris)
	n := incident.Notice{
		IncidentID: "INC-20260306-001", ObligationID: "eu-gdpr-33-sa", Rule: "eu-gdpr-33-sa", Template: "gdpr-art33-regulator",
		Status: incident.NoticeApproved, Subject: "Notification", Text: "body ü\n", TextSHA256: "abc",
		Inputs:    map[string]string{"contact_point": "dpo@example.com"},
		DraftedBy: "dana", DraftedAt: base, EditedBy: "lee", Edits: 2,
		ApprovedText: "body ü\n", ApprovedSHA256: "abc", ApprovedBy: "lee", ApprovedAt: &approved,
		Revision: 3, UpdatedAt: base.Add(time.Hour),
	}
	if err := s.SaveNotice(ctx, n); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveNotice(ctx, incident.Notice{IncidentID: "INC-20260306-001", ObligationID: "a-first", Status: incident.NoticeDrafted, DraftedAt: base, UpdatedAt: base, Revision: 1}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetNotice(ctx, n.IncidentID, n.ObligationID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != n.Text || got.Inputs["contact_point"] != "dpo@example.com" || got.ApprovedAt == nil ||
		!got.ApprovedAt.Equal(approved) || got.ApprovedAt.Location() != time.UTC || !got.DraftedAt.Equal(base) || got.Edits != 2 || got.Revision != 3 {
		t.Errorf("round trip: %+v", got)
	}
	list, err := s.ListNotices(ctx, n.IncidentID)
	if err != nil || len(list) != 2 || list[0].ObligationID != "a-first" {
		t.Errorf("list = %+v, %v", list, err)
	}
}

func testNoticeRevisions(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	n := incident.Notice{IncidentID: "INC-20260306-001", ObligationID: "o", Status: incident.NoticeDrafted, Text: "v2", DraftedAt: base, UpdatedAt: base, Revision: 2}
	if err := s.SaveNotice(ctx, n); err != nil {
		t.Fatal(err)
	}
	old := n
	old.Text, old.Revision = "v1", 1
	if err := s.SaveNotice(ctx, old); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetNotice(ctx, n.IncidentID, n.ObligationID)
	if got.Text != "v2" {
		t.Errorf("a lower revision overwrote the notice: %q", got.Text)
	}
	n.Text = "v2 again"
	if err := s.SaveNotice(ctx, n); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetNotice(ctx, n.IncidentID, n.ObligationID); got.Text != "v2 again" {
		t.Errorf("same revision did not replace: %q", got.Text)
	}
}

func recipients(addrs ...string) []incident.NoticeRecipient {
	out := make([]incident.NoticeRecipient, len(addrs))
	for i, a := range addrs {
		out[i] = incident.NoticeRecipient{Address: a, Key: "k/" + a}
	}
	return out
}

func testRecipientsAddDedupes(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	n, err := s.AddRecipients(ctx, "INC-20260306-001", "o", recipients("a@x.example", "b@x.example", "A@X.example"))
	if err != nil || n != 2 {
		t.Fatalf("add = %d, %v; want 2 (A@X is a@x)", n, err)
	}
	n, err = s.AddRecipients(ctx, "INC-20260306-001", "o", recipients("b@x.example", "c@x.example"))
	if err != nil || n != 1 {
		t.Fatalf("second add = %d, %v; want 1", n, err)
	}
	// Another notice's list is separate.
	if n, err := s.AddRecipients(ctx, "INC-20260306-001", "p", recipients("a@x.example")); err != nil || n != 1 {
		t.Fatalf("other notice: %d, %v", n, err)
	}
	rs, err := s.Recipients(ctx, incident.RecipientFilter{IncidentID: "INC-20260306-001", ObligationID: "o"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%d:%s:%s", r.Seq, r.Address, r.State))
	}
	if fmt.Sprint(got) != "[1:a@x.example:queued 2:b@x.example:queued 3:c@x.example:queued]" {
		t.Errorf("recipients %v", got)
	}
	if rs[0].Key != "k/a@x.example" {
		t.Errorf("key %q", rs[0].Key)
	}
	page, _ := s.Recipients(ctx, incident.RecipientFilter{IncidentID: "INC-20260306-001", ObligationID: "o", AfterSeq: 1, Limit: 1})
	if len(page) != 1 || page[0].Seq != 2 {
		t.Errorf("page %+v", page)
	}
}

func testRecipientsClaimRecordRelease(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	const inc, ob = "INC-20260306-001", "o"
	if _, err := s.AddRecipients(ctx, inc, ob, recipients("a@x.example", "b@x.example", "c@x.example", "d@x.example")); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.ClaimRecipients(ctx, inc, ob, 3)
	if err != nil || len(claimed) != 3 || claimed[0].Seq != 1 || claimed[2].Seq != 3 || claimed[0].State != incident.RecipientSending || claimed[0].Attempts != 1 {
		t.Fatalf("claim = %+v, %v", claimed, err)
	}
	at := base.Add(time.Minute)
	if err := s.RecordResults(ctx, inc, ob, []incident.RecipientResult{
		{Seq: 1, State: incident.RecipientSent, MessageID: "m1@x", At: at},
		{Seq: 2, State: incident.RecipientFailed, Error: "550 no such user", At: at},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseRecipients(ctx, inc, ob, []int64{3}); err != nil {
		t.Fatal(err)
	}
	// A late, repeated result never moves a sent recipient back.
	if err := s.RecordResults(ctx, inc, ob, []incident.RecipientResult{{Seq: 1, State: incident.RecipientFailed, Error: "late"}}); err != nil {
		t.Fatal(err)
	}
	counts, err := s.RecipientCounts(ctx, inc, ob)
	if err != nil {
		t.Fatal(err)
	}
	if counts[incident.RecipientSent] != 1 || counts[incident.RecipientFailed] != 1 || counts[incident.RecipientQueued] != 2 || counts[incident.RecipientSending] != 0 {
		t.Errorf("counts %v", counts)
	}
	sent, _ := s.Recipients(ctx, incident.RecipientFilter{IncidentID: inc, ObligationID: ob, State: incident.RecipientSent})
	if len(sent) != 1 || sent[0].MessageID != "m1@x" || sent[0].SentAt == nil || !sent[0].SentAt.Equal(at) || sent[0].Error != "" {
		t.Errorf("sent %+v", sent)
	}
	// The released one is claimed again, first; its attempts count the second try.
	again, _ := s.ClaimRecipients(ctx, inc, ob, 10)
	if len(again) != 2 || again[0].Seq != 3 || again[0].Attempts != 2 || again[1].Seq != 4 {
		t.Errorf("claim again %+v", again)
	}
	if none, _ := s.ClaimRecipients(ctx, inc, ob, 10); len(none) != 0 {
		t.Errorf("claimed %d from an empty queue", len(none))
	}
}

func testRecipientsConcurrentClaims(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	const inc, ob, total = "INC-20260306-001", "o", 200
	addrs := make([]string, total)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("p%03d@x.example", i)
	}
	if n, err := s.AddRecipients(ctx, inc, ob, recipients(addrs...)); err != nil || n != total {
		t.Fatalf("add %d, %v", n, err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rs, err := s.ClaimRecipients(ctx, inc, ob, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(rs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rs {
					seen[r.Seq]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != total {
		t.Errorf("claimed %d distinct recipients, want %d", len(seen), total)
	}
	var dup []int64
	for seq, n := range seen {
		if n > 1 {
			dup = append(dup, seq)
		}
	}
	sort.Slice(dup, func(i, j int) bool { return dup[i] < dup[j] })
	if len(dup) > 0 {
		t.Errorf("claimed twice: %v", dup)
	}
}

func testIntake(t *testing.T, s incident.NoticeStore) {
	ctx := context.Background()
	raw := []byte("From: a@b.example\r\nSubject: x\r\n\r\nbody \x00\xff")
	m := incident.IntakeMessage{SHA256: "ab12", ReceivedAt: base.In(paris), Via: "smtp", From: "a@b.example", Subject: "x", Size: len(raw), Status: incident.IntakeReceived, Raw: raw}
	first, existing, err := s.SaveIntake(ctx, m)
	if err != nil || existing || first.ID == 0 || !first.ReceivedAt.Equal(base) || first.ReceivedAt.Location() != time.UTC {
		t.Fatalf("first save %+v existing=%v err=%v", first, existing, err)
	}
	m2 := m
	m2.ReceivedAt = base.Add(time.Hour)
	again, existing, err := s.SaveIntake(ctx, m2)
	if err != nil || !existing || again.ID != first.ID || !again.ReceivedAt.Equal(base) {
		t.Fatalf("second save %+v existing=%v err=%v", again, existing, err)
	}
	if err := s.UpdateIntake(ctx, first.ID, incident.IntakeDeclared, "", "INC-20260306-002"); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetIntake(ctx, first.ID)
	if err != nil || !bytes.Equal(got.Raw, raw) || got.Status != incident.IntakeDeclared || got.IncidentID != "INC-20260306-002" {
		t.Errorf("get %+v, %v", got, err)
	}
	second, _, _ := s.SaveIntake(ctx, incident.IntakeMessage{SHA256: "cd34", ReceivedAt: base, Status: incident.IntakeMalformed, Reason: "NUL", Raw: []byte{0}})
	list, err := s.ListIntake(ctx, 10)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[0].Raw != nil {
		t.Errorf("list %+v, %v", list, err)
	}
	if _, err := s.GetIntake(ctx, 999); !isCode(err, incident.ENOTFOUND) {
		t.Errorf("get unknown: %v", err)
	}
	if err := s.UpdateIntake(ctx, 999, "x", "", ""); !isCode(err, incident.ENOTFOUND) {
		t.Errorf("update unknown: %v", err)
	}
}

func isCode(err error, code string) bool {
	var e *incident.Error
	return errors.As(err, &e) && e.Code == code
}
