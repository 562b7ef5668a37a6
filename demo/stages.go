package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/eval"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/rundir"
	"acecoder/trainer"
)

type run struct {
	opts   Options
	report *Report
	runner *rewards.Runner
}

func (d *run) path(rel ...string) string {
	return filepath.Join(append([]string{d.opts.Dir}, rel...)...)
}

func (d *run) logf(format string, args ...any) {
	fmt.Fprintf(d.opts.Log, "demo: "+format+"\n", args...)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func (d *run) sftModel() string { return d.path("sft", trainer.PolicyModelDir) }

// tokenizer learns a byte-level BPE tokenizer (ChatML specials) on the
// fine-tuning questions and their reference programs, sized to the
// model's 512 ids.
func (d *run) tokenizer(ctx context.Context) error {
	dir := d.path("tokenizer")
	if exists(filepath.Join(dir, "tokenizer.json")) {
		return nil
	}
	var texts []string
	for _, t := range d.suite().Train {
		texts = append(texts, t.Question, t.Program)
	}
	tok, err := tokenizer.TrainByteLevel(ctx, texts, tokenizer.TrainOptions{Merges: 240})
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path("model-config.json"), modelConfig, 0o644); err != nil {
		return err
	}
	return tok.Save(dir)
}

// startRun makes a stage's run directory holding its resolved config.
func (d *run) startRun(name string, cfg any) (*rundir.Run, error) {
	text, err := configs.YAML(cfg)
	if err != nil {
		return nil, err
	}
	d.report.Dirs[name] = d.path(name)
	return rundir.Create(rundir.Options{Dir: d.path(name), Name: name, Backend: d.backendSpec(), Config: text,
		Command: "acecoder demo (stage " + name + ")"})
}

func (d *run) backendSpec() string {
	if d.opts.Backend == "" {
		return backend.Default
	}
	return d.opts.Backend
}

func (d *run) sft(ctx context.Context) error {
	d.report.Dirs["sft"] = d.path("sft")
	if exists(filepath.Join(d.sftModel(), "config.json")) {
		return nil
	}
	cfg := configs.DefaultSFT()
	cfg.Name, cfg.OutDir, cfg.Backend, cfg.Seed = "sft", d.path("sft"), d.backendSpec(), d.opts.Seed
	cfg.Model = configs.Model{InitConfig: d.path("model-config.json"), Tokenizer: d.path("tokenizer"), ChatTemplate: "plain"}
	cfg.TrainData = []string{d.sftTasks()}
	cfg.MaxLength, cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.MaxEpochs = 256, 16, 16, d.opts.Scale.SFTEpochs
	cfg.Optim.LearningRate, cfg.Optim.WarmupRatio = 2e-3, 0.05
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := d.startRun("sft", &cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	return trainer.TrainSFT(ctx, cfg, r, trainer.SFTRunOptions{Quiet: d.opts.Quiet, Log: d.opts.Log})
}

// sandbox is the demo's one pool of sandboxed Python workers.
func (d *run) sandbox(ctx context.Context) (*rewards.Runner, error) {
	if d.runner == nil {
		r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{})
		if err != nil {
			return nil, err
		}
		d.runner = r
	}
	return d.runner, nil
}

// evaluator loads a policy directory for generation and checking.
func (d *run) evaluator(ctx context.Context, modelDir string) (*eval.Evaluator, error) {
	b, err := backend.Open(d.backendSpec())
	if err != nil {
		return nil, err
	}
	tm, err := trainer.LoadPolicyModel(ctx, b, configs.Model{Path: modelDir, ChatTemplate: "plain"}, d.opts.Seed)
	if err != nil {
		return nil, err
	}
	eng, err := rollout.New(tm.Model)
	if err != nil {
		return nil, err
	}
	runner, err := d.sandbox(ctx)
	if err != nil {
		return nil, err
	}
	return &eval.Evaluator{Policy: tm, Engine: eng, Exec: runner, Timeout: 0, Batch: 64,
		MaxNew: d.opts.Scale.MaxNewTokens, Seed: uint64(d.opts.Seed)}, nil
}

func (d *run) rl(ctx context.Context, name, reward string) error {
	d.report.Dirs[name] = d.path(name)
	if exists(filepath.Join(d.path(name, trainer.PolicyModelDir), "config.json")) {
		return nil
	}
	s := d.opts.Scale
	cfg := configs.DefaultPolicy()
	cfg.Name, cfg.OutDir, cfg.Backend, cfg.Seed = name, d.path(name), d.backendSpec(), d.opts.Seed
	cfg.Model = configs.Model{Path: d.sftModel(), ChatTemplate: "plain"}
	cfg.PromptData = []string{d.rlPrompts()}
	cfg.Reward = reward
	// Binary reward: 1 only when every test passes. With the pass rate, a
	// wrong constant that passes 7 of 10 comparison tests would score above
	// the batch mean and be reinforced.
	cfg.RuleReward = "binary"
	if reward == "rm" {
		cfg.RewardModel = d.rmModel()
	}
	cfg.SamplesPerPrompt, cfg.RolloutBatchSize = s.SamplesPerPrompt, s.RolloutPrompts
	cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.MaxEpochs = s.SamplesPerPrompt*s.RolloutPrompts/max(1, s.RLUpdates), 16, 1
	cfg.NumEpisodes, cfg.MaxSteps = 1000, s.RLSteps
	// RL samples at the pairs' temperature (0.7), and the trainer scores
	// log-probs at it, so the policy optimised is the one sampled.
	cfg.GenerateMaxLen, cfg.PromptMaxLen, cfg.Temperature = s.MaxNewTokens, 256, s.Temperature
	cfg.Optim.LearningRate, cfg.Optim.WarmupRatio, cfg.Optim.MinLRRatio = s.RLLearningRate, s.RLWarmup, 0.5
	// The reward model's scores have no fixed scale: z-scored per rollout,
	// β weighs the KL to the SFT policy against a reward of unit scale.
	cfg.NormalizeReward, cfg.InitKLCoef = true, s.RLKLCoef
	cfg.SaveSteps = 0
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := d.startRun(name, &cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	opts := trainer.PolicyRunOptions{Quiet: d.opts.Quiet, Log: d.opts.Log}
	if d.runner != nil {
		opts.Runner = d.runner // share the sandbox pool; otherwise an embedded queue starts its own
	}
	return trainer.TrainPolicy(ctx, cfg, r, opts)
}

func (d *run) rlRule(ctx context.Context) error { return d.rl(ctx, "rl-rule", "rule") }
func (d *run) rlRM(ctx context.Context) error   { return d.rl(ctx, "rl-rm", "rm") }

// passAt1 measures greedy pass@1 of each policy on the held-out tasks and
// on the rl-split questions (RL's prompts are their hard subset).
func (d *run) passAt1(ctx context.Context) error {
	held, err := readTasks(d.heldOutTasks())
	if err != nil {
		return err
	}
	rlSet, err := readTasks(d.rlTasks())
	if err != nil {
		return err
	}
	for _, p := range []struct{ name, dir string }{
		{"SFT (start)", d.sftModel()},
		{"Reinforce++, rule reward", d.path("rl-rule", trainer.PolicyModelDir)},
		{"Reinforce++, RM reward", d.path("rl-rm", trainer.PolicyModelDir)},
	} {
		ev, err := d.evaluator(ctx, p.dir)
		if err != nil {
			return err
		}
		row := PolicyRow{Policy: p.name, HeldOutTasks: len(held)}
		for _, set := range []struct {
			tasks []eval.Task
			out   *float64
		}{{held, &row.HeldOut}, {rlSet, &row.RL}} {
			comps, err := ev.Generate(ctx, set.tasks, 1, rollout.Sampling{})
			if err == nil {
				err = ev.Check(ctx, set.tasks, comps)
			}
			if err != nil {
				return err
			}
			sum, err := eval.Summarise(comps, nil, nil)
			if err != nil {
				return err
			}
			*set.out = sum.Greedy
		}
		d.report.PassAt1 = append(d.report.PassAt1, row)
	}
	return nil
}
