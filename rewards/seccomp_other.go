//go:build !amd64 && !arm64

package rewards

import "runtime"

// nativeSeccomp is empty: there is no filter for this architecture, and
// the runner runs without seccomp (with a warning) instead of installing
// one that would kill every system call.
const nativeSeccomp = ""

var goarch = runtime.GOARCH
