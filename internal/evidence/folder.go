package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Folder is Objects in a local folder: evidence on the disk of the host that
// collected it, as `irflow dev` and single-host installs keep it. An object is a
// read-only file; its SHA-256 is kept beside it in <dir>/.sha256/<key>. A local disk
// has no lock: Retention is always nil, and root can change anything, which Open's
// digest check then reports.
type Folder struct {
	Dir string
}

var _ Objects = Folder{}

// digestDir holds the recorded digests; List never shows it.
const digestDir = ".sha256"

// tempPrefix starts the names of files being written; List never shows them.
const tempPrefix = ".put-"

func (f Folder) String() string { return f.Dir }

func (f Folder) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	if strings.HasPrefix(key, digestDir+"/") || key == digestDir {
		return "", fmt.Errorf("evidence object key %q: %s is reserved", key, digestDir)
	}
	return filepath.Join(f.Dir, filepath.FromSlash(key)), nil
}

func (f Folder) digestPath(key string) string {
	return filepath.Join(f.Dir, digestDir, filepath.FromSlash(key))
}

// Put implements Objects. The content goes to a temporary file that is then linked
// under its name: link fails when the name exists, so of two racing Puts exactly
// one claims the key, and a reader never sees a half-written object.
func (f Folder) Put(ctx context.Context, key string, content io.ReadSeeker) (ObjectInfo, error) {
	p, err := f.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if info, err := f.Stat(ctx, key); err == nil {
		return info, fmt.Errorf("put %s: %w", key, ErrExists)
	}
	sum, size, err := HashSeeker(content)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := writeTemp(filepath.Dir(p), content)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer func() { _ = os.Remove(tmp) }()
	// The digest is written beside it now and moved into place only by the Put
	// that claimed the key, so a loser's digest never replaces the winner's. For a
	// moment after the link (or for good, after a crash there) the object has no
	// digest: Stat and Open then fail rather than serve unchecked content.
	dp := f.digestPath(key)
	if err := os.MkdirAll(filepath.Dir(dp), 0o700); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	dtmp, err := writeTemp(filepath.Dir(dp), strings.NewReader(sum+"\n"))
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: record digest: %w", key, err)
	}
	defer func() { _ = os.Remove(dtmp) }()
	if err := os.Link(tmp, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			info, _ := f.Stat(ctx, key)
			return info, fmt.Errorf("put %s: %w", key, ErrExists)
		}
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(dtmp, dp); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: record digest: %w", key, err)
	}
	return ObjectInfo{Key: key, Size: size, SHA256: sum}, nil
}

// writeTemp writes r to a new read-only temporary file in dir, synced, and returns
// its path.
func writeTemp(dir string, r io.Reader) (string, error) {
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Chmod(0o444)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), nil
}

// Open implements Objects.
func (f Folder) Open(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	info, err := f.Stat(ctx, key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	p, _ := f.path(key)
	file, err := os.Open(p)
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, err)
	}
	return VerifyingReader(key, info.SHA256, file), info, nil
}

// Stat implements Objects.
func (f Folder) Stat(_ context.Context, key string) (ObjectInfo, error) {
	p, err := f.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return ObjectInfo{}, notExist(key)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("stat %s: not a regular file", key)
	}
	b, err := os.ReadFile(f.digestPath(key))
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %s: recorded digest: %w", key, err)
	}
	return ObjectInfo{Key: key, Size: st.Size(), SHA256: strings.TrimSpace(string(b))}, nil
}

// List implements Objects.
func (f Folder) List(_ context.Context, prefix string) ([]string, error) {
	keys := []string{}
	err := filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == f.Dir {
				return fs.SkipAll // nothing written yet
			}
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != f.Dir && name == digestDir && filepath.Dir(p) == filepath.Clean(f.Dir) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, tempPrefix) || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(f.Dir, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s under %s: %w", prefix, f.Dir, err)
	}
	sort.Strings(keys)
	return keys, nil
}
