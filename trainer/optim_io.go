package trainer

import (
	"bufio"
	"fmt"
	"io"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy/safetensors"
)

// VariableTensor copies a float32 variable into a safetensors tensor.
func VariableTensor(name string, v *model.Variable) (safetensors.Tensor, error) {
	val, err := v.Value()
	if err != nil {
		return safetensors.Tensor{}, fmt.Errorf("trainer: %s: %w", name, err)
	}
	flat, err := tensors.CopyFlatData[float32](val)
	if err != nil {
		return safetensors.Tensor{}, fmt.Errorf("trainer: %s: %w", name, err)
	}
	raw, err := safetensors.EncodeFloat32(nil, flat, safetensors.F32)
	if err != nil {
		return safetensors.Tensor{}, fmt.Errorf("trainer: %s: %w", name, err)
	}
	shape := slices.Clone(val.Shape().Dimensions)
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: raw}, nil
}

// WriteSafetensors writes tensors as one safetensors file to w (the same
// bytes safetensors.Write puts in a file).
func WriteSafetensors(w io.Writer, ts []safetensors.Tensor) error {
	header, err := safetensors.EncodeHeader(ts, map[string]string{"format": "pt"})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(header); err != nil {
		return err
	}
	sorted := slices.Clone(ts)
	slices.SortFunc(sorted, func(a, b safetensors.Tensor) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	for _, t := range sorted {
		if _, err := bw.Write(t.Data); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Getter returns a named tensor's float32 values and shape.
type Getter func(name string) ([]float32, []int, error)

// ReadSafetensors parses a whole safetensors file held in memory.
func ReadSafetensors(data []byte) (Getter, error) {
	h, err := safetensors.ParseHeader(data, int64(len(data)))
	if err != nil {
		return nil, err
	}
	byName := map[string]safetensors.Info{}
	for _, info := range h.Tensors {
		byName[info.Name] = info
	}
	return func(name string) ([]float32, []int, error) {
		info, ok := byName[name]
		if !ok {
			return nil, nil, fmt.Errorf("no tensor %q", name)
		}
		raw := data[h.DataOffset+info.Begin : h.DataOffset+info.End]
		vals, err := safetensors.DecodeFloat32(nil, raw, info.DType)
		return vals, info.Shape, err
	}, nil
}

// SetVariable sets v from the tensor name of get, checking the shape.
func SetVariable(v *model.Variable, get Getter, name string) error {
	vals, shape, err := get(name)
	if err != nil {
		return err
	}
	if !slices.Equal(shape, v.Shape().Dimensions) {
		return fmt.Errorf("%s: shape %v, want %v", name, shape, v.Shape().Dimensions)
	}
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, shape...)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
