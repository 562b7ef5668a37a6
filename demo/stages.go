package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/data"
	"acecoder/eval"
	"acecoder/policy/tokenizer"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/rundir"
	"acecoder/toy"
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

// Files the stages share. The suite has three disjoint splits (see package
// toy): the policy is fine-tuned on sft-tasks; rl-tasks plays AceCode-87K,
// questions the policy was not fine-tuned on, which it is sampled on for
// the preference pairs and trained on by RL; held-out tasks only evaluate.
func (d *run) sftTasks() string     { return d.path("data", "sft-tasks.jsonl") }
func (d *run) rlTasks() string      { return d.path("data", "rl-tasks.jsonl") }
func (d *run) heldOutTasks() string { return d.path("data", "heldout-tasks.jsonl") }

// rlPrompts is what RL trains on: AceCoder's hard subset of the rl
// questions (data hard).
func (d *run) rlPrompts() string { return d.path("data", "hard.jsonl") }

// mistakes is how often the fine-tuning programs are the family's common
// mistake instead of the reference (see toy.WithMistakes): the SFT policy
// learns those mistakes from its data, as a model does from scraped code,
// and the tests (pairs, reward model, rule rewards) are what can undo them.
var mistakes = toy.Mistakes{Share: 0.5, High: 0.6, Low: 0.1}

// suite is the demo's task suite.
func (d *run) suite() toy.Suite {
	return toy.Generate(toy.Options{Seed: uint64(d.opts.Seed), HeldOutFrac: 0.15, RLFrac: 0.25})
}

func (d *run) sftModel() string { return d.path("sft", trainer.PolicyModelDir) }
func (d *run) rmModel() string  { return d.path("rm", trainer.RMModelDir) }

func (d *run) tasks(context.Context) error {
	if exists(d.heldOutTasks()) {
		return nil
	}
	s := d.suite()
	if err := os.MkdirAll(d.path("data"), 0o755); err != nil {
		return err
	}
	demos, misled := toy.WithMistakes(s.Train, uint64(d.opts.Seed), mistakes)
	d.logf("fine-tuning programs carry their family's common mistake at rate %.2f in %s, %.2f elsewhere",
		mistakes.High, strings.Join(misled, ", "), mistakes.Low)
	if err := data.WriteJSONLAtomic(d.sftTasks(), demos); err != nil {
		return err
	}
	if err := data.WriteJSONLAtomic(d.rlTasks(), s.RL); err != nil {
		return err
	}
	d.logf("%d fine-tuning, %d rl and %d held-out tasks in %s", len(s.Train), len(s.RL), len(s.HeldOut), d.path("data"))
	return data.WriteJSONLAtomic(d.heldOutTasks(), s.HeldOut)
}

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
	if d.runner == nil {
		if d.runner, err = rewards.NewRunner(ctx, rewards.RunnerOptions{}); err != nil {
			return nil, err
		}
	}
	return &eval.Evaluator{Policy: tm, Engine: eng, Exec: d.runner, Timeout: 0, Batch: 64,
		MaxNew: d.opts.Scale.MaxNewTokens, Seed: uint64(d.opts.Seed)}, nil
}

func readTasks(path string) ([]eval.Task, error) {
	tasks, _, err := eval.ReadBench(path)
	return tasks, err
}

// sample draws Samples programs per rl-split question from the SFT policy,
// runs them, and writes AceCode-87K rows with their inferences.
func (d *run) sample(ctx context.Context) error {
	out := d.path("data", "samples.jsonl")
	if exists(out) {
		return nil
	}
	tasks, err := readTasks(d.rlTasks())
	if err != nil {
		return err
	}
	ev, err := d.evaluator(ctx, d.sftModel())
	if err != nil {
		return err
	}
	comps, err := ev.Generate(ctx, tasks, d.opts.Scale.Samples, rollout.Sampling{Temperature: d.opts.Scale.Temperature})
	if err != nil {
		return err
	}
	if err := ev.Check(ctx, tasks, comps); err != nil {
		return err
	}
	rows := make([]data.AceCodeRow, len(tasks))
	for i, t := range tasks {
		row := data.AceCodeRow{ID: t.ID, Source: "toy", Question: t.Prompt, TestCases: t.Tests,
			ContextMessages: []data.Message{{Role: "user", Content: t.Prompt}}}
		for j, c := range comps[i] {
			inf := data.Inference{ModelName: "sft", CompletionID: j, Completion: c.Text, PassRate: c.Result.PassRate}
			for _, v := range c.Result.Tests {
				inf.TestResults = append(inf.TestResults, boolInt(v.Status == rewards.StatusPass))
			}
			row.Inferences = append(row.Inferences, inf)
		}
		rows[i] = row
	}
	return data.WriteJSONLAtomic(out, rows)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (d *run) pairs(ctx context.Context) error {
	if exists(d.path("data", "hard.jsonl")) {
		return nil
	}
	in := d.path("data", "samples.jsonl")
	sum, err := data.Pairs(ctx, data.PairsConfig{Input: in, Output: d.path("data", "pairs.jsonl"), Rule: data.DefaultPairRule(), Log: d.opts.Log})
	if err != nil {
		return err
	}
	d.logf("pairs: %d questions read, %d with pairs", sum.Read, int(sum.Counts["questions with pairs"]))
	_, err = data.Hard(ctx, data.HardConfig{Input: in, Output: d.path("data", "hard.jsonl"), Log: d.opts.Log})
	return err
}

func (d *run) trainRM(ctx context.Context) error {
	d.report.Dirs["rm"] = d.path("rm")
	if exists(filepath.Join(d.rmModel(), "config.json")) {
		return nil
	}
	pairs := d.path("data", "pairs.jsonl")
	raw, err := os.ReadFile(pairs)
	if err != nil {
		return err
	}
	n := bytes.Count(raw, []byte("\n"))
	if n < 2 {
		return fmt.Errorf("%s: %d preference pairs; the SFT policy's samples need partly passing programs (fine-tune longer: more SFT epochs)", pairs, n)
	}
	cfg := configs.DefaultRM()
	cfg.Name, cfg.OutDir, cfg.Backend, cfg.Seed = "rm", d.path("rm"), d.backendSpec(), d.opts.Seed
	cfg.Model = configs.Model{Path: d.sftModel(), ChatTemplate: "plain"}
	cfg.TrainData, cfg.EvalFraction, cfg.MaxLength = []string{pairs}, 0.1, 256
	// Batches of 16 pairs, fewer when the samples gave few pairs (about
	// 10% of the questions are held back for eval).
	batch := min(16, max(1, n/2))
	cfg.TrainBatchSize, cfg.MicroBatchSize, cfg.MaxEpochs, cfg.EvalSteps, cfg.SaveSteps = batch, batch, d.opts.Scale.RMEpochs, 20, 0
	cfg.Optim.LearningRate, cfg.Optim.WarmupRatio = 1e-3, 0.05
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := d.startRun("rm", &cfg)
	if err != nil {
		return err
	}
	defer r.Close()
	return trainer.TrainRM(ctx, cfg, r, trainer.RMRunOptions{Quiet: d.opts.Quiet, Log: d.opts.Log})
}

// bestOfN is Table 2 on the held-out tasks: the SFT policy's greedy
// answer, Samples samples, their average and oracle pass rates, and the
// reward model's pick.
func (d *run) bestOfN(ctx context.Context) error {
	out := d.path("best-of-n.json")
	if data, err := os.ReadFile(out); err == nil {
		return json.Unmarshal(data, &d.report.BestOfN)
	}
	tasks, err := readTasks(d.heldOutTasks())
	if err != nil {
		return err
	}
	ev, err := d.evaluator(ctx, d.sftModel())
	if err != nil {
		return err
	}
	greedy, err := ev.Generate(ctx, tasks, 1, rollout.Sampling{})
	if err == nil {
		err = ev.Check(ctx, tasks, greedy)
	}
	if err != nil {
		return err
	}
	n := d.opts.Scale.Samples
	sampled, err := ev.Generate(ctx, tasks, n, rollout.Sampling{Temperature: d.opts.Scale.Temperature})
	if err == nil {
		err = ev.Check(ctx, tasks, sampled)
	}
	if err != nil {
		return err
	}
	rm, err := rewards.LoadRM(ctx, ev.Policy.Model.Backend, d.rmModel(), rewards.RMLoadOptions{ChatTemplate: "plain"})
	if err != nil {
		return err
	}
	if err := eval.Score(ctx, rm, tasks, sampled); err != nil {
		return err
	}
	var ns []int
	for k := 1; k <= n; k *= 2 {
		ns = append(ns, k)
	}
	if d.report.BestOfN, err = eval.TableRows(greedy, sampled, ns); err != nil {
		return err
	}
	js, _ := json.MarshalIndent(d.report.BestOfN, "", "  ")
	return os.WriteFile(out, js, 0o644)
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
