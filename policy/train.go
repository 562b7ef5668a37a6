package policy

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// LMLoss is the mean next-token cross-entropy over scorable positions
// (see NextTokenLogProbs): −Σ log p / max(1, #positions). ids, positions,
// mask [B,S] → scalar float32.
func (d *Decoder) LMLoss(ids, positions, mask *Node) *Node {
	lp := d.NextTokenLogProbs(ids, positions, mask)
	return MaskedMeanNeg(lp, ShiftedMask(mask))
}

// ShiftedMask marks the positions NextTokenLogProbs scores: mask[b,s] and
// mask[b,s−1] both 1, s ≥ 1. [B,S] → [B,S] float32.
func ShiftedMask(mask *Node) *Node {
	m := toF32(mask)
	s := m.Shape().Dim(1)
	if s < 2 {
		return ZerosLike(m)
	}
	both := Mul(Slice(m, AxisRange(), AxisRange(1, s)), Slice(m, AxisRange(), AxisRange(0, s-1)))
	return Concatenate([]*Node{ZerosLike(Slice(m, AxisRange(), AxisRange(0, 1))), both}, 1)
}

// MaskedMeanNeg is −Σ(x·m) / max(1, Σm), a scalar.
func MaskedMeanNeg(x, m *Node) *Node {
	n := Max(ReduceAllSum(m), ScalarOne(x.Graph(), dtypes.Float32))
	return Neg(Div(ReduceAllSum(Mul(x, m)), n))
}
