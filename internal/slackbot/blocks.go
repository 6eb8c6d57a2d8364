package slackbot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"irflow/internal/facts"
	"irflow/internal/incident"
	"irflow/internal/obligations"
	"irflow/playbooks"
)

// Action ids of the card's buttons and menus, and callback ids of the modals.
const (
	ActionApprove = "irflow_approve"
	ActionSkip    = "irflow_skip"
	ActionMore    = "irflow_more"
	ActionFacts   = "irflow_facts"
	ActionClose   = "irflow_close"

	CallbackDeclare = "irflow_declare"
	CallbackFacts   = "irflow_facts"
)

// Block and action ids of the declare modal's inputs.
const (
	fieldPlaybook   = "playbook"
	fieldTitle      = "title"
	fieldSummary    = "summary"
	fieldAffected   = "affected"
	fieldCategories = "categories"
	fieldZDUsers    = "zendesk_users"
	fieldZDTokens   = "zendesk_tokens"
	fieldPatch      = "patch"
)

// maxSectionText is Slack's limit on a section's text (3000 characters), kept
// below so that an ellipsis fits.
const maxSectionText = 2900

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(s, maxSectionText), false, false)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clip(s, 150), false, false)
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// escape makes user text safe in mrkdwn: Slack reads <, > and & as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// StatusCard renders an incident's status card: phase, severity, ownership with
// clause and rationale, containment steps with Approve and Skip buttons, evidence,
// obligations with time left and the questions still open. now is truncated to
// the minute so that the card's bytes change at most once a minute when nothing
// else does (the card syncer edits the message only when they change).
func StatusCard(st incident.State, obs []incident.ObligationView, now time.Time) []slack.Block {
	now = now.Truncate(time.Minute)
	var b []slack.Block
	b = append(b, slack.NewHeaderBlock(plain(st.ID+" · "+st.Title)))
	sev := st.Severity
	if sev == "" {
		sev = "not rated"
	}
	b = append(b, slack.NewSectionBlock(nil, []*slack.TextBlockObject{
		mrkdwn("*Phase*\n" + string(st.Phase)),
		mrkdwn("*Severity*\n" + sev),
		mrkdwn("*Playbook*\n" + st.Playbook),
		mrkdwn("*Declared*\n" + st.DeclaredAt.UTC().Format("2006-01-02 15:04 UTC") + " by " + escape(st.DeclaredBy)),
	}, nil))

	own := st.Ownership
	owner := string(own.Owner)
	if owner == "" {
		owner = "undetermined"
	}
	ownText := fmt.Sprintf("*Ownership:* %s (%s", owner, own.Confidence)
	if own.Source != "" {
		ownText += ", " + own.Source
	}
	ownText += ")"
	if len(own.Clauses) > 0 {
		ownText += " · clauses " + strings.Join(own.Clauses, ", ")
	}
	if own.Rationale != "" {
		ownText += "\n" + escape(own.Rationale)
	}
	b = append(b, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(ownText), nil, nil))

	if len(st.Steps) > 0 {
		b = append(b, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn("*Containment steps*"), nil, nil))
		for i, s := range st.Steps {
			if i == 20 { // Slack allows 50 blocks a message
				b = append(b, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("… and %d more steps: `/incident status`", len(st.Steps)-i))))
				break
			}
			line := fmt.Sprintf("%s `%s` %s: *%s*", stepIcon(s.Status), s.Step.ID, s.Step.Action, s.Status)
			if s.ApprovedBy != "" {
				line += " · approved by " + escape(s.ApprovedBy)
			}
			if s.SkippedBy != "" {
				line += " · skipped by " + escape(s.SkippedBy)
			}
			if len(s.Errors) > 0 {
				line += "\n" + escape(strings.Join(s.Errors, "; "))
			}
			b = append(b, slack.NewSectionBlock(mrkdwn(line), nil, nil))
			if s.Status == incident.StepAwaitingApproval || s.Status == incident.StepPending {
				approve, skip := stepButtons(st.ID, s.Step.ID, s.Step.Action)
				if s.Status == incident.StepPending {
					b = append(b, slack.NewActionBlock("step-"+strconv.Itoa(i), skip))
				} else {
					b = append(b, slack.NewActionBlock("step-"+strconv.Itoa(i), approve, skip))
				}
			}
		}
	}

	ev := st.Evidence
	evText := "*Evidence:* " + orDash(ev.Summary())
	if ev.Status == incident.EvidenceCollected {
		evText += fmt.Sprintf(" · %d files, %d records · sha256 %s", ev.Files, ev.Records, incident.ShortHash(ev.ManifestSHA256))
	}
	if ev.Error != "" {
		evText += "\n" + escape(ev.Error)
	}
	b = append(b, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(evText), nil, nil))

	if text := DeadlinesText(obs, now); text != "" {
		b = append(b, slack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	if qs := OpenQuestions(st); len(qs) > 0 {
		lines := []string{"*Needs assessment*"}
		for _, q := range qs {
			lines = append(lines, "• "+escape(q.Question)+" (`"+q.Field+"`)")
		}
		b = append(b, slack.NewSectionBlock(mrkdwn(strings.Join(lines, "\n")), nil, nil))
	}
	if st.Phase != incident.PhaseClosed {
		more := moreMenu(st.ID)
		facts := slack.NewButtonBlockElement(ActionFacts, st.ID, plain("Answer questions"))
		closeB := slack.NewButtonBlockElement(ActionClose, st.ID, plain("Close incident")).WithConfirm(
			slack.NewConfirmationBlockObject(plain("Close "+st.ID+"?"),
				mrkdwn("Containment stops; the obligation clocks keep running until each duty is met."), plain("Close"), plain("Cancel")))
		b = append(b, slack.NewActionBlock("card-actions", facts, closeB, more))
	} else {
		b = append(b, slack.NewContextBlock("", mrkdwn("Closed "+fmtTime(st.ClosedAt)+": "+escape(st.CloseReason))))
	}
	b = append(b, slack.NewContextBlock("", mrkdwn("Updated "+now.UTC().Format("2006-01-02 15:04 UTC"))))
	return b
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func stepIcon(s incident.StepStatus) string {
	switch s {
	case incident.StepDone:
		return ":white_check_mark:"
	case incident.StepAwaitingApproval:
		return ":raised_hand:"
	case incident.StepFailed:
		return ":x:"
	case incident.StepRunning, incident.StepApproved:
		return ":arrows_counterclockwise:"
	case incident.StepSkipped, incident.StepCancelled, incident.StepRolledBack:
		return ":fast_forward:"
	}
	return ":hourglass:"
}

// DeadlinesText lists the obligations that apply with their status and time left
// as of now, from their clocks (ObligationView.Clock) where they have one.
func DeadlinesText(obs []incident.ObligationView, now time.Time) string {
	var lines []string
	for _, o := range obs {
		if !o.Applicable {
			continue
		}
		line := "• " + escape(o.Title) + " (" + o.Jurisdiction + ", " + o.Audience + "): "
		status, due := o.Status, o.DueAt
		if o.Clock != nil {
			v := o.Clock.ClockState.View(now)
			status, due = v.Status, v.DueAt
		}
		switch {
		case status == obligations.StatusFulfilled || status == incident.ClockWaived || status == incident.ClockRetired:
			line += status
		case due == nil:
			line += strings.ReplaceAll(status, "_", " ") + ", no deadline yet"
		default:
			left := due.Sub(now)
			if left < 0 {
				line += "*OVERDUE* by " + incident.Span(left) + " (due " + due.UTC().Format("2006-01-02 15:04 UTC") + ")"
			} else {
				line += incident.Span(left) + " left (due " + due.UTC().Format("2006-01-02 15:04 UTC") + ")"
			}
		}
		if o.TriggerAssumed {
			line += " · trigger " + o.Trigger + " assumed"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return ""
	}
	return "*Obligations*\n" + strings.Join(lines, "\n")
}

// Question is one open question: the facts path its answer fills and what to ask.
type Question struct {
	Field    string
	Question string
}

// OpenQuestions are the triage questions the ownership determination still has
// and, for each obligation whose trigger instant was assumed, the question of
// when it really happened.
func OpenQuestions(st incident.State) []Question {
	var qs []Question
	seen := map[string]bool{}
	for _, q := range st.Ownership.OpenQuestions {
		if !seen[q.Field] {
			seen[q.Field] = true
			qs = append(qs, Question{Field: q.Field, Question: q.Question})
		}
	}
	for _, o := range st.Obligations {
		if !o.Applicable {
			continue
		}
		// The facts whose answers decide an obligation that applies on a reading of
		// unknown facts (its clock runs on the earliest reading meanwhile).
		if o.NeedsAssessment {
			for _, f := range o.Questions {
				if !seen[f] {
					seen[f] = true
					qs = append(qs, Question{Field: f, Question: "Needed to assess " + o.Title + " (" + o.Jurisdiction + "): " + f})
				}
			}
		}
		f := "timeline." + o.Trigger
		if o.TriggerAssumed && !seen[f] {
			seen[f] = true
			qs = append(qs, Question{Field: f, Question: "When did this happen: " + o.Trigger + "? (RFC 3339, e.g. 2026-03-01T09:00:00Z)"})
		}
	}
	return qs
}

// SuggestPlaybooks ranks the playbooks whose id, title or summary share words with
// the title typed after /incident declare, best first. At declare time there are no
// facts yet for triage to match playbook triggers on (triage suggests again once
// they are known); the words a responder uses ("token", "phishing", "webhook",
// "export") are what there is.
func SuggestPlaybooks(title string, cat []playbooks.Loaded) []string {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(title), notWordRune) {
		if len(w) >= 4 && !stopWords[w] {
			words[stem(w)] = true
		}
	}
	type scored struct {
		id    string
		score int
	}
	var out []scored
	for _, p := range cat {
		// A word of the id or title counts three times one of the summary: titles
		// name what the playbook is for, summaries mention neighbours too.
		seen := map[string]bool{}
		score := 0
		for _, part := range []struct {
			text   string
			weight int
		}{{p.ID + " " + p.Title, 3}, {p.Summary, 1}} {
			for _, w := range strings.FieldsFunc(strings.ToLower(part.text), notWordRune) {
				if w = stem(w); words[w] && !seen[w] {
					seen[w] = true
					score += part.weight
				}
			}
		}
		if score > 0 {
			out = append(out, scored{p.ID, score})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.score != b.score {
			return b.score - a.score
		}
		return strings.Compare(a.id, b.id)
	})
	ids := make([]string, len(out))
	for i, s := range out {
		ids[i] = s.id
	}
	return ids
}

func notWordRune(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }

// stem strips the plural and -ing/-ed endings, enough to match "tokens" with
// "token" and "leaked" with "leak".
func stem(w string) string {
	for _, suf := range []string{"ing", "ed", "es", "s"} {
		if len(w) > len(suf)+3 && strings.HasSuffix(w, suf) {
			return strings.TrimSuffix(w, suf)
		}
	}
	return w
}

var stopWords = map[string]bool{"with": true, "from": true, "that": true, "this": true, "were": true, "have": true,
	"been": true, "into": true, "over": true, "your": true, "their": true, "some": true, "data": true, "zendesk": true,
	// Words every playbook uses.
	"agent": true, "admin": true, "user": true, "users": true, "incident": true}

// DeclareModal is the declare form. Playbooks are offered suggested first, and the
// first is preselected. origin is the channel the command ran in, kept in the
// view's private metadata so the result can be posted back there.
func DeclareModal(cat []playbooks.Loaded, suggested []string, title, origin string) slack.ModalViewRequest {
	ordered := slices.Clone(cat)
	rank := func(id string) int {
		if i := slices.Index(suggested, id); i >= 0 {
			return i
		}
		return len(suggested)
	}
	slices.SortStableFunc(ordered, func(a, b playbooks.Loaded) int { return rank(a.ID) - rank(b.ID) })
	var opts []*slack.OptionBlockObject
	for _, p := range ordered {
		label := p.Title
		if rank(p.ID) == 0 && len(suggested) > 0 {
			label += " (suggested)"
		}
		opts = append(opts, slack.NewOptionBlockObject(p.ID, plain(label), nil))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Playbook"), fieldPlaybook, opts...)
	if len(opts) > 0 {
		sel.InitialOption = opts[0]
	}
	titleIn := slack.NewPlainTextInputBlockElement(plain("Customer PII exported through a leaked API token"), fieldTitle)
	titleIn.InitialValue = clip(title, 150)
	titleIn.MaxLength = 150
	summary := slack.NewPlainTextInputBlockElement(plain("What is known so far"), fieldSummary)
	summary.Multiline = true
	summary.MaxLength = 3000
	optional := func(b *slack.InputBlock) *slack.InputBlock { b.Optional = true; return b }
	blocks := []slack.Block{
		slack.NewInputBlock(fieldPlaybook, plain("Playbook"), nil, sel),
		slack.NewInputBlock(fieldTitle, plain("Title"), nil, titleIn),
		optional(slack.NewInputBlock(fieldSummary, plain("What is known"), nil, summary)),
		optional(slack.NewInputBlock(fieldAffected, plain("Affected people by jurisdiction"), plain("ISO codes and counts: DE=1200, FR=300, US-CA=40"),
			slack.NewPlainTextInputBlockElement(plain("DE=1200, FR=300"), fieldAffected))),
		optional(slack.NewInputBlock(fieldCategories, plain("Data categories"), plain(strings.Join(mustAllowed("data_categories"), ", ")),
			slack.NewPlainTextInputBlockElement(plain("contact, credentials"), fieldCategories))),
		optional(slack.NewInputBlock(fieldZDUsers, plain("Zendesk users involved"), plain("Zendesk user ids, comma-separated"),
			slack.NewPlainTextInputBlockElement(plain("12345, 67890"), fieldZDUsers))),
		optional(slack.NewInputBlock(fieldZDTokens, plain("Zendesk API tokens involved"), plain("Zendesk API token ids, comma-separated"),
			slack.NewPlainTextInputBlockElement(plain("901"), fieldZDTokens))),
	}
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: CallbackDeclare, PrivateMetadata: origin,
		Title: plain("Declare an incident"), Submit: plain("Declare"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func mustAllowed(path string) []string {
	v, _ := facts.Allowed(path)
	return v
}

// DeclareInput is a validated declare form.
type DeclareInput struct {
	Playbook string
	Title    string
	Facts    facts.Document
}

// FormErrors maps a form's block ids to what is wrong with each; Slack shows them
// under the inputs (response_action "errors").
type FormErrors map[string]string

// Error lists the fields and their problems, in field order.
func (e FormErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+": "+e[k])
	}
	return "invalid form: " + strings.Join(parts, "; ")
}

func value(vals map[string]map[string]slack.BlockAction, block string) string {
	a, ok := vals[block][block]
	if !ok {
		return ""
	}
	if a.SelectedOption.Value != "" {
		return a.SelectedOption.Value
	}
	return strings.TrimSpace(a.Value)
}

var affectedItem = regexp.MustCompile(`^([A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?)\s*[=:]\s*([0-9]+)$`)

// ParseDeclare validates a declare form's values.
func ParseDeclare(vals map[string]map[string]slack.BlockAction, cat *playbooks.Catalogue) (DeclareInput, error) {
	errs := FormErrors{}
	in := DeclareInput{Playbook: value(vals, fieldPlaybook), Title: value(vals, fieldTitle)}
	in.Facts.Version = facts.Version
	if _, err := cat.Get(in.Playbook); err != nil {
		errs[fieldPlaybook] = "choose a playbook"
	}
	if in.Title == "" {
		errs[fieldTitle] = "a title is required"
	}
	for block, v := range map[string]string{fieldTitle: in.Title, fieldSummary: value(vals, fieldSummary)} {
		if err := CheckText(block, v); err != nil {
			errs[block] = err.Error()
		}
	}
	in.Facts.Summary = value(vals, fieldSummary)
	if s := value(vals, fieldAffected); s != "" {
		for _, item := range splitList(s) {
			m := affectedItem.FindStringSubmatch(item)
			if m == nil {
				errs[fieldAffected] = fmt.Sprintf("%q: write CODE=COUNT, e.g. DE=1200", clip(item, 40))
				break
			}
			code := strings.ToUpper(m[1])
			if err := facts.CheckJurisdiction(code); err != nil {
				errs[fieldAffected] = err.Error()
				break
			}
			n, _ := strconv.ParseInt(m[2], 10, 64)
			in.Facts.Affected.Individuals = append(in.Facts.Affected.Individuals, facts.JurisdictionCount{Jurisdiction: code, Count: n})
		}
	}
	if s := value(vals, fieldCategories); s != "" {
		allowed := mustAllowed("data_categories")
		for _, c := range splitList(s) {
			c = strings.ToLower(c)
			if !slices.Contains(allowed, c) {
				errs[fieldCategories] = fmt.Sprintf("%q is not one of %s", clip(c, 40), strings.Join(allowed, ", "))
				break
			}
			in.Facts.DataCategories = append(in.Facts.DataCategories, c)
		}
	}
	var err error
	if in.Facts.Zendesk.Users, err = parseIDs(value(vals, fieldZDUsers)); err != nil {
		errs[fieldZDUsers] = err.Error()
	}
	if in.Facts.Zendesk.APITokens, err = parseIDs(value(vals, fieldZDTokens)); err != nil {
		errs[fieldZDTokens] = err.Error()
	}
	if len(errs) == 0 {
		if err := in.Facts.Validate(); err != nil {
			errs[fieldSummary] = "the facts are not valid: " + err.Error()
		}
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseIDs(s string) ([]int64, error) {
	var out []int64
	for _, p := range splitList(s) {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a Zendesk id (a positive number)", clip(p, 40))
		}
		out = append(out, n)
	}
	return out, nil
}

// FactsModal asks the open questions of an incident and offers a JSON merge patch
// for anything else.
func FactsModal(st incident.State) slack.ModalViewRequest {
	var blocks []slack.Block
	for _, q := range OpenQuestions(st) {
		if len(blocks) == 20 {
			break
		}
		if _, err := facts.Allowed(q.Field); err != nil && !strings.HasPrefix(q.Field, "timeline.") {
			continue // not a single fact a field can set: the JSON patch below serves
		}
		id := "q:" + q.Field
		var el slack.BlockElement
		if allowed, err := facts.Allowed(q.Field); err == nil && len(allowed) > 0 {
			var opts []*slack.OptionBlockObject
			for _, v := range allowed {
				opts = append(opts, slack.NewOptionBlockObject(v, plain(v), nil))
			}
			el = slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), id, opts...)
		} else {
			el = slack.NewPlainTextInputBlockElement(plain("Answer"), id)
		}
		in := slack.NewInputBlock(id, plain(q.Question), plain(q.Field), el)
		in.Optional = true
		blocks = append(blocks, in)
	}
	patch := slack.NewPlainTextInputBlockElement(plain(`{"risk": "high"}`), fieldPatch)
	patch.Multiline = true
	pin := slack.NewInputBlock(fieldPatch, plain("Other facts (JSON merge patch)"), nil, patch)
	pin.Optional = true
	blocks = append(blocks, pin)
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: CallbackFacts, PrivateMetadata: st.ID,
		Title: plain("Facts of " + st.ID), Submit: plain("Save"), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

// ParseFacts turns a facts form into a JSON merge patch on current: the answered
// questions (checked by facts.With, so a bad value is refused with its field) and
// the free patch (which must be a JSON object).
func ParseFacts(vals map[string]map[string]slack.BlockAction, current facts.Document) (json.RawMessage, error) {
	errs := FormErrors{}
	patch := map[string]any{}
	if s := value(vals, fieldPatch); s != "" {
		if err := CheckText("the patch", s); err != nil {
			errs[fieldPatch] = err.Error()
		} else if err := json.Unmarshal([]byte(s), &patch); err != nil {
			errs[fieldPatch] = "not a JSON object: " + err.Error()
		}
	}
	doc := current
	answered := false
	timeline := map[string]any{}
	for block := range vals {
		path, ok := strings.CutPrefix(block, "q:")
		v := value(vals, block)
		if !ok || v == "" {
			continue
		}
		if err := CheckText(path, v); err != nil {
			errs[block] = err.Error()
			continue
		}
		if field, ok := strings.CutPrefix(path, "timeline."); ok {
			at, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs[block] = "write an instant like 2026-03-01T09:00:00Z"
				continue
			}
			timeline[field] = at.UTC().Format(time.RFC3339)
			continue
		}
		next, err := facts.With(doc, path, v)
		if err != nil {
			errs[block] = err.Error()
			continue
		}
		doc, answered = next, true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if answered {
		// The answers as a patch: the whole document after them (a merge patch of
		// the full document sets exactly what changed).
		raw, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("encode facts: %w", err)
		}
		var whole map[string]any
		if err := json.Unmarshal(raw, &whole); err != nil {
			return nil, fmt.Errorf("decode facts: %w", err)
		}
		for k, v := range patch {
			whole[k] = v
		}
		patch = whole
	}
	if len(timeline) > 0 {
		tl, _ := patch["timeline"].(map[string]any)
		if tl == nil {
			tl = map[string]any{}
		}
		for k, v := range timeline {
			tl[k] = v
		}
		patch["timeline"] = tl
	}
	if len(patch) == 0 {
		return nil, FormErrors{fieldPatch: "answer a question or give a patch"}
	}
	return json.Marshal(patch)
}

// stepButtons are a step's Approve and Skip buttons. A click acts on Zendesk (or
// forgoes a containment step): Slack asks before it sends, so a stray click does
// nothing.
func stepButtons(incidentID, step, action string) (approve, skip *slack.ButtonBlockElement) {
	value := incidentID + "|" + step
	approve = slack.NewButtonBlockElement(ActionApprove, value, plain("Approve")).WithConfirm(
		slack.NewConfirmationBlockObject(plain(clip("Approve "+step+"?", 90)),
			mrkdwn(fmt.Sprintf("`%s` (%s) runs against Zendesk once approved.", step, action)), plain("Approve"), plain("Cancel")))
	approve.Style = slack.StylePrimary
	skip = slack.NewButtonBlockElement(ActionSkip, value, plain("Skip")).WithConfirm(
		slack.NewConfirmationBlockObject(plain(clip("Skip "+step+"?", 90)),
			mrkdwn(fmt.Sprintf("`%s` (%s) will not run for this incident.", step, action)), plain("Skip"), plain("Cancel")))
	skip.Style = slack.StyleDanger
	return approve, skip
}

// moreMenu is the overflow menu of a card or message about an incident.
func moreMenu(incidentID string) *slack.OverflowBlockElement {
	return slack.NewOverflowBlockElement(ActionMore,
		slack.NewOptionBlockObject("status|"+incidentID, plain("Status (just for me)"), nil),
		slack.NewOptionBlockObject("deadlines|"+incidentID, plain("Deadlines"), nil),
		slack.NewOptionBlockObject("facts|"+incidentID, plain("Answer questions"), nil),
	)
}
