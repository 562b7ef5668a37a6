package trainer

// Advantage estimators of the RL loop, as pure functions on the host.
//
// Reinforce++ follows the AceCoder fork of OpenRLHF rather than the paper's
// prose: the KL penalty is the per-token k1 estimate log π_θ − log π_ref
// (k3 optional) folded into the reward with a fixed β (no adaptive KL
// controller), the sequence reward is clipped to reward_clip_range and put
// on the last generated token, the return is the undiscounted (γ = 1)
// reward-to-go, and the advantages are whitened over every valid token of
// the whole rollout batch (no critic, no GAE). With NormalizeReward the
// sequence rewards are first z-scored by running statistics of every
// reward of the run so far (RewardMoments; without them, by the batch's
// own). OpenRLHF's normalize_reward divides a reward model's scores by a
// mean and std stored with the model at its training; a rule reward or a
// model without them is not normalised there. The variants differ only in
// how the sequence reward is baselined before it is folded in:
//
//	reinforce           R                                       (then whitened)
//	reinforce_baseline  R − mean(R of the prompt's group)       (then whitened)
//	rloo                R − mean(R of the other samples)        (then whitened, as the fork's OpenRLHF whitens every estimator)
//	grpo, group_norm    (R − mean(group)) / (std(group) + 1e-9) (not whitened; std unbiased)
//
// All matrices are [batch][tokens] over the generated tokens of each sample,
// padded on the right; mask[b][t] marks real tokens.

import (
	"fmt"
	"math"
)

// Estimator names an advantage estimator.
type Estimator string

const (
	Reinforce         Estimator = "reinforce"
	ReinforceBaseline Estimator = "reinforce_baseline"
	RLOO              Estimator = "rloo"
	GRPO              Estimator = "grpo"
	GroupNorm         Estimator = "group_norm" // later OpenRLHF's name of grpo
)

// KLEstimator names a per-token KL estimate.
type KLEstimator string

const (
	K1 KLEstimator = "k1" // log π_θ − log π_ref
	K3 KLEstimator = "k3" // exp(ref − θ) − (ref − θ) − 1, non-negative
)

// TokenKL returns the per-token KL estimate between the policy and the
// reference, zero at padding. logp, refLogp, mask: [B][T].
func TokenKL(logp, refLogp [][]float64, mask [][]bool, est KLEstimator) [][]float64 {
	out := zerosLike(logp)
	for b := range logp {
		for t := range logp[b] {
			if !mask[b][t] {
				continue
			}
			d := logp[b][t] - refLogp[b][t]
			switch est {
			case K3:
				// Clamped as OpenRLHF does, to keep exp() finite.
				x := clamp(-d, -10, 10)
				out[b][t] = math.Exp(x) - x - 1
			default:
				out[b][t] = d
			}
		}
	}
	return out
}

// NormalizeRewards z-scores sequence rewards over the batch:
// (R − mean) / (std + 1e-8), population std. A batch whose rewards are all
// equal becomes all zeros.
func NormalizeRewards(rewards []float64) []float64 {
	return RewardMoments{}.Add(rewards).Normalize(rewards)
}

// RewardMoments are running statistics of rewards (Welford's update):
// count, mean and the sum of squared deviations M2.
type RewardMoments struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	M2    float64 `json:"m2"`
}

// Add returns the moments with xs added.
func (m RewardMoments) Add(xs []float64) RewardMoments {
	for _, x := range xs {
		m.Count++
		d := x - m.Mean
		m.Mean += d / float64(m.Count)
		m.M2 += d * (x - m.Mean)
	}
	return m
}

// Std is the population standard deviation (0 without data).
func (m RewardMoments) Std() float64 {
	if m.Count == 0 {
		return 0
	}
	return math.Sqrt(math.Max(m.M2, 0) / float64(m.Count))
}

// Normalize returns (x − mean) / (std + 1e-8) for each x.
func (m RewardMoments) Normalize(xs []float64) []float64 {
	out := make([]float64, len(xs))
	std := m.Std()
	for i, x := range xs {
		out[i] = (x - m.Mean) / (std + 1e-8)
	}
	return out
}

// BaselineRewards applies the estimator's sequence-level baseline. rewards
// holds one value per sample, grouped by prompt: samples
// [g·n, (g+1)·n) belong to prompt g. n ≥ 2 for every estimator but
// reinforce.
func BaselineRewards(rewards []float64, n int, est Estimator) ([]float64, error) {
	if n <= 0 || len(rewards)%n != 0 {
		return nil, fmt.Errorf("trainer: %d rewards do not split into groups of %d", len(rewards), n)
	}
	out := append([]float64(nil), rewards...)
	if est == Reinforce {
		return out, nil
	}
	if n < 2 {
		return nil, fmt.Errorf("trainer: %s needs at least 2 samples per prompt", est)
	}
	for g := 0; g < len(rewards); g += n {
		group := rewards[g : g+n]
		mean, sum := 0.0, 0.0
		for _, r := range group {
			sum += r
		}
		mean = sum / float64(n)
		switch est {
		case ReinforceBaseline:
			for i, r := range group {
				out[g+i] = r - mean
			}
		case RLOO:
			for i, r := range group {
				out[g+i] = r - (sum-r)/float64(n-1)
			}
		case GRPO, GroupNorm:
			ss := 0.0
			for _, r := range group {
				ss += (r - mean) * (r - mean)
			}
			std := math.Sqrt(ss / float64(n-1))
			for i, r := range group {
				out[g+i] = (r - mean) / (std + 1e-9)
			}
		default:
			return nil, fmt.Errorf("trainer: unknown advantage estimator %q", est)
		}
	}
	return out, nil
}

// TokenRewards folds the KL penalty into per-token rewards:
// r_t = −β·kl_t + 1[t = last valid token]·clip(R, lo, hi). [B][T].
func TokenRewards(kl [][]float64, mask [][]bool, seqReward []float64, beta, lo, hi float64) [][]float64 {
	out := zerosLike(kl)
	for b := range kl {
		last := -1
		for t := range kl[b] {
			if mask[b][t] {
				out[b][t] = -beta * kl[b][t]
				last = t
			}
		}
		if last >= 0 {
			out[b][last] += clamp(seqReward[b], lo, hi)
		}
	}
	return out
}

// Returns computes G_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'} over valid tokens. [B][T].
func Returns(rewards [][]float64, mask [][]bool, gamma float64) [][]float64 {
	out := zerosLike(rewards)
	for b := range rewards {
		g := 0.0
		for t := len(rewards[b]) - 1; t >= 0; t-- {
			if !mask[b][t] {
				continue
			}
			g = rewards[b][t] + gamma*g
			out[b][t] = g
		}
	}
	return out
}

// Whiten normalises x over every valid token of the batch:
// (x − mean) / sqrt(var + 1e-8), population variance. Padding stays 0.
func Whiten(x [][]float64, mask [][]bool) [][]float64 {
	sum, n := 0.0, 0
	for b := range x {
		for t := range x[b] {
			if mask[b][t] {
				sum += x[b][t]
				n++
			}
		}
	}
	out := zerosLike(x)
	if n == 0 {
		return out
	}
	mean := sum / float64(n)
	ss := 0.0
	for b := range x {
		for t := range x[b] {
			if mask[b][t] {
				ss += (x[b][t] - mean) * (x[b][t] - mean)
			}
		}
	}
	inv := 1 / math.Sqrt(ss/float64(n)+1e-8)
	for b := range x {
		for t := range x[b] {
			if mask[b][t] {
				out[b][t] = (x[b][t] - mean) * inv
			}
		}
	}
	return out
}

// AdvantageInputs is what Advantages needs from a rollout batch.
type AdvantageInputs struct {
	LogProbs    [][]float64 // [B][T] log π_old of the generated tokens
	RefLogProbs [][]float64 // [B][T] log π_ref of the same tokens
	Mask        [][]bool    // [B][T] valid generated tokens
	Rewards     []float64   // [B] sequence rewards, grouped by prompt
	GroupSize   int         // samples per prompt
}

// AdvantageOptions are the estimator's settings.
type AdvantageOptions struct {
	Estimator Estimator
	KL        KLEstimator
	Beta      float64 // KL coefficient; the reward carries no KL when KLInLoss
	KLInLoss  bool
	Gamma     float64
	ClipLo    float64
	ClipHi    float64
	// NormalizeReward z-scores the sequence rewards before the baseline and
	// the clipping, so Beta weighs the KL against a reward of unit scale
	// whatever the reward model's scale: by RewardStats when given (the
	// run's running moments, this batch included), else by the batch's own.
	NormalizeReward bool
	RewardStats     *RewardMoments
}

// Advantages computes per-token advantages [B][T] and the per-token KL
// estimate [B][T] (for logging) of a rollout batch.
func Advantages(in AdvantageInputs, opts AdvantageOptions) (adv, kl [][]float64, err error) {
	kl = TokenKL(in.LogProbs, in.RefLogProbs, in.Mask, opts.KL)
	rewards := in.Rewards
	switch {
	case opts.NormalizeReward && opts.RewardStats != nil:
		rewards = opts.RewardStats.Normalize(rewards)
	case opts.NormalizeReward:
		rewards = NormalizeRewards(rewards)
	}
	seq, err := BaselineRewards(rewards, in.GroupSize, opts.Estimator)
	if err != nil {
		return nil, nil, err
	}
	beta := opts.Beta
	if opts.KLInLoss {
		beta = 0
	}
	returns := Returns(TokenRewards(kl, in.Mask, seq, beta, opts.ClipLo, opts.ClipHi), in.Mask, opts.Gamma)
	if opts.Estimator == GRPO || opts.Estimator == GroupNorm {
		return returns, kl, nil
	}
	return Whiten(returns, in.Mask), kl, nil
}

func zerosLike(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = make([]float64, len(x[i]))
	}
	return out
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
