// Package slackfake is a Slack Web API and Socket Mode fake for tests: slack-go's
// own slacktest server, with handlers for what it lacks or fakes loosely
// (chat.postMessage with real "sec.micro" ts, chat.update, chat.postEphemeral,
// pins.add, views.open, views.update, conversations.create echoing the name and
// answering name_taken, conversations.invite, conversations.setTopic, users.info,
// usergroups.users.list, conversations.history) and a scripted Socket Mode
// WebSocket. It records every call so tests assert on what Slack would have seen,
// and can answer 429 with Retry-After or 5xx on demand.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"
)

// Message is a message as the fake holds it.
type Message struct {
	Channel string
	TS      string
	User    string // ephemeral: who sees it
	Text    string
	Blocks  string // the blocks JSON as sent
	// At is when the fake received the post or edit.
	At time.Time
}

// Server is the fake.
type Server struct {
	*slacktest.Server
	// Token is the bot token every Web API call must carry.
	Token string

	mu         sync.Mutex
	seq        int
	posts      []Message
	updates    []Message
	ephemerals []Message
	pins       []Message
	views      []json.RawMessage
	channels   map[string]string // name -> id
	invites    map[string][]string
	topics     map[string]string
	users      map[string]string   // id -> email
	groups     map[string][]string // group -> members
	fail       map[string][]int    // method -> statuses to answer with, in order
	calls      map[string]int
	deleted    int

	// Envelopes are pushed to a connected Socket Mode client; Acks receive what it
	// acknowledged.
	Envelopes chan any
	Acks      chan Ack
}

// Ack is a Socket Mode acknowledgement.
type Ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// New starts a fake accepting token.
func New(token string) *Server {
	f := &Server{Token: token, channels: map[string]string{}, invites: map[string][]string{}, topics: map[string]string{},
		users: map[string]string{}, groups: map[string][]string{}, fail: map[string][]int{}, calls: map[string]int{},
		Envelopes: make(chan any, 64), Acks: make(chan Ack, 64)}
	f.Server = slacktest.NewTestServer(func(c slacktest.Customize) {
		for _, m := range []struct {
			path string
			h    func(http.ResponseWriter, map[string]string) any
		}{
			{"/chat.postMessage", f.postMessage}, {"/chat.update", f.update}, {"/chat.postEphemeral", f.postEphemeral},
			{"/pins.add", f.pin}, {"/views.open", f.viewOpen}, {"/views.update", f.viewOpen},
			{"/conversations.create", f.create}, {"/conversations.invite", f.invite},
			{"/conversations.setTopic", f.topic}, {"/users.info", f.userInfo},
			{"/usergroups.users.list", f.groupMembers}, {"/conversations.history", f.history},
			{"/chat.delete", f.delete},
		} {
			c.Handle(m.path, f.wrap(strings.TrimPrefix(m.path, "/"), m.h))
		}
		c.Handle("/ws", slacktest.Websocket(f.socket))
	})
	f.Start()
	return f
}

// URL is the Web API base to give slack.OptionAPIURL (SLACK_API_URL).
func (f *Server) URL() string { return f.GetAPIURL() }

// AddUser makes users.info know a user's email.
func (f *Server) AddUser(id, email string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = email
}

// AddGroup makes usergroups.users.list know a group's members.
func (f *Server) AddGroup(id string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[id] = members
}

// Fail makes the next calls of method answer with statuses, in order: 429 comes
// with Retry-After: 1, anything else with an empty body.
func (f *Server) Fail(method string, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], statuses...)
}

// Calls is how many times method was called (failures included).
func (f *Server) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Posts returns the messages posted, in order.
func (f *Server) Posts() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.posts...)
}

// Updates returns the chat.update calls, in order.
func (f *Server) Updates() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.updates...)
}

// Ephemerals returns the ephemeral messages, in order.
func (f *Server) Ephemerals() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.ephemerals...)
}

// Pins returns the pinned messages.
func (f *Server) Pins() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.pins...)
}

// Views returns the views opened or updated, as sent.
func (f *Server) Views() []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.views...)
}

// Channels returns the channels created, by name.
func (f *Server) Channels() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for k, v := range f.channels {
		out[k] = v
	}
	return out
}

// Invited returns who was invited to a channel.
func (f *Server) Invited(channel string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.invites[channel]...)
}

// Topic returns a channel's topic.
func (f *Server) Topic(channel string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.topics[channel]
}

// Card returns the latest text and blocks of the message ts in channel: the post
// as edited by every chat.update since.
func (f *Server) Card(channel, ts string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out Message
	found := false
	for _, p := range f.posts {
		if p.Channel == channel && p.TS == ts {
			out, found = p, true
		}
	}
	for _, u := range f.updates {
		if found && u.Channel == channel && u.TS == ts {
			out.Text, out.Blocks = u.Text, u.Blocks
		}
	}
	return out, found
}

// wrap checks the token (form field or Bearer), parses form or JSON bodies, and
// answers a queued failure before the handler.
func (f *Server) wrap(method string, h func(http.ResponseWriter, map[string]string) any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		args := map[string]string{}
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
			for k, v := range m {
				if s, ok := v.(string); ok {
					args[k] = s
				} else {
					raw, _ := json.Marshal(v)
					args[k] = string(raw)
				}
			}
		} else {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			for k := range form {
				args[k] = form.Get(k)
			}
			if args["token"] != "" {
				token = args["token"]
			}
		}
		f.mu.Lock()
		f.calls[method]++
		var status int
		if q := f.fail[method]; len(q) > 0 {
			status, f.fail[method] = q[0], q[1:]
		}
		f.mu.Unlock()
		switch {
		case status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(status)
			return
		case status != 0:
			w.WriteHeader(status)
			return
		case token != f.Token:
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		writeJSON(w, h(w, args))
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) ts() string {
	f.seq++
	return fmt.Sprintf("%d.%06d", time.Now().Unix(), f.seq)
}

func fail(e string) map[string]any { return map[string]any{"ok": false, "error": e} }

func (f *Server) postMessage(_ http.ResponseWriter, a map[string]string) any {
	if a["channel"] == "" {
		return fail("channel_not_found")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := Message{Channel: a["channel"], TS: f.ts(), Text: a["text"], Blocks: a["blocks"], At: time.Now()}
	f.posts = append(f.posts, m)
	return map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS}}
}

func (f *Server) update(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.posts {
		if p.Channel == a["channel"] && p.TS == a["ts"] {
			f.updates = append(f.updates, Message{Channel: a["channel"], TS: a["ts"], Text: a["text"], Blocks: a["blocks"], At: time.Now()})
			return map[string]any{"ok": true, "channel": a["channel"], "ts": a["ts"], "text": a["text"]}
		}
	}
	return fail("message_not_found")
}

func (f *Server) postEphemeral(_ http.ResponseWriter, a map[string]string) any {
	if a["channel"] == "" || a["user"] == "" {
		return fail("channel_not_found")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := Message{Channel: a["channel"], User: a["user"], TS: f.ts(), Text: a["text"], Blocks: a["blocks"]}
	f.ephemerals = append(f.ephemerals, m)
	return map[string]any{"ok": true, "message_ts": m.TS}
}

func (f *Server) pin(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pins {
		if p.Channel == a["channel"] && p.TS == a["timestamp"] {
			return fail("already_pinned")
		}
	}
	f.pins = append(f.pins, Message{Channel: a["channel"], TS: a["timestamp"]})
	return map[string]any{"ok": true}
}

func (f *Server) viewOpen(_ http.ResponseWriter, a map[string]string) any {
	if a["trigger_id"] == "" && a["view_id"] == "" {
		return fail("invalid_arguments")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.views = append(f.views, json.RawMessage(a["view"]))
	return map[string]any{"ok": true, "view": map[string]any{"id": fmt.Sprintf("V%04d", len(f.views))}}
}

func (f *Server) create(_ http.ResponseWriter, a map[string]string) any {
	name := a["name"]
	if name == "" || len(name) > 80 || strings.ToLower(name) != name || strings.ContainsAny(name, " .,#") {
		return fail("invalid_name_specials")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.channels[name]; taken {
		return fail("name_taken")
	}
	id := fmt.Sprintf("C%08d", len(f.channels)+1)
	f.channels[name] = id
	return map[string]any{"ok": true, "channel": map[string]any{"id": id, "name": name, "is_channel": true, "created": time.Now().Unix()}}
}

func (f *Server) invite(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.invites[a["channel"]] = append(f.invites[a["channel"]], strings.Split(a["users"], ",")...)
	return map[string]any{"ok": true, "channel": map[string]any{"id": a["channel"]}}
}

func (f *Server) topic(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topics[a["channel"]] = a["topic"]
	return map[string]any{"ok": true, "channel": map[string]any{"id": a["channel"], "topic": map[string]any{"value": a["topic"]}}}
}

func (f *Server) userInfo(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	email, ok := f.users[a["user"]]
	if !ok {
		return fail("user_not_found")
	}
	return map[string]any{"ok": true, "user": map[string]any{"id": a["user"], "name": a["user"], "profile": map[string]any{"email": email}}}
}

func (f *Server) groupMembers(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	members, ok := f.groups[a["usergroup"]]
	if !ok {
		return fail("no_such_subteam")
	}
	return map[string]any{"ok": true, "users": members}
}

func (f *Server) history(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.posts {
		if p.Channel == a["channel"] && p.TS == a["latest"] {
			return map[string]any{"ok": true, "messages": []any{map[string]any{"type": "message", "user": "U0HUMAN", "text": p.Text, "ts": p.TS}}}
		}
	}
	return map[string]any{"ok": true, "messages": []any{}}
}

// socket is the Socket Mode WebSocket: hello, then every envelope pushed to
// Envelopes; acknowledgements go to Acks.
func (f *Server) socket(c *websocket.Conn) {
	if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var a Ack
			if err := c.ReadJSON(&a); err != nil {
				return
			}
			f.Acks <- a
		}
	}()
	for {
		select {
		case <-done:
			return
		case e := <-f.Envelopes:
			if err := c.WriteJSON(e); err != nil {
				return
			}
		}
	}
}

// SeedMessage records a message as if a person had posted it in channel (for
// reactions that turn messages into notes); it returns the ts.
func (f *Server) SeedMessage(channel, text string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := Message{Channel: channel, TS: f.ts(), Text: text}
	f.posts = append(f.posts, m)
	return m.TS
}

func (f *Server) delete(_ http.ResponseWriter, a map[string]string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, p := range f.posts {
		if p.Channel == a["channel"] && p.TS == a["ts"] {
			f.posts = append(f.posts[:i], f.posts[i+1:]...)
			f.deleted++
			return map[string]any{"ok": true, "channel": a["channel"], "ts": a["ts"]}
		}
	}
	return fail("message_not_found")
}

// Deleted is how many messages chat.delete removed.
func (f *Server) Deleted() int { f.mu.Lock(); defer f.mu.Unlock(); return f.deleted }

// FirstShown is when the message ts in channel first showed blocks containing
// substr, by its post or an edit.
func (f *Server) FirstShown(channel, ts, substr string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, list := range [][]Message{f.posts, f.updates} {
		for _, m := range list {
			if m.Channel == channel && m.TS == ts && strings.Contains(m.Blocks, substr) {
				return m.At, true
			}
		}
	}
	return time.Time{}, false
}
