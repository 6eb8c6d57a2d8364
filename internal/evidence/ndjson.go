// Package evidence writes collected incident evidence with a chain of custody and
// verifies it later: one NDJSON file per source (one canonical JSON record per line),
// a line-hash file beside each data file so a changed record can be named by line,
// and a manifest.json listing every file with its SHA-256, whose own hash is recorded
// outside the folder (SQLite and the incident timeline).
//
// Keeping logs of what was extracted from the Service is the subscriber's duty
// (SRM-IV.S.3); evidence is what investigating a breach in its instance rests on
// (SRM-VI.S.1).
package evidence

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// LineHashSuffix is appended to a data file's name to name its line-hash file: one
// lowercase hex SHA-256 per line of the data file, in the same order.
const LineHashSuffix = ".linehashes"

// Canonical encodes v as canonical JSON: object keys sorted, no insignificant
// whitespace, numbers kept exactly as received, no HTML escaping. Two collections of
// the same record therefore produce the same bytes and the same hash.
func Canonical(v any) ([]byte, error) {
	raw, ok := v.(json.RawMessage)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, fmt.Errorf("encode record: %w", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode record: trailing data after the JSON value")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// KeyFunc returns the deduplication key of a canonical record, or "" for a record
// that is never a duplicate.
type KeyFunc func(record []byte) string

// Writer appends canonical records to one NDJSON file and its line-hash file. It can
// resume a file a previous attempt left behind: Open truncates both files to the last
// committed state, so a page half-written by a crashed attempt is discarded, and
// rebuilds the dedupe set from what is kept.
type Writer struct {
	path    string
	data    *os.File
	hashes  *os.File
	dataBuf *bufio.Writer
	hashBuf *bufio.Writer
	key     KeyFunc
	seen    map[string]struct{}
	bytes   int64
	records int64
}

// Committed is the state of a Writer's files after its last Flush. Activities
// heartbeat it, so a retried attempt resumes exactly there.
type Committed struct {
	Bytes   int64 `json:"bytes"`
	Records int64 `json:"records"`
	// Parts are the part objects written so far, in order, when the source is
	// collected through evidence.Objects (PartWriter); Bytes and Records are their
	// totals.
	Parts []Part `json:"parts,omitempty"`
}

// Open opens (creating if needed) the NDJSON file at path for appending, truncated to
// at: everything after it is discarded. key may be nil for no deduplication.
func Open(path string, at Committed, key KeyFunc) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create evidence folder: %w", err)
	}
	w := &Writer{path: path, key: key, seen: map[string]struct{}{}}
	hashBytes := at.Records * (sha256.Size*2 + 1)
	// Check both files can hold the committed state before truncating either, so a
	// wrong resume state never destroys collected evidence.
	if err := checkSize(path, at.Bytes); err != nil {
		return nil, err
	}
	if err := checkSize(path+LineHashSuffix, hashBytes); err != nil {
		return nil, err
	}
	var err error
	if w.data, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640); err != nil {
		return nil, fmt.Errorf("open evidence file: %w", err)
	}
	if w.hashes, err = os.OpenFile(path+LineHashSuffix, os.O_RDWR|os.O_CREATE, 0o640); err != nil {
		w.data.Close()
		return nil, fmt.Errorf("open evidence file: %w", err)
	}
	// Rebuild the record count and the dedupe set from the committed prefix, and
	// check it ends on a record boundary, before anything is cut off.
	sc := bufio.NewScanner(io.LimitReader(w.data, at.Bytes))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)
	for sc.Scan() {
		w.records++
		w.bytes += int64(len(sc.Bytes())) + 1
		if w.key != nil {
			if k := w.key(sc.Bytes()); k != "" {
				w.seen[k] = struct{}{}
			}
		}
	}
	if err := sc.Err(); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if w.records != at.Records || w.bytes != at.Bytes {
		w.closeFiles()
		return nil, fmt.Errorf("resume %s: committed state says %d records in %d bytes, file holds %d records in %d bytes",
			path, at.Records, at.Bytes, w.records, w.bytes)
	}
	// Discard what a crashed attempt wrote after its last commit.
	if err := w.data.Truncate(at.Bytes); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("truncate %s: %w", path, err)
	}
	if err := w.hashes.Truncate(hashBytes); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("truncate %s: %w", path+LineHashSuffix, err)
	}
	if _, err := w.data.Seek(0, io.SeekEnd); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("seek %s: %w", path, err)
	}
	if _, err := w.hashes.Seek(0, io.SeekEnd); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("seek %s: %w", path+LineHashSuffix, err)
	}
	w.dataBuf = bufio.NewWriter(w.data)
	w.hashBuf = bufio.NewWriter(w.hashes)
	return w, nil
}

func checkSize(path string, size int64) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && size == 0:
		return nil
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("resume %s: file is missing but %d bytes were committed", path, size)
	case err != nil:
		return fmt.Errorf("stat %s: %w", path, err)
	case st.Size() < size:
		return fmt.Errorf("resume %s: file has %d bytes, fewer than the %d committed", path, st.Size(), size)
	}
	return nil
}

// Write appends one record in canonical form. It reports false when the record's key
// was already written (a duplicate from an overlapping page), and writes nothing.
func (w *Writer) Write(record any) (written bool, err error) {
	line, err := Canonical(record)
	if err != nil {
		return false, fmt.Errorf("%s record %d: %w", filepath.Base(w.path), w.records+1, err)
	}
	if w.key != nil {
		if k := w.key(line); k != "" {
			if _, dup := w.seen[k]; dup {
				return false, nil
			}
			w.seen[k] = struct{}{}
		}
	}
	sum := sha256.Sum256(line)
	line = append(line, '\n')
	if _, err := w.dataBuf.Write(line); err != nil {
		return false, fmt.Errorf("write %s: %w", w.path, err)
	}
	if _, err := w.hashBuf.WriteString(hex.EncodeToString(sum[:]) + "\n"); err != nil {
		return false, fmt.Errorf("write %s: %w", w.path+LineHashSuffix, err)
	}
	w.bytes += int64(len(line))
	w.records++
	return true, nil
}

// Flush writes buffered records to disk (fsync included) and returns the committed
// state to resume from.
func (w *Writer) Flush() (Committed, error) {
	if err := w.dataBuf.Flush(); err != nil {
		return Committed{}, fmt.Errorf("flush %s: %w", w.path, err)
	}
	if err := w.hashBuf.Flush(); err != nil {
		return Committed{}, fmt.Errorf("flush %s: %w", w.path+LineHashSuffix, err)
	}
	if err := w.data.Sync(); err != nil {
		return Committed{}, fmt.Errorf("sync %s: %w", w.path, err)
	}
	if err := w.hashes.Sync(); err != nil {
		return Committed{}, fmt.Errorf("sync %s: %w", w.path+LineHashSuffix, err)
	}
	return Committed{Bytes: w.bytes, Records: w.records}, nil
}

// Close flushes and closes both files.
func (w *Writer) Close() (Committed, error) {
	c, err := w.Flush()
	if cerr := w.closeFiles(); err == nil {
		err = cerr
	}
	return c, err
}

func (w *Writer) closeFiles() error {
	err1 := w.data.Close()
	err2 := w.hashes.Close()
	return errors.Join(err1, err2)
}

// IDUpdatedKey is the KeyFunc for time-based incremental exports, which can return
// the same record on two pages: a record is a duplicate when both its id and its
// updated_at were already seen (a later update of the same object is kept).
func IDUpdatedKey(record []byte) string {
	var r struct {
		ID        json.RawMessage `json:"id"`
		UpdatedAt json.RawMessage `json:"updated_at"`
	}
	if json.Unmarshal(record, &r) != nil || len(r.ID) == 0 {
		return ""
	}
	return string(r.ID) + "|" + string(r.UpdatedAt)
}

// IDKey is the KeyFunc for streams whose records never change (audit logs, ticket
// audits, events): the id alone identifies a record.
func IDKey(record []byte) string {
	var r struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(record, &r) != nil || len(r.ID) == 0 {
		return ""
	}
	return string(r.ID)
}
