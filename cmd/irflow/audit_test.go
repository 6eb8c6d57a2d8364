package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"irflow/internal/incident"
)

// TestAuditShowsSlackUserID: an action taken in Slack names the Slack user id
// beside the channel in the table, and as external_id in --json; other channels
// have none.
func TestAuditShowsSlackUserID(t *testing.T) {
	dir := newStoreDir(t)
	t.Setenv("IRFLOW_DATA", dir)
	store := openTestStore(t, dir)
	at := time.Date(2026, 3, 6, 14, 0, 0, 0, time.UTC)
	for i, e := range []incident.AuditEntry{
		{ActorID: "alice", Via: incident.ViaAPI, Action: incident.ActAddNote, IncidentID: "INC-20260306-001", Allowed: true},
		{ActorID: "carol", Via: incident.ViaSlack, ExternalID: "U024BE7LH", Action: incident.ActApproveStep, IncidentID: "INC-20260306-001", Target: "suspend-accounts", Allowed: true},
	} {
		e.At = at.Add(time.Duration(i) * time.Minute)
		if err := store.RecordAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}

	code, out, stderr := runCLI(t, "audit")
	if code != 0 {
		t.Fatalf("audit: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "carol  slack U024BE7LH  approve_step") ||
		!strings.Contains(lines[2], "alice  api") || strings.Contains(lines[2], "U024BE7LH") {
		t.Errorf("audit:\n%s", out)
	}

	code, out, stderr = runCLI(t, "audit", "--json")
	if code != 0 {
		t.Fatalf("audit --json: exit %d: %s", code, stderr)
	}
	var log []map[string]any
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0]["via"] != "slack" || log[0]["external_id"] != "U024BE7LH" {
		t.Errorf("audit --json, the Slack entry: %s", out)
	}
	if _, ok := log[1]["external_id"]; ok {
		t.Errorf("audit --json: an api entry has an external_id: %s", out)
	}
}
