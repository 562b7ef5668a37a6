package policy

import (
	"math"
	"testing"
)

// refModel is an independent float64 implementation of the HF decoder
// (Qwen2/Llama modeling code read as math), used as ground truth.
type refModel struct {
	cfg *Config
	w   map[string][]float64
}

func newRef(t *testing.T, m *Model) *refModel {
	r := &refModel{cfg: m.Config, w: map[string][]float64{}}
	for _, p := range m.Config.Params() {
		v, _, err := m.Weight(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(x)
		}
		r.w[p.Name] = f
	}
	return r
}

// lin computes W x (+b) with W [out,in] row-major.
func (r *refModel) lin(x []float64, name string, out int, bias bool) []float64 {
	w := r.w[name+".weight"]
	in := len(x)
	y := make([]float64, out)
	for o := range out {
		s := 0.0
		for i := range in {
			s += w[o*in+i] * x[i]
		}
		if bias {
			s += r.w[name+".bias"][o]
		}
		y[o] = s
	}
	return y
}

func (r *refModel) norm(x []float64, name string) []float64 {
	ms := 0.0
	for _, v := range x {
		ms += v * v
	}
	inv := 1 / math.Sqrt(ms/float64(len(x))+r.cfg.RMSNormEps)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v * inv * r.w[name][i]
	}
	return out
}

// invFreq recomputes rotary frequencies in float64, llama3 rule included.
func (r *refModel) invFreq() []float64 {
	hd := r.cfg.HeadDimension()
	out := make([]float64, hd/2)
	for i := range out {
		f := math.Pow(r.cfg.RopeTheta, -float64(2*i)/float64(hd))
		if rs := r.cfg.RopeScaling; rs.Kind() == "llama3" {
			orig := float64(rs.OriginalMaxPositionEmbeddings)
			wl := 2 * math.Pi / f
			if wl > orig/rs.LowFreqFactor {
				f /= rs.Factor
			} else if wl >= orig/rs.HighFreqFactor {
				s := (orig/wl - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
				f = (1-s)*f/rs.Factor + s*f
			}
		}
		out[i] = f
	}
	return out
}

// rope rotates each head of x (heads × hd) in place at position pos.
func rope(x []float64, hd int, pos float64, freq []float64) {
	half := hd / 2
	for h := 0; h < len(x)/hd; h++ {
		v := x[h*hd : (h+1)*hd]
		for i := range half {
			c, s := math.Cos(pos*freq[i]), math.Sin(pos*freq[i])
			a, b := v[i], v[i+half]
			v[i], v[i+half] = a*c-b*s, b*c+a*s
		}
	}
}

// forward returns logits [len][V] of one unpadded sequence with positions 0..n−1.
func (r *refModel) forward(ids []int32) [][]float64 {
	c := r.cfg
	d, hd, nh, kv := c.HiddenSize, c.HeadDimension(), c.NumAttentionHeads, c.KVHeads()
	n := len(ids)
	freq := r.invFreq()
	xs := make([][]float64, n)
	for p, id := range ids {
		xs[p] = append([]float64(nil), r.w["model.embed_tokens.weight"][int(id)*d:int(id+1)*d]...)
	}
	for l := range c.NumHiddenLayers {
		pre := "model.layers." + itoa(l) + "."
		qs, ks, vs := make([][]float64, n), make([][]float64, n), make([][]float64, n)
		for p := range n {
			h := r.norm(xs[p], pre+"input_layernorm.weight")
			qs[p] = r.lin(h, pre+"self_attn.q_proj", nh*hd, c.QKVBias())
			ks[p] = r.lin(h, pre+"self_attn.k_proj", kv*hd, c.QKVBias())
			vs[p] = r.lin(h, pre+"self_attn.v_proj", kv*hd, c.QKVBias())
			if c.QKNorm() { // Qwen3: RMSNorm over each head before RoPE
				for h := range nh {
					copy(qs[p][h*hd:], r.norm(qs[p][h*hd:(h+1)*hd], pre+"self_attn.q_norm.weight"))
				}
				for h := range kv {
					copy(ks[p][h*hd:], r.norm(ks[p][h*hd:(h+1)*hd], pre+"self_attn.k_norm.weight"))
				}
			}
			rope(qs[p], hd, float64(p), freq)
			rope(ks[p], hd, float64(p), freq)
		}
		for p := range n {
			o := make([]float64, nh*hd)
			for h := range nh {
				g := h / (nh / kv)
				scores := make([]float64, p+1)
				mx := math.Inf(-1)
				for t := 0; t <= p; t++ {
					s := 0.0
					for i := range hd {
						s += qs[p][h*hd+i] * ks[t][g*hd+i]
					}
					scores[t] = s / math.Sqrt(float64(hd))
					mx = math.Max(mx, scores[t])
				}
				sum := 0.0
				for t := range scores {
					scores[t] = math.Exp(scores[t] - mx)
					sum += scores[t]
				}
				for t := range scores {
					for i := range hd {
						o[h*hd+i] += scores[t] / sum * vs[t][g*hd+i]
					}
				}
			}
			a := r.lin(o, pre+"self_attn.o_proj", d, c.OBias())
			for i := range xs[p] {
				xs[p][i] += a[i]
			}
			h := r.norm(xs[p], pre+"post_attention_layernorm.weight")
			gate := r.lin(h, pre+"mlp.gate_proj", c.IntermediateSize, false)
			up := r.lin(h, pre+"mlp.up_proj", c.IntermediateSize, false)
			for i := range gate {
				gate[i] = gate[i] / (1 + math.Exp(-gate[i])) * up[i]
			}
			m := r.lin(gate, pre+"mlp.down_proj", d, false)
			for i := range xs[p] {
				xs[p][i] += m[i]
			}
		}
	}
	head := "lm_head"
	if c.TieWordEmbeddings {
		head = "model.embed_tokens"
	}
	out := make([][]float64, n)
	for p := range n {
		out[p] = r.lin(r.norm(xs[p], "model.norm.weight"), head, c.VocabSize, false)
	}
	return out
}

// TestReferenceForward checks the GoMLX decoder against the float64 loops
// on a left-padded batch of mixed lengths, for every architecture (Qwen3:
// q/k norms and a head_dim that is not hidden_size / heads).
func TestReferenceForward(t *testing.T) {
	for _, tc := range []struct {
		name string
		lens []int
	}{
		{"tiny-qwen2", []int{9, 4, 1}},
		{"tiny-llama", []int{12, 7}},
		{"tiny-qwen3", []int{10, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, tc.name, 1)
			ref := newRef(t, m)
			seqs := mixedSeqs(tc.lens, m.Config.VocabSize, 3)
			got, err := m.SequenceLogits(seqs)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, q := range seqs {
				want := ref.forward(q)
				for p := range q {
					rd := relDiff(got[i][p], want[p])
					worst = math.Max(worst, rd)
					if rd > 1e-4 {
						t.Errorf("seq %d pos %d: relative difference %.2e > 1e-4", i, p, rd)
					}
				}
			}
			t.Logf("worst relative difference %.2e (logit scale %.3g)", worst, maxAbs(ref.forward(seqs[0])))
		})
	}
}

func maxAbs(rows [][]float64) float64 {
	m := 0.0
	for _, r := range rows {
		for _, v := range r {
			m = math.Max(m, math.Abs(v))
		}
	}
	return m
}
