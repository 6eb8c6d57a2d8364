package containment

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"irflow/internal/facts"
)

// Step is one containment step of a playbook, as the playbook loader produces it and
// the incident workflow stores it.
type Step struct {
	// ID is unique within the playbook; Updates name steps by it.
	ID     string         `json:"id"`
	Action string         `json:"action"`
	Params map[string]any `json:"params,omitempty"`
	// NeedsApproval makes the step wait for an approve_step Update. It is forced to
	// true for actions that are not reversible (RequiresApproval).
	NeedsApproval bool `json:"needs_approval"`
	// Reversible is copied from the catalogue by the loader, so the workflow's state
	// says what rollback will do even if the catalogue changes later.
	Reversible bool `json:"reversible"`
	// Approvals is how many distinct people must approve (1 when 0).
	Approvals int `json:"approvals,omitempty"`
	// DistinctApprover: whoever declared the incident may not approve this step.
	DistinctApprover bool `json:"distinct_approver,omitempty"`
}

// RequiredApprovals is how many distinct approvers the step needs.
func (s Step) RequiredApprovals() int {
	if s.Approvals > 1 {
		return s.Approvals
	}
	return 1
}

// Target is one concrete Zendesk object a step acts on.
type Target struct {
	Kind TargetKind `json:"kind"`
	// ID is the object's numeric id (every kind except webhook).
	ID int64 `json:"id,omitempty"`
	// WebhookID is the webhook's string id (Zendesk webhook ids are not numbers).
	WebhookID string `json:"webhook_id,omitempty"`
	// TicketID is the ticket a comment belongs to.
	TicketID int64 `json:"ticket_id,omitempty"`
}

// String names the target for timelines and errors, e.g. "user 35436".
func (t Target) String() string {
	switch {
	case t.Kind == KindWebhook:
		return "webhook " + t.WebhookID
	case t.Kind == KindComment:
		return fmt.Sprintf("comment %d on ticket %d", t.ID, t.TicketID)
	default:
		return fmt.Sprintf("%s %d", strings.ReplaceAll(string(t.Kind), "_", " "), t.ID)
	}
}

// Key is a stable identifier of the target, for idempotency keys and result maps.
func (t Target) Key() string {
	switch t.Kind {
	case KindWebhook:
		return "webhook:" + t.WebhookID
	case KindComment:
		return fmt.Sprintf("comment:%d:%d", t.TicketID, t.ID)
	default:
		return fmt.Sprintf("%s:%d", t.Kind, t.ID)
	}
}

// ValidateStep checks an action name and its parameters against the catalogue. The
// error names the unknown action (and lists the known ones), or the parameter that is
// unknown, missing or of the wrong type.
func ValidateStep(action string, params map[string]any) error {
	a, ok := byName[action]
	if !ok {
		return fmt.Errorf("unknown containment action %q (known: %s)", action, strings.Join(Names(), ", "))
	}
	specs := make(map[string]ParamSpec, len(a.Params))
	for _, p := range a.Params {
		specs[p.Name] = p
	}
	var errs []error
	for _, name := range sortedKeys(params) {
		spec, ok := specs[name]
		if !ok {
			errs = append(errs, fmt.Errorf("params.%s: unknown parameter for %s (allowed: %s)", name, action, paramNames(a)))
			continue
		}
		if err := checkValue(spec, params[name]); err != nil {
			errs = append(errs, fmt.Errorf("params.%s: %w", name, err))
		}
	}
	for _, p := range a.Params {
		if _, present := params[p.Name]; p.Required && !present {
			errs = append(errs, fmt.Errorf("params.%s: required by %s", p.Name, action))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Actions with several target parameters take exactly one object kind per step.
	var given []string
	for _, p := range a.Params {
		if _, present := params[p.Name]; present && p.Target != "" && p.Of != "" {
			given = append(given, p.Name)
		}
	}
	if len(given) > 1 {
		return fmt.Errorf("params: %s takes one of %s, got %s", action, strings.Join(ofParams(a), ", "), strings.Join(given, " and "))
	}
	if of, present := params["of"]; present && len(given) == 1 {
		if spec := specs[given[0]]; spec.Of != of {
			return fmt.Errorf("params.of: %q contradicts params.%s", of, given[0])
		}
	}
	return nil
}

// ValidateStepDef checks a whole step, with the field path of each problem: the
// action and params, and the approval rule for irreversible actions.
func ValidateStepDef(s Step) error {
	if s.ID == "" {
		return errors.New("id: required")
	}
	if err := ValidateStep(s.Action, s.Params); err != nil {
		return fmt.Errorf("step %q: %w", s.ID, err)
	}
	if RequiresApproval(s.Action) && !s.NeedsApproval {
		return fmt.Errorf("step %q: needs_approval: %s is irreversible and always needs approval", s.ID, s.Action)
	}
	return nil
}

// Targets resolves the concrete objects a step acts on: the explicit id parameter if
// the step gives one, otherwise the facts-document list named by the action (so a
// responder who adds a user with set_facts changes what the next step acts on). It
// fails when the step is invalid or when no target can be found, naming where it
// looked.
func Targets(s Step, doc facts.Document) ([]Target, error) {
	if err := ValidateStep(s.Action, s.Params); err != nil {
		return nil, fmt.Errorf("step %q: %w", s.ID, err)
	}
	a := byName[s.Action]
	// An explicit target parameter wins.
	for _, p := range a.Params {
		if p.Target == "" {
			continue
		}
		v, present := s.Params[p.Name]
		if !present {
			continue
		}
		t := Target{Kind: p.Target}
		if p.Type == TypeString {
			t.WebhookID, _ = v.(string)
		} else {
			t.ID, _ = asInt(v)
		}
		if t.Kind == KindComment {
			t.TicketID, _ = asInt(s.Params["ticket_id"])
		}
		return []Target{t}, nil
	}
	// Otherwise the facts list: the one selected by "of", or the only one.
	of, _ := s.Params["of"].(string)
	for _, p := range a.Params {
		if p.Target == "" || p.Facts == "" {
			continue
		}
		if p.Of != "" && p.Of != defaultString(of, a) {
			continue
		}
		ts := factsTargets(p, doc.Zendesk)
		if len(ts) == 0 {
			return nil, &NoTargetsError{Step: s.ID, Action: s.Action, Param: p.Name, Facts: p.Facts}
		}
		return ts, nil
	}
	return nil, fmt.Errorf("step %q: %s has no target parameter", s.ID, s.Action)
}

// NoTargetsError says a step has nothing to act on: its parameter is not set and
// the facts list it defaults to is empty. The step is then not failed but waits
// for the facts to be filled (Facts names the path) and a retry.
type NoTargetsError struct {
	Step, Action, Param, Facts string
}

func (e *NoTargetsError) Error() string {
	return fmt.Sprintf("step %q: %s has no target: params.%s is not set and facts %s is empty", e.Step, e.Action, e.Param, e.Facts)
}

// factsTargets reads the facts list a parameter defaults to, without duplicates.
func factsTargets(p ParamSpec, z facts.ZendeskScope) []Target {
	var ids []int64
	switch p.Facts {
	case "zendesk.users":
		ids = z.Users
	case "zendesk.api_tokens":
		ids = z.APITokens
	case "zendesk.oauth_tokens":
		ids = z.OAuthTokens
	case "zendesk.oauth_clients":
		ids = z.OAuthClients
	case "zendesk.app_installations":
		ids = z.AppInstallations
	case "zendesk.webhooks":
		var out []Target
		seen := map[string]bool{}
		for _, w := range z.Webhooks {
			if !seen[w] && w != "" {
				seen[w] = true
				out = append(out, Target{Kind: KindWebhook, WebhookID: w})
			}
		}
		return out
	default:
		// The catalogue test checks every Facts value is handled here.
		return nil
	}
	var out []Target
	seen := map[int64]bool{}
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, Target{Kind: p.Target, ID: id})
		}
	}
	return out
}

func defaultString(of string, a *Action) string {
	if of != "" {
		return of
	}
	for _, p := range a.Params {
		if p.Name == "of" {
			if d, ok := p.Default.(string); ok {
				return d
			}
		}
	}
	return ""
}

func checkValue(spec ParamSpec, v any) error {
	switch spec.Type {
	case TypeInteger:
		n, err := asIntErr(v)
		if err != nil {
			return err
		}
		if spec.Target != "" && n <= 0 {
			return fmt.Errorf("want a positive Zendesk id, got %d", n)
		}
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %s", describe(v))
		}
		if s == "" {
			return errors.New("must not be empty")
		}
		if len(spec.Enum) > 0 && !slices.Contains(spec.Enum, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(spec.Enum, ", "))
		}
	}
	return nil
}

// Int reads an integer parameter, accepting the number types YAML and JSON decoding
// produce (int, int64, float64, json.Number). ok is false when absent or not integral.
func Int(params map[string]any, name string) (n int64, ok bool) {
	v, present := params[name]
	if !present {
		return 0, false
	}
	return asInt(v)
}

// String reads a string parameter; ok is false when absent or not a string.
func String(params map[string]any, name string) (s string, ok bool) {
	s, ok = params[name].(string)
	return s, ok
}

func asInt(v any) (int64, bool) {
	n, err := asIntErr(v)
	return n, err == nil
}

func asIntErr(v any) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is too large", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("want an integer, got %v", x)
		}
		return int64(x), nil
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("want an integer, got %s", x)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("want an integer, got %s", describe(v))
	}
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", v)
	case bool:
		return "boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func paramNames(a *Action) string {
	names := make([]string, len(a.Params))
	for i, p := range a.Params {
		names[i] = p.Name
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func ofParams(a *Action) []string {
	var out []string
	for _, p := range a.Params {
		if p.Of != "" {
			out = append(out, p.Name)
		}
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
