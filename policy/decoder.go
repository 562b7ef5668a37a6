package policy

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Decoder builds the graph of a Qwen2ForCausalLM / LlamaForCausalLM decoder
// whose weights are float32 variables under Scope, named as in Hugging Face
// (see Config.Params and VariablePath). Its methods are graph-building
// functions: they panic (GoMLX convention); Model's host methods recover.
//
// Inputs common to all methods: ids [B,S] int32; positions [B,S] int32
// (rotary position of each token, per row, so left-padded rows start at 0 at
// their first real token); mask [B,S] int32 or float, 1 for real tokens and
// 0 for padding. Outputs at padding positions are finite but meaningless.
type Decoder struct {
	Config *Config
	Scope  *model.Scope
}

// maskedBias is added to attention scores that a query may not see; exp of
// it underflows to exactly 0 in float32, and rows that see nothing (padding
// queries) stay finite.
const maskedBias = -1e30

// weight returns the node of the HF-named weight.
func (d *Decoder) weight(g *Graph, name string) *Node {
	path := VariablePath(d.Scope, name)
	v := d.Scope.Store().GetVariable(path)
	if v == nil {
		exceptions.Panicf("policy: weight %q not found at %s (model not initialised or loaded)", name, path)
	}
	return v.NodeValue(g)
}

// linear is x·Wᵀ (+ b) for an HF Linear with weight [out,in]: x [...,in] → [...,out].
func (d *Decoder) linear(x *Node, name string, bias bool) *Node {
	y := matmulT(x, d.weight(x.Graph(), name+".weight"))
	if bias {
		y = Add(y, lead(d.weight(x.Graph(), name+".bias"), y.Rank()))
	}
	return y
}

// RMSNorm is x · rsqrt(mean(x², last axis) + eps) · w, in float32 as in
// HF's Qwen2RMSNorm/LlamaRMSNorm. x [...,D], w [D].
func RMSNorm(x, w *Node, eps float64) *Node {
	ms := ReduceAndKeep(Square(x), ReduceMean, -1)
	// Rsqrt has no gradient in GoMLX v0.28.8, so divide by the square root.
	return Mul(Div(x, Sqrt(AddScalar(ms, eps))), lead(w, x.Rank()))
}

// SiLU is x·sigmoid(x).
func SiLU(x *Node) *Node { return Mul(x, Sigmoid(x)) }

// Embed gathers rows of the token embedding: ids [B,S] → [B,S,D].
func (d *Decoder) Embed(ids *Node) *Node {
	emb := d.weight(ids.Graph(), "model.embed_tokens.weight")
	return Gather(emb, ExpandAxes(ConvertDType(ids, dtypes.Int32), -1))
}

// attentionBias builds the additive causal + padding bias [B,1,S,1,S]:
// 0 where key t ≤ query s and mask[b,t] is 1, maskedBias elsewhere.
func attentionBias(mask *Node) *Node {
	g := mask.Graph()
	b, s := mask.Shape().Dim(0), mask.Shape().Dim(1)
	q := Iota(g, shapeI32(s, s), 0)
	k := Iota(g, shapeI32(s, s), 1)
	causal := ExpandAxes(LessOrEqual(k, q), 0)                                      // [1,S,S]
	real := ExpandAxes(GreaterThan(toF32(mask), Scalar(g, dtypes.Float32, 0.5)), 1) // [B,1,S]
	allowed := LogicalAnd(BroadcastToDims(causal, b, s, s), BroadcastToDims(real, b, s, s))
	bias := Where(allowed, Scalar(g, dtypes.Float32, 0), Scalar(g, dtypes.Float32, maskedBias))
	return Reshape(bias, b, 1, s, 1, s)
}

// Hidden runs the decoder and returns the final-norm hidden states [B,S,D].
func (d *Decoder) Hidden(ids, positions, mask *Node) *Node {
	c := d.Config
	x := d.Embed(ids)
	cos, sin := RopeCosSin(positions, InvFreq(c))
	bias := attentionBias(mask)
	for l := range c.NumHiddenLayers {
		x = d.layer(l, x, cos, sin, func(q, k, v *Node) *Node { return Attend(q, k, v, bias) })
	}
	return RMSNorm(x, d.weight(x.Graph(), "model.norm.weight"), c.RMSNormEps)
}

// Logits runs the decoder: [B,S,V] float32 next-token logits.
func (d *Decoder) Logits(ids, positions, mask *Node) *Node {
	return d.Head(d.Hidden(ids, positions, mask))
}

// Head applies the LM head (the embedding matrix when tied): [B,S,D] → [B,S,V].
func (d *Decoder) Head(hidden *Node) *Node {
	name := "lm_head.weight"
	if d.Config.TieWordEmbeddings {
		name = "model.embed_tokens.weight"
	}
	return matmulT(hidden, d.weight(hidden.Graph(), name))
}

// Layer is decoder block l (pre-norm attention and SwiGLU MLP) on x
// [B,S,D] with rotary cos/sin [B,S,hd/2]; attend gets q [B,S,KV,G,hd] and
// the block's new k, v [B,S,KV,hd] (q and k rotated) and returns
// [B,S,KV,G,hd]. It lets a caller with its own cache layout reuse the block.
func (d *Decoder) Layer(l int, x, cos, sin *Node, attend func(q, k, v *Node) *Node) *Node {
	return d.layer(l, x, cos, sin, attend)
}

// Linear applies the HF Linear named name (name+".weight" [out,in], and
// name+".bias" when bias): x [...,in] → [...,out].
func (d *Decoder) Linear(x *Node, name string, bias bool) *Node { return d.linear(x, name, bias) }

// Weight returns the node of the HF-named weight in x's graph.
func (d *Decoder) Weight(g *Graph, name string) *Node { return d.weight(g, name) }

// attendFn computes attention for q [B,S,KV,G,hd] (rotated) and the layer's
// new k, v [B,S,KV,hd] (k rotated); it returns [B,S,KV,G,hd].
type attendFn func(q, k, v *Node) *Node

// layer is one pre-norm block: x + attn(norm(x)), then + mlp(norm(x)).
func (d *Decoder) layer(l int, x, cos, sin *Node, attend attendFn) *Node {
	c := d.Config
	g := x.Graph()
	p := "model.layers." + itoa(l) + "."
	b, s := x.Shape().Dim(0), x.Shape().Dim(1)
	kv, hd := c.KVHeads(), c.HeadDimension()
	grp := c.NumAttentionHeads / kv

	h := RMSNorm(x, d.weight(g, p+"input_layernorm.weight"), c.RMSNormEps)
	q := Reshape(d.linear(h, p+"self_attn.q_proj", c.QKVBias()), b, s, kv, grp, hd)
	k := Reshape(d.linear(h, p+"self_attn.k_proj", c.QKVBias()), b, s, kv, hd)
	v := Reshape(d.linear(h, p+"self_attn.v_proj", c.QKVBias()), b, s, kv, hd)
	q = RotateHalf(q, Reshape(cos, b, s, 1, 1, hd/2), Reshape(sin, b, s, 1, 1, hd/2))
	k = RotateHalf(k, Reshape(cos, b, s, 1, hd/2), Reshape(sin, b, s, 1, hd/2))
	o := Reshape(attend(q, k, v), b, s, kv*grp*hd)
	x = Add(x, d.linear(o, p+"self_attn.o_proj", c.OBias()))

	h = RMSNorm(x, d.weight(g, p+"post_attention_layernorm.weight"), c.RMSNormEps)
	act := Mul(SiLU(d.linear(h, p+"mlp.gate_proj", false)), d.linear(h, p+"mlp.up_proj", false))
	return Add(x, d.linear(act, p+"mlp.down_proj", false))
}

// Attend is grouped-query scaled dot-product attention.
// q [B,S,KV,G,hd], k and v [B,T,KV,hd], bias [B,1,S,1,T] additive → [B,S,KV,G,hd].
// Query head h = kv·G + g uses key/value head kv, as HF's repeat_kv does.
func Attend(q, k, v, bias *Node) *Node {
	b, t, kv, hd := k.Shape().Dim(0), k.Shape().Dim(1), k.Shape().Dim(2), k.Shape().Dim(3)
	kt := Reshape(TransposeAllDims(k, 0, 2, 3, 1), b*kv, hd, t) // [B·KV, hd, T]
	vb := Reshape(TransposeAllDims(v, 0, 2, 1, 3), b*kv, t, hd) // [B·KV, T, hd]
	return attendCore(q, kt, vb, bias, 1)
}

// attendCore runs attention as two batched matmuls with a single leading
// batch axis, a layout the go backend runs without further transposes.
// q [B,S,KV,G,hd]; k is [B·KV,hd,T] when kAxis = 1 (contraction first: the
// backend's broadcast-FMA kernel, best for many query rows) or [B·KV,T,hd]
// when kAxis = 2 (per-element dot products: no transpose of a large cache
// for a few query rows); vb [B·KV,T,hd]; bias [B,1,S,1,T].
func attendCore(q, k, vb, bias *Node, kAxis int) *Node {
	b, s, kv, grp, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3), q.Shape().Dim(4)
	t := vb.Shape().Dim(1)
	qb := Reshape(TransposeAllDims(q, 0, 2, 1, 3, 4), b*kv, s*grp, hd)
	scores := Dot(qb, k).General([]int{2}, []int{0}, []int{kAxis}, []int{0}) // [B·KV, S·G, T]
	scores = Reshape(MulScalar(scores, 1/math.Sqrt(float64(hd))), b, kv, s, grp, t)
	probs := Reshape(Softmax(Add(scores, bias), -1), b*kv, s*grp, t)
	out := Dot(probs, vb).General([]int{2}, []int{0}, []int{1}, []int{0}) // [B·KV, S·G, hd]
	return TransposeAllDims(Reshape(out, b, kv, s, grp, hd), 0, 2, 1, 3, 4)
}

func shapeI32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

func toF32(x *Node) *Node { return ConvertDType(x, dtypes.Float32) }

// lead reshapes a vector [n] to rank r with leading unit axes, for broadcasting.
func lead(w *Node, r int) *Node {
	dims := make([]int, r)
	for i := range dims {
		dims[i] = 1
	}
	dims[r-1] = w.Shape().Dim(-1)
	return Reshape(w, dims...)
}

// matmulT is x·wᵀ for x [...,in] and w [out,in] → [...,out]. The weight is
// transposed to [in,out] first: with the contraction axis leading on the
// right-hand side the go backend's small-matrix path (decode steps, short
// batches) uses broadcast-FMA instead of per-element dot products, which
// is several times faster; the copy costs one pass over the weight.
func matmulT(x, w *Node) *Node {
	return Dot(x, Transpose(w, 0, 1)).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
}
