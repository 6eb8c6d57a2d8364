package workflows

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"irflow/activities"
	"irflow/internal/evidence"
	"irflow/internal/s3/s3test"
	"irflow/internal/zdsim"
)

// TestEvidenceCollectionOnObjectLockedS3 collects every source into a versitygw
// bucket with Object Lock, one page per activity run, continuing as new every three
// runs with 20% of requests failing, and every execution on a new worker (a new
// activity set with its own connection and no local folder): each resumes the other's
// collection from the committed part objects and the cursor. The manifest records
// every object's lock and verifies; a retention then shortened and one removed (as
// an account allowed to bypass governance can) are reported.
func TestEvidenceCollectionOnObjectLockedS3(t *testing.T) {
	g := s3test.Start(t)
	bucket := g.Bucket(t, true)
	sim, err := zdsim.New(zdsim.Options{FrozenClock: true, AuditLogRecords: 250, FaultSeed: 11, AccessLogsAddon: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	f := sim.Facts()
	client := simClient(t, sim, f)
	in := EvidenceInput{IncidentID: "INC-20260302-001", PageBudget: 1, RunsPerExecution: 3,
		Window: evidence.Window{From: f.Now.Add(-400 * 24 * time.Hour), To: f.Now},
		Scope:  evidence.Scope{Users: []int64{f.CompromisedUserID}, Tickets: f.AffectedTicketIDs}}
	if err := sim.SetFaults(zdsim.Faults{Rate5xx: 0.2}); err != nil {
		t.Fatal(err)
	}
	var res *EvidenceResult
	for executions := 1; res == nil; executions++ {
		if executions > 100 {
			t.Fatal("collection does not finish")
		}
		env := newTestEnv()
		env.RegisterActivity(&activities.EvidenceActivities{Zendesk: client,
			Objects: g.Open(t, bucket, "irflow/", 48*time.Hour, evidence.RetentionGovernance)})
		env.RegisterWorkflowWithOptions(EvidenceCollection, workflow.RegisterOptions{Name: WorkflowEvidenceCollection})
		env.ExecuteWorkflow(WorkflowEvidenceCollection, in)
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		switch {
		case errors.As(err, &can):
			var next EvidenceInput
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatal(err)
			}
			in = next
		case err != nil:
			t.Fatal(err)
		default:
			if err := env.GetWorkflowResult(&res); err != nil {
				t.Fatal(err)
			}
		}
	}
	if sim.Stats().Injected5xx == 0 {
		t.Fatal("no 5xx was injected: retries were not exercised")
	}
	if res.Status != evidence.StatusComplete || len(res.Gaps) != 0 || res.ManifestPath != "s3://"+bucket+"/irflow/INC-20260302-001/manifest.json" {
		t.Fatalf("result: status %q gaps %v path %s", res.Status, res.Gaps, res.ManifestPath)
	}
	objs := g.Open(t, bucket, "irflow/", 0, "")
	rep, err := evidence.VerifyObjects(t.Context(), objs, "INC-20260302-001", res.ManifestSHA256)
	if err != nil || !rep.OK || rep.Files != len(evidence.Sources()) || rep.Records < 250 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
	// The manifest records each file's lock.
	rc, _, err := objs.Open(t.Context(), "INC-20260302-001/"+evidence.ManifestName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := evidence.DecodeManifest(rc)
	_ = rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Sources {
		if r := s.Files[0].Retention; r == nil || r.Mode != evidence.RetentionGovernance || r.Until.Before(time.Now().Add(47*time.Hour)) {
			t.Fatalf("%s: retention %+v", s.Source, r)
		}
	}

	// Shorten one lock; replace another object's locked version with an unlocked
	// one.
	mode, until := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := g.Admin.PutObjectRetention(t.Context(), bucket, "irflow/INC-20260302-001/users.ndjson", minio.PutObjectRetentionOptions{
		GovernanceBypass: true, Mode: &mode, RetainUntilDate: &until}); err != nil {
		t.Fatalf("shorten retention: %v", err)
	}
	// The gateway refuses to drop a lock outright; a new version of the same
	// bytes and recorded digest, written without one, has the same effect: the
	// current version of the key can be deleted at will.
	key := "INC-20260302-001/audit_logs.ndjson"
	rc, info, err := objs.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Admin.PutObject(t.Context(), bucket, "irflow/"+key, rc, info.Size, minio.PutObjectOptions{
		UserMetadata: map[string]string{"sha256": info.SHA256}}); err != nil {
		t.Fatalf("replace the locked version: %v", err)
	}
	_ = rc.Close()
	rep, err = evidence.VerifyObjects(t.Context(), objs, "INC-20260302-001", res.ManifestSHA256)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]evidence.ProblemKind{}
	for _, p := range rep.Problems {
		found[p.Path] = p.Kind
	}
	if rep.OK || found["users.ndjson"] != evidence.RetentionShortened || found["audit_logs.ndjson"] != evidence.RetentionRemoved || len(rep.Problems) != 2 {
		t.Fatalf("problems after shortening: %+v", rep.Problems)
	}
}
