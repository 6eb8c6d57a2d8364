package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"irflow/internal/auth"
)

func init() { usersSubcommands = append(usersSubcommands, newUsersPasswdCmd) }

// newUsersPasswdCmd is "irflow users passwd": set the password a user signs in to
// the web UI with. Only its argon2id hash is stored.
func newUsersPasswdCmd(sf *storeFlags) *cobra.Command {
	var (
		fromStdin, generate, clear, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "passwd ID [--password-stdin | --generate | --clear] [--json]",
		Short: "Set the password a user signs in to the web UI with",
		Long: `Set the password a user signs in to the web UI with (at least 12 characters).
Only its argon2id hash is stored. The password is asked for twice on a terminal,
read from the first line of standard input with --password-stdin, or made up and
printed once with --generate; --clear removes it (the user then signs in only
through the identity provider, if one is configured). It never goes on the command
line, where ps and the shell's history would show it.

Exit status 2 for a password that is too short or two entries that differ, 3 for
an unknown user.`,
		Example: `  irflow users passwd dora
  printf '%s\n' "$NEW_PASSWORD" | irflow users passwd dora --password-stdin
  irflow users passwd admin --generate --data ./.irflow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 0
			for _, b := range []bool{fromStdin, generate, clear} {
				if b {
					n++
				}
			}
			if n > 1 {
				return withExit(2, errors.New("give at most one of --password-stdin, --generate and --clear"))
			}
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			id := args[0]
			if _, err := store.GetUser(ctx, id); err != nil {
				return userError(err)
			}
			var pw string
			switch {
			case clear:
			case generate:
				if pw, err = auth.GeneratePassword(); err != nil {
					return err
				}
			case fromStdin:
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return fmt.Errorf("read the password from standard input: %w", err)
				}
				pw = strings.TrimRight(line, "\r\n")
			default:
				if pw, err = promptPassword(cmd, id); err != nil {
					return err
				}
			}
			hash := ""
			if !clear {
				if err := auth.CheckPasswordPolicy(pw); err != nil {
					return userError(err)
				}
				if hash, err = auth.HashPassword(pw, auth.DefaultPasswordParams); err != nil {
					return err
				}
			}
			if err := store.SetPasswordHash(ctx, id, hash); err != nil {
				return userError(err)
			}
			what := "web password set"
			if clear {
				what = "web password cleared"
			}
			if err := auditAdmin(ctx, store, "user "+id, what); err != nil {
				return err
			}
			if asJSON {
				out := map[string]any{"user": id, "password_set": !clear}
				if generate {
					out["password"] = pw
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			switch {
			case clear:
				fmt.Fprintf(cmd.OutOrStdout(), "Cleared %s's web password.\n", id)
			case generate:
				fmt.Fprintf(cmd.OutOrStdout(), "Set %s's web password to: %s\n(shown once; only its hash is stored)\n", id, pw)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "Set %s's web password.\n", id)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.Flags().BoolVar(&generate, "generate", false, "make up a random password and print it once")
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the user's password")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (with --generate, the password too)")
	return cmd
}

// promptPassword asks for the password twice on the terminal, without echo.
func promptPassword(cmd *cobra.Command, id string) (string, error) {
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", withExit(2, errors.New("standard input is not a terminal: give --password-stdin (and pipe the password in) or --generate"))
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(cmd.ErrOrStderr(), prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		return string(b), err
	}
	pw, err := ask("New web password for " + id + ": ")
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	if pw != again {
		return "", withExit(2, errors.New("the two passwords differ; nothing was changed"))
	}
	return pw, nil
}
