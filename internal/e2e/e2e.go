// Package e2e holds what the end-to-end tests (the openai npm client, the
// dashboard in headless Chromium) share: how a missing prerequisite is
// reported, and where artifacts such as screenshots go.
package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// Require reports a missing prerequisite (Node.js, an npm package,
// Chromium): a failure where CI asked for the end-to-end tests
// (ACECODER_E2E=1, set by .ci/run after installing them), a skip that
// names what to install anywhere else.
func Require(t testing.TB, missing string) {
	t.Helper()
	if os.Getenv("ACECODER_E2E") == "1" {
		t.Fatalf("ACECODER_E2E=1 but %s", missing)
	}
	t.Skip(missing)
}

// ArtifactDir is the folder test artifacts are kept in: $ACECODER_ARTIFACTS
// when set (.ci/run keeps them), else a folder under the system's temporary
// directory that outlives the test.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ACECODER_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "acecoder-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
