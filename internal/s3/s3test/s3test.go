// Package s3test starts versitygw (an Apache-2.0 S3 gateway in Go) for tests: a
// real S3 API on loopback serving a temporary folder, with buckets with or without
// Object Lock. A missing binary fails the test, never skips it: make test installs
// versitygw (scripts/test-versitygw) and exports IRFLOW_TEST_VERSITYGW.
package s3test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"irflow/internal/evidence/objtest"
	"irflow/internal/s3"
)

// EnvVersityGW names the versitygw binary the tests start; make test sets it
// (scripts/test-versitygw installs it when missing).
const EnvVersityGW = "IRFLOW_TEST_VERSITYGW"

// The gateway's root credentials.
const (
	RootKey    = "irflowtest"
	RootSecret = "irflowtestsecret"
)

// Gateway is a versitygw serving a temporary folder over S3 on loopback.
type Gateway struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	root     string // the posix backend: <root>/<bucket>/<key>
	// Admin is a client with the root credentials, for doing what irflow does not
	// (shortening a retention, deleting).
	Admin *minio.Client
}

// Start starts versitygw for t and stops it when t ends. A missing binary
// fails the test: a skipped S3 test would pass broken S3 code.
func Start(t testing.TB) *Gateway {
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
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+RootKey, "ROOT_SECRET_KEY="+RootSecret)
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
	admin, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(RootKey, RootSecret, ""), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	return &Gateway{Endpoint: "http://" + addr, root: root, Admin: admin}
}

var buckets atomic.Int64

// Bucket creates a bucket, with Object Lock enabled when locked.
func (g *Gateway) Bucket(t testing.TB, locked bool) string {
	t.Helper()
	name := fmt.Sprintf("evidence-%d", buckets.Add(1))
	if err := g.Admin.MakeBucket(t.Context(), name, minio.MakeBucketOptions{ObjectLocking: locked}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	return name
}

// Open opens bucket as evidence storage, locking new objects for lockFor in mode.
func (g *Gateway) Open(t testing.TB, bucket, prefix string, lockFor time.Duration, mode string) *s3.Store {
	t.Helper()
	s, err := s3.Open(t.Context(), s3.Config{
		Endpoint: g.Endpoint, Region: "us-east-1", AccessKeyID: RootKey, SecretAccessKey: RootSecret,
		Bucket: bucket, Prefix: prefix, LockFor: lockFor, LockMode: mode,
	})
	if err != nil {
		t.Fatalf("open bucket %s: %v", bucket, err)
	}
	return s
}

// Tamper rewrites an object's file in the posix backend, as someone with access to
// the gateway's disk would.
func (g *Gateway) Tamper(bucket, prefix string) objtest.Tamper {
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
