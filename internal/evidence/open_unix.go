//go:build unix

package evidence

import (
	"os"
	"syscall"
)

// openFlags opens evidence for reading without blocking on a pipe, which the
// verifier refuses once it can see what it opened.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
