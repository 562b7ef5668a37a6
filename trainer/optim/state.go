package optim

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy/safetensors"
)

// VariableTensor is a float32 variable as a safetensors tensor whose bytes
// are encoded from the variable's value when written (no copy of it).
func VariableTensor(name string, v *model.Variable) safetensors.Tensor {
	return safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: slices.Clone(v.Shape().Dimensions),
		Write: safetensors.Float32Writer(safetensors.F32, func(fn func([]float32)) error {
			val, err := v.Value()
			if err != nil {
				return fmt.Errorf("optim: %s: %w", name, err)
			}
			return tensors.ConstFlatData(val, fn)
		})}
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
