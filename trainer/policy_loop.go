package trainer

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"

	"github.com/gomlx/compute"

	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/policy"
	"acecoder/progress"
	"acecoder/queue"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/rundir"
	"acecoder/trainer/optim"
)

// PolicyRunOptions are the run-time knobs of TrainPolicy that are not
// config keys.
type PolicyRunOptions struct {
	Quiet   bool
	Log     io.Writer
	Backend compute.Backend // overrides cfg.Backend (tests share one)
	// Runner executes the rule rewards' programs; nil starts an embedded
	// NATS JetStream queue with a local sandboxed runner (or, with the nats
	// key set, uses the execution workers of that server).
	Runner JobRunner
	OnStep func(step int, metrics map[string]float64)
}

// Run-directory entries of a policy run.
const (
	PolicyCheckpointDir = "checkpoints"
	PolicyModelDir      = "model" // the final policy, HF format
)

// policyState records what resuming needs beyond the files.
type policyState struct {
	Seed       int64 `json:"seed"`
	Prompts    int   `json:"prompts"`
	TotalSteps int   `json:"total_steps"`
}

// TrainPolicy runs train-policy in run's directory: it resumes per
// cfg.Resume, runs rollouts and updates, logs metrics, checkpoints every
// save_steps and saves the final policy to <run>/model. On SIGINT/SIGTERM
// it writes a final checkpoint.
func TrainPolicy(ctx context.Context, cfg configs.Policy, run *rundir.Run, opts PolicyRunOptions) error {
	root := filepath.Join(run.Dir, PolicyCheckpointDir)
	st, err := startLoop(opts.Log, root, cfg.Resume, "train-policy", opts.Backend, cfg.Backend)
	if err != nil {
		return err
	}
	log, ck, b := st.log, st.ck, st.b
	runner := opts.Runner
	var eq *queue.ExecQueue
	if runner == nil {
		eq, err = queue.StartExec(ctx, queue.ExecOptions{Conn: queue.ConnOptions{URL: cfg.NATS}, NoLocalWorker: cfg.NATS != "",
			Runner: rewards.RunnerOptions{Workers: cfg.ExecWorkers, Timeout: cfg.ExecTimeout}})
		if err != nil {
			return err
		}
		defer eq.Close()
		runner = eq
	}
	l, err := newPolicyLoop(ctx, cfg, run, b, runner, ck, log)
	if err != nil {
		return err
	}
	t := l.t
	lp := &loop{name: "train-policy", total: l.total, at: func() int { return t.Cursor.Step }, step: t.Step,
		describe: func(m map[string]float64) string {
			return fmt.Sprintf("reward %.3f kl %.4f", m["reward/mean"], m["kl/reward_k"])
		},
		save: l.save, saveEvery: cfg.SaveSteps, metrics: run.Metrics, log: log, onStep: opts.OnStep,
		bar: progress.New(l.total, "train-policy", progress.Options{Quiet: opts.Quiet})}
	if cfg.EvalData != "" {
		pe, err := newPolicyEval(cfg.EvalData, t, runner, cfg.ExecTimeout, run.Metrics, log)
		if err != nil {
			return err
		}
		lp.evaluate, lp.evalEvery = pe.evaluate, cfg.EvalSteps
	}
	if eq != nil {
		lp.extra = func(ctx context.Context, m map[string]float64) {
			if qm, err := eq.Queue.Client.Metrics(ctx); err == nil {
				maps.Copy(m, qm.Values())
			}
		}
	}
	if err := lp.run(ctx); err != nil {
		return err
	}
	dir, err := SaveFinalPolicy(ctx, t.Actor, run.Dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "train-policy: %d rollouts done; policy saved to %s\n", t.Cursor.Step, dir)
	return nil
}

type policyLoop struct {
	cfg    configs.Policy
	run    *rundir.Run
	t      *PolicyTrainer
	total  int // rollouts
	saver  *checkpoints.Saver
	config []byte
	log    io.Writer
	saved  int
}

// PolicyRollouts is the number of rollouts a run takes: num_episodes passes
// over the prompts in whole rollout batches, capped by max_steps.
func PolicyRollouts(cfg configs.Policy, prompts int) int {
	total := cfg.NumEpisodes * (prompts / cfg.RolloutBatchSize)
	if cfg.MaxSteps > 0 {
		total = min(total, cfg.MaxSteps)
	}
	return total
}

func newPolicyLoop(ctx context.Context, cfg configs.Policy, run *rundir.Run, b compute.Backend, runner JobRunner, ck *checkpoints.Checkpoint, log io.Writer) (*policyLoop, error) {
	actor, err := LoadPolicyModel(ctx, b, cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	ref := actor.Model
	if ck != nil {
		// The actor (architecture, weights, tokenizer) comes from the
		// checkpoint; the reference is the run's starting model.
		if actor, err = LoadCheckpointModel(ctx, modelAt(ctx, b, cfg.Seed), baseModel(ctx, b, cfg.Model, cfg.Seed), ck); err != nil {
			return nil, err
		}
		if actor.Model.Config.String() != ref.Config.String() {
			return nil, fmt.Errorf("trainer: checkpoint %s has another architecture than model %s", ck.Dir, cfg.Model.Path+cfg.Model.InitConfig)
		}
	} else if actor.Model.Decoder.LoRA == nil {
		if ref, err = refModel(ctx, b, cfg); err != nil {
			return nil, err
		}
	}
	if actor.Model.Decoder.LoRA != nil {
		// The reference is the actor itself scored with its adapters off
		// (policy.Model.BaseTemperedLogProbs): no second copy of the base.
		ref = actor.Model
	}
	actor.Model.Decoder.RecomputeLayers = cfg.Model.GradientCheckpointing
	rw, err := newRewarder(ctx, cfg, b, runner, actor.Text)
	if err != nil {
		return nil, err
	}
	prompts, err := ReadPrompts(ctx, cfg.PromptData, log)
	if err != nil {
		return nil, err
	}
	prompts, dropped, err := TokenizePrompts(actor, prompts, cfg.PromptMaxLen)
	if err != nil {
		return nil, err
	}
	if dropped > 0 {
		fmt.Fprintf(log, "train-policy: %d prompts longer than prompt_max_len %d skipped\n", dropped, cfg.PromptMaxLen)
	}
	total := PolicyRollouts(cfg, len(prompts))
	s := policySettings(cfg, actor, total, len(prompts))
	t, err := NewPolicyTrainer(actor, ref, rw, optim.FromConfig(cfg.Optim), s, prompts)
	if err != nil {
		return nil, err
	}
	text, err := configs.YAML(&cfg)
	if err != nil {
		return nil, err
	}
	l := &policyLoop{cfg: cfg, run: run, t: t, total: total, config: []byte(text), log: log, saved: -1,
		saver: &checkpoints.Saver{Root: filepath.Join(run.Dir, PolicyCheckpointDir), Options: checkpoints.Options{Keep: cfg.KeepLast}}}
	if ck == nil {
		return l, run.Metrics.Log(0, map[string]float64{"data/prompts": float64(len(prompts)),
			"data/prompts_too_long": float64(dropped), "optim/total_rollouts": float64(total),
			"optim/total_updates": float64(s.Schedule.Total)})
	}
	if err := l.restore(ck, len(prompts)); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "train-policy: resumed from %s at step %d\n", ck.Dir, t.Cursor.Step)
	return l, run.Metrics.TruncateAfter(t.Cursor.Step)
}

// baseModel loads the run's model without fresh adapters, for an adapted
// checkpoint's adapters to go on.
func baseModel(ctx context.Context, b compute.Backend, m configs.Model, seed int64) func() (*policy.TextModel, error) {
	return func() (*policy.TextModel, error) {
		m.LoRARank, m.Adapter = 0, ""
		return LoadPolicyModel(ctx, b, m, seed)
	}
}

// modelAt loads the text model of a Hugging Face directory.
func modelAt(ctx context.Context, b compute.Backend, seed int64) func(path, tmpl string) (*policy.TextModel, error) {
	return func(path, tmpl string) (*policy.TextModel, error) {
		return LoadPolicyModel(ctx, b, configs.Model{Path: path, ChatTemplate: tmpl}, seed)
	}
}

// refModel is a second, frozen copy of the starting policy.
func refModel(ctx context.Context, b compute.Backend, cfg configs.Policy) (*policy.Model, error) {
	ref, err := LoadPolicyModel(ctx, b, cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	return ref.Model, nil
}

// policySettings maps the config onto the trainer's settings; updates per
// rollout = max_epochs · ceil(samples / train_batch_size).
func policySettings(cfg configs.Policy, actor *policy.TextModel, rollouts, prompts int) PolicySettings {
	samples := cfg.RolloutBatchSize * cfg.SamplesPerPrompt
	updates := rollouts * cfg.MaxEpochs * ((samples + cfg.TrainBatchSize - 1) / cfg.TrainBatchSize)
	sampling := rollout.Options{
		Sampling: rollout.Sampling{Temperature: cfg.Temperature, TopP: cfg.TopP, TopK: cfg.TopK,
			ValidVocab: actor.Tok.VocabSize()},
		MaxNewTokens: cfg.GenerateMaxLen, StopIDs: actor.StopIDs(), BatchSize: min(64, samples),
	}
	return PolicySettings{
		SamplesPerPrompt: cfg.SamplesPerPrompt, RolloutBatchSize: cfg.RolloutBatchSize,
		TrainBatchSize: cfg.TrainBatchSize, MicroBatchSize: cfg.MicroBatchSize, MaxEpochs: cfg.MaxEpochs,
		EpsClip: cfg.EpsClip, LossAgg: LossAgg(cfg.LossAgg), RescoreOld: cfg.RescoreOld, DropUniform: cfg.DropUniform, Seed: cfg.Seed, Sampling: sampling,
		Advantage: AdvantageOptions{Estimator: Estimator(cfg.Estimator), KL: KLEstimator(cfg.KLEstimator),
			Beta: cfg.InitKLCoef, KLInLoss: cfg.UseKLLoss, Gamma: cfg.Gamma,
			ClipLo: cfg.RewardClipRange[0], ClipHi: cfg.RewardClipRange[1], NormalizeReward: cfg.NormalizeReward},
		Schedule: optim.Schedule{Peak: cfg.Optim.LearningRate, Warmup: optim.WarmupSteps(max(updates, 1), cfg.Optim.WarmupRatio),
			Total: max(updates, 1), MinRatio: cfg.Optim.MinLRRatio, Kind: cfg.Optim.Scheduler},
	}
}

func (l *policyLoop) save(ctx context.Context) error {
	t := l.t
	if l.saved == t.Cursor.Step {
		return nil
	}
	content, err := PolicyCheckpoint(ctx, t.Actor, t.Opt, map[string]any{
		"cursor": t.Cursor,
		"policy": policyState{Seed: t.Settings.Seed, Prompts: len(t.Prompts), TotalSteps: l.total},
	}, l.config)
	if err != nil {
		return err
	}
	if _, err := l.saver.Save(ctx, int64(t.Cursor.Step), content); err != nil {
		return err
	}
	l.saved = t.Cursor.Step
	return nil
}

func (l *policyLoop) restore(ck *checkpoints.Checkpoint, prompts int) error {
	var st policyState
	var cur PolicyCursor
	if err := ck.DecodeState("policy", &st); err != nil {
		return err
	}
	if err := ck.DecodeState("cursor", &cur); err != nil {
		return err
	}
	if st.Seed != l.t.Settings.Seed || st.Prompts != prompts {
		return fmt.Errorf("trainer: %s: checkpoint of seed %d with %d prompts, this run has seed %d and %d",
			ck.Dir, st.Seed, st.Prompts, l.t.Settings.Seed, prompts)
	}
	if err := RestoreOptimizer(ck, l.t.Opt); err != nil {
		return err
	}
	l.t.Cursor = cur
	l.saved = cur.Step
	return nil
}
