package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"irflow/internal/evidence"
	"irflow/internal/incident"
	"irflow/internal/storeopen"
)

func init() { register(newEvidenceCmd) }

func newEvidenceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "Work with collected incident evidence",
		Long: `Evidence is collected per incident into <data>/evidence/<INCIDENT_ID>: one NDJSON
file per source, a line-hash file beside each, and a manifest.json listing every file
with its SHA-256. The manifest's own hash is recorded in the store and the timeline.`,
	}
	cmd.AddCommand(newEvidenceVerifyCmd())
	return cmd
}

func newEvidenceVerifyCmd() *cobra.Command {
	var (
		asJSON   bool
		dataDir  string
		expected string
	)
	cmd := &cobra.Command{
		Use:   "verify INCIDENT_ID|DIR",
		Short: "Recompute every evidence hash and report what changed, vanished or appeared",
		Long: `verify recomputes the SHA-256 of every file in an incident's evidence folder and
its record count, compares them with manifest.json, and names every file that changed,
vanished or appeared, and every record (by line and id) that changed, vanished or
appeared. The argument is an incident id (resolved to <data>/evidence/<INCIDENT_ID>) or
a path to an evidence folder.

Exit status: 0 when everything matches, 1 on any mismatch, 2 when there is nothing to
verify (no folder or no readable manifest).`,
		Example: `  irflow evidence verify INC-20260306-0001
  irflow evidence verify ./.irflow/evidence/INC-20260306-0001 --json
  irflow evidence verify INC-20260306-0001 --manifest-sha256 3f1c...`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := resolveEvidenceDir(args[0], dataDir)
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return withExit(2, fmt.Errorf("evidence verify: %s is neither an evidence folder nor an incident id with evidence under %s",
					args[0], filepath.Join(dataDir, "evidence")))
			}
			expected = strings.TrimSpace(expected)
			if expected == "" && incident.ValidID(args[0]) {
				// The manifest's hash was recorded in the store when the evidence was
				// collected: checking against it catches a manifest replaced together
				// with the files it describes.
				if m, ok := recordedManifest(cmd, dataDir, args[0]); ok {
					expected = m.SHA256
					if !asJSON {
						fmt.Fprintf(cmd.OutOrStdout(), "Checking against the manifest hash recorded at %s: %s\n",
							m.RecordedAt.UTC().Format(time.RFC3339), m.SHA256)
					}
				}
			}
			rep, err := evidence.VerifyAgainst(dir, expected)
			if err != nil {
				return withExit(2, fmt.Errorf("evidence verify %s: %w", dir, err))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				printVerifyReport(out, rep)
			}
			if !rep.OK {
				return withExit(1, fmt.Errorf("evidence in %s does not match its manifest: %d problem(s)", dir, len(rep.Problems)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&dataDir, "data", envOr("IRFLOW_DATA", "./.irflow"), "irflow data directory (evidence lives in <data>/evidence/<INCIDENT_ID>; env IRFLOW_DATA)")
	cmd.Flags().StringVar(&expected, "manifest-sha256", "", "manifest hash recorded at collection (from the timeline) to check against")
	return cmd
}

// recordedManifest looks up the manifest hash the incident workflow stored, when the
// store exists in dataDir, or in the PostgreSQL database IRFLOW_STORE names.
func recordedManifest(cmd *cobra.Command, dataDir, incidentID string) (incident.EvidenceManifest, bool) {
	path := filepath.Join(dataDir, "irflow.db")
	if dsn := os.Getenv("IRFLOW_STORE"); storeopen.IsPostgres(dsn) {
		path = dsn // the workers' shared store
	}
	store, err := storeopen.OpenExisting(cmd.Context(), path)
	if errors.Is(err, storeopen.ErrNoStore) {
		return incident.EvidenceManifest{}, false
	}
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "irflow: cannot read the recorded manifest hash from %s: %v\n", storeopen.Describe(path), err)
		return incident.EvidenceManifest{}, false
	}
	defer func() { _ = store.Close() }()
	m, err := store.LatestEvidenceManifest(cmd.Context(), incidentID)
	if err != nil {
		return incident.EvidenceManifest{}, false
	}
	return m, true
}

// resolveEvidenceDir treats arg as a folder when it exists or looks like a path, and
// as an incident id otherwise.
func resolveEvidenceDir(arg, dataDir string) string {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return arg
	}
	if strings.ContainsRune(arg, os.PathSeparator) || strings.HasPrefix(arg, ".") {
		return arg
	}
	return filepath.Join(dataDir, "evidence", arg)
}

func printVerifyReport(w io.Writer, rep evidence.Report) {
	status := "OK"
	if !rep.OK {
		status = "MISMATCH"
	}
	fmt.Fprintf(w, "evidence %s (incident %s): %s\n", rep.Dir, rep.Incident, status)
	fmt.Fprintf(w, "  manifest sha256 %s\n  %d files, %d records\n", rep.ManifestSHA256, rep.Files, rep.Records)
	for _, g := range rep.Gaps {
		fmt.Fprintf(w, "  gap: %s: %s\n", g.Source, g.Reason)
	}
	for _, p := range rep.Problems {
		where := p.Path
		if p.Line > 0 {
			where += fmt.Sprintf(":%d", p.Line)
		}
		if p.RecordID != "" {
			where += " (id " + p.RecordID + ")"
		}
		fmt.Fprintf(w, "  %s %s: %s\n", p.Kind, where, p.Detail)
	}
}
