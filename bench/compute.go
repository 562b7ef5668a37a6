package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
	"acecoder/rollout"
	"acecoder/trainer"
	"acecoder/trainer/optim"
)

// NewModel returns a model of the shape with seeded random weights.
func NewModel(backend compute.Backend, s Shape) (*policy.Model, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	return policy.New(backend, cfg, policy.InitOptions{Seed: 123})
}

// Batch returns the shape's full batch of seeded token ids (no padding).
func Batch(s Shape) policy.Batch {
	rng := rand.New(rand.NewPCG(7, 11))
	seqs := make([][]int32, s.Batch)
	for i := range seqs {
		seqs[i] = make([]int32, s.Seq)
		for j := range seqs[i] {
			seqs[i][j] = int32(rng.IntN(s.Vocab))
		}
	}
	return policy.LeftPad(seqs, 0)
}

// TrainStep is one optimiser step as the trainers run it: the mean
// next-token NLL's gradients accumulated into the optimiser's buffers by
// one graph, then AdamW (decoupled weight decay 0.01, global-norm clipping
// at 1, as DefaultAdamW) applied by another.
type TrainStep struct {
	m     *policy.Model
	opt   *optim.Optimizer
	accum *model.Exec
	args  []any
	t     int
}

// NewTrainStep builds the step's graphs for m on batch b.
func NewTrainStep(m *policy.Model, b policy.Batch) (*TrainStep, error) {
	cfg := optim.DefaultAdamW()
	cfg.WeightDecay = 0.01
	opt, err := optim.New(m.Backend, m.Store, trainer.PolicyTrainVars(m), cfg)
	if err != nil {
		return nil, err
	}
	accum, err := model.NewExec(m.Backend, m.Store, func(_ *model.Scope, ids, pos, mask, scale *Node) *Node {
		g := ids.Graph()
		policy.VariablesAsParameters(m.Store, g)
		policy.ForGradients(g)
		loss := m.Decoder.LMLoss(ids, pos, mask)
		opt.Accumulate(loss, scale)
		return loss
	})
	if err != nil {
		return nil, fmt.Errorf("bench: train step: %w", err)
	}
	args := []any{matrix(b.IDs), matrix(b.Positions), matrix(b.Mask), tensors.FromScalar(float32(1))}
	return &TrainStep{m: m, opt: opt, accum: accum, args: args}, nil
}

// Run takes one step.
func (ts *TrainStep) Run() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bench: train step: %v", r)
		}
	}()
	if _, err := ts.accum.Exec(ts.args...); err != nil {
		return fmt.Errorf("bench: train step: %w", err)
	}
	ts.t++
	_, err = ts.opt.Apply(1e-4, ts.t)
	return err
}

// Score runs the scoring forward: per-token log-probs of the batch.
func Score(m *policy.Model, b policy.Batch) error {
	_, err := m.NextTokenLogProbs(b)
	return err
}

// Decoder generates greedily with the sampler: batch prompts of
// s.DecodePrompt seeded tokens, each continued by a number of tokens.
type Decoder struct {
	e    *rollout.Engine
	reqs []rollout.Request
}

// NewDecoder builds the sampler for m and batch prompts.
func NewDecoder(m *policy.Model, s Shape, batch int) (*Decoder, error) {
	e, err := rollout.New(m)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(5, uint64(batch)))
	reqs := make([]rollout.Request, batch)
	for i := range reqs {
		ids := make([]int32, s.DecodePrompt)
		for j := range ids {
			ids[j] = int32(rng.IntN(s.Vocab))
		}
		reqs[i] = rollout.Request{PromptIDs: ids, N: 1}
	}
	return &Decoder{e: e, reqs: reqs}, nil
}

// Generate decodes newTokens tokens per prompt (greedy, no stop tokens)
// and returns the wall time, prefill included.
func (d *Decoder) Generate(ctx context.Context, newTokens int) (time.Duration, error) {
	start := time.Now()
	_, err := d.e.Generate(ctx, d.reqs, rollout.Options{MaxNewTokens: newTokens, BatchSize: len(d.reqs)})
	return time.Since(start), err
}

// Timing is the per-step wall times of one measurement.
type Timing []time.Duration

// Median of the times.
func (t Timing) Median() time.Duration {
	s := slices.Clone(t)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// Time runs fn warmup times untimed, then steps times, timing each.
func Time(fn func() error, warmup, steps int) (Timing, error) {
	for range warmup {
		if err := fn(); err != nil {
			return nil, err
		}
	}
	ts := make(Timing, 0, steps)
	for range steps {
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		ts = append(ts, time.Since(start))
	}
	return ts, nil
}

// DecodeStep measures the sampler's decoding step as the reference script
// does: per run, generation of s.DecodeNew tokens after the prompt, minus
// a generation of one token (the prefill and the first token, which comes
// from the prefill's logits), divided by s.DecodeNew: the mean step time,
// host-side sampling included. It returns the median over runs.
func DecodeStep(ctx context.Context, d *Decoder, s Shape, runs int) (time.Duration, error) {
	if _, err := d.Generate(ctx, s.DecodeNew+1); err != nil { // compile every cache size
		return 0, err
	}
	var steps Timing
	for range runs {
		full, err := d.Generate(ctx, s.DecodeNew+1)
		if err != nil {
			return 0, err
		}
		first, err := d.Generate(ctx, 1)
		if err != nil {
			return 0, err
		}
		steps = append(steps, (full-first)/time.Duration(s.DecodeNew))
	}
	return steps.Median(), nil
}

func matrix(rows [][]int32) *tensors.Tensor {
	flat := make([]int32, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(rows), len(rows[0]))
}
