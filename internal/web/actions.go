package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"irflow/internal/httpapi"
	"irflow/internal/incident"
)

// triggerFields are the facts timeline instants a trigger can be moved to.
var triggerFields = []string{"aware_at", "detected_at", "discovered_at", "determined_at", "assessed_at",
	"materiality_determined_at", "classified_major_at", "ransom_paid_at", "zendesk_notice_received_at"}

// field is one input of an action form.
type field struct {
	Name, Label, Help string
	// Kind is text, textarea or select.
	Kind     string
	Options  []string
	Required bool
	Value    string
	Error    string
}

// action is one thing a person can do from the web: a form page (GET) and its
// submission (POST), which calls one service method. Validation errors re-display
// the form with the wrong field marked and what was typed kept.
type action struct {
	// Pattern is the path under which the form lives, e.g.
	// "/incidents/{id}/obligations/{obligation}/fulfil".
	Pattern string
	Act     incident.Action
	Title   func(r *http.Request) string
	Intro   string
	Submit  string
	Fields  func(r *http.Request) []field
	// Do checks the form's values and calls the service. A *fieldError names the
	// field that was wrong; it returns the message to flash on success.
	Do func(ctx context.Context, r *http.Request, v values) (string, error)
	// Settle, when set, waits until the store shows the change.
	Settle func(ctx context.Context, r *http.Request) func()
	// Next, when set, is where the browser goes after the action unless the form
	// names a page; the incident page otherwise.
	Next func(r *http.Request) string
}

// next is where the browser goes after the action: the page the form names, or
// the action's own default.
func (a action) next(r *http.Request, named string) string {
	def := "/incidents/" + r.PathValue("id")
	if a.Next != nil {
		def = a.Next(r)
	}
	return safeNext(named, def)
}

type values map[string]string

// fieldError is a bad value in one field.
type fieldError struct{ Field, Msg string }

func (e *fieldError) Error() string { return e.Field + ": " + e.Msg }

func required(v values, names ...string) error {
	for _, n := range names {
		if strings.TrimSpace(v[n]) == "" {
			return &fieldError{n, "required"}
		}
	}
	return nil
}

// parseTime reads a form's instant: RFC 3339, "2026-03-06 09:00" or
// "2026-03-06T09:00" in UTC, or "now"; empty gives the zero time.
func parseTime(name, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, nil
	case strings.EqualFold(s, "now"):
		return now.UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &fieldError{name, fmt.Sprintf("%q is not a time: use 2026-03-06T09:00Z (RFC 3339), 2026-03-06 09:00 (UTC) or now", s)}
}

func (s *Server) registerActions() {
	obTitle := func(verb string) func(r *http.Request) string {
		return func(r *http.Request) string {
			return fmt.Sprintf("%s %s of %s", verb, r.PathValue("obligation"), r.PathValue("id"))
		}
	}
	reason := func(help string) field {
		return field{Name: "reason", Label: "Reason", Kind: "textarea", Required: true, Help: help}
	}
	settleClock := func(ctx context.Context, r *http.Request) func() {
		return s.settle(ctx, r.PathValue("id"), r.PathValue("obligation"))
	}
	actions := []action{
		{Pattern: "/incidents/{id}/obligations/{obligation}/fulfil", Act: incident.ActFulfil, Title: obTitle("Mark fulfilled:"),
			Intro: "Record that the notice was given. A notice given after the deadline needs the reasons for the delay (GDPR Art. 33(1)).", Submit: "Mark fulfilled",
			Fields: func(*http.Request) []field {
				return []field{
					{Name: "reference", Label: "Reference", Required: true, Help: "the filing number, ticket or message id of the notice"},
					{Name: "at", Label: "Given at (UTC)", Help: "when the notice was given: 2026-03-06 09:00, RFC 3339, or empty for now"},
					{Name: "late_reason", Label: "Reasons for the delay", Kind: "textarea", Help: "required when the notice was given after the deadline"},
				}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "reference"); err != nil {
					return "", err
				}
				at, err := parseTime("at", v["at"], s.now())
				if err != nil {
					return "", err
				}
				_, err = s.svc.Fulfil(ctx, r.PathValue("id"), r.PathValue("obligation"), incident.MarkFulfilledRequest{
					At: at, Reference: strings.TrimSpace(v["reference"]), LateReason: strings.TrimSpace(v["late_reason"])})
				return r.PathValue("obligation") + " of " + r.PathValue("id") + " marked fulfilled.", fieldFrom(err, "late_reason", "late_reason", "reference", "reference", ": at ", "at")
			}, Settle: settleClock},
		{Pattern: "/incidents/{id}/obligations/{obligation}/pause", Act: incident.ActPause, Title: obTitle("Pause"),
			Intro: "Pause the clock for a law-enforcement delay; its deadline moves by the time paused.", Submit: "Pause the clock",
			Fields: func(*http.Request) []field {
				return []field{reason("e.g. the police's written request to delay notice"),
					{Name: "until", Label: "Until (UTC)", Required: true, Help: "the delay's expiry: 2026-03-06 09:00 or RFC 3339"}}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "reason", "until"); err != nil {
					return "", err
				}
				until, err := parseTime("until", v["until"], s.now())
				if err != nil {
					return "", err
				}
				_, err = s.svc.Pause(ctx, r.PathValue("id"), r.PathValue("obligation"), incident.PauseRequest{Reason: strings.TrimSpace(v["reason"]), Until: until})
				return r.PathValue("obligation") + " paused.", fieldFrom(err, "until", "until", "reason", "reason")
			}, Settle: settleClock},
		{Pattern: "/incidents/{id}/obligations/{obligation}/resume", Act: incident.ActResume, Title: obTitle("Resume"),
			Intro: "Restart a paused clock.", Submit: "Resume the clock",
			Fields: func(*http.Request) []field { return []field{reason("e.g. the delay was lifted")} },
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "reason"); err != nil {
					return "", err
				}
				_, err := s.svc.Resume(ctx, r.PathValue("id"), r.PathValue("obligation"), incident.ResumeRequest{Reason: strings.TrimSpace(v["reason"])})
				return r.PathValue("obligation") + " resumed.", fieldFrom(err, "reason", "reason")
			}, Settle: settleClock},
		{Pattern: "/incidents/{id}/obligations/{obligation}/waive", Act: incident.ActWaive, Title: obTitle("Waive"),
			Intro: "Close the clock without a notice, with the reason (e.g. the risk assessment that found no risk to people).", Submit: "Waive",
			Fields: func(*http.Request) []field {
				return []field{reason("the assessment or exemption that makes the notice unnecessary")}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "reason"); err != nil {
					return "", err
				}
				_, err := s.svc.Waive(ctx, r.PathValue("id"), r.PathValue("obligation"), incident.WaiveRequest{Reason: strings.TrimSpace(v["reason"])})
				return r.PathValue("obligation") + " waived.", fieldFrom(err, "reason", "reason")
			}, Settle: settleClock},
		{Pattern: "/incidents/{id}/trigger", Act: incident.ActSetTrigger,
			Title: func(r *http.Request) string { return "Move a trigger instant of " + r.PathValue("id") },
			Intro: "Move a facts timeline instant; every clock that runs from it is re-armed and its deadline moves.", Submit: "Move the trigger",
			Fields: func(r *http.Request) []field {
				f := r.URL.Query().Get("field")
				if f == "" {
					f = "aware_at"
				}
				return []field{{Name: "field", Label: "Instant", Kind: "select", Options: triggerFields, Required: true, Value: f},
					{Name: "at", Label: "At (UTC)", Required: true, Help: "2026-03-06 09:00, RFC 3339, or now"},
					reason("e.g. DPO: reasonable certainty at this call")}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "field", "at", "reason"); err != nil {
					return "", err
				}
				at, err := parseTime("at", v["at"], s.now())
				if err != nil {
					return "", err
				}
				_, err = s.svc.SetTrigger(ctx, r.PathValue("id"), incident.SetIncidentTriggerRequest{Field: v["field"], At: at, Reason: strings.TrimSpace(v["reason"])})
				return "timeline." + v["field"] + " moved; the clocks re-armed.", fieldFrom(err, "reason", "reason", "field", "field")
			}},
		{Pattern: "/incidents/{id}/steps/{step}/approve", Act: incident.ActApproveStep,
			Title: func(r *http.Request) string {
				return "Approve step " + r.PathValue("step") + " of " + r.PathValue("id")
			},
			Intro: "Approve the containment step: it runs in Zendesk once approved.", Submit: "Approve",
			Fields: func(*http.Request) []field {
				return []field{{Name: "reason", Label: "Reason", Kind: "textarea", Help: "optional: why it is right to run it now"}}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				_, err := s.svc.ApproveStep(ctx, r.PathValue("id"), incident.ApproveStepRequest{Step: r.PathValue("step"), Reason: strings.TrimSpace(v["reason"])})
				return "Step " + r.PathValue("step") + " approved; it runs now.", fieldFrom(err)
			}},
		{Pattern: "/incidents/{id}/steps/{step}/skip", Act: incident.ActSkipStep,
			Title: func(r *http.Request) string { return "Skip step " + r.PathValue("step") + " of " + r.PathValue("id") },
			Intro: "Skip a containment step that has not run.", Submit: "Skip",
			Fields: func(*http.Request) []field { return []field{reason("why the step is not needed or not possible")} },
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "reason"); err != nil {
					return "", err
				}
				_, err := s.svc.SkipStep(ctx, r.PathValue("id"), incident.SkipStepRequest{Step: r.PathValue("step"), Reason: strings.TrimSpace(v["reason"])})
				return "Step " + r.PathValue("step") + " skipped.", fieldFrom(err)
			}},
		{Pattern: "/incidents/{id}/notes", Act: incident.ActAddNote,
			Title:  func(r *http.Request) string { return "Add a note to " + r.PathValue("id") },
			Submit: "Add the note",
			Fields: func(*http.Request) []field {
				return []field{{Name: "text", Label: "Note", Kind: "textarea", Required: true}}
			},
			Do: func(ctx context.Context, r *http.Request, v values) (string, error) {
				if err := required(v, "text"); err != nil {
					return "", err
				}
				_, err := s.svc.AddNote(ctx, r.PathValue("id"), incident.NoteRequest{Text: strings.TrimSpace(v["text"])})
				return "Note added.", fieldFrom(err)
			}},
		s.sendAction(),
	}
	for _, a := range actions {
		s.mux.HandleFunc("GET "+a.Pattern, s.authed(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) { s.actionForm(w, r, rc, a) }))
		s.mux.HandleFunc("POST "+a.Pattern, s.authed(func(w http.ResponseWriter, r *http.Request, rc *reqCtx) { s.actionPost(w, r, rc, a) }))
	}
}

// fieldFrom attributes a service error to the form field its message names (a
// validator's rejection such as "late_reason is required"), so the form can mark
// it; other errors pass through. pairs are (text in the message, field name),
// tried in order.
func fieldFrom(err error, pairs ...string) error {
	var ie *incident.Error
	if err == nil || !errors.As(err, &ie) || ie.Code != incident.EINVALID {
		return err
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Contains(ie.Message, pairs[i]) {
			return &fieldError{Field: pairs[i+1], Msg: ie.Message}
		}
	}
	return err
}

type formData struct {
	Heading, Intro, Submit, Action, Next string
	Fields                               []field
}

func (s *Server) actionForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, a action) {
	if !incident.Allowed(rc.User.Roles, a.Act) {
		s.errorPage(w, r, rc, http.StatusForbidden, incident.Forbidden(incident.Identity{User: rc.User}, a.Act).Message)
		return
	}
	next := a.next(r, r.URL.Query().Get("next"))
	s.renderForm(w, r, rc, http.StatusOK, a, a.Fields(r), next, "")
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, rc *reqCtx, status int, a action, fields []field, next, msg string) {
	d := formData{Heading: a.Title(r), Intro: a.Intro, Submit: a.Submit, Action: r.URL.Path, Next: next, Fields: fields}
	s.render(w, r, rc, status, "form.tmpl", page{Title: d.Heading, Error: msg, Data: d})
}

func (s *Server) actionPost(w http.ResponseWriter, r *http.Request, rc *reqCtx, a action) {
	fields := a.Fields(r)
	v := values{}
	for i := range fields {
		fields[i].Value = r.PostFormValue(fields[i].Name)
		v[fields[i].Name] = fields[i].Value
	}
	next := a.next(r, r.PostFormValue("next"))
	var done func()
	if a.Settle != nil {
		done = a.Settle(rc.ctx, r)
	}
	msg, err := a.Do(rc.ctx, r, v)
	var fe *fieldError
	var ie *incident.Error
	switch {
	case errors.As(err, &fe):
		for i := range fields {
			if fields[i].Name == fe.Field {
				fields[i].Error = fe.Msg
			}
		}
		s.renderForm(w, r, rc, http.StatusBadRequest, a, fields, next, "Check the field marked below: "+fe.Error())
		return
	case errors.As(err, &ie) && (ie.Code == incident.EINVALID || ie.Code == incident.ECONFLICT):
		s.renderForm(w, r, rc, httpapi.StatusOf(ie.Code), a, fields, next, ie.Message)
		return
	case err != nil:
		s.fail(w, r, rc, err)
		return
	}
	if done != nil {
		done()
	}
	s.sess.setFlash(w, msg)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// settle notes the clock's row revision before an obligation action and returns a
// function that waits, up to SettleTimeout, until the store holds a newer one:
// the clock saves its row right after the Update, and the board the browser is
// sent back to reads the store.
func (s *Server) settle(ctx context.Context, incidentID, obligationID string) func() {
	revision := func() int64 {
		rows, err := s.svc.Deadlines(ctx, incident.ObligationFilter{IncidentID: incidentID, ObligationID: obligationID})
		if err != nil {
			return -1
		}
		var max int64
		for _, r := range rows {
			if r.Revision > max {
				max = r.Revision
			}
		}
		return max
	}
	before := revision()
	return func() {
		deadline := time.Now().Add(s.cfg.SettleTimeout)
		for before >= 0 && time.Now().Before(deadline) {
			if revision() > before {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}
