package policy

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
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

// LMTrainer runs next-token cross-entropy training steps on a Model: the
// loss's gradient with respect to every trainable variable under the
// decoder's scope, applied by the optimizer (e.g.
// optimizer.Adam().WeightDecay(0.01).Done() for AdamW), in one compiled
// graph per batch shape. Optimizer state lives in the same store.
type LMTrainer struct {
	m    *Model
	exec *model.Exec
}

// NewLMTrainer compiles (lazily) the training step.
func (m *Model) NewLMTrainer(opt optimizer.Interface) (*LMTrainer, error) {
	fn := func(scope *model.Scope, ids, pos, mask *Node) *Node {
		VariablesAsParameters(m.Store, ids.Graph())
		ForGradients(ids.Graph())
		loss := m.Decoder.LMLoss(ids, pos, mask)
		opt.UpdateGraph(m.Decoder.Scope, ids.Graph(), loss)
		return loss
	}
	e, err := model.NewExec(m.Backend, m.Store, fn)
	if err != nil {
		return nil, fmt.Errorf("policy: trainer: %w", err)
	}
	return &LMTrainer{m: m, exec: e}, nil
}

// Step runs one optimisation step on the batch and returns the loss before
// the update.
func (t *LMTrainer) Step(b Batch) (loss float32, err error) {
	defer recoverErr(&err, "train step")
	ids, pos, mask, err := b.tensors()
	if err != nil {
		return 0, err
	}
	out, err := t.exec.Exec(ids, pos, mask)
	if err != nil {
		return 0, fmt.Errorf("policy: train step: %w", err)
	}
	return tensors.ToScalar[float32](out[0]), nil
}
