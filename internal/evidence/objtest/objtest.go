// Package objtest is the contract test suite of evidence.Objects. The local folder
// and S3 implementations run it unchanged, so evidence reads the same wherever it
// is kept.
package objtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"irflow/internal/evidence"
)

// Tamper replaces the stored bytes of key behind the store's back, as someone with
// access to the disk or the bucket's backend would.
type Tamper func(t *testing.T, key string, content []byte)

// Run runs the contract. open returns a fresh, empty store for the test and a way
// to tamper with what it stores.
func Run(t *testing.T, open func(t *testing.T) (evidence.Objects, Tamper)) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, evidence.Objects, Tamper)
	}{
		{"PutOpenStat", testPutOpenStat},
		{"WrittenOnce", testWrittenOnce},
		{"RacingPuts", testRacingPuts},
		{"TamperedContentFailsRead", testTampered},
		{"NotExist", testNotExist},
		{"List", testList},
		{"BadKeys", testBadKeys},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, tamper := open(t)
			tc.fn(t, s, tamper)
		})
	}
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func put(t *testing.T, s evidence.Objects, key string, content []byte) evidence.ObjectInfo {
	t.Helper()
	info, err := s.Put(t.Context(), key, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

// read reads key to the end, returning what it read and the error that ended it.
func read(t *testing.T, s evidence.Objects, key string) ([]byte, error) {
	t.Helper()
	rc, _, err := s.Open(t.Context(), key)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return io.ReadAll(rc)
}

func testPutOpenStat(t *testing.T, s evidence.Objects, _ Tamper) {
	content := []byte(`{"id":1,"action":"login"}` + "\n" + `{"id":2,"action":"export"}` + "\n")
	key := "INC-20260306-001/audit_logs.ndjson"
	info := put(t, s, key, content)
	if info.Key != key || info.Size != int64(len(content)) || info.SHA256 != sum(content) {
		t.Errorf("put returned %+v, want size %d sha256 %s", info, len(content), sum(content))
	}
	got, err := read(t, s, key)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("read back %q, %v", got, err)
	}
	st, err := s.Stat(t.Context(), key)
	if err != nil || st.Size != info.Size || st.SHA256 != info.SHA256 {
		t.Errorf("stat = %+v, %v; want %+v", st, err, info)
	}
	// An empty object is an object.
	empty := put(t, s, "INC-20260306-001/webhooks.ndjson", nil)
	if empty.Size != 0 || empty.SHA256 != sum(nil) {
		t.Errorf("empty object = %+v", empty)
	}
	if got, err := read(t, s, empty.Key); err != nil || len(got) != 0 {
		t.Errorf("read empty object: %q, %v", got, err)
	}
}

func testWrittenOnce(t *testing.T, s evidence.Objects, _ Tamper) {
	key := "INC-20260306-001/manifest.json"
	first := []byte(`{"files":3}`)
	put(t, s, key, first)
	info, err := s.Put(t.Context(), key, bytes.NewReader([]byte(`{"files":0}`)))
	if !errors.Is(err, evidence.ErrExists) {
		t.Fatalf("second put: %v, want ErrExists", err)
	}
	if info.SHA256 != sum(first) {
		t.Errorf("second put reports the stored object as %+v, want sha256 %s", info, sum(first))
	}
	if got, err := read(t, s, key); err != nil || !bytes.Equal(got, first) {
		t.Errorf("after a second put, read %q, %v; want the first content", got, err)
	}
}

func testRacingPuts(t *testing.T, s evidence.Objects, _ Tamper) {
	// Two workers retrying one collection step write the same key at once.
	const n = 6
	key := "INC-20260306-001/users.ndjson"
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Put(t.Context(), key, bytes.NewReader(fmt.Appendf(nil, "writer %d\n", i)))
		})
	}
	close(start)
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won < 0:
			won = i
		case err == nil:
			t.Errorf("writers %d and %d both wrote %s", won, i, key)
		case !errors.Is(err, evidence.ErrExists):
			t.Errorf("writer %d: %v, want nil or ErrExists", i, err)
		}
	}
	if won < 0 {
		t.Fatalf("no writer wrote %s: %v", key, errs)
	}
	if got, err := read(t, s, key); err != nil || string(got) != fmt.Sprintf("writer %d\n", won) {
		t.Errorf("read %q, %v; want writer %d's content", got, err, won)
	}
}

func testTampered(t *testing.T, s evidence.Objects, tamper Tamper) {
	key := "INC-20260306-001/sessions.ndjson"
	content := []byte(`{"id":7,"user_id":42}` + "\n")
	info := put(t, s, key, content)
	tamper(t, key, []byte(`{"id":7,"user_id":43}`+"\n"))
	_, err := read(t, s, key)
	var de *evidence.DigestError
	if !errors.Is(err, evidence.ErrDigest) || !errors.As(err, &de) || de.Key != key || de.Want != info.SHA256 {
		t.Errorf("read of tampered %s: %v, want a DigestError naming it and its recorded sha256", key, err)
	}
}

func testNotExist(t *testing.T, s evidence.Objects, _ Tamper) {
	if _, err := s.Stat(t.Context(), "INC-20260306-001/none.ndjson"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat of a missing object: %v, want fs.ErrNotExist", err)
	}
	if _, _, err := s.Open(t.Context(), "INC-20260306-001/none.ndjson"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open of a missing object: %v, want fs.ErrNotExist", err)
	}
	if keys, err := s.List(t.Context(), "INC-"); err != nil || len(keys) != 0 {
		t.Errorf("list of an empty store: %v, %v", keys, err)
	}
}

func testList(t *testing.T, s evidence.Objects, _ Tamper) {
	for _, k := range []string{
		"INC-20260306-002/users.ndjson", "INC-20260306-001/users.ndjson",
		"INC-20260306-001/audit_logs.ndjson", "INC-20260306-0010/users.ndjson",
	} {
		put(t, s, k, []byte(k))
	}
	got, err := s.List(t.Context(), "INC-20260306-001/")
	want := []string{"INC-20260306-001/audit_logs.ndjson", "INC-20260306-001/users.ndjson"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("list INC-20260306-001/ = %v, %v; want %v", got, err, want)
	}
	if all, err := s.List(t.Context(), ""); err != nil || len(all) != 4 || !slices.IsSorted(all) {
		t.Errorf("list all = %v, %v", all, err)
	}
}

func testBadKeys(t *testing.T, s evidence.Objects, _ Tamper) {
	for _, k := range []string{"", "/etc/passwd", "../outside", "a/../../b", "a//b", `a\b`, "a/./b"} {
		if _, err := s.Put(t.Context(), k, bytes.NewReader([]byte("x"))); err == nil {
			t.Errorf("put %q succeeded", k)
		}
	}
}
