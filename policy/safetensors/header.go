// Package safetensors reads and writes the safetensors format used by
// Hugging Face model directories: an 8-byte little-endian header length, a
// JSON header mapping tensor names to dtype, shape and byte offsets, then the
// raw little-endian tensor bytes. Files are memory-mapped for reading; sharded
// checkpoints are described by a model.safetensors.index.json weight map.
//
// The header parser is strict (fuzzed): offsets must lie inside the data
// region, match dtype × shape, not overlap and leave no holes, as the format
// specification requires.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// MaxHeaderBytes bounds the JSON header, as the reference implementation does.
const MaxHeaderBytes = 100 << 20

// DType is a safetensors dtype string ("F32", "BF16", "F16", ...).
type DType string

// DTypes this package converts to and from float32; other dtypes are parsed
// (so a header listing them is valid) but not converted.
const (
	F32  DType = "F32"
	BF16 DType = "BF16"
	F16  DType = "F16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size returns the byte size of one element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64, "U64":
		return 8
	case F32, I32, "U32":
		return 4
	case BF16, F16, I16, "U16":
		return 2
	case I8, U8, Bool, "F8_E4M3", "F8_E5M2":
		return 1
	}
	return 0
}

// Info describes one tensor in a file: dtype, shape and its byte range
// [Begin, End) relative to the start of the data region.
type Info struct {
	Name  string
	DType DType
	Shape []int
	Begin int64
	End   int64
}

// NumElements is the product of the shape (1 for a scalar).
func (i Info) NumElements() int64 {
	n := int64(1)
	for _, d := range i.Shape {
		n *= int64(d)
	}
	return n
}

// Header is a parsed safetensors header: tensors sorted by Begin offset and
// the optional string metadata.
type Header struct {
	Tensors  []Info
	Metadata map[string]string
	// DataOffset is where the data region starts in the file (8 + header length).
	DataOffset int64
}

type rawInfo struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ParseHeader parses the header at the start of buf given the total file
// size (buf may hold only the first 8+N bytes). Every inconsistency is an
// error naming the tensor.
func ParseHeader(buf []byte, fileSize int64) (*Header, error) {
	if len(buf) < 8 {
		return nil, errors.New("safetensors: file shorter than the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(buf[:8])
	if n > MaxHeaderBytes {
		return nil, fmt.Errorf("safetensors: header length %d exceeds %d", n, MaxHeaderBytes)
	}
	if int64(n)+8 > fileSize || uint64(len(buf)) < 8+n {
		return nil, fmt.Errorf("safetensors: header length %d beyond end of file (%d bytes)", n, fileSize)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("safetensors: header JSON: %w", err)
	}
	h := &Header{DataOffset: 8 + int64(n)}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors: __metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		info, err := parseInfo(name, msg)
		if err != nil {
			return nil, err
		}
		h.Tensors = append(h.Tensors, info)
	}
	if err := checkLayout(h.Tensors, fileSize-h.DataOffset); err != nil {
		return nil, err
	}
	return h, nil
}

func parseInfo(name string, msg json.RawMessage) (Info, error) {
	var r rawInfo
	if err := json.Unmarshal(msg, &r); err != nil {
		return Info{}, fmt.Errorf("safetensors: tensor %q: %w", name, err)
	}
	size := r.DType.Size()
	if size == 0 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, r.DType)
	}
	if len(r.DataOffsets) != 2 {
		return Info{}, fmt.Errorf("safetensors: tensor %q: data_offsets must have 2 entries, got %d", name, len(r.DataOffsets))
	}
	info := Info{Name: name, DType: r.DType, Begin: r.DataOffsets[0], End: r.DataOffsets[1]}
	numel := int64(1)
	for _, d := range r.Shape {
		if d < 0 || d > math.MaxInt32 {
			return Info{}, fmt.Errorf("safetensors: tensor %q: invalid dimension %d", name, d)
		}
		if d != 0 && numel > math.MaxInt64/8/d {
			return Info{}, fmt.Errorf("safetensors: tensor %q: shape %v overflows", name, r.Shape)
		}
		numel *= d
		info.Shape = append(info.Shape, int(d))
	}
	if info.Begin < 0 || info.End < info.Begin {
		return Info{}, fmt.Errorf("safetensors: tensor %q: invalid data_offsets [%d, %d]", name, info.Begin, info.End)
	}
	if want := numel * int64(size); info.End-info.Begin != want {
		return Info{}, fmt.Errorf("safetensors: tensor %q: %s%v needs %d bytes, data_offsets span %d",
			name, r.DType, info.Shape, want, info.End-info.Begin)
	}
	return info, nil
}

// checkLayout verifies the byte ranges tile [0, dataSize) exactly.
func checkLayout(ts []Info, dataSize int64) error {
	sort.Slice(ts, func(a, b int) bool {
		if ts[a].Begin != ts[b].Begin {
			return ts[a].Begin < ts[b].Begin
		}
		return ts[a].End < ts[b].End
	})
	var pos int64
	for _, t := range ts {
		if t.Begin != pos {
			if t.Begin < pos {
				return fmt.Errorf("safetensors: tensor %q overlaps the previous tensor (begins at %d < %d)", t.Name, t.Begin, pos)
			}
			return fmt.Errorf("safetensors: hole in data before tensor %q (%d..%d)", t.Name, pos, t.Begin)
		}
		pos = t.End
	}
	if pos != dataSize {
		return fmt.Errorf("safetensors: tensors cover %d data bytes, file holds %d", pos, dataSize)
	}
	return nil
}
