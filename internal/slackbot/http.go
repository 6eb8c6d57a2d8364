package slackbot

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// MaxBodyBytes bounds a request from Slack. A view submission with every field
// filled is a few tens of kilobytes; anything near this is not from Slack.
const MaxBodyBytes = 1 << 20

// Handler serves Slack's HTTP requests: POST /slack/commands, /slack/interactions
// and /slack/events. Each is verified (signature and timestamp) before its body is
// parsed, answered at once, and its work queued.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/commands", a.serveCommand)
	mux.HandleFunc("POST /slack/interactions", a.serveInteraction)
	mux.HandleFunc("POST /slack/events", a.serveEvent)
	return mux
}

// verified reads the body and checks its signature; on failure it answers and
// returns false.
func (a *App) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("Slack request refused: body too large", "path", r.URL.Path, "limit", MaxBodyBytes)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return nil, false
		}
		a.log.Warn("Slack request refused: body unreadable", "path", r.URL.Path, "error", err)
		http.Error(w, "request body unreadable", http.StatusBadRequest)
		return nil, false
	}
	if err := Verify(r.Header, body, a.cfg.SigningSecret, a.deps.Now()); err != nil {
		a.log.Warn("Slack request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "error", err)
		http.Error(w, "invalid slack signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

func (a *App) badRequest(w http.ResponseWriter, r *http.Request, problem string) {
	a.log.Warn("Malformed Slack request", "path", r.URL.Path, "problem", problem)
	http.Error(w, "malformed request: "+problem, http.StatusBadRequest)
}

func writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// ParseSlashCommand decodes a slash command's form body, checking the fields the
// handlers rely on.
func ParseSlashCommand(body []byte) (slack.SlashCommand, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, errors.New("body is not a form: " + err.Error())
	}
	c := slack.SlashCommand{
		Token: form.Get("token"), TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), EnterpriseName: form.Get("enterprise_name"),
		ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"),
		Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
		APIAppID: form.Get("api_app_id"),
	}
	switch {
	case c.Command == "":
		return c, errors.New("command is missing")
	case c.UserID == "":
		return c, errors.New("user_id is missing")
	case c.ChannelID == "":
		return c, errors.New("channel_id is missing")
	}
	for name, v := range map[string]string{"command": c.Command, "user_id": c.UserID, "channel_id": c.ChannelID, "trigger_id": c.TriggerID} {
		if !utf8.ValidString(v) || len(v) > 256 {
			return c, errors.New(name + " is not a valid identifier")
		}
	}
	return c, nil
}

func (a *App) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	cmd, err := ParseSlashCommand(body)
	if err != nil {
		a.badRequest(w, r, err.Error())
		return
	}
	writeJSON(w, a.HandleCommand(cmd))
}

func (a *App) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		a.badRequest(w, r, "no payload form field")
		return
	}
	cb, err := decodeInteraction([]byte(form.Get("payload")))
	if err != nil {
		a.badRequest(w, r, err.Error())
		return
	}
	writeJSON(w, a.HandleInteraction(cb))
}

func (a *App) serveEvent(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	var outer struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
		EventID   string `json:"event_id"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		a.badRequest(w, r, "body is not JSON: "+err.Error())
		return
	}
	if outer.Type == slackevents.URLVerification {
		writeJSON(w, map[string]string{"challenge": outer.Challenge})
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		a.badRequest(w, r, "not an Events API event: "+err.Error())
		return
	}
	a.HandleEvent(ev, outer.EventID)
	w.WriteHeader(http.StatusOK)
}
