package trainer

// Bradley-Terry reward-model training (AceCoder §3.2, OpenRLHF's
// train_rm.py): each optimiser step takes train_batch_size pairs, split
// into micro-batches whose chosen and rejected sides run through the model
// together; the loss is mean −log σ(r_c − r_r − margin); gradients are
// averaged over micro-batches, clipped by global norm and applied by optim.AdamW
// with a warm-up + cosine schedule. Departures from OpenRLHF: the last
// partial batch of an epoch is dropped, the value-head dropout mask is drawn
// on the host (see DropoutKeep), and a side longer than max_length is cut
// without forcing an EOS token at the end.

import (
	"context"
	"fmt"
	"math"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
	"acecoder/rewards"
	"acecoder/trainer/optim"
)

// RMSettings are the loop parameters of an RMTrainer.
type RMSettings struct {
	BatchSize, MicroBatchSize int // pairs per optimiser step / per forward
	Margin                    float64
	HeadDropout               float64
	Seed                      int64
	Schedule                  optim.Schedule
}

// RMCursor is the resumable position of the loop: completed optimiser
// steps and the data cursor (epoch and position in that epoch's order).
type RMCursor struct {
	Step     int `json:"step"`
	Epoch    int `json:"epoch"`
	Position int `json:"position"`
}

// RMTrainer trains a reward model on tokenized pairs.
type RMTrainer struct {
	RM       *rewards.RewardModel
	Opt      *optim.Optimizer
	Settings RMSettings
	Train    []RMExample
	Eval     []RMExample
	Cursor   RMCursor

	accum *model.Exec
}

// RMTrainVars lists the reward model's trainable variables: every backbone
// weight the reward reads (rewards.BackboneParams), or its LoRA adapters
// when it has some, and the head.
// Matrices and the head weight get weight decay; biases and norms do not.
func RMTrainVars(rm *rewards.RewardModel) []optim.TrainVar {
	var vars []optim.TrainVar
	bb := rm.Backbone
	if bb.Decoder.LoRA != nil { // adapters on a frozen backbone
		for _, p := range bb.AdapterParams() {
			vars = append(vars, optim.TrainVar{Name: p.Name, Var: bb.AdapterVariable(p.Name), Decay: true})
		}
		return append(vars,
			optim.TrainVar{Name: rewards.HeadWeightName, Var: rm.HeadWeight(), Decay: true},
			optim.TrainVar{Name: rewards.HeadBiasName, Var: rm.HeadBias()})
	}
	for _, p := range rewards.BackboneParams(bb.Config) {
		v := bb.Store.GetVariable(policy.VariablePath(bb.Decoder.Scope, p.Name))
		vars = append(vars, optim.TrainVar{Name: p.Name, Var: v, Decay: p.Kind == policy.KindMatrix})
	}
	return append(vars,
		optim.TrainVar{Name: rewards.HeadWeightName, Var: rm.HeadWeight(), Decay: true},
		optim.TrainVar{Name: rewards.HeadBiasName, Var: rm.HeadBias()})
}

// NewRMTrainer wires a reward model, its optimiser and the data.
func NewRMTrainer(rm *rewards.RewardModel, cfg optim.AdamW, s RMSettings, train, eval []RMExample) (*RMTrainer, error) {
	if s.MicroBatchSize <= 0 || s.BatchSize%s.MicroBatchSize != 0 {
		return nil, fmt.Errorf("trainer: batch %d is not a multiple of micro-batch %d", s.BatchSize, s.MicroBatchSize)
	}
	if len(train) < s.BatchSize {
		return nil, fmt.Errorf("trainer: %d training pairs, fewer than one batch of %d", len(train), s.BatchSize)
	}
	if err := s.Schedule.Validate(); err != nil {
		return nil, err
	}
	opt, err := optim.New(rm.Backbone.Backend, rm.Backbone.Store, RMTrainVars(rm), cfg)
	if err != nil {
		return nil, err
	}
	t := &RMTrainer{RM: rm, Opt: opt, Settings: s, Train: train, Eval: eval}
	t.accum, err = model.NewExec(rm.Backbone.Backend, rm.Backbone.Store, t.accumGraph)
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	return t, nil
}

// StepsPerEpoch is the number of full batches in the training pairs.
func (t *RMTrainer) StepsPerEpoch() int { return len(t.Train) / t.Settings.BatchSize }

// accumGraph: ids, pos, mask [2N,S]; keep [2N,D]; margins [N] (each pair's
// own margin, added to the constant one); scale scalar → loss, accuracy,
// mean r_c − r_r, rewards [2N]; gradients accumulated. The per-pair margin
// enters as r_r + m_i, which leaves −log σ(r_c − r_r − m − m_i).
func (t *RMTrainer) accumGraph(_ *model.Scope, ids, pos, mask, keep, margins, scale *Node) []*Node {
	policy.VariablesAsParameters(t.RM.Backbone.Store, ids.Graph())
	policy.ForGradients(ids.Graph())
	r := t.RM.Rewards(ids, pos, mask, keep)
	n := r.Shape().Dim(0) / 2
	rc := Slice(r, AxisRange(0, n))
	rr := Slice(r, AxisRange(n, 2*n))
	loss, _, _ := BradleyTerryLoss(rc, Add(rr, margins), t.Settings.Margin)
	_, acc, delta := BradleyTerryLoss(rc, rr, 0)
	t.Opt.Accumulate(loss, scale)
	return []*Node{loss, acc, delta, r}
}

// nextBatch returns the indices of the next step's pairs and advances the
// data cursor (a new epoch starts when fewer than a batch remain).
func (t *RMTrainer) nextBatch() []int {
	bs := t.Settings.BatchSize
	if t.Cursor.Position+bs > len(t.Train) {
		t.Cursor.Epoch++
		t.Cursor.Position = 0
	}
	order := EpochOrder(len(t.Train), t.Settings.Seed, t.Cursor.Epoch)
	idx := order[t.Cursor.Position : t.Cursor.Position+bs]
	t.Cursor.Position += bs
	return idx
}

// Step runs one optimiser step and returns its metrics. On error the
// cursor is left where it was.
func (t *RMTrainer) Step(ctx context.Context) (metrics map[string]float64, err error) {
	defer policy.RecoverGraph(&err, "trainer: reward-model step")
	start := time.Now()
	saved := t.Cursor
	defer func() {
		if err != nil {
			t.Cursor = saved
			_ = t.Opt.ResetAccumulators()
		}
	}()
	idx := t.nextBatch()
	mb := t.Settings.MicroBatchSize
	nMicro := len(idx) / mb
	scale := tensors.FromScalar(float32(1) / float32(nMicro))
	var sum struct{ loss, acc, delta float64 }
	var rs []float32
	tokens := 0
	for k := range nMicro {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, margins, err := PairBatch(t.Train, idx[k*mb:(k+1)*mb])
		if err != nil {
			return nil, err
		}
		d := t.RM.Backbone.Config.HiddenSize
		keep := tensors.FromFlatDataAndDimensions(DropoutKeep(b.B, d, t.Settings.HeadDropout, t.Settings.Seed, t.Cursor.Step, k), b.B, d)
		ids, pos, mask := b.Tensors()
		out, err := t.accum.Exec(ids, pos, mask, keep, tensors.FromFlatDataAndDimensions(margins, len(margins)), scale)
		if err != nil {
			return nil, fmt.Errorf("trainer: step %d: %w", t.Cursor.Step+1, err)
		}
		sum.loss += float64(tensors.ToScalar[float32](out[0]))
		sum.acc += float64(tensors.ToScalar[float32](out[1]))
		sum.delta += float64(tensors.ToScalar[float32](out[2]))
		r, _ := tensors.CopyFlatData[float32](out[3])
		rs = append(rs, r...)
		tokens += b.Tokens
	}
	lr := t.Settings.Schedule.At(t.Cursor.Step)
	norm, err := t.Opt.Apply(lr, t.Cursor.Step+1)
	if err != nil {
		return nil, err
	}
	t.Cursor.Step++
	mean, std := meanStd(rs)
	nm := float64(nMicro)
	return map[string]float64{
		"loss/bt": sum.loss / nm, "rm/accuracy": sum.acc / nm, "rm/margin": sum.delta / nm,
		"reward/mean": mean, "reward/std": std, "optim/lr": lr, "optim/grad_norm": norm,
		"data/epoch": float64(t.Cursor.Epoch), "perf/tokens": float64(tokens),
		"perf/tokens_per_s": float64(tokens) / time.Since(start).Seconds(),
	}, nil
}

// Evaluate scores the held-out pairs without dropout and returns
// "eval/accuracy" (fraction with r_chosen > r_rejected), "eval/loss" (the
// Bradley-Terry loss with the training margin) and "eval/margin".
func (t *RMTrainer) Evaluate(ctx context.Context) (map[string]float64, error) {
	if len(t.Eval) == 0 {
		return nil, nil
	}
	seqs := make([][]int32, 0, 2*len(t.Eval))
	for _, e := range t.Eval {
		seqs = append(seqs, e.Chosen, e.Rejected)
	}
	r, err := t.RM.ScoreIDs(ctx, seqs)
	if err != nil {
		return nil, err
	}
	rc, rr, pm := make([]float32, len(t.Eval)), make([]float32, len(t.Eval)), make([]float32, len(t.Eval))
	for i, e := range t.Eval {
		rc[i], rr[i], pm[i] = r[2*i], r[2*i+1], e.Margin
	}
	loss, acc, delta := BTLossHost(rc, rr, pm, t.Settings.Margin)
	return map[string]float64{"eval/accuracy": acc, "eval/loss": loss, "eval/margin": delta}, nil
}

// BTLossHost is BradleyTerryLoss on the host, in float64, with optional
// per-pair margins pm (nil: none): mean softplus(−(Δ_i − margin − pm_i)),
// the fraction with Δ_i > 0, and mean Δ_i, where Δ_i = rc_i − rr_i.
func BTLossHost(rc, rr, pm []float32, margin float64) (loss, acc, delta float64) {
	for i := range rc {
		d := float64(rc[i]) - float64(rr[i])
		m := margin
		if pm != nil {
			m += float64(pm[i])
		}
		loss += softplus(-(d - m))
		if d > 0 {
			acc++
		}
		delta += d
	}
	n := float64(max(1, len(rc)))
	return loss / n, acc / n, delta / n
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

func meanStd(xs []float32) (mean, std float64) {
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(max(1, len(xs)))
	for _, x := range xs {
		std += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(std / float64(max(1, len(xs))))
}
