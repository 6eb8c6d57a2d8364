package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTransport fails its calls with the scripted errors in order (nil: succeed) and
// succeeds once they run out. It keeps every message it was asked to send.
type fakeTransport struct {
	name    string
	gate    chan struct{} // when set, Send waits for it (or for ctx)
	entered chan struct{} // when set, Send reports here on entry

	mu    sync.Mutex
	errs  []error
	calls []Message
}

func (f *fakeTransport) Send(ctx context.Context, m Message) (Sent, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return Sent{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, m)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return Sent{}, err
		}
	}
	return Sent{Transport: "fake", MessageID: f.name + ":" + m.Key, Channel: "C-" + f.name, At: t0}, nil
}

func (f *fakeTransport) sent() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

var (
	errTransient = errors.New("503 service unavailable")
	errPermanent = Permanent(errors.New("channel_not_found"))
)

func ids(rs []Recipient) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestRouter(t *testing.T) {
	everything := []Route{{Transports: []string{"log", "slack", "email"}}}
	people := []Recipient{{Kind: RecipientChannel, ID: "ir-bridge"}, {Kind: RecipientPerson, ID: "alice@example.com"}, {Kind: RecipientRole, ID: "dpo"}}
	overdue := valid()
	overdue.Kind = KindOverdue
	approval := valid()
	approval.Kind, approval.ObligationID, approval.Recipients = KindStepAwaitingApproval, "", people

	tests := []struct {
		name   string
		routes []Route
		fail   map[string][]error // scripted errors per transport, one per call
		msg    Message
		// want is one outcome per Send of msg: "ok", "transient" or "permanent".
		want []string
		// wantCalls is how often each transport was asked to send, over all attempts.
		wantCalls map[string]int
		// wantDelivered lists the deliveries of the last attempt (its error's
		// Delivered when it failed), in route order.
		wantDelivered []string
		// wantRecipients is what each transport received, by recipient ID.
		wantRecipients map[string][]string
	}{
		{
			name: "fan-out to every transport", routes: everything, msg: valid(),
			want: []string{"ok"}, wantCalls: map[string]int{"log": 1, "slack": 1, "email": 1},
			wantDelivered: []string{"log", "slack", "email"},
		},
		{
			name:   "routing by kind: a reminder goes to the log only",
			routes: []Route{{Kinds: []Kind{KindOverdue, KindStepAwaitingApproval}, Transports: []string{"slack"}}, {Transports: []string{"log"}}},
			msg:    valid(), want: []string{"ok"}, wantCalls: map[string]int{"log": 1}, wantDelivered: []string{"log"},
		},
		{
			name:   "routing by kind: overdue also goes to slack",
			routes: []Route{{Kinds: []Kind{KindOverdue, KindStepAwaitingApproval}, Transports: []string{"slack"}}, {Transports: []string{"log"}}},
			msg:    overdue, want: []string{"ok"}, wantCalls: map[string]int{"log": 1, "slack": 1}, wantDelivered: []string{"slack", "log"},
		},
		{
			name: "routing by recipient kind: each transport gets only its recipients",
			routes: []Route{
				{Recipients: []RecipientKind{RecipientChannel}, Transports: []string{"slack"}},
				{Recipients: []RecipientKind{RecipientPerson}, Transports: []string{"email", "slack"}},
				{Kinds: []Kind{KindStepAwaitingApproval}, Transports: []string{"log"}},
			},
			msg: approval, want: []string{"ok"}, wantCalls: map[string]int{"log": 1, "slack": 1, "email": 1},
			wantDelivered: []string{"slack", "email", "log"},
			wantRecipients: map[string][]string{
				"slack": {"ir-bridge", "alice@example.com"}, "email": {"alice@example.com"},
				"log": {"ir-bridge", "alice@example.com", "dpo"},
			},
		},
		{
			name:   "no route matches: permanent, nothing sent",
			routes: []Route{{Kinds: []Kind{KindIncidentClosed}, Transports: []string{"log"}}},
			msg:    valid(), want: []string{"permanent"}, wantCalls: map[string]int{},
		},
		{
			name:   "invalid message: permanent, nothing sent",
			routes: everything, msg: Message{Key: "k", Kind: KindReminder},
			want: []string{"permanent"}, wantCalls: map[string]int{},
		},
		{
			name: "partial transient failure: the retry sends to the failed transport only", routes: everything,
			fail: map[string][]error{"slack": {errTransient}}, msg: valid(),
			want:          []string{"transient", "ok"},
			wantCalls:     map[string]int{"log": 1, "slack": 2, "email": 1},
			wantDelivered: []string{"log", "slack", "email"},
		},
		{
			name: "retry after two transports failed skips the one that delivered", routes: everything,
			fail: map[string][]error{"slack": {errTransient, errTransient}, "email": {errTransient}}, msg: valid(),
			want:          []string{"transient", "transient", "ok"},
			wantCalls:     map[string]int{"log": 1, "slack": 3, "email": 2},
			wantDelivered: []string{"log", "slack", "email"},
		},
		{
			name: "the only failure is permanent: permanent", routes: everything,
			fail: map[string][]error{"email": {errPermanent}}, msg: valid(),
			want: []string{"permanent"}, wantCalls: map[string]int{"log": 1, "slack": 1, "email": 1},
			wantDelivered: []string{"log", "slack"},
		},
		{
			name: "permanent and transient: transient, then permanent once the transient one delivers", routes: everything,
			fail: map[string][]error{"slack": {errTransient}, "email": {errPermanent, errPermanent}}, msg: valid(),
			want:          []string{"transient", "permanent"},
			wantCalls:     map[string]int{"log": 1, "slack": 2, "email": 2},
			wantDelivered: []string{"log", "slack"},
		},
		{
			name: "every transport fails transiently", routes: everything,
			fail: map[string][]error{"log": {errTransient}, "slack": {errTransient}, "email": {errTransient}}, msg: valid(),
			want: []string{"transient"}, wantCalls: map[string]int{"log": 1, "slack": 1, "email": 1},
		},
		{
			name: "a delivered message sent again is not sent twice", routes: everything, msg: valid(),
			want: []string{"ok", "ok"}, wantCalls: map[string]int{"log": 1, "slack": 1, "email": 1},
			wantDelivered: []string{"log", "slack", "email"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fakes := map[string]*fakeTransport{}
			transports := map[string]Notifier{}
			for _, name := range []string{"log", "slack", "email"} {
				fakes[name] = &fakeTransport{name: name, errs: tt.fail[name]}
				transports[name] = fakes[name]
			}
			r, err := NewRouter(transports, tt.routes...)
			if err != nil {
				t.Fatal(err)
			}
			var last Sent
			for i, want := range tt.want {
				sent, err := r.Send(context.Background(), tt.msg)
				got := "ok"
				switch {
				case err != nil && IsPermanent(err):
					got = "permanent"
				case err != nil:
					got = "transient"
				}
				if got != want {
					t.Fatalf("attempt %d: %s (%v), want %s", i+1, got, err, want)
				}
				last = sent
				var de *DeliveryError
				if errors.As(err, &de) {
					last = de.Delivered
				}
			}
			for name, f := range fakes {
				if got := len(f.sent()); got != tt.wantCalls[name] {
					t.Errorf("%s called %d times, want %d", name, got, tt.wantCalls[name])
				}
			}
			var delivered []string
			for _, d := range last.Deliveries {
				delivered = append(delivered, d.Transport)
				if d.MessageID != d.Transport+":"+tt.msg.Key || d.Channel != "C-"+d.Transport {
					t.Errorf("delivery %+v lost the transport's message id or channel", d)
				}
			}
			if !slices.Equal(delivered, tt.wantDelivered) {
				t.Errorf("delivered by %v, want %v", delivered, tt.wantDelivered)
			}
			if len(delivered) > 0 && (last.Transport != RouterName || last.MessageID != "router:"+tt.msg.Key) {
				t.Errorf("routed Sent %+v", last)
			}
			for name, want := range tt.wantRecipients {
				if calls := fakes[name].sent(); len(calls) == 0 || !slices.Equal(ids(calls[0].Recipients), want) {
					t.Errorf("%s received %v, want %v", name, calls, want)
				}
			}
		})
	}
}

// TestRouterUpdate: an update hands each transport its own earlier delivery, and a
// transport that has none sends the message fresh.
func TestRouterUpdate(t *testing.T) {
	slack, email, log := &fakeTransport{name: "slack"}, &fakeTransport{name: "email"}, &fakeTransport{name: "log"}
	r, err := NewRouter(map[string]Notifier{"slack": slack, "email": email, "log": log}, Route{Transports: []string{"slack", "email", "log"}})
	if err != nil {
		t.Fatal(err)
	}
	m := valid()
	m.Kind, m.ObligationID, m.Key = KindStepAwaitingApproval, "", "inc-1/step/3/approval/decided"
	m.Update = &Sent{Transport: RouterName, MessageID: "router:inc-1/step/3/approval", Deliveries: []Sent{
		{Transport: "slack", MessageID: "1700000000.000100", Channel: "C1"},
		{Transport: "log", MessageID: "log:inc-1/step/3/approval"},
	}}
	if _, err := r.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if u := slack.sent()[0].Update; u == nil || u.MessageID != "1700000000.000100" || u.Channel != "C1" || len(u.Deliveries) != 0 {
		t.Errorf("slack got update %+v, want its own ts and channel", u)
	}
	if u := log.sent()[0].Update; u == nil || u.MessageID != "log:inc-1/step/3/approval" {
		t.Errorf("log got update %+v", u)
	}
	if u := email.sent()[0].Update; u != nil {
		t.Errorf("email had no earlier delivery but got update %+v", u)
	}
}

// TestRouterConcurrentRetry: an attempt that starts while an earlier one of the same
// key is still sending (an activity timed out and was retried in the same worker)
// waits for it instead of sending again.
func TestRouterConcurrentRetry(t *testing.T) {
	slack := &fakeTransport{name: "slack", gate: make(chan struct{})}
	r, err := NewRouter(map[string]Notifier{"slack": slack}, Route{Transports: []string{"slack"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.Send(context.Background(), valid())
		}()
	}
	time.Sleep(20 * time.Millisecond) // let both attempts reach the router
	close(slack.gate)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || len(slack.sent()) != 1 {
		t.Errorf("errors %v, slack called %d times, want once", errs, len(slack.sent()))
	}

	// A waiting attempt gives up with its context, as a retryable error.
	slow := &fakeTransport{name: "slow", gate: make(chan struct{}), entered: make(chan struct{}, 2)}
	r, _ = NewRouter(map[string]Notifier{"slow": slow}, Route{Transports: []string{"slow"}})
	first := make(chan error)
	go func() {
		_, err := r.Send(context.Background(), valid())
		first <- err
	}()
	<-slow.entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := r.Send(ctx, valid()); !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Errorf("waiting attempt: %v, want a retryable deadline error", err)
	}
	close(slow.gate)
	if err := <-first; err != nil || len(slow.sent()) != 1 {
		t.Errorf("first attempt: %v; slow called %d times, want once", err, len(slow.sent()))
	}
}

func TestRouterForgetsOldest(t *testing.T) {
	log := &fakeTransport{name: "log"}
	r, _ := NewRouter(map[string]Notifier{"log": log}, Route{Transports: []string{"log"}})
	r.SetRemember(2)
	for _, key := range []string{"a", "b", "c", "a", "c"} {
		m := valid()
		m.Key = key
		if _, err := r.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for _, m := range log.sent() {
		keys = append(keys, m.Key)
	}
	// "a" was forgotten when "c" arrived, so it is sent again; "c" is remembered.
	if want := []string{"a", "b", "c", "a"}; !slices.Equal(keys, want) {
		t.Errorf("sent %v, want %v", keys, want)
	}
}

func TestNewRouter(t *testing.T) {
	log := LogTransport{}
	tests := []struct {
		name       string
		transports map[string]Notifier
		routes     []Route
		wantErr    string
	}{
		{"ok", map[string]Notifier{"log": log}, []Route{{Transports: []string{"log"}}}, ""},
		{"no routes", map[string]Notifier{"log": log}, nil, "no routes"},
		{"route without transports", map[string]Notifier{"log": log}, []Route{{Kinds: []Kind{KindDue}}}, "names no transport"},
		{"unknown transport", map[string]Notifier{"log": log}, []Route{{Transports: []string{"slack"}}}, `unknown transport "slack"`},
		{"nil transport", map[string]Notifier{"log": nil}, []Route{{Transports: []string{"log"}}}, "unnamed or nil"},
		{"unknown kind", map[string]Notifier{"log": log}, []Route{{Kinds: []Kind{"gossip"}, Transports: []string{"log"}}}, `unknown kind "gossip"`},
		{"unknown recipient kind", map[string]Notifier{"log": log}, []Route{{Recipients: []RecipientKind{"team"}, Transports: []string{"log"}}}, `unknown recipient kind "team"`},
	}
	for _, tt := range tests {
		_, err := NewRouter(tt.transports, tt.routes...)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}
