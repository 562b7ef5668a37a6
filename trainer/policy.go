package trainer

// Reinforce++ policy training (AceCoder §3.3 / Table 3, run with the
// AceCoder fork of OpenRLHF). One step: take rollout_batch_size prompts,
// sample n_samples_per_prompt completions each with their log π_old (the
// sampler's tempered log-probs), reward them (rule: run the extracted
// program against the tests in the sandbox while generation continues;
// rm: score with the reward model; remote: a reward server), compute
// log π_ref with the frozen initial policy (with LoRA: the base, adapters
// off), turn rewards into per-token advantages (advantages.go), then take
// max_epochs passes of PPO-clip updates in train_batch_size batches.
// Departures from OpenRLHF: log π_old comes from the sampler, not from a
// scoring pass (same values up to float32 rounding; rescore_old_logprobs
// restores the pass), sequences are left-padded and length-bucketed, and
// no entropy term or critic exists.

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/ml/model"

	"acecoder/policy"
	"acecoder/rollout"
	"acecoder/trainer/optim"
)

// PolicySettings are the loop parameters of a PolicyTrainer.
type PolicySettings struct {
	SamplesPerPrompt int
	RolloutBatchSize int
	TrainBatchSize   int
	MicroBatchSize   int
	MaxEpochs        int
	EpsClip          float64
	LossAgg          LossAgg // how per-token losses become a micro-batch's loss
	DropUniform      bool
	Seed             int64
	Sampling         rollout.Options // temperature, top-p/k, max new tokens, stop ids, batch size
	Advantage        AdvantageOptions
	Schedule         optim.Schedule // over optimiser updates
	// RescoreOld scores log π_old with a full forward pass of the policy
	// after generation, as OpenRLHF does. By default the sampler's own
	// tempered log-probs of the same tokens under the same weights are used
	// (rollout.Sample.PolicyLogProbs), equal to the full forward up to
	// float32 rounding: one scoring pass less per rollout.
	RescoreOld bool
}

// PolicyCursor is the resumable position of the loop.
type PolicyCursor struct {
	Step     int `json:"step"`     // finished rollouts
	Updates  int `json:"updates"`  // optimiser steps taken
	Episode  int `json:"episode"`  // pass over the prompts
	Position int `json:"position"` // next prompt in this episode's order
	// RewardStats are the running moments of every sequence reward so far
	// (kept for normalize_reward).
	RewardStats RewardMoments `json:"reward_stats"`
}

// PolicyTrainer holds a policy run's state.
type PolicyTrainer struct {
	Actor    *policy.TextModel
	Ref      *policy.Model
	Engine   *rollout.Engine
	Rewarder Rewarder
	Opt      *optim.Optimizer
	Prompts  []Prompt
	Settings PolicySettings
	Cursor   PolicyCursor

	update *model.Exec
}

// PolicyTrainVars lists the policy's trainable variables: its LoRA
// adapters when it has some (the base stays frozen), else every weight;
// matrices get weight decay.
func PolicyTrainVars(m *policy.Model) []optim.TrainVar {
	var vars []optim.TrainVar
	if m.Decoder.LoRA != nil {
		for _, p := range m.AdapterParams() {
			vars = append(vars, optim.TrainVar{Name: p.Name, Var: m.AdapterVariable(p.Name), Decay: true})
		}
		return vars
	}
	for _, p := range m.Config.Params() {
		v := m.Store.GetVariable(policy.VariablePath(m.Decoder.Scope, p.Name))
		vars = append(vars, optim.TrainVar{Name: p.Name, Var: v, Decay: p.Kind == policy.KindMatrix})
	}
	return vars
}

// NewPolicyTrainer wires the models, optimiser, engine and rewarder.
func NewPolicyTrainer(actor *policy.TextModel, ref *policy.Model, rw Rewarder, cfg optim.AdamW, s PolicySettings, prompts []Prompt) (*PolicyTrainer, error) {
	if s.MicroBatchSize <= 0 || s.TrainBatchSize <= 0 || s.SamplesPerPrompt <= 0 || s.RolloutBatchSize <= 0 {
		return nil, fmt.Errorf("trainer: batch sizes must be positive: %+v", s)
	}
	if len(prompts) < s.RolloutBatchSize {
		return nil, fmt.Errorf("trainer: %d prompts, fewer than one rollout batch of %d", len(prompts), s.RolloutBatchSize)
	}
	if err := s.Schedule.Validate(); err != nil {
		return nil, err
	}
	m := actor.Model
	opt, err := optim.New(m.Backend, m.Store, PolicyTrainVars(m), cfg)
	if err != nil {
		return nil, err
	}
	eng, err := rollout.New(m)
	if err != nil {
		return nil, err
	}
	t := &PolicyTrainer{Actor: actor, Ref: ref, Engine: eng, Rewarder: rw, Opt: opt, Prompts: prompts, Settings: s}
	if t.update, err = model.NewExec(m.Backend, m.Store, t.updateGraph); err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	return t, nil
}

// nextPrompts returns the next rollout's prompts and advances the cursor;
// a new episode (a fresh seeded order) starts when fewer than a batch
// remain.
func (t *PolicyTrainer) nextPrompts() []*Prompt {
	bs := t.Settings.RolloutBatchSize
	if t.Cursor.Position+bs > len(t.Prompts) {
		t.Cursor.Episode++
		t.Cursor.Position = 0
	}
	order := EpochOrder(len(t.Prompts), t.Settings.Seed, t.Cursor.Episode)
	out := make([]*Prompt, bs)
	for i := range out {
		out[i] = &t.Prompts[order[t.Cursor.Position+i]]
	}
	t.Cursor.Position += bs
	return out
}

// Step runs one rollout and its updates and returns the step's metrics.
// On error the cursor is left where it was.
func (t *PolicyTrainer) Step(ctx context.Context) (map[string]float64, error) {
	start := time.Now()
	saved := t.Cursor
	prompts := t.nextPrompts()
	exp, err := t.MakeExperience(ctx, prompts)
	if err != nil {
		t.Cursor = saved
		return nil, err
	}
	trainStart := time.Now()
	st, err := t.Update(ctx, exp)
	if err != nil {
		t.Cursor = saved
		_ = t.Opt.ResetAccumulators()
		return nil, err
	}
	trainTime := time.Since(trainStart)
	t.Cursor.Step++
	m := experienceMetrics(exp, t.Settings.SamplesPerPrompt)
	if st.microBatches > 0 {
		mb := float64(st.microBatches)
		m["loss/policy"], m["policy/clip_frac"], m["kl/actor_ref"] = st.loss/mb, st.clipFrac/mb, st.kl/mb
	}
	if st.steps > 0 {
		m["optim/grad_norm"], m["optim/lr"] = st.gradNorm/float64(st.steps), st.lr
	}
	m["optim/updates"] = float64(st.steps)
	step := time.Since(start).Seconds()
	gen, exec, score := exp.GenTime.Seconds(), exp.ExecTime.Seconds(), exp.ScoreTime.Seconds()
	m["time/step_s"], m["time/generate_s"], m["time/execute_after_generate_s"] = step, gen, exec
	m["time/score_s"], m["time/train_s"] = score, trainTime.Seconds()
	m["perf/generate_tokens_per_s"] = float64(exp.GenTokens) / math.Max(gen, 1e-9)
	m["perf/train_tokens_per_s"] = float64(st.tokens) / math.Max(trainTime.Seconds(), 1e-9)
	m["data/episode"] = float64(t.Cursor.Episode)
	return m, nil
}

// experienceMetrics summarises a rollout: reward, pass rates, lengths, KL.
func experienceMetrics(exp *Experience, n int) map[string]float64 {
	var rs []float32
	pass, all, executed, length, stops := 0.0, 0.0, 0.0, 0.0, 0.0
	uniform := 0.0
	for i, r := range exp.Rewards {
		rs = append(rs, float32(r.Reward))
		if r.PassRate >= 0 {
			pass += r.PassRate
			executed++
			if r.AllPassed {
				all++
			}
		}
		length += float64(exp.CompLen[i])
		if exp.Finish[i] == rollout.FinishStop {
			stops++
		}
	}
	for g := 0; g+n <= len(exp.Rewards); g += n {
		same := true
		for i := g + 1; i < g+n; i++ {
			same = same && exp.Rewards[i].Reward == exp.Rewards[g].Reward
		}
		if same {
			uniform++
		}
	}
	kl, tokens := 0.0, 0.0
	for _, row := range exp.KL {
		for _, x := range row {
			kl += x
			tokens++
		}
	}
	mean, std := meanStd(rs)
	total := float64(len(exp.Rewards))
	m := map[string]float64{
		"reward/mean": mean, "reward/std": std,
		"rollout/response_length": length / total, "rollout/stop_frac": stops / total,
		"rollout/uniform_groups": uniform / math.Max(1, total/float64(n)),
		"kl/reward_k":            kl / math.Max(1, tokens),
	}
	if executed > 0 {
		m["reward/pass_rate"], m["reward/all_pass"] = pass/executed, all/executed
	}
	return m
}
