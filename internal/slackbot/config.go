package slackbot

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultAPIURL is Slack's Web API; SLACK_API_URL replaces it (tests, air-gapped
// installs with a Slack-compatible gateway).
const DefaultAPIURL = "https://slack.com/api/"

// Config is the Slack app's configuration, from the environment (ConfigFromEnv).
type Config struct {
	// BotToken (SLACK_BOT_TOKEN, xoxb-…) authenticates Web API calls.
	BotToken string
	// SigningSecret (SLACK_SIGNING_SECRET) verifies HTTP requests from Slack.
	SigningSecret string
	// AppToken (SLACK_APP_TOKEN, xapp-…) enables Socket Mode, the default when set:
	// no public URL is needed.
	AppToken string
	// APIURL (SLACK_API_URL) is the Web API base, ending in "/".
	APIURL string
	// Responders (SLACK_RESPONDERS) are invited to every incident channel: user ids
	// (U…, W…) and user group ids (S…), comma-separated.
	Responders []string
	// CommanderGroup (SLACK_COMMANDER_GROUP, S…) is mentioned when a step awaits approval.
	CommanderGroup string
	// LegalChannel (SLACK_LEGAL_CHANNEL, C…) also receives obligation messages.
	LegalChannel string
	// LegalGroup (SLACK_LEGAL_GROUP, S…) is mentioned from an obligation's last
	// reminder on (the one-hour reminder, due and overdue).
	LegalGroup string
	// NotifyChannel (SLACK_NOTIFY_CHANNEL, C…) receives the messages of incidents
	// that have no channel of their own (declared outside Slack).
	NotifyChannel string
	// NoteReaction (SLACK_NOTE_REACTION, default "memo") turns a message in an
	// incident channel into a timeline note when someone reacts with it.
	NoteReaction string
	// CardInterval is how often the status cards are checked against the store.
	CardInterval time.Duration
	// Workers is how many jobs run at once after their requests were acknowledged.
	Workers int
}

// SocketMode reports whether the app connects over Socket Mode rather than
// waiting for HTTP requests.
func (c Config) SocketMode() bool { return c.AppToken != "" }

// ConfigFromEnv reads the SLACK_* variables. configured is false when
// SLACK_BOT_TOKEN is unset (Slack is then off). A partial configuration is an
// error naming what is missing.
func ConfigFromEnv(getenv func(string) string) (cfg Config, configured bool, err error) {
	cfg = Config{
		BotToken:       strings.TrimSpace(getenv("SLACK_BOT_TOKEN")),
		SigningSecret:  strings.TrimSpace(getenv("SLACK_SIGNING_SECRET")),
		AppToken:       strings.TrimSpace(getenv("SLACK_APP_TOKEN")),
		APIURL:         strings.TrimSpace(getenv("SLACK_API_URL")),
		CommanderGroup: strings.TrimSpace(getenv("SLACK_COMMANDER_GROUP")),
		LegalChannel:   strings.TrimSpace(getenv("SLACK_LEGAL_CHANNEL")),
		LegalGroup:     strings.TrimSpace(getenv("SLACK_LEGAL_GROUP")),
		NotifyChannel:  strings.TrimSpace(getenv("SLACK_NOTIFY_CHANNEL")),
		NoteReaction:   strings.Trim(strings.TrimSpace(getenv("SLACK_NOTE_REACTION")), ":"),
	}
	for _, r := range strings.Split(getenv("SLACK_RESPONDERS"), ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.Responders = append(cfg.Responders, r)
		}
	}
	if cfg.BotToken == "" {
		if cfg.AppToken != "" || cfg.SigningSecret != "" {
			return cfg, false, fmt.Errorf("SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set")
		}
		return cfg, false, nil
	}
	return cfg, true, cfg.Validate()
}

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	if c.BotToken == "" {
		return fmt.Errorf("slack: SLACK_BOT_TOKEN is required")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		return fmt.Errorf("slack: SLACK_APP_TOKEN must be an app-level token (xapp-…)")
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("slack: SLACK_API_URL %q is not an http(s) URL", c.APIURL)
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	for _, r := range c.Responders {
		if !strings.HasPrefix(r, "U") && !strings.HasPrefix(r, "W") && !strings.HasPrefix(r, "S") {
			return fmt.Errorf("slack: SLACK_RESPONDERS entry %q is neither a user id (U…, W…) nor a user group id (S…)", r)
		}
	}
	if c.NoteReaction == "" {
		c.NoteReaction = "memo"
	}
	if c.CardInterval <= 0 {
		c.CardInterval = 500 * time.Millisecond
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	return nil
}

// Receives reports whether Slack can send the app anything: over Socket Mode
// (SLACK_APP_TOKEN) or signed HTTP requests (SLACK_SIGNING_SECRET). Without either
// the app only posts (notifications, cards), as `irflow worker` does.
func (c Config) Receives() bool { return c.AppToken != "" || c.SigningSecret != "" }
