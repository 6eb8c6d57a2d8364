//go:build !unix

package evidence

import "os"

// openFlags opens evidence for reading.
const openFlags = os.O_RDONLY
