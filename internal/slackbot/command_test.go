package slackbot

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	cases := []struct {
		text string
		want Command
		err  string
	}{
		{"", Command{Name: CmdHelp}, ""},
		{"help", Command{Name: CmdHelp}, ""},
		{"declare Leaked token on prod", Command{Name: CmdDeclare, Text: "Leaked token on prod"}, ""},
		{"status", Command{Name: CmdStatus}, ""},
		{"status inc-20260301-001", Command{Name: CmdStatus, Incident: "INC-20260301-001"}, ""},
		{"status yesterday", Command{}, "not an incident id"},
		{"note   the attacker used  a VPN", Command{Name: CmdNote, Text: "the attacker used a VPN"}, ""},
		{"note INC-20260301-002 seen again", Command{Name: CmdNote, Incident: "INC-20260301-002", Text: "seen again"}, ""},
		{"note", Command{}, "note needs the text"},
		{"APPROVE suspend-users confirmed with the owner", Command{Name: CmdApprove, Step: "suspend-users", Text: "confirmed with the owner"}, ""},
		{"approve INC-20260301-001 revoke-tokens", Command{Name: CmdApprove, Incident: "INC-20260301-001", Step: "revoke-tokens"}, ""},
		{"approve", Command{}, "needs a step id"},
		{"skip INC-20260301-001", Command{}, "needs a step id"},
		{"skip kill-sessions not needed", Command{Name: CmdSkip, Step: "kill-sessions", Text: "not needed"}, ""},
		{"deadlines", Command{Name: CmdDeadlines}, ""},
		{"close false alarm", Command{Name: CmdClose, Text: "false alarm"}, ""},
		{"facts INC-20260301-001", Command{Name: CmdFacts, Incident: "INC-20260301-001"}, ""},
		{"reboot everything", Command{}, `unknown subcommand "reboot"`},
		{"note \xff\xfe", Command{}, "not valid UTF-8"},
		{"note " + strings.Repeat("a", MaxTextBytes), Command{}, "at most 4000"},
		{"note a\x00b", Command{}, "NUL"},
	}
	for _, tc := range cases {
		got, err := ParseCommand(tc.text)
		if tc.err != "" {
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCommand(%.40q) = %v, want usage error containing %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseCommand(%.40q) = %+v, %v; want %+v", tc.text, got, err, tc.want)
		}
	}
}

func TestChannelName(t *testing.T) {
	cases := []struct{ id, title, want string }{
		{"INC-20260301-007", "Leaked API token: PII export!", "inc-20260301-7-leaked-api-token-pii-export"},
		{"INC-20260301-120", "   ", "inc-20260301-120"},
		{"INC-20260301-001", "Ünïcödé & spaces", "inc-20260301-1-n-c-d-spaces"},
		{"INC-20260301-001", strings.Repeat("long title ", 20), "inc-20260301-1-long-title-long-title-long-title-long-title-long-title"},
	}
	for _, tc := range cases {
		if got := ChannelName(tc.id, tc.title); got != tc.want || len(got) > 70 {
			t.Errorf("ChannelName(%s, %q) = %q, want %q", tc.id, tc.title, got, tc.want)
		}
	}
}
