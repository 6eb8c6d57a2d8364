package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestShowListsLeases: show names, per contained object, the incident whose change
// holds it and those relying on it (issue 17 item 5).
func TestShowListsLeases(t *testing.T) {
	st := incident.State{ID: "INC-20260306-002", Title: "takeover", DeclaredAt: time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC),
		Leases: []incident.Lease{
			{Object: "user:372003/suspend_user", IncidentID: "INC-20260306-001", StepID: "suspend-accounts", Action: "suspend_user", Relying: []string{"INC-20260306-002"}},
			{Object: "webhook:01KJ/deactivate_webhook", IncidentID: "INC-20260306-002", StepID: "disable-rogue-webhooks", Action: "deactivate_webhook"},
		}}
	var b bytes.Buffer
	writeState(&b, st, 0)
	out := b.String()
	for _, want := range []string{
		"Containment leases:",
		"suspend-accounts (suspend_user)",
		"INC-20260306-002 (this incident)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "user:372003/suspend_user" &&
			(f[1] != "INC-20260306-001" || f[len(f)-1] != "INC-20260306-002") {
			t.Errorf("the user's lease line names holder %q and relying %q: %q", f[1], f[len(f)-1], l)
		}
	}
}
