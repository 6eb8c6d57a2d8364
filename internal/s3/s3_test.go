package s3_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"irflow/internal/evidence"
	"irflow/internal/evidence/objtest"
	"irflow/internal/s3"
	"irflow/internal/s3/s3test"
)

// TestObjects runs the evidence storage contract on a real S3 API: a bucket without
// Object Lock, and one with it where every object is locked.
func TestObjects(t *testing.T) {
	g := s3test.Start(t)
	t.Run("Unlocked", func(t *testing.T) {
		objtest.Run(t, func(t *testing.T) (evidence.Objects, objtest.Tamper) {
			b := g.Bucket(t, false)
			return g.Open(t, b, "irflow/", 0, ""), g.Tamper(b, "irflow/")
		})
	})
	t.Run("Locked", func(t *testing.T) {
		objtest.Run(t, func(t *testing.T) (evidence.Objects, objtest.Tamper) {
			b := g.Bucket(t, true)
			return g.Open(t, b, "", time.Hour, evidence.RetentionCompliance), g.Tamper(b, "")
		})
	})
}

// TestRetentionRefusesDeletion: in a bucket with Object Lock, a new evidence object
// carries the configured compliance retention, and deleting it is refused, even to
// the account's root; Stat reports the lock.
func TestRetentionRefusesDeletion(t *testing.T) {
	g := s3test.Start(t)
	b := g.Bucket(t, true)
	s := g.Open(t, b, "evidence/", 24*time.Hour, evidence.RetentionCompliance)
	if !s.Locked() {
		t.Fatal("store does not see the bucket's Object Lock")
	}
	before := time.Now()
	info, err := s.Put(t.Context(), "INC-20260306-001/manifest.json", bytes.NewReader([]byte(`{"files":11}`)))
	if err != nil {
		t.Fatal(err)
	}
	r := info.Retention
	if r == nil || r.Mode != evidence.RetentionCompliance || r.Until.Before(before.Add(23*time.Hour)) || r.Until.After(time.Now().Add(25*time.Hour)) {
		t.Fatalf("retention = %+v, want COMPLIANCE for about 24h", r)
	}
	oi, err := g.Admin.StatObject(t.Context(), b, "evidence/INC-20260306-001/manifest.json", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = g.Admin.RemoveObject(t.Context(), b, "evidence/INC-20260306-001/manifest.json", minio.RemoveObjectOptions{VersionID: oi.VersionID})
	if err == nil {
		t.Fatal("deleting a version under compliance retention succeeded")
	}
	if code := minio.ToErrorResponse(err).Code; code != "AccessDenied" {
		t.Errorf("delete refused with %q (%v), want AccessDenied", code, err)
	}
	st, err := s.Stat(t.Context(), "INC-20260306-001/manifest.json")
	if err != nil || st.Retention == nil || !st.Retention.Until.Equal(r.Until) {
		t.Errorf("stat after the refused delete = %+v, %v", st, err)
	}
}

// TestGovernanceRetentionShortened: a governance lock can be shortened by someone
// allowed to bypass governance; Stat reports the object's current retention, which
// is what `evidence verify` compares with the one recorded at collection.
func TestGovernanceRetentionShortened(t *testing.T) {
	g := s3test.Start(t)
	b := g.Bucket(t, true)
	s := g.Open(t, b, "", 48*time.Hour, evidence.RetentionGovernance)
	key := "INC-20260306-001/users.ndjson"
	info, err := s.Put(t.Context(), key, bytes.NewReader([]byte(`{"id":42}`+"\n")))
	if err != nil {
		t.Fatal(err)
	}
	if info.Retention == nil || info.Retention.Mode != evidence.RetentionGovernance {
		t.Fatalf("retention = %+v, want GOVERNANCE", info.Retention)
	}
	mode, until := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := g.Admin.PutObjectRetention(t.Context(), b, key, minio.PutObjectRetentionOptions{
		GovernanceBypass: true, Mode: &mode, RetainUntilDate: &until,
	}); err != nil {
		t.Fatalf("shorten retention: %v", err)
	}
	st, err := s.Stat(t.Context(), key)
	if err != nil || st.Retention == nil || !st.Retention.Until.Equal(until) {
		t.Errorf("stat after shortening = %+v, %v; want retention until %s", st.Retention, err, until)
	}
}

func TestOpenMissingBucket(t *testing.T) {
	g := s3test.Start(t)
	_, err := s3.Open(t.Context(), s3.Config{Endpoint: g.Endpoint, Region: "us-east-1", AccessKeyID: s3test.RootKey, SecretAccessKey: s3test.RootSecret, Bucket: "nope"})
	if err == nil || !strings.Contains(err.Error(), "no bucket nope") {
		t.Errorf("open of a missing bucket: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"AWS_ENDPOINT_URL": "http://127.0.0.1:7070", "AWS_DEFAULT_REGION": "eu-west-1",
		"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "IRFLOW_EVIDENCE_RETENTION": "governance:30d",
	}
	cfg, err := s3.ConfigFromEnv("s3://acme-evidence/irflow/prod", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bucket != "acme-evidence" || cfg.Prefix != "irflow/prod/" || cfg.Endpoint != "http://127.0.0.1:7070" || cfg.Region != "eu-west-1" ||
		cfg.AccessKeyID != "AK" || cfg.LockMode != evidence.RetentionGovernance || cfg.LockFor != 30*24*time.Hour {
		t.Errorf("config = %+v", cfg)
	}
	for _, bad := range []string{"s3://", "http://bucket/x", "s3://bucket/../x", "s3://user@bucket/x"} {
		if _, err := s3.ConfigFromEnv(bad, func(string) string { return "" }); err == nil {
			t.Errorf("ConfigFromEnv(%q) accepted", bad)
		}
	}
	env["IRFLOW_EVIDENCE_RETENTION"] = "forever"
	if _, err := s3.ConfigFromEnv("s3://b", func(k string) string { return env[k] }); err == nil {
		t.Error("retention \"forever\" accepted")
	}
}
