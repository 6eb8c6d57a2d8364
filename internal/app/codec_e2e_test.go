package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"irflow/internal/app"
	"irflow/internal/codec"
	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestPayloadsEncryptedInHistory: with IRFLOW_CODEC_KEYS set, the dev stack's
// incident works as ever (declare, show, note), while the workflow history the
// Temporal server keeps holds the title, the note and the facts only as
// AES-GCM ciphertext marked with the key id (issue 14).
func TestPayloadsEncryptedInHistory(t *testing.T) {
	t.Parallel()
	keys := "k2026:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cfg := devConfig(t, t.TempDir())
	cfg.Getenv = func(k string) string {
		if k == codec.EnvKeys {
			return keys
		}
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := app.StartDev(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	const title, note = "Quentin Zyxwab account takeover", "called Quentin on +49 170 5550199"
	decl, err := d.Service.Declare(context.Background(), service.DeclareRequest{Playbook: "credential-compromise", Title: title,
		Facts: credentialFacts(), Actor: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Service.AddNote(context.Background(), decl.ID, incident.NoteRequest{Actor: "alice", Text: note}); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, d.Service, decl.ID, 30*time.Second, "the note", func(s incident.State) bool {
		for _, e := range s.Timeline {
			if e.Text == note {
				return true
			}
		}
		return false
	})
	if st.Title != title {
		t.Fatalf("show: title %q", st.Title)
	}
	it := d.Client.GetWorkflowHistory(context.Background(), workflows.IncidentWorkflowID(decl.ID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	raw, err := protojson.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	// The history as the server stores it (the SDK decodes only what it reads),
	// so these are the bytes Temporal's database, UI and backups hold: every
	// payload's data, base64 in protojson, decoded.
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if s, ok := c.(string); ok && k == "data" {
					b, _ := base64.StdEncoding.DecodeString(s)
					data.Write(b)
					data.WriteByte('\n')
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(tree)
	if data.Len() == 0 {
		t.Fatal("no payload data in the history")
	}
	for _, plain := range []string{title, "Zyxwab", note, "5550199"} {
		if strings.Contains(string(raw)+data.String(), plain) {
			t.Errorf("the history holds %q in clear", plain)
		}
	}
	if !strings.Contains(string(raw), base64.StdEncoding.EncodeToString([]byte(codec.Encoding))) {
		t.Error("no payload in the history is marked binary/encrypted")
	}
}
