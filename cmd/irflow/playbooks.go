package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"irflow/playbooks"
)

func init() { register(newPlaybooksCmd) }

func newPlaybooksCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "playbooks",
		Short: "List the built-in playbooks or validate playbook files",
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the playbooks built into this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := playbooks.Embedded()
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), cat.All())
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCLAUSES\tSTEPS\tTITLE")
			for _, pb := range cat.All() {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", pb.ID, strings.Join(pb.Clauses, ","), len(pb.Containment), pb.Title)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var validateJSON bool
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate playbook files; errors name the file, line and field",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			type result struct {
				File   string   `json:"file"`
				ID     string   `json:"id,omitempty"`
				Valid  bool     `json:"valid"`
				Errors []string `json:"errors,omitempty"`
			}
			var results []result
			failed := 0
			for _, file := range args {
				r := result{File: file}
				data, err := os.ReadFile(file)
				if err == nil {
					var pb playbooks.Loaded
					pb, err = playbooks.Parse(file, data)
					r.ID = pb.ID
				}
				if err != nil {
					failed++
					r.Errors = splitJoined(err)
				} else {
					r.Valid = true
				}
				results = append(results, r)
			}
			if validateJSON {
				if err := printJSON(cmd.OutOrStdout(), results); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					if r.Valid {
						fmt.Fprintf(cmd.OutOrStdout(), "ok    %s (%s)\n", r.File, r.ID)
						continue
					}
					for _, e := range r.Errors {
						fmt.Fprintf(cmd.OutOrStdout(), "error %s\n", e)
					}
				}
			}
			if failed > 0 {
				return withExit(exitFailure, fmt.Errorf("%d of %d playbook files are invalid", failed, len(args)))
			}
			return nil
		},
	}
	validate.Flags().BoolVar(&validateJSON, "json", false, "print JSON")
	cmd.AddCommand(list, validate)
	return cmd
}

// splitJoined lists the errors inside an errors.Join, one per line.
func splitJoined(err error) []string {
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []string{err.Error()}
}
