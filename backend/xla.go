//go:build !noxla && cgo

package backend

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
)

func init() {
	// Never download plugins: the path given on the command line is used as is.
	xla.EnableAutoInstall(false)
	openers[XLA] = func(path string) (compute.Backend, error) { return xla.New(path) }
}
