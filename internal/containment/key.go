package containment

import (
	"crypto/rand"
	"encoding/hex"
)

// NewIdempotencyKey returns 128 random bits in hex. Workflows call it only inside
// workflow.SideEffect, which records the value in the history, so a replay or a
// retried activity reuses the same key.
func NewIdempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}
