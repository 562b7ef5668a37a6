//go:build pin

// Package pin keeps the project's pinned module versions in go.mod while the
// packages that use them are being written. It is never compiled (build tag
// "pin"); `go mod tidy` still reads its imports.
package pin

import (
	_ "github.com/ardanlabs/jinja"
	_ "github.com/dlclark/regexp2"
	_ "github.com/elastic/go-seccomp-bpf"
	_ "github.com/gomlx/gomlx/core/graph"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/text/unicode/norm"
)
