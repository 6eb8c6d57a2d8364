package evidence

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTornWritesAreNeverTrusted is part 3 of the crash suite: a process killed
// while writing evidence leaves a file cut anywhere. Whatever was cut (the
// manifest, its hash file, a records file, a line-hash file), Verify must not
// report the folder intact: a torn manifest is unreadable or changed, a torn
// records file has lost records. The cut points are random within a bounded
// count, from a seed the test logs so a failure can be replayed
// (IRFLOW_TORN_SEED).
func TestTornWritesAreNeverTrusted(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("IRFLOW_TORN_SEED"); s != "" {
		var err error
		if seed, err = parseSeed(s); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (rerun with IRFLOW_TORN_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	files := []string{ManifestName, ManifestHashName, "audit_logs.ndjson", "audit_logs.ndjson" + LineHashSuffix, "ticket_audits/666.ndjson"}
	const cutsPerFile = 20
	for _, name := range files {
		for i := 0; i < cutsPerFile; i++ {
			dir, sum := collect(t)
			path := filepath.Join(dir, name)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			cut := rng.Int64N(info.Size()) // anything short of the whole file
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
			rep, err := VerifyAgainst(dir, sum)
			if err == nil && rep.OK {
				t.Fatalf("%s cut at %d of %d bytes: Verify says intact (%+v)", name, cut, info.Size(), rep)
			}
			// Without the recorded hash too: the folder alone must give it away.
			rep, err = Verify(dir)
			if err == nil && rep.OK {
				t.Fatalf("%s cut at %d of %d bytes: Verify without the recorded hash says intact", name, cut, info.Size())
			}
		}
	}
}

// TestResumedManifestWriteClearsATornOne: killed between creating the manifest's
// temporary file and renaming it, a process leaves the temporary file and the
// previous manifest (or none). Verify reports the leftover; the resumed
// collection's WriteManifest removes it, and the folder verifies clean.
func TestResumedManifestWriteClearsATornOne(t *testing.T) {
	dir, _ := collect(t)
	m, raw, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, ".tmp-"+ManifestName+"-123456")
	if err := os.WriteFile(torn, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatal("a leftover temporary manifest is not reported")
	}
	sum, err := WriteManifest(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(torn); !os.IsNotExist(err) {
		t.Fatalf("the torn write is still there: %v", err)
	}
	rep, err = VerifyAgainst(dir, sum)
	if err != nil || !rep.OK {
		t.Fatalf("after the resumed write: %v %+v", err, rep.Problems)
	}
}

func parseSeed(s string) (uint64, error) {
	var v uint64
	_, err := fmt.Sscan(s, &v)
	return v, err
}
