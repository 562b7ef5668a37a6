package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Index file and single-file names used in Hugging Face model directories.
const (
	SingleFile = "model.safetensors"
	IndexFile  = "model.safetensors.index.json"
)

// Index is the content of model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// ShardName is the Hugging Face shard file name, 1-based.
func ShardName(i, n int) string { return fmt.Sprintf("model-%05d-of-%05d.safetensors", i, n) }

// Set is the tensors of a model directory, possibly spread over shards.
type Set struct {
	files  []*File
	byName map[string]*File
}

// OpenDir opens model.safetensors or, when absent, the shards listed in
// model.safetensors.index.json. A tensor present in two files, or listed in
// the index but not in its shard, is an error.
func OpenDir(dir string) (*Set, error) {
	single := filepath.Join(dir, SingleFile)
	if _, err := os.Stat(single); err == nil {
		f, err := Open(single)
		if err != nil {
			return nil, err
		}
		return newSet([]*File{f})
	}
	raw, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s holds neither %s nor %s: %w", dir, SingleFile, IndexFile, err)
	}
	var idx Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", IndexFile, err)
	}
	shards := map[string]bool{}
	for _, shard := range idx.WeightMap {
		shards[shard] = true
	}
	names := make([]string, 0, len(shards))
	for s := range shards {
		if filepath.Base(s) != s {
			return nil, fmt.Errorf("safetensors: %s: shard %q is not a plain file name", IndexFile, s)
		}
		names = append(names, s)
	}
	sort.Strings(names)
	var files []*File
	for _, s := range names {
		f, err := Open(filepath.Join(dir, s))
		if err != nil {
			closeAll(files)
			return nil, err
		}
		files = append(files, f)
	}
	set, err := newSet(files)
	if err != nil {
		return nil, err
	}
	var errs []error
	for name, shard := range idx.WeightMap {
		if f, ok := set.byName[name]; !ok || filepath.Base(f.Path) != shard {
			errs = append(errs, fmt.Errorf("index lists %q in %s, not found there", name, shard))
		}
	}
	if len(errs) > 0 {
		set.Close()
		return nil, fmt.Errorf("safetensors: %s: %w", IndexFile, errors.Join(errs...))
	}
	return set, nil
}

func newSet(files []*File) (*Set, error) {
	s := &Set{files: files, byName: map[string]*File{}}
	for _, f := range files {
		for _, t := range f.Header.Tensors {
			if prev, dup := s.byName[t.Name]; dup {
				s.Close()
				return nil, fmt.Errorf("safetensors: tensor %q in both %s and %s", t.Name, prev.Path, f.Path)
			}
			s.byName[t.Name] = f
		}
	}
	return s, nil
}

func closeAll(fs []*File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// Close unmaps all files.
func (s *Set) Close() { closeAll(s.files) }

// Names lists all tensor names, sorted.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.byName))
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Info describes a tensor.
func (s *Set) Info(name string) (Info, bool) {
	f, ok := s.byName[name]
	if !ok {
		return Info{}, false
	}
	return f.Info(name)
}

// Float32 returns a tensor converted to float32.
func (s *Set) Float32(name string) ([]float32, error) {
	f, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q", name)
	}
	return f.Float32(name)
}

// WriteDir writes tensors to dir as model.safetensors, or, when their total
// size exceeds maxShardBytes > 0, as numbered shards plus the index (tensors
// in name order, a shard closed once adding a tensor would exceed the limit).
func WriteDir(dir string, tensors []Tensor, maxShardBytes int64) error {
	ts := sortedByName(tensors)
	var shards [][]Tensor
	var cur []Tensor
	var curBytes, total int64
	for _, t := range ts {
		n := t.Size()
		total += n
		if maxShardBytes > 0 && len(cur) > 0 && curBytes+n > maxShardBytes {
			shards, cur, curBytes = append(shards, cur), nil, 0
		}
		cur, curBytes = append(cur, t), curBytes+n
	}
	shards = append(shards, cur)
	meta := map[string]string{"format": "pt"}
	if len(shards) == 1 {
		return Write(filepath.Join(dir, SingleFile), ts, meta)
	}
	idx := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	for i, shard := range shards {
		name := ShardName(i+1, len(shards))
		if err := Write(filepath.Join(dir, name), shard, meta); err != nil {
			return err
		}
		for _, t := range shard {
			idx.WeightMap[t.Name] = name
		}
	}
	js, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("safetensors: index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFile), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
