package rollout

import (
	"math"
	"strconv"
	"strings"

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
// maps the names of decodeMatrices to transposed (and concatenated)
// weights [in,out] fed as graph inputs, so a decode step neither transposes
// weights nor runs three small products where one does.
type blocks struct {
	d  *policy.Decoder
	wt map[string]*Node
}

// fusedMatrix is a decode-step weight input: the HF matrices parts, each
// transposed to [in,out_i], concatenated along the output axis.
type fusedMatrix struct {
	name  string
	parts []string
}

// decodeMatrices lists the decode graph's weight inputs in order: per layer
// q|k|v, o, gate|up, down; then the LM head (the embedding when tied).
func decodeMatrices(c *policy.Config) []fusedMatrix {
	var ms []fusedMatrix
	for l := range c.NumHiddenLayers {
		p := "model.layers." + strconv.Itoa(l) + "."
		ms = append(ms,
			fusedMatrix{p + "qkv", []string{p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"}},
			fusedMatrix{p + "o", []string{p + "self_attn.o_proj.weight"}},
			fusedMatrix{p + "gateup", []string{p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"}},
			fusedMatrix{p + "down", []string{p + "mlp.down_proj.weight"}})
	}
	head := "lm_head.weight"
	if c.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	return append(ms, fusedMatrix{"head", []string{head}})
}

// project computes x·Wᵢᵀ (+ bᵢ) for the HF Linear layers parts of one
// fused group (bias: whether they have biases): x [...,in] → [...,out_i]
// each. With a fused input it is one product split along the output axis.
func (b blocks) project(x *Node, group string, parts []string, bias bool) []*Node {
	g := x.Graph()
	out := make([]*Node, len(parts))
	wt, fused := b.wt[group]
	var y *Node
	if fused {
		y = Dot(x, wt).General([]int{x.Rank() - 1}, nil, []int{0}, nil)
	}
	at := 0
	for i, name := range parts {
		if !fused {
			out[i] = matmulT(x, b.weight(g, name+".weight"))
		} else {
			n := b.d.Scope.Store().GetVariable(policy.VariablePath(b.d.Scope, name+".weight")).Shape().Dim(0)
			spec := make([]SliceAxisSpec, y.Rank())
			for a := range spec {
				spec[a] = AxisRange()
			}
			spec[len(spec)-1] = AxisRange(at, at+n)
			out[i], at = Slice(y, spec...), at+n
		}
		if bias {
			w := b.weight(g, name+".bias")
			dims := make([]int, out[i].Rank())
			for a := range dims {
				dims[a] = 1
			}
			dims[len(dims)-1] = w.Shape().Dim(0)
			out[i] = Add(out[i], Reshape(w, dims...))
		}
	}
	return out
}

func (b blocks) weight(g *Graph, name string) *Node {
	path := policy.VariablePath(b.d.Scope, name)
	v := b.d.Scope.Store().GetVariable(path)
	if v == nil {
		exceptions.Panicf("rollout: weight %q not found at %s", name, path)
	}
	return v.NodeValue(g)
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
	qkv := b.project(h, p+"qkv", []string{p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"}, c.QKVBias())
	q := Reshape(qkv[0], bs, s, kv, grp, hd)
	k := Reshape(qkv[1], bs, s, kv, hd)
	v := Reshape(qkv[2], bs, s, kv, hd)
	q = policy.RotateHalf(q, Reshape(cos, bs, s, 1, 1, hd/2), Reshape(sin, bs, s, 1, 1, hd/2))
	k = policy.RotateHalf(k, Reshape(cos, bs, s, 1, hd/2), Reshape(sin, bs, s, 1, hd/2))
	o := Reshape(attend(q, k, v), bs, s, kv*grp*hd)
	x = Add(x, b.project(o, p+"o", []string{p + "self_attn.o_proj"}, c.OBias())[0])
	h = policy.RMSNorm(x, b.weight(g, p+"post_attention_layernorm.weight"), c.RMSNormEps)
	gu := b.project(h, p+"gateup", []string{p + "mlp.gate_proj", p + "mlp.up_proj"}, false)
	return Add(x, b.project(Mul(silu(gu[0]), gu[1]), p+"down", []string{p + "mlp.down_proj"}, false)[0])
}

// finalLogits applies the final norm and the LM head: x [B,S,D] → [B,S,V].
func (b blocks) finalLogits(x *Node) *Node {
	c := b.d.Config
	h := policy.RMSNorm(x, b.weight(x.Graph(), "model.norm.weight"), c.RMSNormEps)
	head := decodeMatrices(c)[4*c.NumHiddenLayers]
	return b.project(h, head.name, []string{strings.TrimSuffix(head.parts[0], ".weight")}, false)[0]
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
// decodeMatrices.
func (b blocks) decode(ids, pos, bias *Node, cache, weightsT []*Node) (logits, kv *Node) {
	c := b.d.Config
	n := c.NumHiddenLayers
	b.wt = map[string]*Node{}
	for i, m := range decodeMatrices(c) {
		b.wt[m.name] = weightsT[i]
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
