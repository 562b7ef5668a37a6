package trainer

import (
	"context"
	"fmt"
	"math/rand/v2"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
)

// updateGraph: in = ids, pos, mask [B,S] int32; resp [B,S] float32 (1 on
// completion tokens); old, adv, ref [B,S] float32 aligned with ids; scale
// scalar → loss, clip fraction, mean k1 KL; gradients accumulated.
func (t *PolicyTrainer) updateGraph(_ *model.Scope, in []*Node) []*Node {
	ids, pos, mask, resp, old, adv, ref, scale := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	policy.VariablesAsParameters(t.Actor.Model.Store, ids.Graph())
	policy.ForGradients(ids.Graph())
	lp := t.Actor.Model.Decoder.TemperedLogProbs(ids, pos, mask, t.Settings.Sampling.Temperature)
	agg := t.Settings.LossAgg
	loss, clipFrac := PolicyLoss(lp, old, adv, resp, t.Settings.EpsClip, agg)
	kl := KLPenalty(lp, ref, resp, K1, agg)
	if t.Settings.Advantage.KLInLoss {
		loss = Add(loss, MulScalar(KLPenalty(lp, ref, resp, t.Settings.Advantage.KL, agg), t.Settings.Advantage.Beta))
	}
	t.Opt.Accumulate(loss, scale)
	return []*Node{loss, clipFrac, kl}
}

// updateStats sums what the update steps report.
type updateStats struct {
	loss, clipFrac, kl, gradNorm, lr float64
	microBatches, steps, tokens      int
}

// selectForUpdate returns the samples that enter the update: all of them,
// or, with drop_uniform_groups, those of prompts whose samples did not all
// get the same reward (they carry no learning signal in a group baseline).
func (t *PolicyTrainer) selectForUpdate(exp *Experience) []int {
	n := t.Settings.SamplesPerPrompt
	var keep []int
	for g := 0; g < len(exp.Rewards); g += n {
		uniform := true
		for i := g + 1; i < g+n; i++ {
			if exp.Rewards[i].Reward != exp.Rewards[g].Reward {
				uniform = false
			}
		}
		if uniform && t.Settings.DropUniform {
			continue
		}
		for i := g; i < g+n; i++ {
			keep = append(keep, i)
		}
	}
	return keep
}

// Update runs max_epochs passes of PPO-clip mini-batch updates over the
// experience: each optimiser step takes train_batch_size samples in
// micro-batches; a last partial batch still takes a step.
func (t *PolicyTrainer) Update(ctx context.Context, exp *Experience) (updateStats, error) {
	var st updateStats
	idx := t.selectForUpdate(exp)
	if len(idx) == 0 {
		return st, nil
	}
	rng := rand.New(rand.NewPCG(uint64(t.Settings.Seed), uint64(t.Cursor.Step)<<8|0x9d))
	for epoch := 0; epoch < t.Settings.MaxEpochs; epoch++ {
		order := append([]int(nil), idx...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < len(order); lo += t.Settings.TrainBatchSize {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			batch := order[lo:min(lo+t.Settings.TrainBatchSize, len(order))]
			if err := t.optimStep(exp, batch, &st); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// optimStep accumulates the gradients of one batch in micro-batches and
// applies AdamW.
func (t *PolicyTrainer) optimStep(exp *Experience, batch []int, st *updateStats) (err error) {
	defer policy.RecoverGraph(&err, "trainer: policy update")
	mb := t.Settings.MicroBatchSize
	nMicro := (len(batch) + mb - 1) / mb
	for k := 0; k < nMicro; k++ {
		part := batch[k*mb : min((k+1)*mb, len(batch))]
		scale, perSample := microScale(t.Settings.LossAgg, mb, len(part), len(batch), nMicro)
		args, tokens := t.microBatch(exp, part)
		out, err := t.update.Exec(append(args, scale)...)
		if err != nil {
			return fmt.Errorf("trainer: update: %w", err)
		}
		st.loss += float64(tensors.ToScalar[float32](out[0])) * perSample
		st.clipFrac += float64(tensors.ToScalar[float32](out[1]))
		st.kl += float64(tensors.ToScalar[float32](out[2])) * perSample
		st.microBatches++
		st.tokens += tokens
	}
	t.Cursor.Updates++
	lr := t.Settings.Schedule.At(t.Cursor.Updates - 1)
	norm, err := t.Opt.Apply(lr, t.Cursor.Updates)
	if err != nil {
		return err
	}
	st.gradNorm += norm
	st.lr = lr
	st.steps++
	return nil
}

// microScale is the gradient weight of one micro-batch of part samples and
// the factor that turns its reported loss into a per-sample mean.
// seq_mean_token_mean: the graph's loss is a mean over mb rows (padding
// rows add 0), so mb/len(batch) makes the step's gradient the mean over
// the batch's samples. token_mean: each micro-batch's loss is its own
// token mean and the step's gradient their mean (1/nMicro each), as
// gradient accumulation over packed micro-batches gives.
func microScale(agg LossAgg, mb, part, batch, nMicro int) (*tensors.Tensor, float64) {
	if agg == TokenMean {
		return tensors.FromScalar(float32(1) / float32(nMicro)), 1
	}
	return tensors.FromScalar(float32(mb) / float32(batch)), float64(mb) / float64(part)
}

// microBatch builds the update graph's inputs for samples part, padded to
// the micro-batch size (padding rows have no completion tokens, so they add
// nothing to the loss) and to a bucketed length.
func (t *PolicyTrainer) microBatch(exp *Experience, part []int) ([]any, int) {
	mb, pad := t.Settings.MicroBatchSize, t.Actor.PadID()
	seqs := make([][]int32, mb)
	old, adv, ref := make([][]float64, mb), make([][]float64, mb), make([][]float64, mb)
	resp := make([][]float64, mb)
	s, tokens := 0, 0
	for j := range mb {
		if j >= len(part) {
			seqs[j] = []int32{pad}
			continue
		}
		i := part[j]
		seqs[j], old[j], adv[j], ref[j] = exp.Seqs[i], exp.OldLogp[i], exp.Adv[i], exp.RefLogp[i]
		resp[j] = ones(exp.CompLen[i])
		s = max(s, len(seqs[j]))
		tokens += len(seqs[j])
	}
	s = seqBucket(s)
	b := leftPadTo(seqs, pad, s)
	return []any{b.IDs, b.Positions, b.Mask, alignedRows(resp, s), alignedRows(old, s), alignedRows(adv, s), alignedRows(ref, s)}, tokens
}
