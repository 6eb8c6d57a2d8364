package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"irflow/internal/incident"
)

// parsePages parses each page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	base, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/layout.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(assets, "templates/*.tmpl")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.tmpl" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"optStamp": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"isoPtr": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"left":    left,
	"urgency": urgency,
	"join":    func(s []string, sep string) string { return strings.Join(s, sep) },
	"pretty": func(v any) string {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err.Error()
		}
		return string(b)
	},
	"short": incident.ShortHash,
	// actorOf renders who acted: "carol via slack UCAROL" (the channel, and the
	// person's id there when the channel has one).
	"actorOf": func(a, via, externalID string) string {
		if via != "" {
			a += " via " + via
			if externalID != "" {
				a += " " + externalID
			}
		}
		return strings.TrimSpace(a)
	},
	"deref":     derefStr,
	"lower":     strings.ToLower,
	"hasPrefix": strings.HasPrefix,
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// left renders the time left: "2d 23h left", "5h 12m overdue", "" without a due
// date. The page's script keeps it counting down.
func left(d *time.Duration) string {
	if d == nil {
		return ""
	}
	if *d < 0 {
		return incident.Span(*d) + " overdue"
	}
	return incident.Span(*d) + " left"
}

// urgency is a clock's colour class on the board: overdue, due within a day
// (urgent), within three days (soon), later, or not running (waiting, paused,
// done).
func urgency(c any) string {
	var v incident.ClockView
	switch c := c.(type) {
	case incident.ClockView:
		v = c
	case *incident.ClockView:
		if c == nil {
			return ""
		}
		v = *c
	default:
		return ""
	}
	switch {
	case v.Terminal():
		return "done"
	case v.Paused != nil:
		return "paused"
	case v.TimeLeft == nil:
		return "waiting"
	case *v.TimeLeft < 0:
		return "overdue"
	case *v.TimeLeft < 24*time.Hour:
		return "urgent"
	case *v.TimeLeft < 72*time.Hour:
		return "soon"
	}
	return "later"
}
