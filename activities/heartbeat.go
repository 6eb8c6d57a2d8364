package activities

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
)

// pulse heartbeats an activity attempt for as long as it runs, so that Temporal
// sees a dead worker's attempt as dead within the heartbeat timeout (seconds) and
// retries it on another worker, instead of waiting out the start-to-close timeout
// (minutes): a Zendesk call can legitimately wait a minute on a 429, so the
// attempt's liveness cannot be told from its progress.
//
// Every heartbeat carries the attempt's current details, the ones the next attempt
// resumes from: a containment mutation's marker or an evidence cursor. They start
// as the details the previous attempt left, so a retry that dies before recording
// its own does not erase them.
type pulse struct {
	ctx context.Context
	// temporal, when set, sends durable details at once (see record).
	temporal client.Client
	mu       sync.Mutex
	det      any // current details; nil for none
	stop     chan struct{}
	done     chan struct{}
}

type pulseKey struct{}

// startPulse starts heartbeating every third of the attempt's heartbeat timeout
// (not at all without one, as for executions started before activities had one)
// and returns ctx carrying the pulse for record. Stop it before the activity
// returns. temporal may be nil (tests): durable details then go with the SDK's
// heartbeats only.
func startPulse(ctx context.Context, temporal client.Client) (context.Context, *pulse) {
	p := &pulse{ctx: ctx, temporal: temporal, stop: make(chan struct{}), done: make(chan struct{})}
	if activity.HasHeartbeatDetails(ctx) {
		var raw json.RawMessage
		if err := activity.GetHeartbeatDetails(ctx, &raw); err == nil {
			p.det = raw
		}
	}
	ctx = context.WithValue(ctx, pulseKey{}, p)
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		close(p.done)
		return ctx, p
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(max(every, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p.mu.Lock()
				p.send()
				p.mu.Unlock()
			}
		}
	}()
	return ctx, p
}

// Stop ends the heartbeats and waits for the last one to be handed over.
func (p *pulse) Stop() {
	close(p.stop)
	<-p.done
}

// send heartbeats the current details; the caller holds mu.
func (p *pulse) send() {
	if p.det == nil {
		activity.RecordHeartbeat(p.ctx)
		return
	}
	activity.RecordHeartbeat(p.ctx, p.det)
}

// record makes details the attempt's current heartbeat details. The SDK batches
// heartbeats (it sends at most one per 80% of the heartbeat timeout), so with
// durable the details are also sent to Temporal at once, through the pulse's
// client, before record returns: a containment step marks a target's state just
// before it mutates it, and that mark must outlive a crash right after the
// mutation (see mutationMarker).
func record(ctx context.Context, details any, durable bool) {
	p, ok := ctx.Value(pulseKey{}).(*pulse)
	if !ok {
		activity.RecordHeartbeat(ctx, details)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.det = details
	// Through the SDK as well, so that its pending batch holds these details and
	// not older ones.
	p.send()
	if !durable || p.temporal == nil {
		return
	}
	if err := p.temporal.RecordActivityHeartbeat(ctx, activity.GetInfo(ctx).TaskToken, details); err != nil {
		activity.GetLogger(ctx).Warn("heartbeat before a mutation failed", "error", err)
	}
}
