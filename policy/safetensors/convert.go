package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes/float16"
)

// BF16FromFloat32 rounds to the nearest bfloat16, ties to even, as PyTorch's
// tensor.to(torch.bfloat16) does; NaN stays a (quiet) NaN.
func BF16FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	rounding := uint32(0x7fff) + (b>>16)&1
	return uint16((b + rounding) >> 16)
}

// Float32FromBF16 widens a bfloat16 exactly.
func Float32FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// DecodeFloat32 converts little-endian raw bytes of dtype d (F32, BF16, F16
// or F64) to float32 values, appending to dst.
func DecodeFloat32(dst []float32, raw []byte, d DType) ([]float32, error) {
	size := d.Size()
	if size == 0 || len(raw)%size != 0 {
		return nil, fmt.Errorf("safetensors: %d bytes is not a whole number of %s elements", len(raw), d)
	}
	n := len(raw) / size
	switch d {
	case F32:
		for i := range n {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case BF16:
		for i := range n {
			dst = append(dst, Float32FromBF16(binary.LittleEndian.Uint16(raw[2*i:])))
		}
	case F16:
		for i := range n {
			dst = append(dst, float16.Float16(binary.LittleEndian.Uint16(raw[2*i:])).Float32())
		}
	case F64:
		for i := range n {
			dst = append(dst, float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))))
		}
	default:
		return nil, fmt.Errorf("safetensors: cannot convert %s to float32", d)
	}
	return dst, nil
}

// EncodeFloat32 converts float32 values to little-endian bytes of dtype d
// (F32, BF16 or F16), appending to dst.
func EncodeFloat32(dst []byte, vals []float32, d DType) ([]byte, error) {
	switch d {
	case F32:
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case BF16:
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint16(dst, BF16FromFloat32(v))
		}
	case F16:
		for _, v := range vals {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(float16.FromFloat32(v)))
		}
	default:
		return nil, fmt.Errorf("safetensors: cannot write float32 values as %s", d)
	}
	return dst, nil
}
