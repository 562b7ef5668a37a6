package policy

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// KVCache holds per-layer keys and values, each [B, KVHeads, MaxLen,
// HeadDim] float32 (keys already rotated). Slots are shared across rows:
// slot j of every row is written by the same step, so a left-padded batch
// keeps its padding in the first slots and a per-row kvMask tells which
// slots hold real tokens.
type KVCache struct {
	K, V []*Node
}

// Step runs T new tokens per row through the decoder against the cache:
// ids, positions [B,T] int32; start scalar int32, the first slot to write
// (the new tokens go to slots start..start+T−1); kvMask [B,MaxLen], 1 for
// every slot holding a real token, including the new ones. Query i of row b
// attends to slots j ≤ start+i with kvMask[b,j] = 1. It returns the logits
// [B,T,V] and the updated cache. Prefill is a Step with T = prompt length
// and start 0; decoding is T = 1. The logits equal Logits on the full
// sequence with the same positions and mask.
func (d *Decoder) Step(ids, positions, start, kvMask *Node, cache KVCache) (*Node, KVCache) {
	c := d.Config
	g := ids.Graph()
	t := ids.Shape().Dim(1)
	maxLen := kvMask.Shape().Dim(1)
	x := d.Embed(ids)
	cos, sin := RopeCosSin(positions, InvFreq(c))
	bias := stepBias(kvMask, start, t)
	write := slotOneHot(g, start, t, maxLen) // [T,M]
	written := ReduceMax(write, 0)           // [M]
	next := KVCache{K: make([]*Node, c.NumHiddenLayers), V: make([]*Node, c.NumHiddenLayers)}
	for l := range c.NumHiddenLayers {
		x = d.layer(l, x, cos, sin, func(q, k, v *Node) *Node {
			next.K[l] = writeSlots(cache.K[l], k, write, written)
			next.V[l] = writeSlots(cache.V[l], v, write, written)
			return attendCache(q, next.K[l], next.V[l], bias)
		})
	}
	h := RMSNorm(x, d.weight(g, "model.norm.weight"), c.RMSNormEps)
	return d.Head(h), next
}

// slotOneHot is W[i,j] = 1 if j = start+i: [T,M] float32.
func slotOneHot(g *Graph, start *Node, t, m int) *Node {
	row := Add(Iota(g, shapeI32(t, m), 0), ConvertDType(start, dtypes.Int32))
	col := Iota(g, shapeI32(t, m), 1)
	return toF32(Equal(row, col))
}

// writeSlots stores new [B,T,KV,hd] into cache [B,KV,M,hd] at the slots of
// write [T,M]; other slots are kept bit for bit (a Where, not arithmetic).
// The placement is a one-hot matmul per (row, head) with the contraction
// (T) leading on the right, exact since each output sums one product.
func writeSlots(cache, new, write, written *Node) *Node {
	dims := cache.Shape().Dimensions
	b, kv, m, hd := dims[0], dims[1], dims[2], dims[3]
	t := new.Shape().Dim(1)
	wt := BroadcastToDims(Reshape(Transpose(write, 0, 1), 1, m, t), b*kv, m, t)
	nb := Reshape(TransposeAllDims(new, 0, 2, 1, 3), b*kv, t, hd)
	placed := Reshape(Dot(wt, nb).General([]int{2}, []int{0}, []int{1}, []int{0}), b, kv, m, hd)
	cond := BroadcastToDims(Reshape(GreaterThan(written, ScalarZero(cache.Graph(), dtypes.Float32)), 1, 1, m, 1), dims...)
	return Where(cond, placed, cache)
}

// stepBias is the additive bias [B,1,T,1,M]: 0 where slot j ≤ start+i and
// kvMask[b,j] = 1, maskedBias elsewhere.
func stepBias(kvMask, start *Node, t int) *Node {
	g := kvMask.Graph()
	b, m := kvMask.Shape().Dim(0), kvMask.Shape().Dim(1)
	qSlot := Add(Iota(g, shapeI32(t, m), 0), ConvertDType(start, dtypes.Int32))
	causal := ExpandAxes(LessOrEqual(Iota(g, shapeI32(t, m), 1), qSlot), 0) // [1,T,M]
	real := ExpandAxes(GreaterThan(toF32(kvMask), ScalarZero(g, dtypes.Float32)), 1)
	allowed := LogicalAnd(BroadcastToDims(causal, b, t, m), BroadcastToDims(real, b, t, m))
	bias := Where(allowed, ScalarZero(g, dtypes.Float32), Scalar(g, dtypes.Float32, maskedBias))
	return Reshape(bias, b, 1, t, 1, m)
}

// attendCache is Attend with keys and values in cache layout [B,KV,M,hd].
func attendCache(q, k, v, bias *Node) *Node {
	b, kv, m, hd := k.Shape().Dim(0), k.Shape().Dim(1), k.Shape().Dim(2), k.Shape().Dim(3)
	return attendCore(q, Reshape(k, b*kv, m, hd), Reshape(v, b*kv, m, hd), bias, 2)
}
