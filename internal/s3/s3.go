// Package s3 keeps evidence in S3-compatible object storage (AWS S3, MinIO,
// versitygw, ...) through minio-go, so that every worker and API server reads what
// any worker collected. It implements evidence.Objects: each object is written once
// (a conditional put that the store refuses when the key exists), carries the
// SHA-256 computed before upload in its metadata, and, in a bucket with Object Lock
// enabled, is locked in compliance or governance mode for the configured retention.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"irflow/internal/evidence"
)

// Config says which bucket holds evidence and how to reach it.
type Config struct {
	// Endpoint is the store's URL (https://s3.eu-west-1.amazonaws.com,
	// http://127.0.0.1:7070); empty means AWS S3. An http:// endpoint is plain
	// HTTP: for a store on loopback only.
	Endpoint string
	Region   string
	// The credentials; empty AccessKeyID means anonymous.
	AccessKeyID, SecretAccessKey, SessionToken string
	Bucket                                     string
	// Prefix is prepended to every key ("irflow/evidence/"); empty or ending in "/".
	Prefix string
	// LockMode is the Object Lock mode of new objects: evidence.RetentionCompliance
	// (the default: nobody, not even the account's root, deletes a version before
	// its retention ends) or evidence.RetentionGovernance.
	LockMode string
	// LockFor is how long a new object is locked; zero sets no retention of its own
	// (a default retention rule on the bucket still applies).
	LockFor time.Duration
}

// The environment variables ConfigFromEnv reads, beside the evidence URL: the
// standard AWS ones, so the same settings serve the AWS CLI.
const (
	EnvEndpointS3   = "AWS_ENDPOINT_URL_S3"
	EnvEndpoint     = "AWS_ENDPOINT_URL"
	EnvRegion       = "AWS_REGION"
	EnvDefaultReg   = "AWS_DEFAULT_REGION"
	EnvAccessKeyID  = "AWS_ACCESS_KEY_ID"
	EnvSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken = "AWS_SESSION_TOKEN"
	// EnvRetention is irflow's: the Object Lock retention of new evidence, as
	// "MODE:DURATION" (COMPLIANCE:2555d, GOVERNANCE:720h) or a duration alone
	// (compliance mode).
	EnvRetention = "IRFLOW_EVIDENCE_RETENTION"
)

// ConfigFromEnv builds a Config for rawURL (s3://bucket/prefix) from the standard
// AWS variables and IRFLOW_EVIDENCE_RETENTION.
func ConfigFromEnv(rawURL string, getenv func(string) string) (Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	bucket, prefix, err := ParseURL(rawURL)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		Endpoint: get(EnvEndpointS3), Region: get(EnvRegion),
		AccessKeyID: get(EnvAccessKeyID), SecretAccessKey: get(EnvSecretKey), SessionToken: get(EnvSessionToken),
		Bucket: bucket, Prefix: prefix,
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = get(EnvEndpoint)
	}
	if cfg.Region == "" {
		cfg.Region = get(EnvDefaultReg)
	}
	if (cfg.AccessKeyID == "") != (cfg.SecretAccessKey == "") {
		return Config{}, fmt.Errorf("set both %s and %s, or neither", EnvAccessKeyID, EnvSecretKey)
	}
	if r := get(EnvRetention); r != "" {
		if cfg.LockMode, cfg.LockFor, err = ParseRetention(r); err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvRetention, err)
		}
	}
	return cfg, nil
}

// ParseURL splits s3://bucket/prefix into the bucket and a prefix that is empty or
// ends in "/".
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return "", "", fmt.Errorf("evidence storage %q: want s3://BUCKET or s3://BUCKET/PREFIX", raw)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := evidence.CheckKey(prefix); err != nil {
			return "", "", fmt.Errorf("evidence storage %q: prefix: %w", raw, err)
		}
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// ParseRetention reads "MODE:DURATION" or "DURATION", where DURATION is a Go
// duration or a whole number of days ("2555d").
func ParseRetention(s string) (mode string, d time.Duration, err error) {
	mode = evidence.RetentionCompliance
	if m, rest, ok := strings.Cut(s, ":"); ok {
		mode, s = strings.ToUpper(strings.TrimSpace(m)), strings.TrimSpace(rest)
	}
	if mode != evidence.RetentionCompliance && mode != evidence.RetentionGovernance {
		return "", 0, fmt.Errorf("retention mode %q: want COMPLIANCE or GOVERNANCE", mode)
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return "", 0, fmt.Errorf("retention %q: want a positive number of days, such as 2555d", s)
		}
		return mode, time.Duration(n) * 24 * time.Hour, nil
	}
	d, err = time.ParseDuration(s)
	if err != nil || d <= 0 {
		return "", 0, fmt.Errorf("retention %q: want a positive duration (720h) or days (30d)", s)
	}
	return mode, d, nil
}

// Store is evidence.Objects in one bucket.
type Store struct {
	c   *minio.Client
	cfg Config
	// locked is whether the bucket has Object Lock enabled (a bucket property set
	// at creation).
	locked bool
}

var _ evidence.Objects = (*Store)(nil)

// Open connects to the bucket cfg names, which must exist, and reads whether it has
// Object Lock enabled.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("evidence storage: no bucket")
	}
	if cfg.LockMode == "" {
		cfg.LockMode = evidence.RetentionCompliance
	}
	host, secure := "s3.amazonaws.com", true
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("evidence storage endpoint %q: want http(s)://host[:port]", cfg.Endpoint)
		}
		host, secure = u.Host, u.Scheme == "https"
	}
	var creds *credentials.Credentials
	if cfg.AccessKeyID != "" {
		creds = credentials.NewStaticV4(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken)
	} else {
		creds = credentials.New(&credentials.EnvAWS{})
	}
	c, err := minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: cfg.Region, BucketLookup: minio.BucketLookupAuto})
	if err != nil {
		return nil, fmt.Errorf("evidence storage %s: %w", host, err)
	}
	s := &Store{c: c, cfg: cfg}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("evidence storage: bucket %s at %s: %w", cfg.Bucket, host, err)
	}
	if !ok {
		return nil, fmt.Errorf("evidence storage: no bucket %s at %s", cfg.Bucket, host)
	}
	enabled, _, _, _, err := c.GetObjectLockConfig(ctx, cfg.Bucket)
	switch code := minio.ToErrorResponse(err).Code; {
	case err == nil:
		s.locked = enabled == "Enabled"
	case code == "ObjectLockConfigurationNotFoundError" || code == "NoSuchObjectLockConfiguration":
	default:
		return nil, fmt.Errorf("evidence storage: object lock of bucket %s: %w", cfg.Bucket, err)
	}
	return s, nil
}

// Locked reports whether the bucket has Object Lock enabled.
func (s *Store) Locked() bool { return s.locked }

func (s *Store) String() string { return "s3://" + s.cfg.Bucket + "/" + s.cfg.Prefix }

func (s *Store) name(key string) (string, error) {
	if err := evidence.CheckKey(key); err != nil {
		return "", err
	}
	return s.cfg.Prefix + key, nil
}

// metaSHA256 is the user metadata key (x-amz-meta-sha256) holding the digest.
const metaSHA256 = "sha256"

// Put implements evidence.Objects. If-None-Match: * makes the store itself refuse a
// second write of the key, so two workers racing on one key cannot both write it;
// Content-MD5 lets it check the upload (S3 requires it, or a checksum, on a put
// with a retention).
func (s *Store) Put(ctx context.Context, key string, content io.ReadSeeker) (evidence.ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return evidence.ObjectInfo{}, err
	}
	sum, size, err := evidence.HashSeeker(content)
	if err != nil {
		return evidence.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	opts := minio.PutObjectOptions{
		UserMetadata:   map[string]string{metaSHA256: sum},
		ContentType:    "application/octet-stream",
		SendContentMd5: true,
	}
	opts.SetMatchETagExcept("*")
	if s.locked && s.cfg.LockFor > 0 {
		opts.Mode = minio.RetentionMode(s.cfg.LockMode)
		opts.RetainUntilDate = time.Now().Add(s.cfg.LockFor).UTC().Truncate(time.Second)
	}
	if _, err := s.c.PutObject(ctx, s.cfg.Bucket, name, content, size, opts); err != nil {
		if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed" {
			info, _ := s.Stat(ctx, key)
			return info, fmt.Errorf("put %s: %w", key, evidence.ErrExists)
		}
		return evidence.ObjectInfo{}, fmt.Errorf("put %s in %s: %w", key, s, err)
	}
	// Read back what the store holds, the retention included, rather than
	// report what was asked for.
	return s.Stat(ctx, key)
}

// Stat implements evidence.Objects; Retention is the object's current lock.
func (s *Store) Stat(ctx context.Context, key string) (evidence.ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return evidence.ObjectInfo{}, err
	}
	oi, err := s.c.StatObject(ctx, s.cfg.Bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return evidence.ObjectInfo{}, s.objectErr("stat", key, err)
	}
	info, err := s.info(key, oi)
	if err != nil {
		return info, err
	}
	if !s.locked {
		return info, nil
	}
	// HEAD answers with the lock (x-amz-object-lock-*), the way AWS documents it
	// and every store tried returns it; GetObjectRetention only when it does not:
	// versitygw names that answer's XML element differently from AWS.
	if r, ok := headerRetention(oi.Metadata); ok {
		info.Retention = r
		return info, nil
	}
	mode, until, err := s.c.GetObjectRetention(ctx, s.cfg.Bucket, name, oi.VersionID)
	switch {
	case err == nil && mode != nil && until != nil && *mode != "":
		info.Retention = &evidence.Retention{Mode: string(*mode), Until: until.UTC()}
	case err == nil || noRetention(err):
	default:
		return info, fmt.Errorf("retention of %s in %s: %w", key, s, err)
	}
	return info, nil
}

// headerRetention reads an object's lock from its HEAD response; ok is false when
// the response says nothing about one.
func headerRetention(h http.Header) (*evidence.Retention, bool) {
	mode, until := h.Get("X-Amz-Object-Lock-Mode"), h.Get("X-Amz-Object-Lock-Retain-Until-Date")
	if mode == "" || until == "" {
		return nil, false
	}
	t, err := time.Parse(time.RFC3339, until)
	if err != nil {
		return nil, false
	}
	return &evidence.Retention{Mode: strings.ToUpper(mode), Until: t.UTC()}, true
}

// noRetention reports the errors with which stores say an object has no lock.
func noRetention(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "InvalidRequest":
		return true
	}
	return false
}

func (s *Store) info(key string, oi minio.ObjectInfo) (evidence.ObjectInfo, error) {
	var sum string
	for k, v := range oi.UserMetadata {
		if strings.EqualFold(k, metaSHA256) {
			sum = v
		}
	}
	if sum == "" {
		return evidence.ObjectInfo{}, fmt.Errorf("evidence object %s in %s has no recorded sha256: it was not written by irflow", key, s)
	}
	return evidence.ObjectInfo{Key: key, Size: oi.Size, SHA256: sum}, nil
}

func (s *Store) objectErr(op, key string, err error) error {
	if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" {
		return fmt.Errorf("%s %s in %s: %w", op, key, s, fs.ErrNotExist)
	}
	return fmt.Errorf("%s %s in %s: %w", op, key, s, err)
}

// Open implements evidence.Objects.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, evidence.ObjectInfo, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, evidence.ObjectInfo{}, err
	}
	name, _ := s.name(key)
	obj, err := s.c.GetObject(ctx, s.cfg.Bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, evidence.ObjectInfo{}, s.objectErr("open", key, err)
	}
	return evidence.VerifyingReader(key, info.SHA256, obj), info, nil
}

// List implements evidence.Objects.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	keys := []string{}
	for oi := range s.c.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, fmt.Errorf("list %s in %s: %w", prefix, s, oi.Err)
		}
		keys = append(keys, strings.TrimPrefix(oi.Key, s.cfg.Prefix))
	}
	sort.Strings(keys)
	return keys, nil
}
