// Package notices drafts the notices an obligation asks for from the incident record:
// the regulator notice with GDPR Art. 33(3)'s contents, the individuals' notice in
// clear and plain language (Art. 34(2)), California's "Notice of Data Breach" with the
// headings Civ. Code 1798.82(d)(1) prescribes, and a generic notice for the other rules.
//
// It is pure: a Record in, a Draft or a *MissingError out. A template never invents a
// fact: one it needs that the record lacks stops the rendering, and the error names
// every such fact and where to supply it, so legal approves only text that says what
// the law asks for.
package notices

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"irflow/internal/facts"
	"irflow/internal/obligations"
)

// Template names.
const (
	TemplateRegulator   = "gdpr-art33-regulator"
	TemplateIndividuals = "gdpr-art34-individuals"
	TemplateCalifornia  = "us-ca-1798-82-individuals"
	TemplateGeneric     = "generic"
)

// Templates lists every template name, in a stable order.
var Templates = []string{TemplateRegulator, TemplateIndividuals, TemplateCalifornia, TemplateGeneric}

// templateByRule picks the template for a rule; rules not here get the generic one.
// The UK GDPR copies Art. 33 and 34 word for word, so its notices share the EU text.
var templateByRule = map[string]string{
	"eu-gdpr-33-sa":             TemplateRegulator,
	"uk-gdpr-33-ico":            TemplateRegulator,
	"eu-gdpr-34-individuals":    TemplateIndividuals,
	"uk-gdpr-34-individuals":    TemplateIndividuals,
	"us-ca-1798-82-individuals": TemplateCalifornia,
}

// TemplateFor returns the template an obligation's notice is drafted with.
func TemplateFor(rule string) string {
	if t, ok := templateByRule[rule]; ok {
		return t
	}
	return TemplateGeneric
}

//go:embed templates/*.tmpl
var templateFS embed.FS

// Record is what a notice is drafted from: the incident record and the obligation.
type Record struct {
	IncidentID string
	Title      string
	Facts      facts.Document
	Obligation obligations.Obligation
	// Measures are the containment steps that completed, as one line each ("Suspended
	// the compromised admin (user 372003)").
	Measures []string
	// Inputs are facts the incident record does not hold, given by whoever drafts:
	// contact_point, controller, consequences, measures_proposed, delay_reason,
	// what_you_can_do, law_enforcement_delay. A value here overrides what the record
	// would give.
	Inputs map[string]string
	// Now is the date of the notice.
	Now time.Time
}

// Inputs the drafter can give (Record.Inputs keys). Unknown keys are refused, so a
// typo does not silently leave a fact missing.
var Inputs = map[string]string{
	"controller":            "the name of the organisation giving notice (the controller)",
	"contact_point":         "the data protection officer or other contact point where more information can be obtained (Art. 33(3)(b))",
	"consequences":          "the likely consequences of the breach (Art. 33(3)(c)); by default derived from the data categories",
	"measures_taken":        "measures taken to address the breach (Art. 33(3)(d)); by default the completed containment steps",
	"measures_proposed":     "measures proposed, including to mitigate possible adverse effects (Art. 33(3)(d))",
	"delay_reason":          "the reasons for the delay, required when the notice is given after its deadline (Art. 33(1))",
	"what_you_can_do":       "what the people affected can do to protect themselves; by default derived from the data categories",
	"law_enforcement_delay": "whether notice was delayed at the request of law enforcement (Cal. Civ. Code 1798.82(d)(2)(D))",
	"summary":               "the nature of the breach; by default the facts' summary",
}

// CheckInputs names the first input key that is not one of Inputs.
func CheckInputs(in map[string]string) error {
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := Inputs[k]; !ok {
			known := make([]string, 0, len(Inputs))
			for n := range Inputs {
				known = append(known, n)
			}
			sort.Strings(known)
			return fmt.Errorf("unknown notice input %q (known: %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

// Missing is one fact a template needs that the record lacks.
type Missing struct {
	Fact string `json:"fact"`
	// Hint says where to supply it.
	Hint string `json:"hint"`
}

// MissingError is a refusal to render: the facts the template needs and lacks.
type MissingError struct {
	Template string
	Missing  []Missing
}

func (e *MissingError) Error() string {
	names := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		names[i] = m.Fact
	}
	return fmt.Sprintf("the %s notice cannot be drafted: missing %s", e.Template, strings.Join(names, ", "))
}

// Draft is a rendered notice.
type Draft struct {
	Template string `json:"template"`
	Subject  string `json:"subject"`
	// Text is the notice in plain text; "## " lines are headings. It is what legal
	// reads, edits and approves.
	Text string `json:"text"`
}

// Hash is the SHA-256 of a notice text, hex: what an approval is bound to, so the
// text that goes out is provably the text approved.
func Hash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// hints say where each fact a template may need comes from.
var hints = map[string]string{
	"summary":              "set the facts' summary (irflow incident set-facts) or --set summary=...",
	"data_categories":      "set the facts' data_categories (irflow incident set-facts)",
	"affected.individuals": "set the facts' affected.individuals (irflow incident set-facts)",
	"affected.records":     "set the facts' affected.records (irflow incident set-facts)",
	"aware_at":             "set the facts' timeline.aware_at (irflow incident set-trigger)",
	"due_at":               "the obligation has no deadline yet: set its trigger",
}

func hint(fact string) string {
	if h, ok := hints[fact]; ok {
		return h
	}
	if _, ok := Inputs[fact]; ok {
		return "--set " + fact + "=... (" + Inputs[fact] + ")"
	}
	return "supply " + fact
}

// Render drafts the notice for r.Obligation with the template TemplateFor picks.
func Render(r Record) (Draft, error) {
	return RenderWith(TemplateFor(r.Obligation.Rule), r)
}

// RenderWith drafts with a named template.
func RenderWith(name string, r Record) (Draft, error) {
	if err := CheckInputs(r.Inputs); err != nil {
		return Draft{}, err
	}
	known := false
	for _, t := range Templates {
		known = known || t == name
	}
	if !known {
		return Draft{}, fmt.Errorf("unknown notice template %q (known: %s)", name, strings.Join(Templates, ", "))
	}
	v := newView(r)
	funcs := texttemplate.FuncMap{
		"need": v.need,
		"has":  v.has,
		"get":  v.get,
		"list": v.list,
	}
	tmpl, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(templateFS, "templates/"+name+".tmpl")
	if err != nil {
		return Draft{}, fmt.Errorf("parse notice template %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name+".tmpl", v); err != nil {
		return Draft{}, fmt.Errorf("render notice template %s: %w", name, err)
	}
	if len(v.missing) > 0 {
		return Draft{}, &MissingError{Template: name, Missing: v.missing}
	}
	text, subject := splitSubject(buf.String())
	return Draft{Template: name, Subject: subject, Text: text}, nil
}

// splitSubject takes the template's first line, "Subject: ...", off the text.
func splitSubject(s string) (text, subject string) {
	s = strings.TrimLeft(s, "\n")
	if first, rest, ok := strings.Cut(s, "\n"); ok && strings.HasPrefix(first, "Subject: ") {
		return tidy(rest), strings.TrimPrefix(first, "Subject: ")
	}
	return tidy(s), ""
}

// tidy collapses the blank lines template actions leave behind.
func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

// HTML renders a notice text as an HTML document with html/template (escaping every
// value): "## " lines become headings, blank-line separated blocks paragraphs, and
// "- " lines list items. The text stays the source of truth: the HTML of an approved
// text is derived from exactly that text.
func HTML(subject, text string) (string, error) {
	type block struct {
		Heading string
		Para    string
		Items   []string
	}
	var blocks []block
	for _, chunk := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(strings.TrimSpace(chunk), "\n")
		for len(lines) > 0 && strings.HasPrefix(lines[0], "## ") {
			blocks = append(blocks, block{Heading: strings.TrimPrefix(lines[0], "## ")})
			lines = lines[1:]
		}
		if len(lines) == 0 {
			continue
		}
		items := true
		for _, l := range lines {
			items = items && strings.HasPrefix(l, "- ")
		}
		if items {
			b := block{}
			for _, l := range lines {
				b.Items = append(b.Items, strings.TrimPrefix(l, "- "))
			}
			blocks = append(blocks, b)
			continue
		}
		blocks = append(blocks, block{Para: strings.Join(lines, "\n")})
	}
	var buf bytes.Buffer
	if err := htmlLetter.Execute(&buf, map[string]any{"Subject": subject, "Blocks": blocks}); err != nil {
		return "", fmt.Errorf("render notice html: %w", err)
	}
	return buf.String(), nil
}

var htmlLetter = template.Must(template.New("letter").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; max-width: 42em">
{{range .Blocks}}{{if .Heading}}<h2>{{.Heading}}</h2>
{{else if .Items}}<ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul>
{{else}}<p style="white-space: pre-line">{{.Para}}</p>
{{end}}{{end}}</body></html>
`))
