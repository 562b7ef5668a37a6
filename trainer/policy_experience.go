package trainer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"acecoder/rollout"
)

// Experience is one rollout batch with everything the update needs.
// Samples are ordered by (prompt, sample), so groups are contiguous.
type Experience struct {
	Seqs      [][]int32 // prompt + completion ids
	CompLen   []int     // completion tokens of each sample
	Texts     []string  // decoded completions
	Rewards   []SampleReward
	OldLogp   [][]float64 // [n][T_i] log π_old of the completion tokens
	RefLogp   [][]float64 // [n][T_i] log π_ref
	Adv       [][]float64 // [n][T_i] advantages
	KL        [][]float64 // [n][T_i] per-token KL estimate
	Finish    []string
	GenTime   time.Duration // generation wall time
	ExecTime  time.Duration // reward time after generation ended (the part not overlapped)
	ScoreTime time.Duration // old and reference log-probs
	GenTokens int
}

// MakeExperience samples n completions per prompt, rewards them (streaming
// rewarders while generation continues), scores old and reference
// log-probs and computes the advantages.
func (t *PolicyTrainer) MakeExperience(ctx context.Context, prompts []*Prompt) (*Experience, error) {
	n := t.Settings.SamplesPerPrompt
	total := len(prompts) * n
	reqs := make([]rollout.Request, len(prompts))
	for i, p := range prompts {
		reqs[i] = rollout.Request{PromptIDs: p.IDs, N: n}
	}
	opts := t.Settings.Sampling
	opts.Seed, opts.Step = uint64(t.Settings.Seed), uint64(t.Cursor.Step)
	opts.Detokenize = t.Actor.Decode

	exp := &Experience{Seqs: make([][]int32, total), CompLen: make([]int, total), Texts: make([]string, total),
		Rewards: make([]SampleReward, total), Finish: make([]string, total), OldLogp: make([][]float64, total)}
	out := make(chan rollout.Sample, 2*n)
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	var genEnd time.Time
	g.Go(func() error {
		defer close(out)
		err := t.Engine.Stream(gctx, reqs, opts, out)
		genEnd = time.Now()
		return err
	})
	var mu sync.Mutex
	g.Go(func() error {
		var wg sync.WaitGroup
		var firstErr error
		for s := range out {
			i := s.PromptIndex*n + s.SampleIndex
			exp.Seqs[i] = append(append([]int32{}, s.PromptIDs...), s.CompletionIDs...)
			exp.CompLen[i], exp.Texts[i], exp.Finish[i] = len(s.CompletionIDs), s.Text, s.FinishReason
			exp.OldLogp[i] = s.PolicyLogProbs
			exp.GenTokens += len(s.CompletionIDs)
			if !t.Rewarder.Streaming() {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := t.Rewarder.Reward(gctx, []RewardItem{{Prompt: prompts[s.PromptIndex], Completion: s.Text}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					exp.Rewards[i] = r[0]
				}
			}()
		}
		wg.Wait()
		return firstErr
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("trainer: rollout: %w", err)
	}
	exp.GenTime = genEnd.Sub(start)
	if !t.Rewarder.Streaming() {
		items := make([]RewardItem, total)
		for i := range items {
			items[i] = RewardItem{Prompt: prompts[i/n], Completion: exp.Texts[i]}
		}
		r, err := t.Rewarder.Reward(ctx, items)
		if err != nil {
			return nil, fmt.Errorf("trainer: reward: %w", err)
		}
		copy(exp.Rewards, r)
	}
	exp.ExecTime = time.Since(genEnd)
	if err := t.scoreExperience(exp); err != nil {
		return nil, err
	}
	return exp, nil
}

// scoreExperience computes log π_ref, log π_old when RescoreOld asks for a
// scoring pass (else the sampler's log-probs stay), and the advantages of
// an experience. Log-probs are taken at the sampling temperature, as
// OpenRLHF and verl do: the policy being optimised is the tempered one the
// samples came from (top-p/top-k truncation is not modelled, as in those
// systems).
func (t *PolicyTrainer) scoreExperience(exp *Experience) error {
	start := time.Now()
	pad, micro, temp := t.Actor.PadID(), t.Settings.MicroBatchSize, t.Settings.Sampling.Temperature
	var err error
	if t.Settings.RescoreOld {
		if exp.OldLogp, err = completionLogProbs(t.Actor.Model.TemperedLogProbs, exp.Seqs, exp.CompLen, pad, micro, temp); err != nil {
			return fmt.Errorf("trainer: old log-probs: %w", err)
		}
	}
	if exp.RefLogp, err = completionLogProbs(t.Ref.BaseTemperedLogProbs, exp.Seqs, exp.CompLen, pad, micro, temp); err != nil {
		return fmt.Errorf("trainer: reference log-probs: %w", err)
	}
	exp.ScoreTime = time.Since(start)
	old, mask := rightPadded(exp.OldLogp)
	ref, _ := rightPadded(exp.RefLogp)
	seqR := make([]float64, len(exp.Rewards))
	for i, r := range exp.Rewards {
		seqR[i] = r.Reward
	}
	opts := t.Settings.Advantage
	if opts.NormalizeReward {
		t.Cursor.RewardStats = t.Cursor.RewardStats.Add(seqR)
		stats := t.Cursor.RewardStats
		opts.RewardStats = &stats
	}
	adv, kl, err := Advantages(AdvantageInputs{LogProbs: old, RefLogProbs: ref, Mask: mask, Rewards: seqR,
		GroupSize: t.Settings.SamplesPerPrompt}, opts)
	if err != nil {
		return err
	}
	exp.Adv, exp.KL = unpad(adv, exp.CompLen), unpad(kl, exp.CompLen)
	return nil
}
