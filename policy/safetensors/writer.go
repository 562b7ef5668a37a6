package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Tensor is one tensor to write: its raw little-endian bytes in DType.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Write writes tensors (sorted by name) to path with the given metadata.
// The header is padded with spaces to a multiple of 8 bytes, as the
// reference writer does, so the data region is aligned.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	header, err := EncodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(header); err != nil {
		f.Close()
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	for _, t := range sortedByName(tensors) {
		if _, err := w.Write(t.Data); err != nil {
			f.Close()
			return fmt.Errorf("safetensors: write %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safetensors: close %s: %w", path, err)
	}
	return nil
}

func sortedByName(ts []Tensor) []Tensor {
	out := append([]Tensor(nil), ts...)
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// EncodeHeader returns the 8-byte length plus the padded JSON header for
// tensors laid out in name order.
func EncodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	entries := map[string]any{}
	if len(metadata) > 0 {
		entries["__metadata__"] = metadata
	}
	var off int64
	for _, t := range sortedByName(tensors) {
		info := Info{Name: t.Name, DType: t.DType, Shape: t.Shape}
		want := info.NumElements() * int64(t.DType.Size())
		if t.DType.Size() == 0 || int64(len(t.Data)) != want {
			return nil, fmt.Errorf("safetensors: tensor %q: %s%v needs %d bytes, got %d", t.Name, t.DType, t.Shape, want, len(t.Data))
		}
		if _, dup := entries[t.Name]; dup || t.Name == "__metadata__" {
			return nil, fmt.Errorf("safetensors: duplicate or reserved tensor name %q", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		entries[t.Name] = map[string]any{"dtype": t.DType, "shape": shape, "data_offsets": []int64{off, off + want}}
		off += want
	}
	js, err := json.Marshal(entries)
	if err != nil {
		return nil, fmt.Errorf("safetensors: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(make([]byte, 0, 8+len(js)), uint64(len(js)))
	return append(out, js...), nil
}
