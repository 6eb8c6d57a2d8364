// Package playbooks holds irflow's incident playbooks (the *.yaml files beside this
// file, embedded in the binary), their format, loader and validator.
//
// Playbooks are parsed here, outside workflow code. The incident workflow receives the
// parsed Playbook and its content hash in its input, so editing a file never changes
// an incident that is already running, and replaying its history stays deterministic.
package playbooks

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"irflow/internal/containment"
	"irflow/internal/evidence"
	"irflow/internal/facts"
	"irflow/internal/srm"
	"irflow/internal/triage"
)

//go:embed *.yaml
var embedded embed.FS

// Playbook is one incident playbook.
type Playbook struct {
	// ID is the stable, kebab-case name responders type: `--playbook credential-compromise`.
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// Summary says in a sentence or two when to use this playbook.
	Summary string `yaml:"summary" json:"summary"`
	// Clauses are the shared-responsibility clauses (srm ids) the playbook addresses.
	Clauses []string `yaml:"clauses" json:"clauses"`
	// Triggers are facts conditions that make the playbook a suggestion at triage.
	Triggers []Trigger `yaml:"triggers" json:"triggers,omitempty"`
	// Triage holds the questions a responder answers to fill the facts document.
	Triage []Question `yaml:"triage" json:"triage,omitempty"`
	// Containment steps run in order in the subscriber's Zendesk instance.
	Containment []Step `yaml:"containment" json:"containment,omitempty"`
	// Evidence lists the sources collected for the incident window.
	Evidence []EvidenceSource `yaml:"evidence" json:"evidence,omitempty"`
	// Guidance is free text for responders (Markdown).
	Guidance string `yaml:"guidance" json:"guidance,omitempty"`
}

// Trigger is a facts condition: the facts field at the dotted JSON path Field has one
// of the values In (booleans compare as "true"/"false").
type Trigger struct {
	Field string   `yaml:"field" json:"field"`
	In    []string `yaml:"in" json:"in"`
}

// Question is a triage question and the facts field its answer fills.
type Question struct {
	ID       string `yaml:"id" json:"id"`
	Field    string `yaml:"field" json:"field"`
	Question string `yaml:"question" json:"question"`
}

// Step is a containment step.
type Step struct {
	ID            string         `yaml:"id" json:"id"`
	Title         string         `yaml:"title" json:"title"`
	Action        string         `yaml:"action" json:"action"`
	Params        map[string]any `yaml:"params" json:"params,omitempty"`
	NeedsApproval bool           `yaml:"needs_approval" json:"needs_approval"`
	Reversible    bool           `yaml:"reversible" json:"reversible"`
	// Approvals is how many distinct people must approve the step (1 when 0; at
	// most 3): separation of duties for actions that cannot be undone.
	Approvals int `yaml:"approvals" json:"approvals,omitempty"`
	// DistinctApprover forbids the person who declared the incident (who asked for
	// the playbook's steps) from approving this step.
	DistinctApprover bool `yaml:"distinct_approver" json:"distinct_approver,omitempty"`
}

// EvidenceSource is one evidence source to collect.
type EvidenceSource struct {
	Source string `yaml:"source" json:"source"`
	// Filter narrows the source (e.g. "actor" for audit logs filtered by the
	// compromised users); free-form keys validated per source.
	Filter map[string]string `yaml:"filter" json:"filter,omitempty"`
	Why    string            `yaml:"why" json:"why,omitempty"`
}

// Loaded is a parsed, validated playbook with where it came from and its content hash.
type Loaded struct {
	Playbook
	// Hash is the SHA-256 of the file's bytes, hex encoded, recorded in every incident
	// started from it.
	Hash   string `json:"hash"`
	Source string `json:"source"`
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// FieldError is a validation error located in a playbook file.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
}

// Parse parses and validates one playbook file's bytes. name is used in errors. Every
// problem found is reported, each naming the file, line and field.
func Parse(name string, data []byte) (Loaded, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Loaded{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return Loaded{}, &FieldError{File: name, Field: "(document)", Msg: "empty playbook"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var pb Playbook
	if err := dec.Decode(&pb); err != nil {
		return Loaded{}, fmt.Errorf("%s: %w", name, err)
	}
	v := validator{file: name, root: root.Content[0]}
	v.check(&pb)
	if len(v.errs) > 0 {
		return Loaded{}, errors.Join(v.errs...)
	}
	sum := sha256.Sum256(data)
	return Loaded{Playbook: pb, Hash: hex.EncodeToString(sum[:]), Source: name}, nil
}

type validator struct {
	file string
	root *yaml.Node
	errs []error
}

func (v *validator) fail(path []any, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{File: v.file, Line: lineOf(v.root, path), Field: pathString(path), Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) check(pb *Playbook) {
	if pb.ID == "" {
		v.fail([]any{"id"}, "is required")
	} else if !idPattern.MatchString(pb.ID) {
		v.fail([]any{"id"}, "%q must be kebab-case (lowercase letters, digits and dashes)", pb.ID)
	}
	if strings.TrimSpace(pb.Title) == "" {
		v.fail([]any{"title"}, "is required")
	}
	if len(pb.Clauses) == 0 {
		v.fail([]any{"clauses"}, "at least one shared-responsibility clause id is required (e.g. SRM-VI.S.i)")
	}
	for i, c := range pb.Clauses {
		if !srm.Valid(c) {
			v.fail([]any{"clauses", i}, "%q is not a clause id of the shared responsibility model", c)
		}
	}
	for i, t := range pb.Triggers {
		if t.Field == "" {
			v.fail([]any{"triggers", i, "field"}, "is required")
		} else if len(t.In) == 0 {
			v.fail([]any{"triggers", i, "in"}, "at least one value is required")
		} else if err := triage.ValidateTrigger(triage.Trigger(t)); err != nil {
			v.fail([]any{"triggers", i}, "%v", err)
		}
	}
	seen := map[string]bool{}
	for i, q := range pb.Triage {
		if q.ID == "" {
			v.fail([]any{"triage", i, "id"}, "is required")
		} else if seen["q:"+q.ID] {
			v.fail([]any{"triage", i, "id"}, "duplicate question id %q", q.ID)
		}
		seen["q:"+q.ID] = true
		if strings.TrimSpace(q.Question) == "" {
			v.fail([]any{"triage", i, "question"}, "is required")
		}
		if q.Field != "" {
			if err := facts.CheckPath(q.Field); err != nil {
				v.fail([]any{"triage", i, "field"}, "%v", err)
			}
		}
	}
	for i, s := range pb.Containment {
		if s.ID == "" {
			v.fail([]any{"containment", i, "id"}, "is required")
		} else if !idPattern.MatchString(s.ID) {
			v.fail([]any{"containment", i, "id"}, "%q must be kebab-case", s.ID)
		} else if seen["s:"+s.ID] {
			v.fail([]any{"containment", i, "id"}, "duplicate step id %q", s.ID)
		}
		seen["s:"+s.ID] = true
		if s.Action == "" {
			v.fail([]any{"containment", i, "action"}, "is required")
			continue
		}
		if err := containment.ValidateStep(s.Action, s.Params); err != nil {
			field := "action"
			if _, known := containment.Lookup(s.Action); known {
				field = "params"
			}
			v.fail([]any{"containment", i, field}, "%v", err)
			continue
		}
		act, _ := containment.Lookup(s.Action)
		if s.Reversible && !act.Reversible {
			v.fail([]any{"containment", i, "reversible"}, "action %s cannot be undone; set reversible: false", s.Action)
		}
		if !act.Reversible && !s.NeedsApproval {
			v.fail([]any{"containment", i, "needs_approval"}, "action %s cannot be undone, so it must need approval", s.Action)
		}
		if s.Approvals < 0 || s.Approvals > 3 {
			v.fail([]any{"containment", i, "approvals"}, "%d is not between 1 and 3", s.Approvals)
		}
		if (s.Approvals > 1 || s.DistinctApprover) && !s.NeedsApproval && act.Reversible {
			v.fail([]any{"containment", i, "needs_approval"}, "a step with approvals or distinct_approver must need approval")
		}
	}
	for i, e := range pb.Evidence {
		if e.Source == "" {
			v.fail([]any{"evidence", i, "source"}, "is required")
		} else if !evidence.ValidSource(e.Source) {
			v.fail([]any{"evidence", i, "source"}, "%q is not an evidence source (known: %s)", e.Source, strings.Join(evidence.Sources(), ", "))
		}
	}
}

// lineOf finds the line of the YAML node at path (map keys and sequence indexes),
// falling back to the deepest node found so an error always points somewhere useful.
func lineOf(n *yaml.Node, path []any) int {
	line := n.Line
	for _, p := range path {
		switch key := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || key >= len(n.Content) {
				return line
			}
			n = n.Content[key]
			line = n.Line
		}
	}
	return line
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch x := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(x)
		case int:
			fmt.Fprintf(&b, "[%d]", x)
		}
	}
	return b.String()
}

// Catalogue is the set of playbooks available to declare incidents with.
type Catalogue struct {
	byID map[string]Loaded
}

// Embedded loads and validates the playbooks shipped in the binary.
func Embedded() (*Catalogue, error) {
	return load(embedded, ".")
}

// LoadDir loads every *.yaml playbook in dir, e.g. an organisation's own playbooks.
func LoadDir(dir string) (*Catalogue, error) {
	return load(os.DirFS(dir), ".")
}

func load(fsys fs.FS, dir string) (*Catalogue, error) {
	names, err := fs.Glob(fsys, filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list playbooks: %w", err)
	}
	c := &Catalogue{byID: map[string]Loaded{}}
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("read playbook %s: %w", name, err))
			continue
		}
		pb, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := c.byID[pb.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: id: %q is already used by %s", name, pb.ID, prev.Source))
			continue
		}
		c.byID[pb.ID] = pb
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// Get returns the playbook with id, or an error that lists the known ones.
func (c *Catalogue) Get(id string) (Loaded, error) {
	pb, ok := c.byID[id]
	if !ok {
		return Loaded{}, fmt.Errorf("unknown playbook %q (known: %s)", id, strings.Join(c.IDs(), ", "))
	}
	return pb, nil
}

// IDs returns the playbook ids, sorted.
func (c *Catalogue) IDs() []string {
	ids := make([]string, 0, len(c.byID))
	for id := range c.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Refs returns what triage needs to suggest playbooks: ids, clauses and triggers.
func (c *Catalogue) Refs() []triage.PlaybookRef {
	refs := make([]triage.PlaybookRef, 0, len(c.byID))
	for _, pb := range c.All() {
		ref := triage.PlaybookRef{ID: pb.ID, Clauses: pb.Clauses}
		for _, t := range pb.Triggers {
			ref.Triggers = append(ref.Triggers, triage.Trigger(t))
		}
		refs = append(refs, ref)
	}
	return refs
}

// All returns every playbook, sorted by id.
func (c *Catalogue) All() []Loaded {
	out := make([]Loaded, 0, len(c.byID))
	for _, id := range c.IDs() {
		out = append(out, c.byID[id])
	}
	return out
}
