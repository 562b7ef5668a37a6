package trainer

// Graph-side losses. Each has a plain-Go twin in losses_test.go that the
// tests compare against.

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
)

// LossAgg names how per-token losses become a micro-batch's loss.
type LossAgg string

const (
	// TokenMean: Σ_{b,t} ℓ·m / Σ_{b,t} m, every token of the micro-batch
	// weighing the same. The AceCoder fork trains with packed samples,
	// where OpenRLHF's masked mean becomes this.
	TokenMean LossAgg = "token_mean"
	// SeqMeanTokenMean: mean_b (Σ_t ℓ·m / Σ_t m), each sequence weighing
	// the same (OpenRLHF without packing). Rows without a token count 0.
	SeqMeanTokenMean LossAgg = "seq_mean_token_mean"
)

// PolicyLoss is the PPO clipped surrogate as OpenRLHF computes it:
//
//	ρ = exp(logp − oldLogp)
//	ℓ_t = −min(ρ·A, clip(ρ, 1−ε, 1+ε)·A)
//	loss = aggregate(ℓ, m)   (LossAgg)
//
// logp, oldLogp, adv, mask: [B,T] float32 (mask 1 = generated token).
// Returns the scalar loss and the fraction of valid tokens whose ratio was
// clipped (for logging; no gradient).
func PolicyLoss(logp, oldLogp, adv, mask *Node, eps float64, agg LossAgg) (loss, clipFrac *Node) {
	ratio := Exp(Sub(logp, oldLogp))
	surr1 := Mul(ratio, adv)
	surr2 := Mul(ClipScalar(ratio, 1-eps, 1+eps), adv)
	perToken := Neg(Min(surr1, surr2))
	loss = aggregate(perToken, mask, agg)
	clipped := ConvertDType(GreaterThan(Abs(Sub(StopGradient(ratio), OnesLike(ratio))), Scalar(ratio.Graph(), dtypes.Float32, eps)), dtypes.Float32)
	clipFrac = Div(ReduceAllSum(Mul(clipped, mask)), Max(ReduceAllSum(mask), OnesLike(ReduceAllSum(mask))))
	return loss, clipFrac
}

// KLPenalty is the KL term used when the penalty goes in the loss instead
// of the reward: the k1 (logp − ref) or k3 (exp(ref − logp) − (ref − logp)
// − 1, log ratio clamped to [−10, 10]) estimate, aggregated as the policy
// loss is. [B,T] → scalar.
func KLPenalty(logp, refLogp, mask *Node, est KLEstimator, agg LossAgg) *Node {
	d := Sub(logp, refLogp)
	kl := d
	if est == K3 {
		x := ClipScalar(Neg(d), -10, 10)
		kl = Sub(Sub(Exp(x), x), OnesLike(x))
	}
	return aggregate(kl, mask, agg)
}

// BradleyTerryLoss is the reward-model loss over pairs:
//
//	loss = mean_i −log σ(r_chosen_i − r_rejected_i − margin) = mean_i softplus(−(Δ_i − margin))
//
// rChosen, rRejected: [N] float32. Also returns the pair accuracy (fraction
// with r_chosen > r_rejected) and the mean margin Δ, for logging.
func BradleyTerryLoss(rChosen, rRejected *Node, margin float64) (loss, accuracy, meanDelta *Node) {
	delta := Sub(rChosen, rRejected)
	loss = ReduceAllMean(Softplus(Neg(AddScalar(delta, -margin))))
	accuracy = ReduceAllMean(ConvertDType(GreaterThan(delta, ZerosLike(delta)), dtypes.Float32))
	return loss, accuracy, ReduceAllMean(delta)
}

// aggregate reduces per-token values [B,T] to a scalar by agg.
func aggregate(x, mask *Node, agg LossAgg) *Node {
	if agg == TokenMean {
		den := ReduceAllSum(mask)
		return Div(ReduceAllSum(Mul(x, mask)), Max(den, OnesLike(den)))
	}
	return ReduceAllMean(seqMean(x, mask))
}

// seqMean is Σ_t x·m / max(Σ_t m, 1) per row: [B,T] → [B].
func seqMean(x, mask *Node) *Node {
	num := ReduceSum(Mul(x, mask), -1)
	den := ReduceSum(mask, -1)
	return Div(num, Max(den, OnesLike(den)))
}
