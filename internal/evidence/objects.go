package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Objects is where collected evidence is kept once written: the local folder
// (Folder) on one host, or S3-compatible object storage (internal/s3) that every
// worker and API server reaches. Objects are written once and never overwritten, so
// what a regulator is shown is what was collected; every read is checked against the
// SHA-256 computed when the object was written.
//
// Implementations are safe for concurrent use; of several Puts of one key racing on
// several workers, exactly one writes it and the others get ErrExists.
type Objects interface {
	// Put writes content under key, once. It computes the content's SHA-256 before
	// writing (hence the Seeker) and records it with the object. ErrExists, with the
	// stored object's info, when key holds an object already. Where the storage
	// supports it, the object is locked against deletion until its retention ends;
	// the returned info says so.
	Put(ctx context.Context, key string, content io.ReadSeeker) (ObjectInfo, error)
	// Open returns a reader of key's content. Reading it to the end fails with
	// ErrDigest when the content's SHA-256 is not the one recorded at Put: the
	// object was changed behind the store's back.
	Open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// Stat returns key's info with its current retention; an error wrapping
	// fs.ErrNotExist when there is no such object.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
	// String names the storage for people: a folder, s3://bucket/prefix.
	String() string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	// SHA256 is the hex digest computed when the object was written.
	SHA256 string `json:"sha256"`
	// Retention is the object's lock; nil when it has none (a local folder, or a
	// bucket without Object Lock).
	Retention *Retention `json:"retention,omitempty"`
}

// Retention is an object's lock as S3 Object Lock states it: until Until, nobody
// deletes or overwrites that version (COMPLIANCE), or only those allowed to bypass
// governance may (GOVERNANCE).
type Retention struct {
	Mode  string    `json:"mode"`
	Until time.Time `json:"until"`
}

// The retention modes of S3 Object Lock.
const (
	RetentionCompliance = "COMPLIANCE"
	RetentionGovernance = "GOVERNANCE"
)

// ErrExists reports a Put of a key that holds an object already.
var ErrExists = errors.New("evidence object exists already")

// ErrDigest reports content whose SHA-256 is not the one recorded when it was
// written.
var ErrDigest = errors.New("evidence object does not match its recorded SHA-256")

// DigestError names the object that failed its check, and both digests.
type DigestError struct {
	Key, Want, Got string
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("evidence object %s: content SHA-256 %s, recorded %s", e.Key, e.Got, e.Want)
}

// Is makes a DigestError match ErrDigest.
func (e *DigestError) Is(target error) bool { return target == ErrDigest }

// CheckKey rejects keys that could leave the storage's root or that object stores
// and file systems read differently: empty, absolute, with "." or ".." segments,
// empty segments, backslashes or NUL.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("evidence object key %q: want a relative slash-separated path", key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("evidence object key %q: empty, \".\" or \"..\" segment", key)
		}
	}
	return nil
}

// HashSeeker returns the hex SHA-256 and size of content, and rewinds it.
func HashSeeker(content io.ReadSeeker) (sum string, size int64, err error) {
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("rewind: %w", err)
	}
	h := sha256.New()
	size, err = io.Copy(h, content)
	if err != nil {
		return "", 0, fmt.Errorf("hash: %w", err)
	}
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("rewind: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}

// VerifyingReader returns r, hashing what is read: at the end of the content, a
// digest other than want turns io.EOF into a *DigestError. A reader that stops
// before the end checks nothing.
func VerifyingReader(key, want string, r io.ReadCloser) io.ReadCloser {
	return &verifyingReader{key: key, want: want, r: r, h: sha256.New()}
}

type verifyingReader struct {
	key, want string
	r         io.ReadCloser
	h         hash.Hash
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, &DigestError{Key: v.key, Want: v.want, Got: got}
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.r.Close() }

// notExist is the error for a missing object.
func notExist(key string) error {
	return fmt.Errorf("evidence object %s: %w", key, fs.ErrNotExist)
}
