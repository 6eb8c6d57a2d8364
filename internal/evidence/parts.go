package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
)

// PartsPrefix starts the keys of part objects: the pages of a collection in
// progress, outside every incident's folder so that verify never sees them. They are
// assembled into the incident's files when the manifest is written.
const PartsPrefix = ".parts/"

// Part is one committed batch of a source's records: an object written once under a
// key no other attempt uses, so that a retried or resumed collection never collides
// with (or trusts) what a crashed attempt wrote after its last commit.
type Part struct {
	Key     string `json:"key"`
	SHA256  string `json:"sha256"`
	Bytes   int64  `json:"bytes"`
	Records int64  `json:"records"`
}

// ObjectKey is the key of an incident's file: <incident>/<file>.
func ObjectKey(incidentID, file string) string { return incidentID + "/" + file }

// partKey names the n-th part of a source; the random suffix keeps two attempts that
// both believe they write part n apart.
func partKey(incidentID, source string, n int) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("part key: %w", err)
	}
	return fmt.Sprintf("%s%s/%s/%06d-%s.ndjson", PartsPrefix, incidentID, source, n, hex.EncodeToString(b[:])), nil
}

// PartWriter collects one source's canonical records into part objects: a Flush
// that has MinPartBytes waiting (and every Close) writes them as a new part and
// returns the committed state (the parts so far), which the activity heartbeats and
// hands back to the workflow. Any worker resumes from that state and the source's
// cursor: OpenParts reads the committed parts back (their SHA-256 checked) to
// rebuild the dedupe set. Parts of a mebibyte rather than a page keep the list of
// parts, which every activity input and result carries, small for large sources;
// an attempt that dies fetches again at most that much. A PartWriter belongs to one
// activity attempt and keeps its context.
type PartWriter struct {
	// MinPartBytes is the least a Flush writes as a part; OpenParts sets
	// DefaultMinPartBytes.
	MinPartBytes int
	ctx          context.Context
	objs         Objects
	incident     string
	source       string
	key          KeyFunc
	seen         map[string]struct{}
	buf          bytes.Buffer
	pending      int64
	committed    Committed
}

// DefaultMinPartBytes is the MinPartBytes of OpenParts' writers.
const DefaultMinPartBytes = 1 << 20

// OpenParts resumes a source's collection at the committed state at. key may be nil
// for no deduplication.
func OpenParts(ctx context.Context, objs Objects, incidentID, source string, at Committed, key KeyFunc) (*PartWriter, error) {
	w := &PartWriter{MinPartBytes: DefaultMinPartBytes, ctx: ctx, objs: objs, incident: incidentID, source: source, key: key, seen: map[string]struct{}{}}
	w.committed.Parts = append([]Part(nil), at.Parts...)
	var records, size int64
	for _, p := range at.Parts {
		n, b, err := scanPart(ctx, objs, p, func(line []byte) {
			if key != nil {
				if k := key(line); k != "" {
					w.seen[k] = struct{}{}
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("resume %s: %w", source, err)
		}
		records += n
		size += b
	}
	if records != at.Records || size != at.Bytes {
		return nil, fmt.Errorf("resume %s: committed state says %d records in %d bytes, its %d parts hold %d records in %d bytes",
			source, at.Records, at.Bytes, len(at.Parts), records, size)
	}
	w.committed.Records, w.committed.Bytes = records, size
	return w, nil
}

// scanPart reads a part to its end (which checks its SHA-256), calling each with
// every line, and checks it holds what was committed.
func scanPart(ctx context.Context, objs Objects, p Part, each func([]byte)) (records, size int64, err error) {
	rc, info, err := objs.Open(ctx, p.Key)
	if err != nil {
		return 0, 0, fmt.Errorf("part %s: %w", p.Key, err)
	}
	defer func() { _ = rc.Close() }()
	if info.SHA256 != p.SHA256 {
		return 0, 0, fmt.Errorf("part %s: stored with sha256 %s, committed as %s", p.Key, info.SHA256, p.SHA256)
	}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for sc.Scan() {
		records++
		size += int64(len(sc.Bytes())) + 1
		if each != nil {
			each(sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("part %s: %w", p.Key, err)
	}
	if records != p.Records || size != p.Bytes {
		return 0, 0, fmt.Errorf("part %s holds %d records in %d bytes, committed as %d in %d", p.Key, records, size, p.Records, p.Bytes)
	}
	return records, size, nil
}

// Write adds one record in canonical form. It reports false when the record's key
// was already written (a duplicate from an overlapping page), and adds nothing.
func (w *PartWriter) Write(record any) (bool, error) {
	line, err := Canonical(record)
	if err != nil {
		return false, fmt.Errorf("%s record %d: %w", w.source, w.committed.Records+w.pending+1, err)
	}
	if w.key != nil {
		if k := w.key(line); k != "" {
			if _, dup := w.seen[k]; dup {
				return false, nil
			}
			w.seen[k] = struct{}{}
		}
	}
	w.buf.Write(line)
	w.buf.WriteByte('\n')
	w.pending++
	return true, nil
}

// Flush writes the records added since the last part as a new part when they fill
// MinPartBytes, and returns the committed state to resume from; Pending says
// whether records are still waiting.
func (w *PartWriter) Flush() (Committed, error) {
	if w.buf.Len() < w.MinPartBytes {
		return w.state(), nil
	}
	return w.flush()
}

// Pending is the number of records written since the last part.
func (w *PartWriter) Pending() int64 { return w.pending }

// flush writes the waiting records as a part, if there are any.
func (w *PartWriter) flush() (Committed, error) {
	if w.pending == 0 {
		return w.state(), nil
	}
	key, err := partKey(w.incident, w.source, len(w.committed.Parts)+1)
	if err != nil {
		return Committed{}, err
	}
	info, err := w.objs.Put(w.ctx, key, bytes.NewReader(w.buf.Bytes()))
	if err != nil {
		return Committed{}, fmt.Errorf("write %s part: %w", w.source, err)
	}
	w.committed.Parts = append(w.committed.Parts, Part{Key: key, SHA256: info.SHA256, Bytes: int64(w.buf.Len()), Records: w.pending})
	w.committed.Bytes += int64(w.buf.Len())
	w.committed.Records += w.pending
	w.buf.Reset()
	w.pending = 0
	return w.state(), nil
}

// Close writes whatever is waiting as a last part.
func (w *PartWriter) Close() (Committed, error) { return w.flush() }

func (w *PartWriter) state() Committed {
	c := w.committed
	c.Parts = append([]Part(nil), w.committed.Parts...)
	return c
}

// AssembleSource writes a collected source's parts, in order, as the incident's file
// (<incident>/<file>) and its line-hash file, each read back through its SHA-256
// check, and returns the manifest entry with each object's lock. It can be retried:
// an object that exists already with the same content is the one a previous attempt
// wrote; one with other content is an error.
func AssembleSource(ctx context.Context, objs Objects, incidentID, file string, parts []Part) (File, error) {
	data, err := os.CreateTemp("", "irflow-evidence-*")
	if err != nil {
		return File{}, fmt.Errorf("assemble %s: %w", file, err)
	}
	defer func() { _ = data.Close(); _ = os.Remove(data.Name()) }()
	hashes, err := os.CreateTemp("", "irflow-evidence-*")
	if err != nil {
		return File{}, fmt.Errorf("assemble %s: %w", file, err)
	}
	defer func() { _ = hashes.Close(); _ = os.Remove(hashes.Name()) }()
	dw, hw := bufio.NewWriter(data), bufio.NewWriter(hashes)
	var (
		werr    error
		records int64
	)
	for _, p := range parts {
		n, _, err := scanPart(ctx, objs, p, func(line []byte) {
			sum := sha256.Sum256(line)
			if werr == nil {
				_, werr = dw.Write(append(line, '\n'))
			}
			if werr == nil {
				_, werr = hw.WriteString(hex.EncodeToString(sum[:]) + "\n")
			}
		})
		if err != nil {
			return File{}, fmt.Errorf("assemble %s: %w", file, err)
		}
		records += n
		if werr != nil {
			return File{}, fmt.Errorf("assemble %s: %w", file, werr)
		}
	}
	if err := errors.Join(dw.Flush(), hw.Flush()); err != nil {
		return File{}, fmt.Errorf("assemble %s: %w", file, err)
	}
	dinfo, err := putOnce(ctx, objs, ObjectKey(incidentID, file), data)
	if err != nil {
		return File{}, err
	}
	lh := file + LineHashSuffix
	hinfo, err := putOnce(ctx, objs, ObjectKey(incidentID, lh), hashes)
	if err != nil {
		return File{}, err
	}
	return File{Path: path.Clean(file), SHA256: dinfo.SHA256, Bytes: dinfo.Size, Records: records, Retention: dinfo.Retention,
		LineHashes: &HashedFile{Path: lh, SHA256: hinfo.SHA256, Retention: hinfo.Retention}}, nil
}

// putOnce writes content under key; a key that holds the same content already (a
// retried step) is fine, other content is not.
func putOnce(ctx context.Context, objs Objects, key string, content io.ReadSeeker) (ObjectInfo, error) {
	info, err := objs.Put(ctx, key, content)
	if errors.Is(err, ErrExists) {
		sum, _, herr := HashSeeker(content)
		if herr != nil {
			return ObjectInfo{}, fmt.Errorf("put %s: %w", key, herr)
		}
		if info.SHA256 == "" {
			if info, err = objs.Stat(ctx, key); err != nil {
				return ObjectInfo{}, fmt.Errorf("put %s: it exists and cannot be read: %w", key, err)
			}
		}
		if info.SHA256 != sum {
			return ObjectInfo{}, fmt.Errorf("put %s: %w with other content (sha256 %s, this write %s)", key, ErrExists, info.SHA256, sum)
		}
		return info, nil
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	return info, nil
}

// PutManifest writes m as <incident>/manifest.json and its hash object, once, and
// returns the manifest's hex SHA-256. A retry that builds the same manifest finds
// it written and succeeds.
func PutManifest(ctx context.Context, objs Objects, incidentID string, m Manifest) (string, error) {
	b, err := encodeManifest(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	hexSum := hex.EncodeToString(sum[:])
	if _, err := putOnce(ctx, objs, ObjectKey(incidentID, ManifestName), bytes.NewReader(b)); err != nil {
		return "", fmt.Errorf("write manifest: %w", err)
	}
	if _, err := putOnce(ctx, objs, ObjectKey(incidentID, ManifestHashName), bytes.NewReader([]byte(hashFileLine(hexSum)))); err != nil {
		return "", fmt.Errorf("write manifest hash: %w", err)
	}
	return hexSum, nil
}

// Location names where an incident's object is for people and for `irflow evidence
// verify`: a path for a local folder, s3://bucket/prefix/key otherwise.
func Location(objs Objects, key string) string {
	if f, ok := objs.(Folder); ok {
		return filepath.Join(f.Dir, filepath.FromSlash(key))
	}
	s := objs.String()
	if s != "" && s[len(s)-1] != '/' {
		s += "/"
	}
	return s + key
}
