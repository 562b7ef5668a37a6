package safetensors

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// Tensor is one tensor to write: its raw little-endian bytes in DType, held
// in Data or, when Data is nil, produced by Write while the file is being
// written (exactly Size bytes), so that writing a model never holds more
// than a small buffer beyond the weights themselves.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
	Write func(w io.Writer) error
}

// Size is the tensor's byte size from its shape and dtype.
func (t Tensor) Size() int64 {
	return Info{Shape: t.Shape}.NumElements() * int64(t.DType.Size())
}

// Write writes tensors (sorted by name) to path with the given metadata.
// The header is padded with spaces to a multiple of 8 bytes, as the
// reference writer does, so the data region is aligned.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := WriteTo(f, tensors, metadata); err != nil {
		f.Close()
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safetensors: close %s: %w", path, err)
	}
	return nil
}

// WriteTo writes a safetensors file to w: the header, then each tensor's
// bytes in name order, from Data or streamed by Write.
func WriteTo(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := EncodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(header); err != nil {
		return err
	}
	for _, t := range sortedByName(tensors) {
		if t.Data != nil {
			if _, err := bw.Write(t.Data); err != nil {
				return err
			}
			continue
		}
		cw := &countingWriter{w: bw}
		if err := t.Write(cw); err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", t.Name, err)
		}
		if cw.n != t.Size() {
			return fmt.Errorf("safetensors: tensor %q: wrote %d bytes, its shape needs %d", t.Name, cw.n, t.Size())
		}
	}
	return bw.Flush()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Float32Writer returns a Tensor.Write that encodes vals as dtype d in
// chunks through a small buffer (no copy of the whole tensor). vals is
// called when the tensor is written and must pass the values to fn.
func Float32Writer(d DType, vals func(fn func(flat []float32)) error) func(io.Writer) error {
	return func(w io.Writer) error {
		var werr error
		err := vals(func(flat []float32) {
			buf := make([]byte, 0, 64<<10)
			for len(flat) > 0 && werr == nil {
				n := min(len(flat), cap(buf)/4)
				if buf, werr = EncodeFloat32(buf[:0], flat[:n], d); werr != nil {
					return
				}
				_, werr = w.Write(buf)
				flat = flat[n:]
			}
		})
		if err != nil {
			return err
		}
		return werr
	}
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
		want := t.Size()
		switch {
		case t.DType.Size() == 0:
			return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
		case t.Data == nil && t.Write == nil:
			return nil, fmt.Errorf("safetensors: tensor %q has neither data nor a writer", t.Name)
		case t.Data != nil && int64(len(t.Data)) != want:
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
