package policy

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/ml/layers/activation"
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
// their first real token; every position below S); mask [B,S] int32 or
// float, 1 for real tokens and 0 for padding. Outputs at padding positions
// are finite but meaningless.
type Decoder struct {
	Config *Config
	Scope  *model.Scope
	// LoRA, when set, adapts the targeted projections (lora.go); graphs
	// marked WithoutAdapters compute the base model.
	LoRA *LoRA
	// RecomputeLayers keeps only each layer's input for the backward pass
	// and recomputes the layer's activations there (gradient
	// checkpointing, GoMLX's Node.Checkpoint): less memory for one more
	// forward pass of the layers. Graphs without gradients are unchanged.
	RecomputeLayers bool
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
	var b *Node
	if bias {
		b = d.weight(x.Graph(), name+".bias")
	}
	y := dense(x, d.weight(x.Graph(), name+".weight"), b)
	if delta := d.adapted(x, name); delta != nil {
		y = Add(y, delta)
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

// Embed gathers rows of the token embedding: ids [B,S] → [B,S,D].
func (d *Decoder) Embed(ids *Node) *Node {
	emb := d.weight(ids.Graph(), "model.embed_tokens.weight")
	return Gather(emb, ExpandAxes(ConvertDType(ids, dtypes.Int32), -1))
}

// CausalBias builds the additive causal + padding bias [B,S,S]:
// 0 where key t ≤ query s and mask[b,t] is 1, maskedBias elsewhere.
func CausalBias(mask *Node) *Node {
	g := mask.Graph()
	b, s := mask.Shape().Dim(0), mask.Shape().Dim(1)
	q := Iota(g, shapeI32(s, s), 0)
	k := Iota(g, shapeI32(s, s), 1)
	causal := ExpandAxes(LessOrEqual(k, q), 0)                                      // [1,S,S]
	real := ExpandAxes(GreaterThan(toF32(mask), Scalar(g, dtypes.Float32, 0.5)), 1) // [B,1,S]
	allowed := LogicalAnd(BroadcastToDims(causal, b, s, s), BroadcastToDims(real, b, s, s))
	return Where(allowed, Scalar(g, dtypes.Float32, 0), Scalar(g, dtypes.Float32, maskedBias))
}

// Hidden runs the decoder and returns the final-norm hidden states [B,S,D].
func (d *Decoder) Hidden(ids, positions, mask *Node) *Node {
	c := d.Config
	x := d.Embed(ids)
	// Positions count a row's real tokens, so they stay below S.
	rope := NewRope(positions, InvFreq(c), ids.Shape().Dim(1), c.NumAttentionHeads, c.KVHeads())
	bias := HeadsBias(CausalBias(mask), c.KVHeads(), c.NumAttentionHeads/c.KVHeads())
	recompute := d.RecomputeLayers
	for l := range c.NumHiddenLayers {
		if recompute {
			x = x.Checkpoint()
		}
		x = d.Layer(l, x, rope, nil, func(q, k, v *Node) *Node { return Attend(q, k, v, bias) })
	}
	if recompute {
		x = x.StopCheckpoint()
	}
	return d.FinalNorm(x)
}

// FinalNorm is the model's last RMSNorm: [B,S,D] → [B,S,D].
func (d *Decoder) FinalNorm(x *Node) *Node {
	return RMSNorm(x, d.weight(x.Graph(), "model.norm.weight"), d.Config.RMSNormEps)
}

// Logits runs the decoder: [B,S,V] float32 next-token logits.
func (d *Decoder) Logits(ids, positions, mask *Node) *Node {
	return d.Head(d.Hidden(ids, positions, mask), nil)
}

// Head applies the LM head (the embedding matrix when tied): [B,S,D] →
// [B,S,V]; st, when not nil, holds its stacked copy.
func (d *Decoder) Head(hidden *Node, st *Stacked) *Node {
	if st != nil {
		return stackedDense(hidden, st.Head, nil)
	}
	name := "lm_head.weight"
	if d.Config.TieWordEmbeddings {
		name = "model.embed_tokens.weight"
	}
	return dense(hidden, d.weight(hidden.Graph(), name), nil)
}

// AttendFn computes attention for q [B,S,H,hd] (rotated) and the layer's
// new k, v [B,S,KV,hd] (k rotated); it returns [B,S,H,hd]. Full-sequence
// passes use Attend; the sampler attends to its KV cache.
type AttendFn func(q, k, v *Node) *Node

// Layer is decoder block l, pre-norm attention then pre-norm SwiGLU MLP:
//
//	x ← x + o_proj(attend(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))),  n = norm₁(x)
//	x ← x + down_proj(SiLU(gate_proj(n)) ⊙ up_proj(n)),                     n = norm₂(x)
//
// (with the architecture's q/k norms per head before rope, see Architecture)
// on x [B,S,D] with the rotary tables of its positions. st, when not nil,
// holds the layer's q|k|v and gate|up matrices pre-stacked (see Stacked);
// otherwise the block reads the HF-named variables. This is the one
// implementation of the block: training, scoring, reward models and the
// sampler all build it here.
func (d *Decoder) Layer(l int, x *Node, rope Rope, st *Stacked, attend AttendFn) *Node {
	c := d.Config
	g := x.Graph()
	p := "model.layers." + itoa(l) + "."
	b, s := x.Shape().Dim(0), x.Shape().Dim(1)
	h, kv, hd := c.NumAttentionHeads, c.KVHeads(), c.HeadDimension()

	n := RMSNorm(x, d.weight(g, p+"input_layernorm.weight"), c.RMSNormEps)
	q, k, v := d.qkv(l, n, st)
	q, k = Reshape(q, b, s, h, hd), Reshape(k, b, s, kv, hd)
	if c.QKNorm() {
		q = RMSNorm(q, d.weight(g, p+"self_attn.q_norm.weight"), c.RMSNormEps)
		k = RMSNorm(k, d.weight(g, p+"self_attn.k_norm.weight"), c.RMSNormEps)
	}
	q, k = rope.Q(q), rope.K(k)
	o := Reshape(attend(q, k, Reshape(v, b, s, kv, hd)), b, s, h*hd)
	if st != nil {
		var bias *Node
		if c.OBias() {
			bias = d.weight(g, p+"self_attn.o_proj.bias")
		}
		x = Add(x, stackedDense(o, st.O[l], bias))
	} else {
		x = Add(x, d.linear(o, p+"self_attn.o_proj", c.OBias()))
	}

	n = RMSNorm(x, d.weight(g, p+"post_attention_layernorm.weight"), c.RMSNormEps)
	if st != nil {
		return Add(x, stackedDense(d.mlp(l, n, st), st.Down[l], nil))
	}
	return Add(x, d.linear(d.mlp(l, n, st), p+"mlp.down_proj", false))
}

// qkv projects n [B,S,D] to q [B,S,H·hd], k and v [B,S,KV·hd]: one
// product with the stacked matrix when st holds it, else three.
func (d *Decoder) qkv(l int, n *Node, st *Stacked) (q, k, v *Node) {
	c := d.Config
	p := "model.layers." + itoa(l) + ".self_attn."
	if st == nil {
		return d.linear(n, p+"q_proj", c.QKVBias()), d.linear(n, p+"k_proj", c.QKVBias()), d.linear(n, p+"v_proj", c.QKVBias())
	}
	var bias *Node
	if c.QKVBias() {
		g := n.Graph()
		bias = Concatenate([]*Node{d.weight(g, p+"q_proj.bias"), d.weight(g, p+"k_proj.bias"), d.weight(g, p+"v_proj.bias")}, 0)
	}
	y := stackedDense(n, st.QKV[l], bias)
	qn, kvn := c.NumAttentionHeads*c.HeadDimension(), c.KVHeads()*c.HeadDimension()
	return SliceAxis(y, -1, AxisRange(0, qn)), SliceAxis(y, -1, AxisRange(qn, qn+kvn)), SliceAxis(y, -1, AxisRange(qn+kvn, qn+2*kvn))
}

// mlp is SiLU(gate_proj(n)) ⊙ up_proj(n): n [B,S,D] → [B,S,ff]. With the
// stacked matrix, or with many rows (where stacking the two weights in the
// graph costs little against the product), it is one product and the
// backend's fused SwiGLU; with few rows and no stacked copy, two products.
func (d *Decoder) mlp(l int, n *Node, st *Stacked) *Node {
	g := n.Graph()
	p := "model.layers." + itoa(l) + ".mlp."
	if st != nil {
		return activation.SwiGLU(stackedDense(n, st.GateUp[l], nil))
	}
	if d.LoRA != nil && (d.LoRA.targets(p+"gate_proj") || d.LoRA.targets(p+"up_proj")) {
		return Mul(activation.Swish(d.linear(n, p+"gate_proj", false)), d.linear(n, p+"up_proj", false))
	}
	gate, up := d.weight(g, p+"gate_proj.weight"), d.weight(g, p+"up_proj.weight")
	if rows := n.Shape().Size() / n.Shape().Dim(-1); rows >= stackRows {
		return swiGLU(n, gate, up)
	}
	return Mul(activation.Swish(dense(n, gate, nil)), dense(n, up, nil))
}

// stackRows is the number of rows from which the MLP stacks gate and up
// in the graph: a copy of both weights per call, worth it when the product
// has at least this many rows.
const stackRows = 64

// HeadsBias broadcasts an attention bias [B,S,T] to the layout Attend
// scores in, [B·KV, G·S, T], once per forward (every layer reuses it).
func HeadsBias(bias *Node, kv, grp int) *Node {
	b, s, t := bias.Shape().Dim(0), bias.Shape().Dim(1), bias.Shape().Dim(2)
	return Reshape(BroadcastToDims(Reshape(bias, b, 1, 1, s, t), b, kv, grp, s, t), b*kv, grp*s, t)
}

// Attend is grouped-query scaled dot-product attention: q [B,S,H,hd],
// k and v [B,T,KV,hd], bias [B·KV, G·S, T] additive (see HeadsBias)
// → [B,S,H,hd]. Query head h = kv·G + g uses key/value head kv, as HF's
// repeat_kv does.
//
// Heads move in front of the sequence with [0,2,1,3] transposes, and both
// products keep their contraction axis last on the left and first or last
// on the right: the layouts the go backend multiplies without copies.
func Attend(q, k, v, bias *Node) *Node {
	b, s, h, hd := q.Shape().Dim(0), q.Shape().Dim(1), q.Shape().Dim(2), q.Shape().Dim(3)
	t, kv := k.Shape().Dim(1), k.Shape().Dim(2)
	grp := h / kv
	qh := Reshape(TransposeAllAxes(q, 0, 2, 1, 3), b*kv, grp*s, hd)       // [B·KV, G·S, hd]
	kh := Reshape(TransposeAllAxes(k, 0, 2, 1, 3), b*kv, t, hd)           // [B·KV, T, hd]
	vh := Reshape(TransposeAllAxes(v, 0, 2, 1, 3), b*kv, t, hd)           // [B·KV, T, hd]
	scores := Dot(qh, kh).General([]int{2}, []int{0}, []int{2}, []int{0}) // [B·KV, G·S, T]
	scores = Add(MulScalar(scores, 1/math.Sqrt(float64(hd))), bias)
	probs := Softmax(scores, -1)
	out := Dot(probs, vh).General([]int{2}, []int{0}, []int{1}, []int{0}) // [B·KV, G·S, hd]
	return TransposeAllAxes(Reshape(out, b, h, s, hd), 0, 2, 1, 3)
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
