package main

import (
	"fmt"
	"strings"
)

// Exit statuses of every irflow command. This is the one table: the commands
// return these names, --help prints exitStatuses, and a test checks that the
// README's "Exit statuses" table says the same (issue 14).
const (
	exitOK           = 0
	exitFailure      = 1
	exitInvalid      = 2
	exitNotFound     = 3
	exitConflict     = 4
	exitForbidden    = 5
	exitUnauthorized = 6

	// exitBadInput is exitInvalid, named for an unreadable or invalid input file:
	// as for a usage error, the command never ran.
	exitBadInput = exitInvalid
)

// exitStatus is one row of the table.
type exitStatus struct {
	Code    int
	Name    string
	Meaning string
}

// exitStatuses is the table --help prints and the README documents.
var exitStatuses = []exitStatus{
	{exitOK, "success", "the command did what it was asked"},
	{exitFailure, "failure", "Temporal or the irflow server unreachable, a port already in use, data folder locked, invalid playbook files, evidence mismatch, an approved or retried step that failed, internal error"},
	{exitInvalid, "invalid", "bad input: unknown flag, missing flag or argument, unreadable or invalid facts document, unknown playbook or step, a value over its limit; for evidence verify, nothing to verify"},
	{exitNotFound, "not found", "no such incident or obligation"},
	{exitConflict, "conflict", "the incident's state refuses a well-formed request: closed incident, approving a step that ran or failed, skipping a finished step, a second rollback, approving after a rollback, retrying a step that did not fail, an idempotency key reused for another request"},
	{exitForbidden, "forbidden", "client mode: the user's roles do not allow the action; the message names the role that would"},
	{exitUnauthorized, "unauthorized", "client mode: no IRFLOW_TOKEN, or the server refused it (unknown, revoked, or its user disabled)"},
}

// exitStatusHelp is the table as --help prints it under every command.
func exitStatusHelp() string {
	var b strings.Builder
	b.WriteString("\nExit statuses:\n")
	for _, s := range exitStatuses {
		fmt.Fprintf(&b, "  %d  %-12s %s\n", s.Code, s.Name, s.Meaning)
	}
	return b.String()
}
