package evidence

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ProblemKind classifies one finding of Verify.
type ProblemKind string

// Problem kinds. File-level kinds say a file differs from the manifest; record-level
// kinds, found through the line-hash file, say which lines.
const (
	ManifestChanged      ProblemKind = "manifest_changed"
	ManifestInconsistent ProblemKind = "manifest_inconsistent"
	FileChanged          ProblemKind = "file_changed"
	FileVanished         ProblemKind = "file_vanished"
	FileAppeared         ProblemKind = "file_appeared"
	RecordChanged        ProblemKind = "record_changed"
	RecordVanished       ProblemKind = "record_vanished"
	RecordAppeared       ProblemKind = "record_appeared"
)

// maxRecordProblems bounds the record-level findings listed per file; the rest are
// counted in one summary finding.
const maxRecordProblems = 100

// Problem is one difference between the evidence folder and its manifest.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Path is relative to the evidence folder.
	Path string `json:"path"`
	// Line is the 1-based line of the record: in the file as collected for a vanished
	// record, in the file as it is now for a changed or appeared one.
	Line int64 `json:"line,omitempty"`
	// RecordID is the record's "id" field as it reads now, when it has one.
	RecordID string `json:"record_id,omitempty"`
	Detail   string `json:"detail"`
}

// Report is the result of verifying one evidence folder.
type Report struct {
	Dir      string `json:"dir"`
	Incident string `json:"incident"`
	// ManifestSHA256 is the hash of manifest.json as it is now; compare it with the
	// hash recorded in the store or the timeline.
	ManifestSHA256 string `json:"manifest_sha256"`
	// ExpectedManifestSHA256 is the recorded hash checked against, if one was given.
	ExpectedManifestSHA256 string    `json:"expected_manifest_sha256,omitempty"`
	OK                     bool      `json:"ok"`
	Files                  int       `json:"files"`
	Records                int64     `json:"records"`
	Gaps                   []Gap     `json:"gaps"`
	Problems               []Problem `json:"problems"`
}

// Verify recomputes every hash and record count in an evidence folder against its
// manifest.json, and against the manifest hash file beside it. It returns an error
// only when there is nothing to verify against (no readable manifest); every
// difference is a Problem in the report.
func Verify(dir string) (Report, error) {
	return VerifyAgainst(dir, "")
}

// VerifyAgainst is Verify that also checks the manifest's hash against the value
// recorded when the evidence was collected (the store or the timeline). An empty
// expected skips that check.
func VerifyAgainst(dir, expectedManifestSHA256 string) (Report, error) {
	rep := Report{Dir: dir, ExpectedManifestSHA256: expectedManifestSHA256, Problems: []Problem{}}
	m, raw, err := ReadManifest(dir)
	if err != nil {
		return rep, err
	}
	rep.Incident = m.Incident
	rep.Gaps = m.Gaps
	sum := sha256.Sum256(raw)
	rep.ManifestSHA256 = hex.EncodeToString(sum[:])
	if expectedManifestSHA256 != "" && !strings.EqualFold(expectedManifestSHA256, rep.ManifestSHA256) {
		rep.add(Problem{Kind: ManifestChanged, Path: ManifestName,
			Detail: fmt.Sprintf("sha256 %s, recorded %s", rep.ManifestSHA256, expectedManifestSHA256)})
	}
	if b, err := os.ReadFile(filepath.Join(dir, ManifestHashName)); err == nil {
		recorded, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
		if !strings.EqualFold(recorded, rep.ManifestSHA256) {
			rep.add(Problem{Kind: ManifestChanged, Path: ManifestName,
				Detail: fmt.Sprintf("sha256 %s, %s says %s", rep.ManifestSHA256, ManifestHashName, recorded)})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("read %s: %w", ManifestHashName, err)
	}

	known := map[string]bool{ManifestName: true, ManifestHashName: true}
	for _, src := range m.Sources {
		var total int64
		for _, f := range src.Files {
			total += f.Records
			rep.Files++
			rep.Records += f.Records
			if !safeRel(f.Path) {
				rep.add(Problem{Kind: ManifestInconsistent, Path: f.Path, Detail: "path leaves the evidence folder"})
				continue
			}
			known[path.Clean(f.Path)] = true
			if f.LineHashes != nil && safeRel(f.LineHashes.Path) {
				known[path.Clean(f.LineHashes.Path)] = true
			}
			rep.verifyFile(dir, f)
		}
		if total != src.Records {
			rep.add(Problem{Kind: ManifestInconsistent, Path: ManifestName,
				Detail: fmt.Sprintf("source %s says %d records, its files hold %d", src.Source, src.Records, total)})
		}
	}

	// Files that are in the folder but in no manifest entry appeared after collection.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !known[rel] {
			rep.add(Problem{Kind: FileAppeared, Path: rel, Detail: "file is not in the manifest"})
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("list evidence folder %s: %w", dir, err)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

func (r *Report) add(p Problem) { r.Problems = append(r.Problems, p) }

func safeRel(p string) bool {
	return p != "" && !path.IsAbs(p) && !filepath.IsAbs(p) && filepath.IsLocal(filepath.FromSlash(p))
}

func (r *Report) verifyFile(dir string, f File) {
	full := filepath.Join(dir, filepath.FromSlash(f.Path))
	sum, size, lines, err := HashFile(full)
	if errors.Is(err, os.ErrNotExist) {
		r.add(Problem{Kind: FileVanished, Path: f.Path, Detail: fmt.Sprintf("file with %d records is missing", f.Records)})
		return
	}
	if err != nil {
		r.add(Problem{Kind: FileChanged, Path: f.Path, Detail: "cannot read: " + err.Error()})
		return
	}
	var lineHashesOK bool
	if f.LineHashes != nil {
		lsum, _, _, lerr := HashFile(filepath.Join(dir, filepath.FromSlash(f.LineHashes.Path)))
		switch {
		case errors.Is(lerr, os.ErrNotExist):
			r.add(Problem{Kind: FileVanished, Path: f.LineHashes.Path, Detail: "line-hash file is missing"})
		case lerr != nil:
			r.add(Problem{Kind: FileChanged, Path: f.LineHashes.Path, Detail: "cannot read: " + lerr.Error()})
		case lsum != f.LineHashes.SHA256:
			r.add(Problem{Kind: FileChanged, Path: f.LineHashes.Path,
				Detail: fmt.Sprintf("sha256 %s, manifest says %s", lsum, f.LineHashes.SHA256)})
		default:
			lineHashesOK = true
		}
	}
	if sum == f.SHA256 && size == f.Bytes && lines == f.Records {
		return
	}
	r.add(Problem{Kind: FileChanged, Path: f.Path, Detail: fmt.Sprintf(
		"sha256 %s, manifest says %s; %d records in %d bytes, manifest says %d records in %d bytes",
		sum, f.SHA256, lines, size, f.Records, f.Bytes)})
	if !lineHashesOK {
		return
	}
	recorded, err := readLineHashes(filepath.Join(dir, filepath.FromSlash(f.LineHashes.Path)))
	if err != nil {
		return
	}
	current, ids, err := hashLines(full)
	if err != nil {
		return
	}
	r.recordDiff(f.Path, recorded, current, ids)
}

// recordDiff names the records that differ, matching lines by content hash so that a
// deleted or inserted line does not make every later line look changed. A vanished
// and an appeared record at the same line number are reported as one changed record.
func (r *Report) recordDiff(file string, recorded, current, ids []string) {
	remaining := map[string]int{}
	for _, h := range current {
		remaining[h]++
	}
	vanished := map[int64]bool{}
	for i, h := range recorded {
		if remaining[h] > 0 {
			remaining[h]--
		} else {
			vanished[int64(i+1)] = true
		}
	}
	left := map[string]int{}
	for _, h := range recorded {
		left[h]++
	}
	var found []Problem
	for i, h := range current {
		line := int64(i + 1)
		if left[h] > 0 {
			left[h]--
			continue
		}
		if vanished[line] {
			delete(vanished, line)
			found = append(found, Problem{Kind: RecordChanged, Path: file, Line: line, RecordID: ids[i],
				Detail: "record differs from the one collected"})
		} else {
			found = append(found, Problem{Kind: RecordAppeared, Path: file, Line: line, RecordID: ids[i],
				Detail: "record was not collected"})
		}
	}
	for line := range vanished {
		found = append(found, Problem{Kind: RecordVanished, Path: file, Line: line,
			Detail: "collected record is missing"})
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].Line < found[j].Line })
	if len(found) == 0 {
		found = append(found, Problem{Kind: RecordChanged, Path: file,
			Detail: "every collected record is present but the file's bytes or order differ"})
	}
	if len(found) > maxRecordProblems {
		more := len(found) - maxRecordProblems
		found = append(found[:maxRecordProblems], Problem{Kind: RecordChanged, Path: file,
			Detail: fmt.Sprintf("and %d more record differences", more)})
	}
	r.Problems = append(r.Problems, found...)
}

func readLineHashes(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out, sc.Err()
}

// hashLines returns each line's SHA-256 (without its newline, as Writer computes it)
// and each line's "id" field when it is a JSON object with one.
func hashLines(p string) (hashes, ids []string, err error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for sc.Scan() {
		sum := sha256.Sum256(sc.Bytes())
		hashes = append(hashes, hex.EncodeToString(sum[:]))
		var rec struct {
			ID json.RawMessage `json:"id"`
		}
		id := ""
		if json.Unmarshal(sc.Bytes(), &rec) == nil && len(rec.ID) > 0 {
			id = strings.Trim(string(rec.ID), `"`)
		}
		ids = append(ids, id)
	}
	return hashes, ids, sc.Err()
}
