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
	"path"
	"strings"
	"time"
)

// Problem kinds of object storage: the lock an object had at collection is gone or
// ends sooner (or was weakened from compliance to governance mode), so the object
// can now be deleted or overwritten before the retention the manifest records.
const (
	RetentionShortened ProblemKind = "retention_shortened"
	RetentionRemoved   ProblemKind = "retention_removed"
)

// VerifyObjects is VerifyContext for evidence kept in object storage: it reads the
// incident's manifest and every file it lists through objs (each object's content
// also checked against the SHA-256 recorded when it was written), compares hashes
// and record counts with the manifest, names changed records through the line-hash
// files, lists objects under the incident that the manifest does not name, and
// compares every object's current Object Lock retention with the one the manifest
// recorded. It returns an error only when there is no readable manifest.
func VerifyObjects(ctx context.Context, objs Objects, incidentID, expectedManifestSHA256 string) (Report, error) {
	rep := Report{Dir: Location(objs, incidentID), ExpectedManifestSHA256: expectedManifestSHA256, Problems: []Problem{}}
	if err := ValidIncidentID(incidentID); err != nil {
		return rep, err
	}
	ov := &objectVerifier{ctx: ctx, objs: objs, incident: incidentID, rep: &rep}
	raw, err := ov.readAll(ManifestName, maxManifestBytes)
	var de *DigestError
	switch {
	case errors.As(err, &de):
		rep.add(Problem{Kind: ManifestChanged, Path: ManifestName, Detail: fmt.Sprintf(
			"object content sha256 %s, recorded when it was written %s", de.Got, de.Want)})
	case err != nil:
		return rep, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parseManifest(raw)
	if err != nil {
		return rep, fmt.Errorf("parse %s: %w", rep.Dir+"/"+ManifestName, err)
	}
	rep.fromManifest(m, raw)
	if b, err := ov.readAll(ManifestHashName, maxHashFileBytes); err == nil {
		checkHashFile(&rep, b)
	} else if ctx.Err() != nil {
		return rep, ctx.Err()
	} else if !errors.Is(err, fs.ErrNotExist) {
		rep.add(Problem{Kind: FileChanged, Path: ManifestHashName, Detail: "cannot read: " + err.Error()})
	}

	known := map[string]bool{ManifestName: true, ManifestHashName: true}
	for _, src := range m.Sources {
		var total int64
		for _, f := range src.Files {
			total += f.Records
			rep.Files++
			rep.Records += f.Records
			if !safeRel(f.Path) || (f.LineHashes != nil && !safeRel(f.LineHashes.Path)) {
				rep.add(Problem{Kind: ManifestInconsistent, Path: f.Path, Detail: "path leaves the incident's evidence"})
				continue
			}
			known[path.Clean(f.Path)] = true
			if f.LineHashes != nil {
				known[path.Clean(f.LineHashes.Path)] = true
			}
			ov.verifyFile(f)
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
		if total != src.Records {
			rep.add(Problem{Kind: ManifestInconsistent, Path: ManifestName,
				Detail: fmt.Sprintf("source %s says %d records, its files hold %d", src.Source, src.Records, total)})
		}
	}
	keys, err := objs.List(ctx, incidentID+"/")
	if err != nil {
		return rep, fmt.Errorf("list evidence of %s: %w", incidentID, err)
	}
	for _, k := range keys {
		if rel := strings.TrimPrefix(k, incidentID+"/"); !known[rel] {
			rep.add(Problem{Kind: FileAppeared, Path: rel, Detail: "object is not in the manifest"})
		}
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

type objectVerifier struct {
	ctx      context.Context
	objs     Objects
	incident string
	rep      *Report
}

// open opens rel's object, refusing one larger than max bytes (0: no limit).
func (o *objectVerifier) open(rel string, max int64) (io.ReadCloser, ObjectInfo, error) {
	rc, info, err := o.objs.Open(o.ctx, ObjectKey(o.incident, path.Clean(rel)))
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	if max > 0 && info.Size > max {
		_ = rc.Close()
		return nil, ObjectInfo{}, fmt.Errorf("%w: %s is %d bytes, more than the %d it may be", errRefused, rel, info.Size, max)
	}
	return readCloser{Reader: ctxReader{ctx: o.ctx, r: rc}, Closer: rc}, info, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// readAll reads a small object whole; with a *DigestError it returns what it read.
func (o *objectVerifier) readAll(rel string, max int64) ([]byte, error) {
	rc, _, err := o.open(rel, max)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	return io.ReadAll(rc)
}

// hash hashes rel's object and returns its current info (with its retention). A
// *DigestError is returned with the sums of what was read.
func (o *objectVerifier) hash(rel string) (sum string, size, lines int64, info ObjectInfo, err error) {
	rc, info, err := o.open(rel, 0)
	if err != nil {
		return "", 0, 0, ObjectInfo{}, err
	}
	defer func() { _ = rc.Close() }()
	sum, size, lines, err = hashReader(rc)
	return sum, size, lines, info, err
}

func (o *objectVerifier) problemOf(rel string, err error, missing Problem) (Problem, bool) {
	var de *DigestError
	switch {
	case err == nil:
		return Problem{}, false
	case errors.As(err, &de):
		return Problem{}, false // compared with the manifest by the caller
	case errors.Is(err, fs.ErrNotExist):
		return missing, true
	case errors.Is(err, errRefused):
		return Problem{Kind: FileRefused, Path: rel, Detail: strings.TrimPrefix(err.Error(), errRefused.Error()+": ")}, true
	default:
		return Problem{Kind: FileChanged, Path: rel, Detail: "cannot read: " + err.Error()}, true
	}
}

func (o *objectVerifier) verifyFile(f File) {
	r := o.rep
	sum, size, lines, info, err := o.hash(f.Path)
	if o.ctx.Err() != nil {
		return
	}
	if p, ok := o.problemOf(f.Path, err, Problem{Kind: FileVanished, Path: f.Path, Detail: fmt.Sprintf("object with %d records is missing", f.Records)}); ok {
		r.add(p)
		return
	}
	digestChanged := err != nil
	o.checkRetention(f.Path, f.Retention, info.Retention)
	var lineHashesOK bool
	if f.LineHashes != nil {
		lsum, _, _, linfo, lerr := o.hash(f.LineHashes.Path)
		if o.ctx.Err() != nil {
			return
		}
		if p, ok := o.problemOf(f.LineHashes.Path, lerr, Problem{Kind: FileVanished, Path: f.LineHashes.Path, Detail: "line-hash object is missing"}); ok {
			r.add(p)
		} else if lsum != f.LineHashes.SHA256 {
			r.add(Problem{Kind: FileChanged, Path: f.LineHashes.Path, Detail: fmt.Sprintf("sha256 %s, manifest says %s", lsum, f.LineHashes.SHA256)})
		} else {
			lineHashesOK = true
			o.checkRetention(f.LineHashes.Path, f.LineHashes.Retention, linfo.Retention)
		}
	}
	if sum == f.SHA256 && size == f.Bytes && lines == f.Records {
		if digestChanged {
			r.add(Problem{Kind: FileChanged, Path: f.Path, Detail: "content matches the manifest but the SHA-256 recorded with the object was changed"})
		}
		return
	}
	r.add(Problem{Kind: FileChanged, Path: f.Path, Detail: fmt.Sprintf(
		"sha256 %s, manifest says %s; %d records in %d bytes, manifest says %d records in %d bytes",
		sum, f.SHA256, lines, size, f.Records, f.Bytes)})
	if !lineHashesOK {
		return
	}
	recorded, err := o.lines(f.LineHashes.Path, func(b []byte) (string, string) { return strings.TrimSpace(string(b)), "" })
	if err != nil {
		return
	}
	var ids []string
	current, err := o.lines(f.Path, func(b []byte) (string, string) {
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:]), recordID(b)
	})
	if err != nil {
		return
	}
	hashes := make([]string, len(current))
	for i, c := range current {
		hashes[i] = c[0]
		ids = append(ids, c[1])
	}
	rh := make([]string, len(recorded))
	for i, c := range recorded {
		rh[i] = c[0]
	}
	r.recordDiff(f.Path, rh, hashes, ids)
}

// lines maps every line of rel's object; a *DigestError at the end is expected for
// a changed object and ignored, since the lines are what is compared.
func (o *objectVerifier) lines(rel string, fn func([]byte) (string, string)) ([][2]string, error) {
	rc, _, err := o.open(rel, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	var out [][2]string
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for sc.Scan() {
		a, b := fn(sc.Bytes())
		out = append(out, [2]string{a, b})
	}
	var de *DigestError
	if err := sc.Err(); err != nil && !errors.As(err, &de) {
		return nil, err
	}
	return out, nil
}

func recordID(line []byte) string {
	var rec struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &rec) == nil && len(rec.ID) > 0 {
		return strings.Trim(string(rec.ID), `"`)
	}
	return ""
}

// checkRetention reports an object whose lock no longer holds what the manifest
// recorded at collection.
func (o *objectVerifier) checkRetention(rel string, recorded, current *Retention) {
	if recorded == nil {
		return
	}
	at := func(r *Retention) string { return r.Mode + " until " + r.Until.UTC().Format(time.RFC3339) }
	switch {
	case current == nil:
		o.rep.add(Problem{Kind: RetentionRemoved, Path: rel, Detail: fmt.Sprintf(
			"locked %s at collection; the object has no retention now and can be deleted", at(recorded))})
	case current.Until.Before(recorded.Until):
		o.rep.add(Problem{Kind: RetentionShortened, Path: rel, Detail: fmt.Sprintf(
			"locked %s at collection; now %s", at(recorded), at(current))})
	case recorded.Mode == RetentionCompliance && current.Mode != RetentionCompliance:
		o.rep.add(Problem{Kind: RetentionShortened, Path: rel, Detail: fmt.Sprintf(
			"locked %s at collection; now %s, which an account allowed to bypass governance can delete", at(recorded), at(current))})
	}
}
