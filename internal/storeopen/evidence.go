package storeopen

import (
	"context"
	"fmt"
	"strings"

	"irflow/internal/evidence"
	"irflow/internal/s3"
)

// IsObjectStorage reports whether spec (IRFLOW_EVIDENCE, --evidence) names
// S3-compatible object storage rather than a local folder.
func IsObjectStorage(spec string) bool { return strings.HasPrefix(strings.TrimSpace(spec), "s3://") }

// Evidence opens the evidence storage spec names: s3://bucket/prefix, reached with
// the standard AWS variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY) and locked for IRFLOW_EVIDENCE_RETENTION where the bucket
// has Object Lock, or else a local folder.
func Evidence(ctx context.Context, spec string, getenv func(string) string) (evidence.Objects, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, fmt.Errorf("evidence storage: empty; set IRFLOW_EVIDENCE to a folder or s3://bucket/prefix")
	}
	if !IsObjectStorage(spec) {
		return evidence.Folder{Dir: spec}, nil
	}
	cfg, err := s3.ConfigFromEnv(spec, getenv)
	if err != nil {
		return nil, fmt.Errorf("evidence storage %s: %w", spec, err)
	}
	st, err := s3.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return st, nil
}
