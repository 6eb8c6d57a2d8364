package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Route sends the messages it matches to its transports.
type Route struct {
	// Kinds the route matches; empty matches every kind.
	Kinds []Kind
	// Recipients are the recipient kinds the route matches. Empty matches any message
	// and hands the transports all its recipients; when set, the route matches only a
	// message with a recipient of one of these kinds, and the transports receive only
	// those recipients (so a Slack transport never sees an email-only person).
	Recipients []RecipientKind
	// Transports are names given to NewRouter.
	Transports []string
}

// RouterName is the Sent.Transport of a message the Router delivered.
const RouterName = "router"

// DefaultRemember is how many (transport, key) deliveries a Router remembers.
const DefaultRemember = 10000

// Router is a Notifier that sends each message to every transport a matching route
// names, at the same time, and returns one Sent with a Delivery per transport.
//
// Retries: Router remembers, in memory, which transports delivered which key, and a
// retried Send of that key skips them and returns their first Sent, so a failure of
// one transport does not make the others post twice. A concurrent Send of a key that
// is in flight waits for it. The record is bounded (Remember, oldest forgotten first)
// and lost when the process exits: durable dedupe belongs to each transport (Slack:
// keys recorded in the store; email: a Message-ID derived from the key).
type Router struct {
	transports map[string]Notifier
	routes     []Route
	remember   int

	mu        sync.Mutex
	delivered map[delivery]Sent
	order     []delivery
	inflight  map[string]chan struct{}
}

type delivery struct{ transport, key string }

// NewRouter returns a Router over the named transports. Every transport a route names
// must be in transports, and every kind a route names must be known.
func NewRouter(transports map[string]Notifier, routes ...Route) (*Router, error) {
	if len(routes) == 0 {
		return nil, errors.New("new router: no routes")
	}
	r := &Router{
		transports: make(map[string]Notifier, len(transports)),
		remember:   DefaultRemember,
		delivered:  map[delivery]Sent{},
		inflight:   map[string]chan struct{}{},
	}
	for name, t := range transports {
		if name == "" || t == nil {
			return nil, fmt.Errorf("new router: transport %q is unnamed or nil", name)
		}
		r.transports[name] = t
	}
	for i, rt := range routes {
		if len(rt.Transports) == 0 {
			return nil, fmt.Errorf("new router: route %d names no transport", i)
		}
		for _, name := range rt.Transports {
			if _, ok := r.transports[name]; !ok {
				return nil, fmt.Errorf("new router: route %d names unknown transport %q", i, name)
			}
		}
		for _, k := range rt.Kinds {
			if !knownKind(k) {
				return nil, fmt.Errorf("new router: route %d names unknown kind %q", i, k)
			}
		}
		for _, k := range rt.Recipients {
			if k != RecipientChannel && k != RecipientPerson && k != RecipientRole {
				return nil, fmt.Errorf("new router: route %d names unknown recipient kind %q", i, k)
			}
		}
		r.routes = append(r.routes, Route{
			Kinds:      slices.Clone(rt.Kinds),
			Recipients: slices.Clone(rt.Recipients),
			Transports: slices.Clone(rt.Transports),
		})
	}
	return r, nil
}

// SetRemember sets how many deliveries the router remembers for dedupe (at least 1).
func (r *Router) SetRemember(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.remember = max(n, 1)
	r.evict()
}

// leg is one transport's share of a message.
type leg struct {
	transport string
	msg       Message
}

// plan returns the transports m goes to, in the order routes first name them, each
// with the message it receives.
func (r *Router) plan(m Message) []leg {
	type pick struct {
		all  bool
		some []bool // by index into m.Recipients
	}
	var names []string
	picks := map[string]*pick{}
	for _, rt := range r.routes {
		if len(rt.Kinds) > 0 && !slices.Contains(rt.Kinds, m.Kind) {
			continue
		}
		var some []bool
		if len(rt.Recipients) > 0 {
			some = make([]bool, len(m.Recipients))
			matched := false
			for i, rc := range m.Recipients {
				if slices.Contains(rt.Recipients, rc.Kind) {
					some[i], matched = true, true
				}
			}
			if !matched {
				continue
			}
		}
		for _, name := range rt.Transports {
			p := picks[name]
			if p == nil {
				p = &pick{some: make([]bool, len(m.Recipients))}
				picks[name] = p
				names = append(names, name)
			}
			if some == nil {
				p.all = true
				continue
			}
			for i, ok := range some {
				p.some[i] = p.some[i] || ok
			}
		}
	}
	legs := make([]leg, 0, len(names))
	for _, name := range names {
		msg, p := m, picks[name]
		if !p.all {
			msg.Recipients = nil
			for i, rc := range m.Recipients {
				if p.some[i] {
					msg.Recipients = append(msg.Recipients, rc)
				}
			}
		}
		msg.Update = nil
		if m.Update != nil {
			// Each transport edits its own earlier message; one that had none
			// (added since, or it failed then) sends this one fresh.
			if prev, ok := m.Update.Delivery(name); ok {
				prev.Deliveries = nil
				msg.Update = &prev
			}
		}
		legs = append(legs, leg{transport: name, msg: msg})
	}
	return legs
}

// Send delivers m to every transport its routes name. It returns an error when any
// delivery failed: a *DeliveryError, permanent (IsPermanent) only when every failure
// was. A message no route matches, or an invalid message, is a Permanent error.
func (r *Router) Send(ctx context.Context, m Message) (Sent, error) {
	if err := m.Validate(); err != nil {
		return Sent{}, Permanent(err)
	}
	legs := r.plan(m)
	if len(legs) == 0 {
		return Sent{}, Permanent(fmt.Errorf("route message %s: no route for kind %s and its recipients", m.Key, m.Kind))
	}
	release, err := r.acquire(ctx, m.Key)
	if err != nil {
		return Sent{}, fmt.Errorf("route message %s: %w", m.Key, err)
	}
	defer release()

	sent := make([]Sent, len(legs))
	errs := make([]error, len(legs))
	var wg sync.WaitGroup
	for i, l := range legs {
		if s, ok := r.lookup(l.transport, m.Key); ok {
			sent[i] = s
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := r.transports[l.transport].Send(ctx, l.msg)
			if err != nil {
				errs[i] = err
				return
			}
			s.Transport = l.transport
			sent[i] = s
			r.record(l.transport, m.Key, s)
		}()
	}
	wg.Wait()

	out := Sent{Transport: RouterName, MessageID: RouterName + ":" + m.Key, At: time.Now().UTC()}
	var failures []TransportError
	for i, l := range legs {
		if errs[i] != nil {
			failures = append(failures, TransportError{Transport: l.transport, Err: errs[i]})
			continue
		}
		out.Deliveries = append(out.Deliveries, sent[i])
	}
	if len(failures) > 0 {
		return Sent{}, &DeliveryError{Key: m.Key, Failures: failures, Delivered: out}
	}
	return out, nil
}

// acquire waits until no other Send of key is in flight and marks this one; release
// clears the mark.
func (r *Router) acquire(ctx context.Context, key string) (release func(), err error) {
	r.mu.Lock()
	for {
		busy, ok := r.inflight[key]
		if !ok {
			break
		}
		r.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for an earlier attempt: %w", ctx.Err())
		}
		r.mu.Lock()
	}
	done := make(chan struct{})
	r.inflight[key] = done
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.inflight, key)
		r.mu.Unlock()
		close(done)
	}, nil
}

func (r *Router) lookup(transport, key string) (Sent, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.delivered[delivery{transport, key}]
	return s, ok
}

func (r *Router) record(transport, key string, s Sent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := delivery{transport, key}
	if _, ok := r.delivered[d]; !ok {
		r.order = append(r.order, d)
	}
	r.delivered[d] = s
	r.evict()
}

// evict forgets the oldest deliveries beyond r.remember. The caller holds r.mu.
func (r *Router) evict() {
	for len(r.order) > r.remember {
		delete(r.delivered, r.order[0])
		r.order = r.order[1:]
	}
}

// TransportError is one transport's failure to deliver a message.
type TransportError struct {
	Transport string
	Err       error
}

// DeliveryError is what Router.Send returns when at least one transport failed.
type DeliveryError struct {
	Key      string
	Failures []TransportError
	// Delivered holds the deliveries that succeeded, so a caller that gives up can
	// still record (and later update) them.
	Delivered Sent
}

// Error lists each failed transport with its error.
func (e *DeliveryError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.Transport + ": " + f.Err.Error()
	}
	return fmt.Sprintf("deliver message %s: %d of %d transports failed: %s",
		e.Key, len(e.Failures), len(e.Failures)+len(e.Delivered.Deliveries), strings.Join(parts, "; "))
}

// Unwrap returns the transports' errors, for errors.Is and errors.As.
func (e *DeliveryError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}

// Permanent reports whether every failure was permanent, so retrying cannot help;
// one transient failure makes the whole send worth retrying, and the retry skips the
// transports that delivered.
func (e *DeliveryError) Permanent() bool {
	for _, f := range e.Failures {
		if !IsPermanent(f.Err) {
			return false
		}
	}
	return len(e.Failures) > 0
}
