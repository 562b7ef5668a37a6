//go:build onnx

package backend

import (
	"github.com/gomlx/compute"
	onnxbackend "github.com/gomlx/compute-onnx"
)

// The ONNX Runtime backend (build tag onnx, cgo): the library is given as an
// absolute path (e.g. the libonnxruntime.so.1 shipped in the npm package
// onnxruntime-node) and is never downloaded. It runs on the CPU provider.
func init() {
	onnxbackend.EnableAutoInstall(false)
	openers[ONNX] = func(path string) (compute.Backend, error) { return onnxbackend.New("cpu," + path) }
}
