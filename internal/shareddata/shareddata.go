// Package shareddata locates the reference data that tests read from
// ../shared/data beside the repository root (tokenizer vectors, chat
// templates, HumanEval, MBPP). It is not part of the repository; tests that
// need it skip, with the reason, when it is absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/data relative to the directory holding go.mod above
// the test's working directory, or skips tb when there is none.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("go.mod not found above the test directory")
		}
		dir = parent
	}
	data := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(data); err != nil {
		tb.Skipf("shared data not found at %s (it lives beside the repository, not in it)", data)
	}
	return data
}

// Path joins elems under Dir and skips tb when that file is absent.
func Path(tb testing.TB, elems ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{Dir(tb)}, elems...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared data file %s not present: %v", p, err)
	}
	return p
}
