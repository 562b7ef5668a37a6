package policy

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Cache is a host-held KV cache for Model.Step: per layer K and V tensors
// [B, KVHeads, MaxLen, HeadDim] float32, replaced by each step.
type Cache struct {
	Batch, MaxLen int
	K, V          []*tensors.Tensor
}

// NewCache returns a zeroed cache for batch rows of up to maxLen slots.
func (m *Model) NewCache(batch, maxLen int) *Cache {
	c := m.Config
	dims := []int{batch, c.KVHeads(), maxLen, c.HeadDimension()}
	cache := &Cache{Batch: batch, MaxLen: maxLen}
	for range c.NumHiddenLayers {
		cache.K = append(cache.K, tensors.FromFlatDataAndDimensions(make([]float32, numElements(dims)), dims...))
		cache.V = append(cache.V, tensors.FromFlatDataAndDimensions(make([]float32, numElements(dims)), dims...))
	}
	return cache
}

// Step runs Decoder.Step on the host: ids and positions [B][T], the new
// tokens written at slots start..start+T−1, kvMask [B][MaxLen] marking real
// slots (including the new ones). It returns the logits [B,T,V] and
// replaces the cache's tensors with the updated ones.
func (m *Model) Step(cache *Cache, ids, positions [][]int32, start int, kvMask [][]int32) (*tensors.Tensor, error) {
	if len(ids) != cache.Batch || len(ids) == 0 {
		return nil, fmt.Errorf("policy: step: %d rows for a cache of %d", len(ids), cache.Batch)
	}
	t := len(ids[0])
	if start < 0 || start+t > cache.MaxLen {
		return nil, fmt.Errorf("policy: step: slots %d..%d outside the cache of %d", start, start+t-1, cache.MaxLen)
	}
	idsT, err := matrix(ids, cache.Batch, t)
	if err != nil {
		return nil, err
	}
	posT, err := matrix(positions, cache.Batch, t)
	if err != nil {
		return nil, err
	}
	maskT, err := matrix(kvMask, cache.Batch, cache.MaxLen)
	if err != nil {
		return nil, err
	}
	args := []any{idsT, posT, tensors.FromValue(int32(start)), maskT}
	for _, k := range cache.K {
		args = append(args, k)
	}
	for _, v := range cache.V {
		args = append(args, v)
	}
	out, err := m.run("step", m.stepGraph, args...)
	if err != nil {
		return nil, err
	}
	n := m.Config.NumHiddenLayers
	cache.K, cache.V = out[1:1+n], out[1+n:1+2*n]
	return out[0], nil
}

// stepGraph adapts Decoder.Step to the flat input/output lists of an executor.
func (m *Model) stepGraph(_ *model.Scope, in []*Node) []*Node {
	n := m.Config.NumHiddenLayers
	cache := KVCache{K: in[4 : 4+n], V: in[4+n : 4+2*n]}
	logits, next := m.Decoder.Step(in[0], in[1], in[2], in[3], cache)
	out := append([]*Node{logits}, next.K...)
	return append(out, next.V...)
}
