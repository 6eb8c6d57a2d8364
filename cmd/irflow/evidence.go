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
		asJSON      bool
		dataDir     string
		evidenceDir string
		expected    string
	)
	cmd := &cobra.Command{
		Use:   "verify INCIDENT_ID|DIR",
		Short: "Recompute every evidence hash and report what changed, vanished or appeared",
		Long: `verify recomputes the SHA-256 of every file in an incident's evidence folder and
its record count, compares them with manifest.json, and names every file that changed,
vanished or appeared, and every record (by line and id) that changed, vanished or
appeared. The argument is a path to an evidence folder or an incident id, whose folder
is the first of these that exists:

  <evidence>/<INCIDENT_ID>   with --evidence (env IRFLOW_EVIDENCE, as the worker's)
  the folder of the manifest recorded in the store (<data>/irflow.db) at collection
  <data>/evidence/<INCIDENT_ID>   as irflow dev --data keeps it

With --evidence s3://bucket/prefix (or when the store recorded the manifest there),
the incident's objects are read from S3-compatible storage (AWS_ENDPOINT_URL,
AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), each also checked against the
SHA-256 recorded when it was written, and an object whose Object Lock retention was
shortened or removed since collection is reported (retention_shortened,
retention_removed).

With an incident id, the manifest is also checked against the hash recorded in the
store, which catches a manifest replaced together with the files it describes.
It reads only regular files inside the folder: a path that leaves it, a symbolic
link, a device or a pipe named by the manifest is reported as a problem and never
read. Ctrl-C stops it.

Exit status: 0 when everything matches, 1 on any mismatch, 2 when there is nothing to
verify (no folder or no readable manifest, e.g. while evidence is still being
collected).`,
		Example: `  irflow evidence verify INC-20260306-001
  irflow evidence verify INC-20260306-001 --data /var/lib/irflow
  irflow evidence verify ./.irflow/evidence/INC-20260306-001 --json
  irflow evidence verify INC-20260306-001 --manifest-sha256 3f1c...
  irflow evidence verify INC-20260306-001 --evidence s3://acme-evidence/irflow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := args[0]
			var (
				recorded    incident.EvidenceManifest
				hasRecorded bool
			)
			if incident.ValidID(arg) {
				recorded, hasRecorded = recordedManifest(cmd, dataDir, arg)
			}
			expected = strings.TrimSpace(expected)
			if spec := objectStorage(evidenceDir, recorded.ManifestPath, arg); spec != "" {
				if !incident.ValidID(arg) {
					return withExit(exitInvalid, fmt.Errorf("evidence verify: %s is object storage: name an incident id, not %q", spec, arg))
				}
				objs, err := storeopen.Evidence(cmd.Context(), spec, os.Getenv)
				if err != nil {
					return withExit(exitInvalid, fmt.Errorf("evidence verify: %w", err))
				}
				if expected == "" && hasRecorded {
					expected = recorded.SHA256
					if !asJSON {
						fmt.Fprintf(cmd.OutOrStdout(), "Checking against the manifest hash recorded at %s: %s\n",
							recorded.RecordedAt.UTC().Format(time.RFC3339), recorded.SHA256)
					}
				}
				rep, err := evidence.VerifyObjects(cmd.Context(), objs, arg, expected)
				return reportVerify(cmd, rep, err, asJSON)
			}
			dir, tried := resolveEvidenceDir(arg, dataDir, evidenceDir, recorded.ManifestPath)
			if dir == "" {
				return withExit(exitInvalid, fmt.Errorf("evidence verify: no evidence folder for %s (looked in %s); has its collection finished? (irflow incident show %s)",
					arg, strings.Join(tried, ", "), arg))
			}
			if expected == "" && hasRecorded {
				expected = recorded.SHA256
				if !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "Checking against the manifest hash recorded at %s: %s\n",
						recorded.RecordedAt.UTC().Format(time.RFC3339), recorded.SHA256)
				}
			}
			rep, err := evidence.VerifyContext(cmd.Context(), dir, expected)
			return reportVerify(cmd, rep, err, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&dataDir, "data", envOr("IRFLOW_DATA", "./.irflow"), "irflow data folder: its store records where evidence was written, and irflow dev keeps it in <data>/evidence (env IRFLOW_DATA)")
	cmd.Flags().StringVar(&evidenceDir, "evidence", os.Getenv("IRFLOW_EVIDENCE"), "evidence storage of the production workers: a folder holding one folder per incident, or s3://bucket/prefix (env IRFLOW_EVIDENCE)")
	cmd.Flags().StringVar(&expected, "manifest-sha256", "", "manifest hash recorded at collection (from the timeline) to check against")
	return cmd
}

// reportVerify prints a verify report and returns the command's exit: 0 when
// everything matches, 1 on a mismatch or an interruption, 2 with nothing to verify.
func reportVerify(cmd *cobra.Command, rep evidence.Report, err error, asJSON bool) error {
	dir := rep.Dir
	if err != nil && cmd.Context().Err() != nil {
		return withExit(exitFailure, fmt.Errorf("evidence verify %s: interrupted before it finished: %w", dir, err))
	}
	if err != nil {
		return withExit(exitInvalid, fmt.Errorf("evidence verify %s: %w", dir, err))
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
		return withExit(exitFailure, fmt.Errorf("evidence in %s does not match its manifest: %d problem(s)", dir, len(rep.Problems)))
	}
	return nil
}

// objectStorage returns the object storage (s3://bucket/prefix) holding the
// evidence of incident id: --evidence when it names one, else the storage of the
// manifest recorded in the store; "" for a local folder.
func objectStorage(evidenceFlag, recordedManifest, id string) string {
	if storeopen.IsObjectStorage(evidenceFlag) {
		return evidenceFlag
	}
	if storeopen.IsObjectStorage(recordedManifest) {
		if spec, ok := strings.CutSuffix(recordedManifest, "/"+id+"/"+evidence.ManifestName); ok {
			return spec
		}
	}
	return ""
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

// resolveEvidenceDir returns the evidence folder arg names: arg itself when it is a
// folder or looks like a path; for an incident id, the first existing of
// <evidenceDir>/<id>, the folder of the manifest the store recorded, and
// <dataDir>/evidence/<id>. With none, it returns "" and the places it looked.
func resolveEvidenceDir(arg, dataDir, evidenceDir, recordedManifest string) (string, []string) {
	if st, err := os.Stat(arg); err == nil && st.IsDir() {
		return arg, nil
	}
	if strings.ContainsRune(arg, os.PathSeparator) || strings.HasPrefix(arg, ".") {
		return "", []string{arg}
	}
	var tried []string
	if evidenceDir != "" {
		tried = append(tried, filepath.Join(evidenceDir, arg))
	}
	if recordedManifest != "" {
		tried = append(tried, filepath.Dir(recordedManifest))
	}
	tried = append(tried, filepath.Join(dataDir, "evidence", arg))
	for _, dir := range tried {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir, nil
		}
	}
	return "", tried
}

func printVerifyReport(w io.Writer, rep evidence.Report) {
	status := "OK"
	if !rep.OK {
		status = "MISMATCH"
	}
	fmt.Fprintf(w, "evidence %s (incident %s): %s\n", rep.Dir, rep.Incident, status)
	fmt.Fprintf(w, "  manifest sha256 %s\n  %d files, %d records\n", rep.ManifestSHA256, rep.Files, rep.Records)
	if rep.Status == evidence.StatusPartial {
		fmt.Fprintf(w, "  collection partial: failed sources %s\n", strings.Join(rep.Failed, ", "))
	}
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
