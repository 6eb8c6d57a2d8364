package app_test

import (
	"path/filepath"
	"strings"
	"testing"

	"irflow/internal/devserver"
)

// startTemporal starts an embedded Temporal server persisted in dir on a free
// port, stopped when the test ends. A free port can be taken by a parallel test
// before the server binds it, so it tries three ports.
func startTemporal(tb testing.TB, dir string) *devserver.Server {
	tb.Helper()
	var temporal *devserver.Server
	var err error
	for range 3 {
		temporal, err = devserver.Start(devserver.Config{
			DBPath: filepath.Join(dir, "temporal.db"), LogPath: filepath.Join(dir, "temporal.log"), FrontendAddr: freeAddr(tb),
		})
		if err == nil || !strings.Contains(err.Error(), "already in use") {
			break
		}
	}
	if err != nil {
		tb.Fatalf("start temporal: %v", err)
	}
	tb.Cleanup(func() { _ = temporal.Stop() })
	return temporal
}
