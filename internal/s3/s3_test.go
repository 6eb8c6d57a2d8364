package s3_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"irflow/internal/evidence"
	"irflow/internal/evidence/objtest"
	"irflow/internal/s3"
)

// EnvVersityGW names the versitygw binary the tests start; make test sets it
// (scripts/test-versitygw installs it when missing).
const EnvVersityGW = "IRFLOW_TEST_VERSITYGW"

const (
	rootKey    = "irflowtest"
	rootSecret = "irflowtestsecret"
)

// gateway is a versitygw serving a temporary folder over S3 on loopback.
type gateway struct {
	endpoint string
	root     string // the posix backend: <root>/<bucket>/<key>
	admin    *minio.Client
}

// startGateway starts versitygw for t and stops it when t ends. A missing binary
// fails the test: a skipped S3 test would pass broken S3 code.
func startGateway(t *testing.T) *gateway {
	t.Helper()
	bin := os.Getenv(EnvVersityGW)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("versitygw"); err != nil {
			t.Fatalf("%s is not set and versitygw is not on PATH: run `make test`, or export %s=\"$(scripts/test-versitygw)\"", EnvVersityGW, EnvVersityGW)
		}
	}
	dir := t.TempDir()
	root, versions := filepath.Join(dir, "root"), filepath.Join(dir, "versions")
	for _, d := range []string{root, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var (
		addr string
		cmd  *exec.Cmd
		logs bytes.Buffer
	)
	// The port is picked free, then bound by versitygw: a parallel test can take
	// it in between, so a gateway that does not come up is started again.
	for attempt := 0; attempt < 3 && addr == ""; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		try := ln.Addr().String()
		_ = ln.Close()
		logs.Reset()
		cmd = exec.Command(bin, "--port", try, "posix", "--versioning-dir", versions, root)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+rootKey, "ROOT_SECRET_KEY="+rootSecret)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if c, err := net.Dial("tcp", try); err == nil {
				_ = c.Close()
				addr = try
				break
			}
			if cmd.ProcessState != nil {
				break
			}
		}
		if addr == "" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	if addr == "" {
		t.Fatalf("versitygw did not serve: %s", logs.String())
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", logs.String())
		}
	})
	admin, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(rootKey, rootSecret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{endpoint: "http://" + addr, root: root, admin: admin}
}

var buckets int

// bucket creates a bucket, with Object Lock enabled when locked.
func (g *gateway) bucket(t *testing.T, locked bool) string {
	t.Helper()
	buckets++
	name := fmt.Sprintf("evidence-%d", buckets)
	if err := g.admin.MakeBucket(t.Context(), name, minio.MakeBucketOptions{ObjectLocking: locked}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

func (g *gateway) open(t *testing.T, bucket, prefix string, lockFor time.Duration, mode string) *s3.Store {
	t.Helper()
	s, err := s3.Open(t.Context(), s3.Config{
		Endpoint: g.endpoint, Region: "us-east-1", AccessKeyID: rootKey, SecretAccessKey: rootSecret,
		Bucket: bucket, Prefix: prefix, LockFor: lockFor, LockMode: mode,
	})
	if err != nil {
		t.Fatalf("open bucket %s: %v", bucket, err)
	}
	return s
}

// tamper rewrites an object's file in the posix backend, as someone with access to
// the gateway's disk would.
func (g *gateway) tamper(bucket, prefix string) objtest.Tamper {
	return func(t *testing.T, key string, content []byte) {
		p := filepath.Join(g.root, bucket, filepath.FromSlash(prefix+key))
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatalf("tamper with %s: %v", p, err)
		}
	}
}

// TestObjects runs the evidence storage contract on a real S3 API: a bucket without
// Object Lock, and one with it where every object is locked.
func TestObjects(t *testing.T) {
	g := startGateway(t)
	t.Run("Unlocked", func(t *testing.T) {
		objtest.Run(t, func(t *testing.T) (evidence.Objects, objtest.Tamper) {
			b := g.bucket(t, false)
			return g.open(t, b, "irflow/", 0, ""), g.tamper(b, "irflow/")
		})
	})
	t.Run("Locked", func(t *testing.T) {
		objtest.Run(t, func(t *testing.T) (evidence.Objects, objtest.Tamper) {
			b := g.bucket(t, true)
			return g.open(t, b, "", time.Hour, evidence.RetentionCompliance), g.tamper(b, "")
		})
	})
}

// TestRetentionRefusesDeletion: in a bucket with Object Lock, a new evidence object
// carries the configured compliance retention, and deleting it is refused, even to
// the account's root; Stat reports the lock.
func TestRetentionRefusesDeletion(t *testing.T) {
	g := startGateway(t)
	b := g.bucket(t, true)
	s := g.open(t, b, "evidence/", 24*time.Hour, evidence.RetentionCompliance)
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
	oi, err := g.admin.StatObject(t.Context(), b, "evidence/INC-20260306-001/manifest.json", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = g.admin.RemoveObject(t.Context(), b, "evidence/INC-20260306-001/manifest.json", minio.RemoveObjectOptions{VersionID: oi.VersionID})
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
	g := startGateway(t)
	b := g.bucket(t, true)
	s := g.open(t, b, "", 48*time.Hour, evidence.RetentionGovernance)
	key := "INC-20260306-001/users.ndjson"
	info, err := s.Put(t.Context(), key, bytes.NewReader([]byte(`{"id":42}`+"\n")))
	if err != nil {
		t.Fatal(err)
	}
	if info.Retention == nil || info.Retention.Mode != evidence.RetentionGovernance {
		t.Fatalf("retention = %+v, want GOVERNANCE", info.Retention)
	}
	mode, until := minio.Governance, time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := g.admin.PutObjectRetention(t.Context(), b, key, minio.PutObjectRetentionOptions{
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
	g := startGateway(t)
	_, err := s3.Open(t.Context(), s3.Config{Endpoint: g.endpoint, Region: "us-east-1", AccessKeyID: rootKey, SecretAccessKey: rootSecret, Bucket: "nope"})
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
