package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"irflow/internal/incident"
)

// RegisterColumns are the breach register's CSV columns. GDPR Art. 33(5): the
// controller documents any personal data breach, comprising the facts relating to
// it, its effects and the remedial action taken, so every incident is a row,
// notifiable or not.
var RegisterColumns = []string{
	"incident_id", "title", "phase", "severity", "owner", "ownership_clauses",
	"declared_at", "detected_at", "aware_at", "closed_at",
	"facts", "data_categories", "individuals_affected", "records_affected", "jurisdictions", "risk",
	"effects", "remedial_action", "notifiable", "notifications", "close_reason",
}

// WriteRegister writes the breach register for states as CSV.
func WriteRegister(w io.Writer, states []incident.State) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RegisterColumns); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	for _, st := range states {
		if err := cw.Write(registerRow(st)); err != nil {
			return fmt.Errorf("write register row %s: %w", st.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write register: %w", err)
	}
	return nil
}

func registerRow(st incident.State) []string {
	f := st.Facts
	opt := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	var people int64
	var jurs []string
	for _, j := range f.Affected.Individuals {
		people += j.Count
		jurs = append(jurs, fmt.Sprintf("%s:%d", j.Jurisdiction, j.Count))
	}
	records := ""
	if f.Affected.Records != nil {
		records = fmt.Sprint(*f.Affected.Records)
	}
	var effects []string
	if people > 0 {
		effects = append(effects, fmt.Sprintf("%d people affected", people))
	}
	if len(f.DataCategories) > 0 {
		effects = append(effects, "data: "+strings.Join(f.DataCategories, ", "))
	}
	if f.Risk != "" {
		effects = append(effects, "risk to people: "+f.Risk)
	}
	if f.EncryptedUnusable != nil && *f.EncryptedUnusable {
		effects = append(effects, "data encrypted and unusable")
	}
	var remedial []string
	for _, s := range st.Steps {
		switch s.Status {
		case incident.StepDone:
			remedial = append(remedial, fmt.Sprintf("%s (%s) done", s.Step.ID, s.Step.Action))
		case incident.StepFailed:
			remedial = append(remedial, fmt.Sprintf("%s (%s) failed", s.Step.ID, s.Step.Action))
		case incident.StepRolledBack:
			remedial = append(remedial, fmt.Sprintf("%s (%s) rolled back", s.Step.ID, s.Step.Action))
		}
	}
	if st.Rollback != nil {
		remedial = append(remedial, "containment rolled back by "+st.Rollback.Actor+": "+st.Rollback.Reason)
	}
	notifiable := "no"
	var notices []string
	for _, o := range st.Obligations {
		if !o.Applicable || o.Retired != "" {
			continue
		}
		if o.Audience == "authority" || o.Audience == "individuals" {
			notifiable = "yes"
		}
		n := o.ID + ": " + o.Status
		if o.FulfilledAt != nil {
			n += " " + o.FulfilledAt.UTC().Format(time.RFC3339)
		}
		notices = append(notices, n)
	}
	row := []string{
		st.ID, st.Title, string(st.Phase), st.Severity, string(st.Ownership.Owner), strings.Join(st.Ownership.Clauses, " "),
		st.DeclaredAt.UTC().Format(time.RFC3339), opt(f.Timeline.DetectedAt), opt(f.Timeline.AwareAt), opt(st.ClosedAt),
		f.Summary, strings.Join(f.DataCategories, ", "), fmt.Sprint(people), records, strings.Join(jurs, " "), f.Risk,
		strings.Join(effects, "; "), strings.Join(remedial, "; "), notifiable, strings.Join(notices, "; "), st.CloseReason,
	}
	for i, c := range row {
		row[i] = csvSafe(c)
	}
	return row
}

// csvSafe defuses a cell that a spreadsheet would run as a formula (a title such
// as "=HYPERLINK(...)" typed into a declare form): it is prefixed with a quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
