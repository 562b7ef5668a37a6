package rollout

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"acecoder/policy"
)

// The sampler's two graphs run policy.Decoder's block (Decoder.Layer) with
// their own attention: prefill attends within right-padded prompts and
// returns every slot's keys and values; a decode step attends to a
// host-held KV cache that the graph never rewrites (the host writes the
// one new slot per row in place), so a step costs the cache's attention
// reads only. Both read the matrices from stacked inputs (policy.Stacked),
// refreshed from the model at each generation.

// maskedBias is added to attention scores of slots a query may not see;
// exp of it underflows to exactly 0 in float32.
const maskedBias = -1e30

// prefill runs prompts right-padded to T: ids, mask [P,T] int32 (mask 1 on
// the real tokens 0..len−1, positions = slot index). It returns the logits
// of each row's last real token [P,V] and the keys and values of every
// slot, [2L,P,KV,T,hd] (the K of each layer, then the V of each layer),
// keys rotated as the cache holds them.
func prefill(d *policy.Decoder, ids, mask *Node, st *policy.Stacked) (logits, kv *Node) {
	c := d.Config
	g := ids.Graph()
	p, t := ids.Shape().Dim(0), ids.Shape().Dim(1)
	kvh := c.KVHeads()
	rope := policy.NewRope(Iota(g, shapes.Make(dtypes.Int32, p, t), 1), policy.InvFreq(c), t, c.NumAttentionHeads, kvh)
	bias := policy.HeadsBias(policy.CausalBias(mask), kvh, c.NumAttentionHeads/kvh)
	ks := make([]*Node, c.NumHiddenLayers)
	vs := make([]*Node, c.NumHiddenLayers)
	x := d.Embed(ids)
	for l := range c.NumHiddenLayers {
		x = d.Layer(l, x, rope, st, func(q, k, v *Node) *Node {
			ks[l], vs[l] = TransposeAllAxes(k, 0, 2, 1, 3), TransposeAllAxes(v, 0, 2, 1, 3)
			return policy.Attend(q, k, v, bias)
		})
	}
	last := policy.LastHidden(x, mask) // [P,D]
	logits = Reshape(d.Head(d.FinalNorm(ExpandAxes(last, 1)), st), p, c.VocabSize)
	return logits, Stack(append(ks, vs...), 0)
}

// decode runs one new token per row against the host cache: ids, pos
// [B,1] int32; bias [B,M] float32 (0 on the row's filled slots, maskedBias
// elsewhere); cache K of each layer [B,KV,hd,M], then V of each layer
// [B,KV,M,hd] (see hostCache). The new token attends to its row's filled
// slots and to itself. It returns the logits [B,V] and the new token's
// keys and values [2L,B,KV,hd] for the host to store at the row's next
// slot.
func decode(d *policy.Decoder, ids, pos, bias *Node, cache []*Node, st *policy.Stacked) (logits, kv *Node) {
	c := d.Config
	n := c.NumHiddenLayers
	bs, kvh, hd := ids.Shape().Dim(0), c.KVHeads(), c.HeadDimension()
	// A row's position is its number of cached tokens, below the M slots.
	rope := policy.NewRope(pos, policy.InvFreq(c), bias.Shape().Dim(1), c.NumAttentionHeads, kvh)
	// Bias over [cache slots…, self]: the new token always sees itself.
	full := Concatenate([]*Node{bias, ZerosLike(Slice(bias, AxisRange(), AxisRange(0, 1)))}, 1)
	full = ExpandAxes(full, 1, 2) // [B,1,1,M+1]
	ks := make([]*Node, n)
	vs := make([]*Node, n)
	x := d.Embed(ids)
	for l := range n {
		x = d.Layer(l, x, rope, st, func(q, k, v *Node) *Node {
			ks[l], vs[l] = Reshape(k, bs, kvh, hd), Reshape(v, bs, kvh, hd)
			return attendStep(q, ks[l], vs[l], cache[l], cache[n+l], full)
		})
	}
	logits = Reshape(d.Head(d.FinalNorm(x), st), bs, c.VocabSize)
	return logits, Stack(append(ks, vs...), 0)
}

// attendStep is grouped-query attention of one query per row over the cache
// and the row's own new key: q [B,1,H,hd], k, v [B,KV,hd], cache kc
// [B,KV,hd,M] and vc [B,KV,M,hd], bias [B,1,1,M+1] → [B,1,H,hd]. Query
// head kv·G+g uses key/value head kv. Both cache products contract an axis
// that leads on the right-hand side, a layout the go backend multiplies
// without copies. Scores are q·k/√hd + bias, softmax over the M cache
// slots and the new token.
func attendStep(q, k, v, kc, vc, bias *Node) *Node {
	bs, h, hd := q.Shape().Dim(0), q.Shape().Dim(2), q.Shape().Dim(3)
	kv, m := kc.Shape().Dim(1), kc.Shape().Dim(3)
	qq := Reshape(q, bs, kv, h/kv, hd)
	cached := Dot(qq, kc).General([]int{3}, []int{0, 1}, []int{2}, []int{0, 1}) // [B,KV,G,M]
	self := ReduceAndKeep(Mul(qq, ExpandAxes(k, 2)), ReduceSum, -1)             // [B,KV,G,1]
	scores := MulScalar(Concatenate([]*Node{cached, self}, -1), 1/math.Sqrt(float64(hd)))
	probs := softmax(Add(scores, bias))
	pc := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, m))
	ps := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(m, m+1))
	out := Dot(pc, vc).General([]int{3}, []int{0, 1}, []int{2}, []int{0, 1}) // [B,KV,G,hd]
	out = Add(out, Mul(ps, ExpandAxes(v, 2)))
	return Reshape(out, bs, 1, h, hd)
}

// softmax over the last axis uses the backend's fused softmax where it has
// one. graph.Softmax also builds the decomposed form (for gradients), which
// the go backend then evaluates as well; sampling needs no gradients.
func softmax(x *Node) *Node {
	var out *Node
	err := exceptions.TryCatch[error](func() { out = BackendFusedSoftmax(x, x.Rank()-1) })
	if err != nil {
		return Softmax(x, -1)
	}
	return out
}
