package policy

import (
	"reflect"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// The Go backend allocates every buffer, a weight's included, from pools
// keyed by a size rounded up to its two highest bits (1.5·2^k or 2^k):
// a 896×4864 float32 matrix (17.4 MB) takes 25.2 MB, and the weights of
// the Qwen2.5-0.5B shape take 2.8 GB instead of 2.0 GB. Buffers the
// backend did not allocate itself ("user fed") never go back to those
// pools, so a long-lived tensor gains nothing from the rounding.
// DeviceTensor hands the backend such a buffer that holds exactly the
// tensor's values.

// DeviceTensor returns a float32 tensor of shape dims holding vals (taken,
// not copied), already on backend's device 0. On the Go backend its
// buffer is vals itself, not a larger pooled copy; on other backends (or
// if the Go backend's buffer no longer looks as this code expects) it is
// the backend's usual buffer. vals must not be modified afterwards.
func DeviceTensor(backend compute.Backend, vals []float32, dims ...int) (*tensors.Tensor, error) {
	if backend == nil || !backend.HasSharedBuffers() || len(vals) == 0 {
		return tensors.FromFlatDataAndDimensions(vals, dims...), nil
	}
	buf, err := backend.BufferFromFlatData(0, vals, shapes.Make(dtypes.Float32, dims...))
	if err != nil {
		return nil, err
	}
	useExactStorage(buf, vals)
	return tensors.FromBuffer(buf)
}

// DeviceZeros is DeviceTensor of zeros.
func DeviceZeros(backend compute.Backend, dims ...int) (*tensors.Tensor, error) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return DeviceTensor(backend, make([]float32, n), dims...)
}

// useExactStorage points a Go-backend buffer, which already holds a copy
// of vals, at vals itself, so the rounded-up copy can be collected. It
// relies on the buffer's exported fields RawBytes ([]byte) and Flat (the
// typed view of RawBytes); it leaves any other buffer alone.
func useExactStorage(buf compute.Buffer, vals []float32) {
	p := reflect.ValueOf(buf)
	if p.Kind() != reflect.Pointer || p.Elem().Kind() != reflect.Struct {
		return
	}
	s := p.Elem()
	raw, flat := s.FieldByName("RawBytes"), s.FieldByName("Flat")
	if !raw.IsValid() || !flat.IsValid() || !raw.CanSet() || !flat.CanSet() ||
		raw.Type() != reflect.TypeFor[[]byte]() || flat.Kind() != reflect.Interface {
		return
	}
	cur, ok := flat.Interface().([]float32)
	if !ok || len(cur) != len(vals) {
		return
	}
	raw.Set(reflect.ValueOf(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), 4*len(vals))))
	flat.Set(reflect.ValueOf(vals))
}
