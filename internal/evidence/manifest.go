package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// ManifestName is the file name of the manifest inside an incident's evidence folder.
const ManifestName = "manifest.json"

// ManifestHashName is the file beside the manifest holding its SHA-256 (hex). It is a
// convenience for offline checks; the authoritative copy of the hash is the one
// recorded in the store and the incident timeline.
const ManifestHashName = "manifest.json.sha256"

// Manifest lists everything collected for one incident.
type Manifest struct {
	Incident string   `json:"incident"`
	Sources  []Source `json:"sources"`
	// Gaps are sources that could not be collected because of the account's plan or
	// add-ons (audit logs need Enterprise, access logs an add-on). A gap is a fact
	// about the evidence, not a failure of the collection.
	Gaps []Gap `json:"gaps"`
	// Status is StatusComplete or StatusPartial; empty in manifests written before
	// collection could end partial.
	Status string `json:"status,omitempty"`
	// Failed names the sources a partial collection could not finish; each also
	// has a gap with Zendesk's answer.
	Failed []string `json:"failed,omitempty"`
	// RequestedWindow is the window asked for, when the sources' window had to be
	// clamped: Zendesk's exports refuse a start time within the last minute.
	RequestedWindow *Window `json:"requested_window,omitempty"`
}

// Source is one collected evidence source.
type Source struct {
	Source string `json:"source"`
	// Query is the request the records came from (path and query string, or a
	// description when several requests were made), so another person can repeat it.
	Query       string    `json:"query"`
	Window      Window    `json:"window"`
	CollectedAt time.Time `json:"collected_at"`
	Records     int64     `json:"records"`
	Files       []File    `json:"files"`
}

// Window is the time range a source was collected for.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t is inside the window, both ends included. Zendesk's
// time filters take whole seconds, so a collection asks for a little more and keeps
// what the window contains.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && !t.After(w.To) }

// File is one NDJSON data file of a source. Path is relative to the evidence folder.
type File struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Bytes   int64  `json:"bytes"`
	Records int64  `json:"records"`
	// LineHashes is the line-hash file that lets Verify name a changed record.
	LineHashes *HashedFile `json:"line_hashes,omitempty"`
	// Retention is the Object Lock the file's object had when the manifest was
	// written; verify reports one that was shortened or removed since.
	Retention *Retention `json:"retention,omitempty"`
}

// HashedFile is a file with its SHA-256.
type HashedFile struct {
	Path      string     `json:"path"`
	SHA256    string     `json:"sha256"`
	Retention *Retention `json:"retention,omitempty"`
}

// Gap is a source that the instance's plan or add-ons do not provide, or (Failed)
// one that could not be collected: Zendesk refused the query or kept failing.
type Gap struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
	// Failed marks a source that failed, as opposed to one the plan lacks; what
	// was collected of it before it failed is still listed in the sources.
	Failed bool `json:"failed,omitempty"`
}

// Error makes a Gap usable as an error, so a collector can return "this source is
// not available on this plan" through its error path and the caller can tell it apart
// with errors.As.
func (g *Gap) Error() string { return "evidence gap: " + g.Source + ": " + g.Reason }

// HashFile returns the hex SHA-256, the size and the number of lines of a file.
func HashFile(path string) (sum string, size int64, lines int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, 0, err
	}
	defer f.Close()
	sum, size, lines, err = hashReader(f)
	if err != nil {
		return "", 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return sum, size, lines, nil
}

// hashReader returns the hex SHA-256, the size and the number of lines of what r
// holds.
func hashReader(r io.Reader) (sum string, size int64, lines int64, err error) {
	h := sha256.New()
	buf := make([]byte, 256*1024)
	var last byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			last = buf[n-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", 0, 0, err
		}
	}
	if size > 0 && last != '\n' {
		lines++ // a last line without a newline still counts
	}
	return hex.EncodeToString(h.Sum(nil)), size, lines, nil
}

// DescribeFile hashes a data file and its line-hash file (if present) into a manifest
// entry. dir is the evidence folder; rel the file's path inside it.
func DescribeFile(dir, rel string) (File, error) {
	sum, size, lines, err := HashFile(filepath.Join(dir, rel))
	if err != nil {
		return File{}, fmt.Errorf("hash evidence file %s: %w", rel, err)
	}
	f := File{Path: filepath.ToSlash(rel), SHA256: sum, Bytes: size, Records: lines}
	lh := rel + LineHashSuffix
	if lsum, _, llines, err := HashFile(filepath.Join(dir, lh)); err == nil {
		if llines != lines {
			return File{}, fmt.Errorf("evidence file %s has %d records but its line hashes have %d", rel, lines, llines)
		}
		f.LineHashes = &HashedFile{Path: filepath.ToSlash(lh), SHA256: lsum}
	} else if !errors.Is(err, os.ErrNotExist) {
		return File{}, fmt.Errorf("hash line hashes of %s: %w", rel, err)
	}
	return f, nil
}

// WriteManifest writes m as dir/manifest.json (sources and gaps sorted, so the same
// collection yields the same bytes) and the hash file beside it, and returns the
// manifest's hex SHA-256.
func WriteManifest(dir string, m Manifest) (string, error) {
	b, err := encodeManifest(m)
	if err != nil {
		return "", err
	}
	// A process killed while writing the manifest leaves its temporary file behind;
	// the next write (the resumed collection) removes it, or Verify would report it
	// as a file that appeared after collection for ever.
	for _, name := range []string{ManifestName, ManifestHashName} {
		stale, _ := filepath.Glob(filepath.Join(dir, ".tmp-"+name+"-*"))
		for _, p := range stale {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("remove a torn manifest write %s: %w", p, err)
			}
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, ManifestName), b); err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	hexSum := hex.EncodeToString(sum[:])
	if err := writeFileAtomic(filepath.Join(dir, ManifestHashName), []byte(hashFileLine(hexSum))); err != nil {
		return "", err
	}
	return hexSum, nil
}

// encodeManifest returns m's bytes: sources, files and gaps sorted, so the same
// collection yields the same bytes.
func encodeManifest(m Manifest) ([]byte, error) {
	sort.SliceStable(m.Sources, func(i, j int) bool { return m.Sources[i].Source < m.Sources[j].Source })
	for i := range m.Sources {
		sort.Slice(m.Sources[i].Files, func(a, b int) bool { return m.Sources[i].Files[a].Path < m.Sources[i].Files[b].Path })
		if m.Sources[i].Files == nil {
			m.Sources[i].Files = []File{}
		}
	}
	sort.SliceStable(m.Gaps, func(i, j int) bool { return m.Gaps[i].Source < m.Gaps[j].Source })
	if m.Sources == nil {
		m.Sources = []Source{}
	}
	if m.Gaps == nil {
		m.Gaps = []Gap{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ReadManifest reads dir/manifest.json, rejecting unknown fields.
func ReadManifest(dir string) (Manifest, []byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("read manifest: %w", err)
	}
	m, err := parseManifest(b)
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, ManifestName), err)
	}
	return m, b, nil
}

// DecodeManifest reads a manifest from r (at most 16 MiB), rejecting unknown
// fields.
func DecodeManifest(r io.Reader) (Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxManifestBytes))
	if err != nil {
		return Manifest{}, fmt.Errorf("read manifest: %w", err)
	}
	return parseManifest(b)
}

func parseManifest(b []byte) (Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func writeFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create evidence folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}
