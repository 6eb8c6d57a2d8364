package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/incident"
	"irflow/internal/report"
)

func init() { register(newReportCmd) }

func newReportCmd() *cobra.Command {
	var (
		dataDir, evidenceDir, format, out string
		asJSON                            bool
	)
	cmd := &cobra.Command{
		Use:   "report INCIDENT_ID [--format md|html|pdf] [--out FILE]",
		Short: "Write an incident's post-incident report from the store's record",
		Long: `Write the post-incident report of an incident, generated from the durable record
in the store (no server needed): summary, timeline, the ownership determination and
its revisions with clauses, containment actions (who approved, when, result), the
evidence manifest with hashes, the notification obligations (due, fulfilled, on time
or late with reasons), metrics (time to detect, contain and notify) and follow-ups.

The evidence manifest is read from where the store recorded it, then from
--evidence and <data>/evidence, and checked against the hash recorded at
collection; a mismatch is reported in the evidence section.

Without --out, Markdown and HTML go to standard output; a PDF needs --out. With
--json the report's content is printed as JSON instead.

Exit status 2 for a bad id or format, 3 for an incident the store has not seen.`,
		Example: `  irflow report INC-20260306-001 --format pdf --out INC-20260306-001.pdf
  irflow report INC-20260306-001 > report.md
  irflow report INC-20260306-001 --format html --out report.html --data /var/lib/irflow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if !incident.ValidID(id) {
				return withExit(2, fmt.Errorf("%q is not an incident id (expected INC-YYYYMMDD-NNN)", id))
			}
			if format != "md" && format != "html" && format != "pdf" {
				return withExit(2, fmt.Errorf("--format %q: use md, html or pdf", format))
			}
			if format == "pdf" && out == "" && !asJSON {
				return withExit(2, fmt.Errorf("--format pdf needs --out FILE (a PDF is not for a terminal)"))
			}
			ctx := cmd.Context()
			store, err := openStore(ctx, dataDir)
			if err != nil {
				return err
			}
			defer func() { _ = store.Close() }()
			dirs := []string{filepath.Join(dataDir, "evidence")}
			if evidenceDir != "" {
				dirs = append([]string{evidenceDir}, dirs...)
			}
			rec, err := report.Load(ctx, store, id, report.LoadOptions{EvidenceDirs: dirs, Now: time.Now(), By: defaultActor()})
			if err != nil {
				return userError(err)
			}
			rep := report.Build(rec)
			var buf bytes.Buffer
			switch {
			case asJSON:
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			case format == "md":
				err = rep.Markdown(&buf)
			case format == "html":
				err = rep.HTML(&buf)
			default:
				err = rep.PDF(&buf)
			}
			if err != nil {
				return err
			}
			if out == "" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write the report: %w", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "irflow: wrote the %s report of %s to %s (%d bytes)\n", format, id, out, buf.Len())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data", envOr("IRFLOW_DATA", "./.irflow"), "irflow data folder whose store (<data>/irflow.db) holds the incident; IRFLOW_STORE names a PostgreSQL store instead (env IRFLOW_DATA)")
	f.StringVar(&evidenceDir, "evidence", envOr("IRFLOW_EVIDENCE", ""), "a worker's evidence folder, where <evidence>/<INCIDENT_ID> is looked for (env IRFLOW_EVIDENCE)")
	f.StringVarP(&format, "format", "f", "md", "md, html or pdf")
	f.StringVarP(&out, "out", "o", "", "write to FILE instead of standard output (required for pdf)")
	f.BoolVar(&asJSON, "json", false, "print the report's content as JSON")
	return cmd
}
