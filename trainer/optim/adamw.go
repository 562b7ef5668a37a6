// Package optim is the trainers' optimiser: AdamW with gradient
// accumulation and global-norm clipping as graph functions (adamw.go), the
// optimiser's variables and its two graphs (optimizer.go), its state in
// checkpoints (state.go), and learning-rate schedules (schedule.go).
package optim

// AdamW, global-norm clipping and gradient accumulation as graph functions.
// The update follows PyTorch's torch.optim.AdamW (decoupled weight decay
// applied before the moment update, bias corrections folded into the step
// size and the denominator) rather than GoMLX's optimizer.Adam (whose
// epsilon default and step counter differ), and clipping follows
// torch.nn.utils.clip_grad_norm_. Plain-Go twins live in optim_test.go.

import (
	"acecoder/configs"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// AdamW holds the optimiser's hyper-parameters (the learning rate comes
// from the schedule at each step).
type AdamW struct {
	Beta1, Beta2 float64
	// Eps is added to the denominator (PyTorch's default 1e-8).
	Eps float64
	// WeightDecay is the decoupled decay λ, applied to parameters marked
	// for decay.
	WeightDecay float64
	// MaxNorm clips the global L2 norm of the gradients; 0 disables.
	MaxNorm float64
}

// FromConfig maps a config's optim keys (betas, weight decay, max norm) to
// AdamW; the learning rate comes from the schedule.
func FromConfig(o configs.Optim) AdamW {
	c := DefaultAdamW()
	if len(o.AdamBetas) == 2 {
		c.Beta1, c.Beta2 = o.AdamBetas[0], o.AdamBetas[1]
	}
	c.WeightDecay, c.MaxNorm = o.WeightDecay, o.MaxNorm
	return c
}

// DefaultAdamW is PyTorch's AdamW with OpenRLHF's betas and clipping.
func DefaultAdamW() AdamW {
	return AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, MaxNorm: 1}
}

// BiasCorrections returns 1−β1^t and 1−β2^t for the t-th update (t ≥ 1),
// computed on the host in float64.
func (c AdamW) BiasCorrections(t int) (bc1, bc2 float64) {
	return 1 - pow(c.Beta1, t), 1 - pow(c.Beta2, t)
}

func pow(x float64, n int) float64 {
	r := 1.0
	for range n {
		r *= x
	}
	return r
}

// AdamWStep is one AdamW update of a parameter p with gradient g and
// moments m, v (all the same shape, float32); lr, bc1, bc2 are scalars:
//
//	p ← p·(1 − lr·λ)                      (only when decay)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − (lr/bc1) · m / (√v/√bc2 + ε)
func AdamWStep(c AdamW, p, g, m, v, lr, bc1, bc2 *Node, decay bool) (pNew, mNew, vNew *Node) {
	if decay && c.WeightDecay != 0 {
		p = Mul(p, OneMinus(MulScalar(lr, c.WeightDecay)))
	}
	mNew = Add(MulScalar(m, c.Beta1), MulScalar(g, 1-c.Beta1))
	vNew = Add(MulScalar(v, c.Beta2), MulScalar(Square(g), 1-c.Beta2))
	denom := AddScalar(Div(Sqrt(vNew), Sqrt(bc2)), c.Eps)
	pNew = Sub(p, Mul(Div(lr, bc1), Div(mNew, denom)))
	return pNew, mNew, vNew
}

// GlobalNorm is √(Σ_i Σ x_i²) over tensors of any shapes → float32 scalar.
func GlobalNorm(xs []*Node) *Node {
	var sum *Node
	for _, x := range xs {
		s := ReduceAllSum(Square(ConvertDType(x, dtypes.Float32)))
		if sum == nil {
			sum = s
		} else {
			sum = Add(sum, s)
		}
	}
	return Sqrt(sum)
}

// ClipCoef is the factor clip_grad_norm_ multiplies every gradient by:
// min(1, maxNorm / (norm + 1e-6)); 1 when maxNorm ≤ 0. norm: scalar.
func ClipCoef(norm *Node, maxNorm float64) *Node {
	one := OnesLike(norm)
	if maxNorm <= 0 {
		return one
	}
	return Min(one, Div(Scalar(norm.Graph(), dtypes.Float32, maxNorm), AddScalar(norm, 1e-6)))
}
