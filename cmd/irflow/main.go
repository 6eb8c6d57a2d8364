// Command irflow is the incident-response workflow engine for Zendesk subscribers:
// one binary that runs the embedded dev stack, the production worker and server, and
// the CLI that responders and legal use against a running instance.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// commands holds the constructors of every top-level subcommand. Each command file
// registers its constructor in an init function, so adding a command never means
// editing a shared list.
var commands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { commands = append(commands, newCmd) }

// exitError carries a process exit status with an error already worded for the user.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExit marks err so that the process exits with code.
func withExit(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "irflow",
		Short: "Incident-response playbooks for Zendesk subscribers, on Temporal",
		Long: `irflow turns section VI of Zendesk's shared responsibility model into durable
incident playbooks: triage and ownership, containment in your Zendesk instance,
evidence with chain of custody, and regulator and end-user notification clocks.

Start everything locally with "irflow dev", then drive incidents with
"irflow incident ...".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	// Every command's --help ends with the one exit status table (subcommands
	// inherit the root's usage template).
	root.SetUsageTemplate(root.UsageTemplate() + exitStatusHelp())
	return root
}

// run executes the CLI with args and returns the process exit status. Tests call it
// directly so that they exercise the same code path as the binary. Everything it
// prints goes through an escaper (terminal.go): no control character reaches the
// terminal from data.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out, errOut := newEscaper(stdout), newEscaper(stderr)
	defer func() { _ = out.Flush(); _ = errOut.Flush() }()
	stdout, stderr = out, errOut
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return withExit(exitInvalid, fmt.Errorf("%w (see %s --help)", err, c.CommandPath()))
	})
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			fmt.Fprintln(stderr, "irflow:", err)
			return ee.code
		}
		if isUsageError(err) {
			fmt.Fprintf(stderr, "irflow: %v (see %s --help)\n", err, cmd.CommandPath())
			return exitInvalid
		}
		fmt.Fprintln(stderr, "irflow:", err)
		return exitFailure
	}
	return exitOK
}

// isUsageError recognises the errors cobra returns for a command line it cannot
// accept (missing required flags, wrong number of arguments, unknown commands): bad
// input, exit status 2, like any other.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"required flag(s)", "accepts ", "requires at least", "requires at most", "unknown command", "unknown flag", "unknown shorthand flag", "invalid argument"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
