package evidence

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// FileRefused is a file the manifest names that Verify will not read: a
	// symbolic link, a device, a pipe, or a file too large for what it is.
	FileRefused ProblemKind = "file_refused"
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
	ExpectedManifestSHA256 string `json:"expected_manifest_sha256,omitempty"`
	OK                     bool   `json:"ok"`
	Files                  int    `json:"files"`
	Records                int64  `json:"records"`
	Gaps                   []Gap  `json:"gaps"`
	// Status and Failed are the manifest's: complete, or partial with the sources
	// that failed (empty in manifests that predate them).
	Status   string    `json:"status,omitempty"`
	Failed   []string  `json:"failed,omitempty"`
	Problems []Problem `json:"problems"`
}

// Verify recomputes every hash and record count in an evidence folder against its
// manifest.json, and against the manifest hash file beside it. It returns an error
// only when there is nothing to verify against (no readable manifest); every
// difference is a Problem in the report.
func Verify(dir string) (Report, error) {
	return VerifyContext(context.Background(), dir, "")
}

// VerifyAgainst is Verify that also checks the manifest's hash against the value
// recorded when the evidence was collected (the store or the timeline). An empty
// expected skips that check.
func VerifyAgainst(dir, expectedManifestSHA256 string) (Report, error) {
	return VerifyContext(context.Background(), dir, expectedManifestSHA256)
}

// Limits of what Verify reads: the folder it checks may have been crafted.
const (
	// maxManifestBytes bounds manifest.json (a manifest lists a few files).
	maxManifestBytes = 16 << 20
	// maxHashFileBytes bounds the manifest hash file (a hex digest and a name).
	maxHashFileBytes = 4 << 10
)

// VerifyContext is VerifyAgainst that stops when ctx ends (the CLI's Ctrl-C or
// SIGTERM), returning ctx's error. It trusts nothing in the folder: every file it
// reads must be a regular file inside the folder, reached without a symbolic link
// (a path that leaves the folder, a link, a device or a pipe named by the manifest
// is a problem, never read), and it reads at most the size a file had when opened,
// so a file that grows, /dev/zero or a FIFO cannot keep it reading for ever.
func VerifyContext(ctx context.Context, dir, expectedManifestSHA256 string) (Report, error) {
	rep := Report{Dir: dir, ExpectedManifestSHA256: expectedManifestSHA256, Problems: []Problem{}}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return rep, fmt.Errorf("read manifest: %w", err)
	}
	defer root.Close()
	v := &verifier{ctx: ctx, root: root, rep: &rep}
	raw, err := v.readAll(ManifestName, maxManifestBytes)
	if err != nil {
		return rep, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return rep, fmt.Errorf("parse %s: %w", filepath.Join(dir, ManifestName), err)
	}
	rep.fromManifest(m, raw)
	if b, err := v.readAll(ManifestHashName, maxHashFileBytes); err == nil {
		checkHashFile(&rep, b)
	} else if ctx.Err() != nil {
		return rep, ctx.Err()
	} else if !errors.Is(err, os.ErrNotExist) {
		rep.add(Problem{Kind: FileRefused, Path: ManifestHashName, Detail: err.Error()})
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
			if f.LineHashes != nil {
				if !safeRel(f.LineHashes.Path) {
					rep.add(Problem{Kind: ManifestInconsistent, Path: f.LineHashes.Path, Detail: "line-hash path leaves the evidence folder"})
					f.LineHashes = nil
				} else {
					known[path.Clean(f.LineHashes.Path)] = true
				}
			}
			v.verifyFile(f)
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
		if total != src.Records {
			rep.add(Problem{Kind: ManifestInconsistent, Path: ManifestName,
				Detail: fmt.Sprintf("source %s says %d records, its files hold %d", src.Source, src.Records, total)})
		}
	}

	// Files that are in the folder but in no manifest entry appeared after collection.
	// Links are listed, not followed.
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !known[p] {
			rep.add(Problem{Kind: FileAppeared, Path: p, Detail: "file is not in the manifest"})
		}
		return nil
	})
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
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

// verifier reads an evidence folder through an os.Root, so that no path or link
// leads out of it, and stops when its context ends.
type verifier struct {
	ctx  context.Context
	root *os.Root
	rep  *Report
}

// errRefused wraps the reasons a file named by the manifest is not read.
var errRefused = errors.New("refused")

// open opens rel for reading: a regular file inside the folder, no component of
// its path a symbolic link. It returns the file's size when opened.
func (v *verifier) open(rel string) (*os.File, int64, error) {
	name := filepath.FromSlash(path.Clean(rel))
	parts := strings.Split(name, string(filepath.Separator))
	for i := range parts {
		fi, err := v.root.Lstat(filepath.Join(parts[:i+1]...))
		if err != nil {
			return nil, 0, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, 0, fmt.Errorf("%w: %s is a symbolic link; evidence files are regular files in the folder", errRefused, filepath.ToSlash(filepath.Join(parts[:i+1]...)))
		}
		if i == len(parts)-1 && !fi.Mode().IsRegular() {
			return nil, 0, fmt.Errorf("%w: %s is not a regular file (%s)", errRefused, rel, fi.Mode().Type())
		}
	}
	// No blocking on a pipe swapped in since the check: the descriptor is checked
	// again below.
	f, err := v.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %s is not a regular file (%s)", errRefused, rel, fi.Mode().Type())
	}
	return f, fi.Size(), nil
}

// reader returns f's content as it was when opened (at most size bytes), failing
// once the context ends.
func (v *verifier) reader(f *os.File, size int64) io.Reader {
	return ctxReader{ctx: v.ctx, r: io.LimitReader(f, size)}
}

// readAll reads a small file whole, refusing one over max bytes.
func (v *verifier) readAll(rel string, max int64) ([]byte, error) {
	f, size, err := v.open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > max {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than the %d a %s may be", errRefused, rel, size, max, rel)
	}
	return io.ReadAll(v.reader(f, size))
}

// hash hashes rel.
func (v *verifier) hash(rel string) (sum string, size, lines int64, err error) {
	f, n, err := v.open(rel)
	if err != nil {
		return "", 0, 0, err
	}
	defer f.Close()
	return hashReader(v.reader(f, n))
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// problemOf turns a failure to read a manifest entry into its problem.
func problemOf(rel string, err error, missing Problem) Problem {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return missing
	case errors.Is(err, errRefused):
		return Problem{Kind: FileRefused, Path: rel, Detail: strings.TrimPrefix(err.Error(), errRefused.Error()+": ")}
	default:
		return Problem{Kind: FileChanged, Path: rel, Detail: "cannot read: " + err.Error()}
	}
}

func (v *verifier) verifyFile(f File) {
	r := v.rep
	sum, size, lines, err := v.hash(f.Path)
	if v.ctx.Err() != nil {
		return
	}
	if err != nil {
		r.add(problemOf(f.Path, err, Problem{Kind: FileVanished, Path: f.Path, Detail: fmt.Sprintf("file with %d records is missing", f.Records)}))
		return
	}
	var lineHashesOK bool
	if f.LineHashes != nil {
		lsum, _, _, lerr := v.hash(f.LineHashes.Path)
		switch {
		case v.ctx.Err() != nil:
			return
		case lerr != nil:
			r.add(problemOf(f.LineHashes.Path, lerr, Problem{Kind: FileVanished, Path: f.LineHashes.Path, Detail: "line-hash file is missing"}))
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
	recorded, err := v.readLineHashes(f.LineHashes.Path)
	if err != nil {
		return
	}
	current, ids, err := v.hashLines(f.Path)
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

func (v *verifier) readLineHashes(rel string) ([]string, error) {
	f, size, err := v.open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(v.reader(f, size))
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out, sc.Err()
}

// hashLines returns each line's SHA-256 (without its newline, as Writer computes it)
// and each line's "id" field when it is a JSON object with one.
func (v *verifier) hashLines(rel string) (hashes, ids []string, err error) {
	f, size, err := v.open(rel)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(v.reader(f, size))
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

// hashFileLine is the manifest hash file's one line, in sha256sum's format, as
// WriteManifest and PutManifest write it.
func hashFileLine(hexSum string) string { return hexSum + "  " + ManifestName + "\n" }

// checkHashFile compares the manifest hash file's content b with the manifest's
// hash in rep. A hash that differs means the manifest changed; the right hash in a
// line that is not exactly what the writers write means a torn or edited file,
// which is not trusted either.
func checkHashFile(rep *Report, b []byte) {
	recorded, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	switch want := hashFileLine(rep.ManifestSHA256); {
	case !strings.EqualFold(recorded, rep.ManifestSHA256):
		rep.add(Problem{Kind: ManifestChanged, Path: ManifestName,
			Detail: fmt.Sprintf("sha256 %s, %s says %s", rep.ManifestSHA256, ManifestHashName, recorded)})
	case !strings.EqualFold(string(b), want):
		rep.add(Problem{Kind: ManifestInconsistent, Path: ManifestHashName,
			Detail: fmt.Sprintf("%q is not the line %q (torn or edited)", string(b), want)})
	}
}

// fromManifest fills the report from the manifest read (raw, parsed as m) and
// checks its hash against the one recorded at collection, when there is one: the
// same for a folder and for object storage.
func (rep *Report) fromManifest(m Manifest, raw []byte) {
	rep.Incident, rep.Gaps, rep.Status, rep.Failed = m.Incident, m.Gaps, m.Status, m.Failed
	sum := sha256.Sum256(raw)
	rep.ManifestSHA256 = hex.EncodeToString(sum[:])
	if rep.ExpectedManifestSHA256 != "" && !strings.EqualFold(rep.ExpectedManifestSHA256, rep.ManifestSHA256) {
		rep.add(Problem{Kind: ManifestChanged, Path: ManifestName,
			Detail: fmt.Sprintf("sha256 %s, recorded %s", rep.ManifestSHA256, rep.ExpectedManifestSHA256)})
	}
}
