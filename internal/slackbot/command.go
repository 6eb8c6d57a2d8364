package slackbot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"irflow/internal/incident"
)

// MaxTextBytes bounds the free text of a command or a form field. Slack's own
// limit for message text is about 40,000 characters; a note longer than 4,000
// bytes is almost certainly a paste by mistake and would swamp the timeline.
const MaxTextBytes = 4000

// The /incident subcommands.
const (
	CmdDeclare   = "declare"
	CmdStatus    = "status"
	CmdFacts     = "facts"
	CmdNote      = "note"
	CmdApprove   = "approve"
	CmdSkip      = "skip"
	CmdDeadlines = "deadlines"
	CmdClose     = "close"
	CmdHelp      = "help"
)

// HelpText is what /incident help, an empty /incident and an unknown subcommand
// answer with.
const HelpText = "*/incident* drives irflow incidents from Slack. In an incident channel the incident is implied; elsewhere name it (INC-YYYYMMDD-NNN) after the subcommand.\n" +
	"• `/incident declare [title]`: open the declare form (playbook, title, what is known, jurisdictions and counts, data categories, Zendesk users or tokens)\n" +
	"• `/incident status [INC-…]`: phase, severity, ownership, steps, evidence and deadlines\n" +
	"• `/incident facts [INC-…]`: answer the open triage and needs-assessment questions\n" +
	"• `/incident note [INC-…] TEXT`: add a note to the timeline\n" +
	"• `/incident approve [INC-…] STEP [reason]`: approve a containment step (commander)\n" +
	"• `/incident skip [INC-…] STEP [reason]`: skip a containment step (commander)\n" +
	"• `/incident deadlines [INC-…]`: the notification obligations and their time left\n" +
	"• `/incident close [INC-…] [reason]`: close the incident (commander)\n" +
	"• `/incident help`: this text"

// Command is a parsed /incident invocation.
type Command struct {
	Name string
	// Incident is the incident named in the text; empty when the channel implies it.
	Incident string
	// Step is the step of approve and skip.
	Step string
	// Text is the note, the reason of approve, skip and close, or declare's title.
	Text string
}

// UsageError is a command that cannot be run as typed; its message says what is
// wrong, and the help text follows it.
type UsageError struct{ Problem string }

// Error is the problem, worded for the person who typed the command.
func (e *UsageError) Error() string { return e.Problem }

// ParseCommand parses the text after /incident. It checks size and encoding first,
// so no handler sees text it could not store.
func ParseCommand(text string) (Command, error) {
	if err := CheckText("the command text", text); err != nil {
		return Command{}, err
	}
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return Command{Name: CmdHelp}, nil
	}
	c := Command{Name: strings.ToLower(fields[0])}
	rest := fields[1:]
	if len(rest) > 0 && incident.ValidID(strings.ToUpper(rest[0])) {
		c.Incident, rest = strings.ToUpper(rest[0]), rest[1:]
	}
	joined := strings.Join(rest, " ")
	switch c.Name {
	case CmdHelp:
	case CmdDeclare:
		c.Incident = "" // declare makes a new one
		c.Text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), fields[0]))
	case CmdStatus, CmdFacts, CmdDeadlines:
		if len(rest) > 0 {
			return c, &UsageError{fmt.Sprintf("%q is not an incident id (INC-YYYYMMDD-NNN)", rest[0])}
		}
	case CmdNote:
		if joined == "" {
			return c, &UsageError{"note needs the text to add: `/incident note TEXT`"}
		}
		c.Text = joined
	case CmdApprove, CmdSkip:
		if len(rest) == 0 {
			return c, &UsageError{c.Name + " needs a step id: `/incident " + c.Name + " STEP [reason]`"}
		}
		c.Step = rest[0]
		c.Text = strings.Join(rest[1:], " ")
	case CmdClose:
		c.Text = joined
	default:
		return c, &UsageError{fmt.Sprintf("unknown subcommand %q", truncate(fields[0], 40))}
	}
	return c, nil
}

// CheckText refuses text no incident record should hold: invalid UTF-8, NUL
// bytes, or more than MaxTextBytes. what names the field in the message.
func CheckText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return &UsageError{what + " is not valid UTF-8 text"}
	case len(s) > MaxTextBytes:
		return &UsageError{fmt.Sprintf("%s is %d bytes; at most %d are accepted", what, len(s), MaxTextBytes)}
	case strings.ContainsRune(s, 0):
		return &UsageError{what + " contains a NUL byte"}
	}
	return nil
}
