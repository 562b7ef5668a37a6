package policy

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/nn"
)

// dense is x·wᵀ + b for w [out,in] in HF's layout and b [out] or nil:
// x [...,in] → [...,out]. It runs as the backend's fused dense where there
// is one, else as a DotGeneral (nn.Dense chooses).
//
// The go backend's fused dense gradient transposes one operand of the
// weight gradient: the output gradient [n,out] when the weight is given as
// [out,in], the input [n,in] when it is given as [in,out]. In graphs marked
// ForGradients the weight is handed over in the layout whose backward moves
// fewer values (denseLayout); the [in,out] copy costs a transpose of the
// weight forward and of its gradient backward.
func dense(x, w, b *Node) *Node {
	out, in := w.Shape().Dim(0), w.Shape().Dim(1)
	n := x.Shape().Size() / in
	layout := compute.DenseLayoutOutputsInput
	if forGradients(x.Graph()) {
		layout = denseLayout(n, in, out)
	}
	return denseAs(x, w, b, layout)
}

// denseAs is dense with the weight handed to the backend in layout.
func denseAs(x, w, b *Node, layout compute.DenseLayout) *Node {
	if layout == compute.DenseLayoutInputOutputs {
		w = Transpose(w, 0, 1)
	}
	return nn.Dense(x, w, b, layout)
}

// denseLayout picks the weight layout for a differentiated dense layer of
// n rows, in inputs and out outputs: [out,in] transposes the n·out output
// gradient in the backward pass; [in,out] transposes the n·in input plus
// the weight twice (2·in·out). Ties keep HF's [out,in].
func denseLayout(n, in, out int) compute.DenseLayout {
	if n*in+2*in*out < n*out {
		return compute.DenseLayoutInputOutputs
	}
	return compute.DenseLayoutOutputsInput
}

// swiGLU is SiLU(x·Wgᵀ) ⊙ (x·Wuᵀ) for the gate and up weights [ff,in]:
// x [...,in] → [...,ff]. Both projections run as one dense layer on the
// stacked weight [2·ff,in], followed by the backend's fused SwiGLU
// activation (SiLU of the first half times the second half), which has
// its own fused gradient.
func swiGLU(x, gate, up *Node) *Node {
	return activation.SwiGLU(dense(x, Concatenate([]*Node{gate, up}, 0), nil))
}
