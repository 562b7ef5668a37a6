package policy

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/nn"
)

// Stacked holds the matrices of every layer and the LM head transposed to
// [in,out] as graph inputs, with q|k|v stacked into one [D, (H+2·KV)·hd]
// and gate|up into one [D, 2·ff]. A caller that runs many small steps on
// unchanged weights (the sampler's decode step) builds them once on the
// host (StackWeights) and feeds them to every step. With the contraction
// leading on the weight side, the go backend multiplies a handful of rows
// with its broadcast-FMA kernel, several times faster for one row than the
// dot-product kernel HF's [out,in] layout gets; each group is one product,
// and no weight is copied inside the graph. The price is a host copy of
// the matrices.
type Stacked struct {
	QKV, O, GateUp, Down []*Node
	Head                 *Node
}

// StackedFromInputs reads a Stacked from graph inputs in the order
// StackWeights writes them: per layer q|k|v, o, gate|up, down; then the
// head.
func StackedFromInputs(in []*Node) *Stacked {
	st := &Stacked{}
	n := len(in) / 4
	for l := range n {
		st.QKV = append(st.QKV, in[4*l])
		st.O = append(st.O, in[4*l+1])
		st.GateUp = append(st.GateUp, in[4*l+2])
		st.Down = append(st.Down, in[4*l+3])
	}
	st.Head = in[4*n]
	return st
}

// stackedGroups lists the HF matrices of each stacked input, in
// StackWeights order.
func (c *Config) stackedGroups() [][]string {
	var groups [][]string
	for l := range c.NumHiddenLayers {
		p := "model.layers." + itoa(l) + "."
		groups = append(groups,
			[]string{p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"},
			[]string{p + "self_attn.o_proj.weight"},
			[]string{p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"},
			[]string{p + "mlp.down_proj.weight"})
	}
	head := "lm_head.weight"
	if c.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	return append(groups, []string{head})
}

// StackWeights copies the model's current matrices into the host tensors
// of a Stacked (see StackedFromInputs), each group's HF [out_i,in]
// matrices transposed and placed side by side in one [in, Σout_i]. It
// reuses the buffers of dst when dst holds tensors from an earlier call.
func (m *Model) StackWeights(dst []*tensors.Tensor) ([]*tensors.Tensor, error) {
	groups := m.Config.stackedGroups()
	if len(dst) != 0 && len(dst) != len(groups) {
		return nil, fmt.Errorf("policy: stack weights: %d tensors to reuse, want %d", len(dst), len(groups))
	}
	out := dst
	for i, names := range groups {
		var parts [][]float32
		var outs []int
		in, width := 0, 0
		for _, name := range names {
			w, dims, err := m.Weight(name)
			if err != nil {
				return nil, err
			}
			parts, outs, in, width = append(parts, w), append(outs, dims[0]), dims[1], width+dims[0]
		}
		if len(out) <= i {
			t, err := tensors.FromShapeForBackend(m.Backend, 0, shapes.Make(dtypes.Float32, in, width))
			if err != nil {
				return nil, fmt.Errorf("policy: stack weights %v: %w", names, err)
			}
			out = append(out, t)
		}
		tensors.MustMutableFlatData(out[i], func(flat []float32) {
			col := 0
			for j, w := range parts {
				transposeInto(flat, w, outs[j], in, width, col)
				col += outs[j]
			}
		})
	}
	return out, nil
}

// transposeInto writes the transpose of the row-major [r,c] src into
// columns col..col+r−1 of the row-major [c,width] dst: dst[j][col+i] =
// src[i][j]. Tiled, so both sides stay in cache.
func transposeInto(dst, src []float32, r, c, width, col int) {
	const tile = 32
	for i0 := 0; i0 < r; i0 += tile {
		for j0 := 0; j0 < c; j0 += tile {
			for i := i0; i < min(i0+tile, r); i++ {
				for j := j0; j < min(j0+tile, c); j++ {
					dst[j*width+col+i] = src[i*c+j]
				}
			}
		}
	}
}

// stackedDense is x·w + b for a stacked weight w [in,out].
func stackedDense(x, w, b *Node) *Node {
	return nn.Dense(x, w, b, compute.DenseLayoutInputOutputs)
}
