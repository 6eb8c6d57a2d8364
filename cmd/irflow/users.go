package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/auth"
	"irflow/internal/incident"
	"irflow/internal/storeopen"
)

func init() { register(newUsersCmd) }

// storeFlags are the flags of the commands that work on the store itself (users,
// audit): whoever can write <data>/irflow.db is its administrator, so these need no
// server, no token and no Temporal, and work before the first user exists.
type storeFlags struct {
	dataDir string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.dataDir, "data", envOr("IRFLOW_DATA", "./.irflow"),
		"irflow data folder whose store (<data>/irflow.db) holds the users, as in irflow dev --data; for a production worker, the folder of its --store (env IRFLOW_DATA)")
}

// open opens the store; the caller closes it.
func (f *storeFlags) open(ctx context.Context) (storeopen.Store, error) {
	return openStore(ctx, f.dataDir)
}

func newUsersCmd() *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the people who may act on incidents, their roles and API tokens",
		Long: `Manage users, their roles and their API tokens, directly in the store: whoever
can write <data>/irflow.db is its administrator, so these commands need no server and
no token, and "irflow users add" creates the first admin of a new install.

Roles (a user has one or more; they do not nest):
  viewer     reads incidents, timelines and obligations
  responder  declares incidents, adds notes and facts
  commander  approves, skips and rolls back containment, closes, decides ownership
  legal      fulfils, pauses, resumes and waives obligations, moves trigger instants
  admin      manages users and tokens

Each change is recorded in the audit log (irflow audit) as the OS user, via cli.`,
		Example: `  irflow users add alice --role commander --display "Alice Martin" --email alice@example.com
  irflow users token create alice
  irflow users list
  irflow users roles alice --role commander --role legal
  irflow users disable alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	sf.register(cmd)
	cmd.AddCommand(newUsersAddCmd(&sf), newUsersListCmd(&sf), newUsersDisableCmd(&sf, true), newUsersDisableCmd(&sf, false),
		newUsersRolesCmd(&sf), newTokenCmd(&sf))
	for _, sub := range usersSubcommands {
		cmd.AddCommand(sub(&sf))
	}
	return cmd
}

// usersSubcommands are further "irflow users" subcommands, registered by the files
// that define them.
var usersSubcommands []func(*storeFlags) *cobra.Command

// parseRoles checks --role values: at least one, each a known role, no repeats.
func parseRoles(names []string) ([]incident.Role, error) {
	if len(names) == 0 {
		return nil, withExit(exitInvalid, fmt.Errorf("give at least one --role: viewer, responder, commander, legal or admin"))
	}
	var roles []incident.Role
	for _, n := range names {
		r, err := incident.ParseRole(n)
		if err != nil {
			return nil, userError(err)
		}
		if !hasRole(roles, r) {
			roles = append(roles, r)
		}
	}
	return roles, nil
}

func hasRole(roles []incident.Role, r incident.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

func roleList(roles []incident.Role) string {
	if len(roles) == 0 {
		return "no role"
	}
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// auditAdmin records a user-management change made through the store in the audit
// log, as the OS user (or IRFLOW_ACTOR) via cli, so that who created or changed a
// user is on the record like every decision through the API.
func auditAdmin(ctx context.Context, store incident.UserStore, target, what string) error {
	if err := store.RecordAudit(ctx, incident.AuditEntry{At: time.Now(), ActorID: defaultActor(), Via: incident.ViaCLI,
		Action: incident.ActManageUsers, Target: target, Allowed: true, Reason: what}); err != nil {
		return fmt.Errorf("the change is made, but recording it in the audit log failed: %w", err)
	}
	return nil
}

func newUsersAddCmd(sf *storeFlags) *cobra.Command {
	var (
		u      incident.User
		roles  []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "add ID --role ROLE [--role ROLE]... [--display NAME] [--email EMAIL] [--slack-user ID]",
		Short: "Add a user with one or more roles (works on a store without users, for the first admin)",
		Long: `Add a user with one or more roles. The id is what the timeline and the audit log
show: lowercase letters, digits, '.', '-' and '_'. Then give them a token with
"irflow users token create ID".

Exit status 2 for an unknown role or an invalid id, 4 when the id is taken.`,
		Example: `  irflow users add alice --role commander
  irflow users add dora --role legal --display "Dora Lindqvist" --email dora@example.com --slack-user U024BE7LH
  irflow users add root --role admin --role commander --data /var/lib/irflow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.ID = args[0]
			if err := incident.ValidUserID(u.ID); err != nil {
				return userError(err)
			}
			var err error
			if u.Roles, err = parseRoles(roles); err != nil {
				return err
			}
			if strings.TrimSpace(u.Display) == "" {
				u.Display = u.ID
			}
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			if err := store.CreateUser(ctx, u); err != nil {
				return userError(err)
			}
			if err := auditAdmin(ctx, store, "user "+u.ID, "added with "+roleList(u.Roles)); err != nil {
				return err
			}
			if asJSON {
				got, err := store.GetUser(ctx, u.ID)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), got)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Added user %s (%s). Give them a token with: irflow users token create %s\n", u.ID, roleList(u.Roles), u.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&roles, "role", nil, "role: viewer, responder, commander, legal or admin (repeatable, or comma-separated)")
	f.StringVar(&u.Display, "display", "", "display name (default: the id)")
	f.StringVar(&u.Email, "email", "", "email address")
	f.StringVar(&u.SlackUserID, "slack-user", "", "Slack user id (e.g. U024BE7LH), for the Slack transport")
	f.BoolVar(&asJSON, "json", false, "print the user as JSON")
	return cmd
}

func newUsersListCmd(sf *storeFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List users with their roles and status",
		Example: `  irflow users list
  irflow users list --json | jq -r '.[] | select(.roles | index("legal")) | .id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			users, err := store.ListUsers(ctx)
			if err != nil {
				return err
			}
			if asJSON {
				if users == nil {
					users = []incident.User{}
				}
				for i := range users {
					if users[i].Roles == nil {
						users[i].Roles = []incident.Role{}
					}
				}
				return printJSON(cmd.OutOrStdout(), users)
			}
			if len(users) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No users. Add the first admin with: irflow users add ID --role admin")
				return nil
			}
			return writeUsers(cmd.OutOrStdout(), users)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func writeUsers(w io.Writer, users []incident.User) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLES\tSTATUS\tDISPLAY\tEMAIL\tSLACK\tCREATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, strings.ReplaceAll(roleList(u.Roles), " ", ""), status,
			u.Display, orDashText(u.Email), orDashText(u.SlackUserID), u.CreatedAt.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func orDashText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// newUsersDisableCmd is "users disable" (disable true) and "users enable".
func newUsersDisableCmd(sf *storeFlags, disable bool) *cobra.Command {
	var enable bool
	cmd := &cobra.Command{
		Use:   "disable ID [--enable]",
		Short: "Disable a user: every API token of theirs is refused (401) from the next request on",
		Long: `Disable a user: every API token of theirs is refused (401) from the next request
on, and the refusals are recorded in the audit log. Their tokens are kept, so
"irflow users enable ID" (or disable --enable) restores them; revoke a token that
leaked with "irflow users token revoke".`,
		Example: `  irflow users disable alice
  irflow users disable alice --enable`,
		Args: cobra.ExactArgs(1),
	}
	if !disable {
		cmd.Use, cmd.Short, cmd.Long = "enable ID", "Re-enable a disabled user; their tokens that were not revoked work again", ""
		cmd.Example = "  irflow users enable alice"
	} else {
		cmd.Flags().BoolVar(&enable, "enable", false, "re-enable the user instead (as irflow users enable)")
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		store, err := sf.open(ctx)
		if err != nil {
			return err
		}
		defer func() { _ = store.Close() }()
		off := disable && !enable
		if err := store.SetDisabled(ctx, args[0], off); err != nil {
			return userError(err)
		}
		what := "enabled"
		if off {
			what = "disabled"
		}
		if err := auditAdmin(ctx, store, "user "+args[0], what); err != nil {
			return err
		}
		if off {
			fmt.Fprintf(cmd.OutOrStdout(), "Disabled %s: their API tokens are refused from now on.\n", args[0])
		} else {
			fmt.Fprintf(cmd.OutOrStdout(), "Enabled %s: their API tokens that were not revoked work again.\n", args[0])
		}
		return nil
	}
	return cmd
}

func newUsersRolesCmd(sf *storeFlags) *cobra.Command {
	var roles []string
	cmd := &cobra.Command{
		Use:   "roles ID --role ROLE [--role ROLE]...",
		Short: "Replace a user's roles",
		Long: `Replace a user's roles with the ones given; the next request with any of their
tokens is checked against the new roles. Exit status 2 for an unknown role, 3 for an
unknown user.`,
		Example: `  irflow users roles alice --role commander --role legal
  irflow users roles bob --role viewer`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			before, err := store.GetUser(ctx, args[0])
			if err != nil {
				return userError(err)
			}
			if err := store.SetRoles(ctx, args[0], rs); err != nil {
				return userError(err)
			}
			if err := auditAdmin(ctx, store, "user "+args[0], fmt.Sprintf("roles %s (were %s)", roleList(rs), roleList(before.Roles))); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now has %s (was %s).\n", args[0], roleList(rs), roleList(before.Roles))
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&roles, "role", nil, "role: viewer, responder, commander, legal or admin (repeatable, or comma-separated)")
	return cmd
}

func newTokenCmd(sf *storeFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke users' API tokens",
		Long: `A user's API token authenticates them on irflow's HTTP API and in the CLI's client
mode (IRFLOW_SERVER with the token in IRFLOW_TOKEN). A token is shown once, when it
is created; the store keeps only its SHA-256.`,
		Example: `  irflow users token create alice --name laptop
  irflow users token list alice
  irflow users token revoke tok_1a2b3c4d5e6f`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newTokenCreateCmd(sf), newTokenListCmd(sf), newTokenRevokeCmd(sf))
	return cmd
}

// tokenCreated is `users token create --json`'s answer.
type tokenCreated struct {
	ID     string `json:"id"`
	Token  string `json:"token"`
	UserID string `json:"user_id"`
}

func newTokenCreateCmd(sf *storeFlags) *cobra.Command {
	var (
		name   string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "create USER [--name NAME] [--json]",
		Short: "Create an API token for a user and print it, once",
		Long: `Create an API token for a user. The token alone is printed on standard output,
once (the store keeps only its SHA-256), so that it can go straight into a secret
store or a variable; what it is for is said on standard error. Hand it to its user
over a channel you would trust with their password.

Exit status 3 for an unknown user.`,
		Example: `  irflow users token create alice --name laptop
  export IRFLOW_TOKEN="$(irflow users token create alice)"
  irflow users token create alice --json   # {"id": "tok_…", "token": "irf_…", "user_id": "alice"}`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			u, err := store.GetUser(ctx, args[0])
			if err != nil {
				return userError(err)
			}
			token, t, err := auth.Issue(ctx, store, u.ID, name)
			if err != nil {
				return userError(err)
			}
			if err := auditAdmin(ctx, store, "token "+t.ID, "created for "+u.ID); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), tokenCreated{ID: t.ID, Token: token, UserID: u.ID})
			}
			fmt.Fprintln(cmd.OutOrStdout(), token)
			fmt.Fprintf(cmd.ErrOrStderr(), "irflow: API token %s for %s (%s). It is shown this once; irflow keeps only its hash. Use it as IRFLOW_TOKEN with IRFLOW_SERVER, or as Authorization: Bearer <token>; revoke it with: irflow users token revoke %s\n",
				t.ID, u.ID, roleList(u.Roles), t.ID)
			if u.Disabled {
				fmt.Fprintf(cmd.ErrOrStderr(), "irflow: %s is disabled: the token is refused until irflow users enable %s\n", u.ID, u.ID)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for (e.g. laptop, ci)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"id", "token", "user_id"}`)
	return cmd
}

func newTokenListCmd(sf *storeFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list USER [--json]",
		Short: "List a user's API tokens, newest first (never the tokens themselves)",
		Example: `  irflow users token list alice
  irflow users token list alice --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			if _, err := store.GetUser(ctx, args[0]); err != nil {
				return userError(err)
			}
			toks, err := store.ListTokens(ctx, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				if toks == nil {
					toks = []incident.APIToken{}
				}
				return printJSON(cmd.OutOrStdout(), toks)
			}
			if len(toks) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s has no API token. Create one with: irflow users token create %s\n", args[0], args[0])
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED\tREVOKED")
			for _, t := range toks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, orDashText(t.Name), t.CreatedAt.UTC().Format(time.RFC3339), timeOrDash(t.LastUsedAt), timeOrDash(t.RevokedAt))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func newTokenRevokeCmd(sf *storeFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke an API token: it is refused (401) from the next request on",
		Long: `Revoke an API token by its id (tok_…, from irflow users token list), never by the
token itself. It is refused from the next request on, and each refusal is recorded
in the audit log. Revoking a revoked token changes nothing. Exit status 3 for an
unknown token id.`,
		Example: `  irflow users token list alice
  irflow users token revoke tok_1a2b3c4d5e6f`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.HasPrefix(args[0], auth.TokenPrefix) {
				return withExit(exitInvalid, fmt.Errorf("%q looks like a token, not a token id: revoke by the id irflow users token list USER shows (tok_…), and treat this token as leaked", args[0][:len(auth.TokenPrefix)]+"…"))
			}
			ctx := cmd.Context()
			store, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			if err := store.RevokeToken(ctx, args[0]); err != nil {
				return userError(err)
			}
			if err := auditAdmin(ctx, store, "token "+args[0], "revoked"); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s.\n", args[0])
			return nil
		},
	}
}
