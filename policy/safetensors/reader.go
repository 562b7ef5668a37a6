package safetensors

import (
	"fmt"
	"os"
)

// File is an open safetensors file whose data is memory-mapped (read-only).
// Tensor bytes returned by Raw alias the mapping and are valid until Close.
type File struct {
	Path   string
	Header *Header
	data   []byte // whole file
	unmap  func() error
	byName map[string]int
}

// Open maps the file and parses its header.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: map %s: %w", path, err)
	}
	h, err := ParseHeader(data, st.Size())
	if err != nil {
		_ = unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sf := &File{Path: path, Header: h, data: data, unmap: unmap, byName: map[string]int{}}
	for i, t := range h.Tensors {
		sf.byName[t.Name] = i
	}
	return sf, nil
}

// Close releases the mapping.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	err := f.unmap()
	f.unmap, f.data = nil, nil
	return err
}

// Info returns the description of a tensor.
// Names lists the file's tensors in header order.
func (f *File) Names() []string {
	out := make([]string, len(f.Header.Tensors))
	for i, t := range f.Header.Tensors {
		out[i] = t.Name
	}
	return out
}

func (f *File) Info(name string) (Info, bool) {
	i, ok := f.byName[name]
	if !ok {
		return Info{}, false
	}
	return f.Header.Tensors[i], true
}

// Raw returns the tensor's bytes (aliasing the mapping).
func (f *File) Raw(name string) ([]byte, error) {
	info, ok := f.Info(name)
	if !ok {
		return nil, fmt.Errorf("safetensors: %s: no tensor %q", f.Path, name)
	}
	off := f.Header.DataOffset
	return f.data[off+info.Begin : off+info.End], nil
}

// Float32 returns the tensor converted to float32.
func (f *File) Float32(name string) ([]float32, error) {
	raw, err := f.Raw(name)
	if err != nil {
		return nil, err
	}
	info, _ := f.Info(name)
	out, err := DecodeFloat32(make([]float32, 0, info.NumElements()), raw, info.DType)
	if err != nil {
		return nil, fmt.Errorf("%s: tensor %q: %w", f.Path, name, err)
	}
	return out, nil
}
