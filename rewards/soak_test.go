//go:build soak

package rewards

import "testing"

// TestSoak runs 20,000 programs (with daemons, files, crashes and early
// exits mixed in) and checks that nothing is left behind. Run with
//
//	GOEXPERIMENT=simd go test -tags soak -run TestSoak -timeout 30m ./rewards/
func TestSoak(t *testing.T) { runSoak(t, 20000, false) }
