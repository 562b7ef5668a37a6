package rollout

import (
	"math"
	"strconv"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/support/exceptions"

	"acecoder/policy"
)

// The graphs here rebuild the decoder block of policy.Decoder from the
// model's HF-named weights with a different attention: decoding reads a
// host-held KV cache that the graph never rewrites (the host writes the one
// new slot per row in place), so a step costs the cache's attention reads
// only, not a functional copy of the whole cache as policy.Decoder.Step
// does. The tests check both graphs against policy's full forward.

// maskedBias is added to attention scores of slots a query may not see;
// exp of it underflows to exactly 0 in float32.
const maskedBias = -1e30

// blocks builds decoder layers over the weights of d. When wt is set it
// maps HF matrix names to their transposes [in,out], fed as graph inputs
// (see linearNames), so a decode step does not transpose every weight.
type blocks struct {
	d  *policy.Decoder
	wt map[string]*Node
}

// linearNames lists the matrices a decode step multiplies by, in the order
// of the decode graph's transposed-weight inputs: per layer q, k, v, o,
// gate, up, down; then the LM head (the embedding when tied).
func linearNames(c *policy.Config) []string {
	var names []string
	for l := range c.NumHiddenLayers {
		p := "model.layers." + strconv.Itoa(l) + "."
		for _, n := range []string{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"} {
			names = append(names, p+n+".weight")
		}
	}
	if c.TieWordEmbeddings {
		return append(names, "model.embed_tokens.weight")
	}
	return append(names, "lm_head.weight")
}

// matrix returns x·Wᵀ for the HF matrix name: [...,in] → [...,out].
func (b blocks) matrix(x *Node, name string) *Node {
	if wt, ok := b.wt[name]; ok {
		return Dot(x, wt).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
	}
	return matmulT(x, b.weight(x.Graph(), name))
}

func (b blocks) weight(g *Graph, name string) *Node {
	path := policy.VariablePath(b.d.Scope, name)
	v := b.d.Scope.Store().GetVariable(path)
	if v == nil {
		exceptions.Panicf("rollout: weight %q not found at %s", name, path)
	}
	return v.NodeValue(g)
}

// linear is x·Wᵀ (+ b) for an HF Linear with weight [out,in]. The weight
// is transposed to [in,out] in the graph, as policy does: with the
// contraction axis leading on the right the go backend's small-matrix path
// uses broadcast-FMA instead of per-element dot products.
func (b blocks) linear(x *Node, name string, bias bool) *Node {
	y := b.matrix(x, name+".weight")
	if bias {
		w := b.weight(x.Graph(), name+".bias")
		dims := make([]int, y.Rank())
		for i := range dims {
			dims[i] = 1
		}
		dims[len(dims)-1] = w.Shape().Dim(0)
		y = Add(y, Reshape(w, dims...))
	}
	return y
}

// matmulT is x·wᵀ: x [...,in], w [out,in] → [...,out].
func matmulT(x, w *Node) *Node {
	return Dot(x, Transpose(w, 0, 1)).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
}

// attendFn gets q [B,S,KV,G,hd] and the new k, v [B,S,KV,hd] (q, k rotated)
// and returns the attention output [B,S,KV,G,hd].
type attendFn func(q, k, v *Node) *Node

// layer is block l of the decoder (pre-norm attention and SwiGLU MLP, as
// policy.Decoder builds it): x [B,S,D], cos/sin [B,S,hd/2].
func (b blocks) layer(l int, x, cos, sin *Node, attend attendFn) *Node {
	c := b.d.Config
	g := x.Graph()
	p := "model.layers." + strconv.Itoa(l) + "."
	bs, s := x.Shape().Dim(0), x.Shape().Dim(1)
	kv, hd := c.KVHeads(), c.HeadDimension()
	grp := c.NumAttentionHeads / kv
	h := policy.RMSNorm(x, b.weight(g, p+"input_layernorm.weight"), c.RMSNormEps)
	q := Reshape(b.linear(h, p+"self_attn.q_proj", c.QKVBias()), bs, s, kv, grp, hd)
	k := Reshape(b.linear(h, p+"self_attn.k_proj", c.QKVBias()), bs, s, kv, hd)
	v := Reshape(b.linear(h, p+"self_attn.v_proj", c.QKVBias()), bs, s, kv, hd)
	q = policy.RotateHalf(q, Reshape(cos, bs, s, 1, 1, hd/2), Reshape(sin, bs, s, 1, 1, hd/2))
	k = policy.RotateHalf(k, Reshape(cos, bs, s, 1, hd/2), Reshape(sin, bs, s, 1, hd/2))
	o := Reshape(attend(q, k, v), bs, s, kv*grp*hd)
	x = Add(x, b.linear(o, p+"self_attn.o_proj", c.OBias()))
	h = policy.RMSNorm(x, b.weight(g, p+"post_attention_layernorm.weight"), c.RMSNormEps)
	act := Mul(silu(b.linear(h, p+"mlp.gate_proj", false)), b.linear(h, p+"mlp.up_proj", false))
	return Add(x, b.linear(act, p+"mlp.down_proj", false))
}

// finalLogits applies the final norm and the LM head: x [B,S,D] → [B,S,V].
func (b blocks) finalLogits(x *Node) *Node {
	c := b.d.Config
	h := policy.RMSNorm(x, b.weight(x.Graph(), "model.norm.weight"), c.RMSNormEps)
	return b.matrix(h, linearNames(c)[7*c.NumHiddenLayers])
}

// prefill runs prompts right-padded to T: ids, mask [P,T] int32 (mask 1 on
// the real tokens 0..len−1, positions = slot index). It returns the logits
// of each row's last real token [P,V] and the keys and values of every
// slot, [2L,P,KV,T,hd] (the K of each layer, then the V of each layer),
// keys rotated as the cache holds them.
func (b blocks) prefill(ids, mask *Node) (logits, kv *Node) {
	c := b.d.Config
	g := ids.Graph()
	p, t := ids.Shape().Dim(0), ids.Shape().Dim(1)
	pos := Iota(g, shapes.Make(dtypes.Int32, p, t), 1)
	cos, sin := policy.RopeCosSin(pos, policy.InvFreq(c))
	// Causal and key-padding bias [P,1,1,T,T].
	causal := ExpandAxes(LessOrEqual(Iota(g, shapes.Make(dtypes.Int32, t, t), 1), Iota(g, shapes.Make(dtypes.Int32, t, t), 0)), 0)
	real := ExpandAxes(GreaterThan(mask, ScalarZero(g, dtypes.Int32)), 1)
	allowed := LogicalAnd(BroadcastToDims(causal, p, t, t), BroadcastToDims(real, p, t, t))
	bias := Reshape(Where(allowed, ScalarZero(g, dtypes.Float32), Scalar(g, dtypes.Float32, maskedBias)), p, 1, 1, t, t)
	ks := make([]*Node, c.NumHiddenLayers)
	vs := make([]*Node, c.NumHiddenLayers)
	x := b.d.Embed(ids)
	for l := range c.NumHiddenLayers {
		x = b.layer(l, x, cos, sin, func(q, k, v *Node) *Node {
			ks[l], vs[l] = TransposeAllAxes(k, 0, 2, 1, 3), TransposeAllAxes(v, 0, 2, 1, 3)
			return attendPrompt(q, k, v, bias)
		})
	}
	last := policy.LastHidden(x, mask) // [P,D]
	logits = Reshape(b.finalLogits(ExpandAxes(last, 1)), p, c.VocabSize)
	return logits, Stack(append(ks, vs...), 0)
}

// decode runs one new token per row against the host cache: ids, pos
// [B,1] int32; bias [B,M] float32 (0 on the row's filled slots, maskedBias
// elsewhere); cache K of each layer [B,KV,hd,M], then V of each layer
// [B,KV,M,hd] (see hostCache). The new token
// attends to its row's filled slots and to itself. It returns the logits
// [B,V] and the new token's keys and values [2L,B,KV,hd] for the host to
// store at the row's next slot. weightsT are the transposed matrices of
// linearNames.
func (b blocks) decode(ids, pos, bias *Node, cache, weightsT []*Node) (logits, kv *Node) {
	c := b.d.Config
	n := c.NumHiddenLayers
	b.wt = map[string]*Node{}
	for i, name := range linearNames(c) {
		b.wt[name] = weightsT[i]
	}
	bs := ids.Shape().Dim(0)
	cos, sin := policy.RopeCosSin(pos, policy.InvFreq(c))
	// Bias over [cache slots…, self]: the new token always sees itself.
	full := Concatenate([]*Node{bias, ZerosLike(Slice(bias, AxisRange(), AxisRange(0, 1)))}, 1)
	full = ExpandAxes(full, 1, 2) // [B,1,1,M+1]
	ks := make([]*Node, n)
	vs := make([]*Node, n)
	x := b.d.Embed(ids)
	for l := range n {
		x = b.layer(l, x, cos, sin, func(q, k, v *Node) *Node {
			ks[l], vs[l] = Reshape(k, bs, c.KVHeads(), c.HeadDimension()), Reshape(v, bs, c.KVHeads(), c.HeadDimension())
			return attendStep(q, ks[l], vs[l], cache[l], cache[n+l], full)
		})
	}
	logits = Reshape(b.finalLogits(x), bs, c.VocabSize)
	return logits, Stack(append(ks, vs...), 0)
}

// attendStep is grouped-query attention of one query per row over the cache
// and the row's own new key: q [B,1,KV,G,hd], k, v [B,KV,hd], cache kc
// [B,KV,hd,M] and vc [B,KV,M,hd], bias [B,1,1,M+1] → [B,1,KV,G,hd]. Both
// products contract an axis that leads on the right-hand side, the go
// backend's broadcast-FMA path. Scores are
// q·k/√hd + bias, softmax over the M cache slots and the new token.
func attendStep(q, k, v, kc, vc, bias *Node) *Node {
	bs, kv, grp, hd := q.Shape().Dim(0), q.Shape().Dim(2), q.Shape().Dim(3), q.Shape().Dim(4)
	m := kc.Shape().Dim(3)
	qq := Reshape(q, bs, kv, grp, hd)
	cached := Dot(qq, kc).General([]int{3}, []int{0, 1}, []int{2}, []int{0, 1}) // [B,KV,G,M]
	self := ReduceAndKeep(Mul(qq, ExpandAxes(k, 2)), ReduceSum, -1)             // [B,KV,G,1]
	scores := MulScalar(Concatenate([]*Node{cached, self}, -1), 1/math.Sqrt(float64(hd)))
	probs := softmax(Add(scores, bias))
	pc := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, m))
	ps := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(m, m+1))
	out := Dot(pc, vc).General([]int{3}, []int{0, 1}, []int{2}, []int{0, 1}) // [B,KV,G,hd]
	out = Add(out, Mul(ps, ExpandAxes(v, 2)))
	return Reshape(out, bs, 1, kv, grp, hd)
}

// attendPrompt is causal grouped-query attention within prompts:
// q [P,T,KV,G,hd], k, v [P,T,KV,hd], bias [P,1,1,T,T] → [P,T,KV,G,hd].
// Query head kv·G+g uses key/value head kv, as HF's repeat_kv does.
func attendPrompt(q, k, v, bias *Node) *Node {
	p, t, kv, grp, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3), q.Shape().Dim(4)
	qb := Reshape(TransposeAllAxes(q, 0, 2, 3, 1, 4), p*kv, grp*t, hd)
	kb := Reshape(TransposeAllAxes(k, 0, 2, 1, 3), p*kv, t, hd)
	vb := Reshape(TransposeAllAxes(v, 0, 2, 1, 3), p*kv, t, hd)
	scores := Dot(qb, kb).General([]int{2}, []int{0}, []int{2}, []int{0}) // [P·KV, G·T, T]
	scores = Reshape(MulScalar(scores, 1/math.Sqrt(float64(hd))), p, kv, grp, t, t)
	probs := Reshape(softmax(Add(scores, bias)), p*kv, grp*t, t)
	out := Dot(probs, vb).General([]int{2}, []int{0}, []int{1}, []int{0}) // [P·KV, G·T, hd]
	return TransposeAllAxes(Reshape(out, p, kv, grp, t, hd), 0, 3, 1, 2, 4)
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

// silu is x·sigmoid(x) with sigmoid(x) = softmax([x, 0])₀, so the go
// backend evaluates it with its fused softmax (a polynomial exp) rather
// than its Exp/Logistic ops, which call math.Exp per element and measured
// ~20× slower per element inside decode steps on this machine.
func silu(x *Node) *Node {
	pair := Stack([]*Node{x, ZerosLike(x)}, -1)
	spec := make([]SliceAxisSpec, 0, x.Rank()+1)
	for range x.Rank() {
		spec = append(spec, AxisRange())
	}
	sig := Squeeze(Slice(softmax(pair), append(spec, AxisRange(0, 1))...), -1)
	return Mul(x, sig)
}
