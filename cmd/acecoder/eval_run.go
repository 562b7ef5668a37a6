package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/eval"
	"acecoder/internal/cli"
	"acecoder/progress"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/rundir"
	"acecoder/trainer"
)

// evalInputs are what eval and bon read before anything is created: the
// tasks, and for a graded samples file its completions.
type evalInputs struct {
	tasks           []eval.Task
	greedy, sampled [][]eval.Completion
}

// readEvalInputs reads the benchmark (bad rows are logged and skipped)
// and the samples file (any bad row is an error); errors are usage errors,
// so nothing is created for bad input.
func readEvalInputs(cfg configs.Eval, log func(string, ...any)) (evalInputs, error) {
	if err := configs.CheckInputs(&cfg); err != nil {
		return evalInputs{}, cli.UsageError{Err: fmt.Errorf("missing input: %w", err)}
	}
	tasks, skipped, err := eval.ReadBench(cfg.Bench)
	if err != nil {
		return evalInputs{}, cli.UsageError{Err: err}
	}
	for _, s := range skipped {
		log("skipped %v", s)
	}
	in := evalInputs{tasks: tasks}
	if cfg.Samples != "" {
		samples, err := eval.ReadSamples(cfg.Samples)
		if err != nil {
			return evalInputs{}, cli.UsageError{Err: err}
		}
		if in.tasks, in.greedy, in.sampled, err = eval.GroupSamples(tasks, samples, cfg.Samples); err != nil {
			return evalInputs{}, cli.UsageError{Err: err}
		}
		if missing := len(tasks) - len(in.tasks); missing > 0 {
			log("%d of the %d tasks of %s have no samples and are not graded", missing, len(tasks), cfg.Bench)
		}
	}
	if cfg.Limit > 0 && cfg.Limit < len(in.tasks) {
		in.tasks = in.tasks[:cfg.Limit]
		if in.greedy != nil {
			in.greedy, in.sampled = in.greedy[:cfg.Limit], in.sampled[:cfg.Limit]
		}
	}
	return in, nil
}

// startEvalRun refuses an out_dir that holds an earlier run (unless
// overwrite, which clears it) and creates the run directory.
func startEvalRun(cmd *cobra.Command, cfg configs.Eval, full any) (*rundir.Run, error) {
	if cfg.OutDir != "" {
		if err := eval.PrepareRunDir(cfg.OutDir, cfg.Overwrite); err != nil {
			return nil, cli.UsageError{Err: err}
		}
	}
	return cli.StartRun(cmd, cfg.Run, full)
}

func evalLog(cmd *cobra.Command, name string) func(string, ...any) {
	w := progress.LogWriter(cmd.ErrOrStderr())
	return func(f string, a ...any) { fmt.Fprintf(w, name+": "+f+"\n", a...) }
}

// evalSetup is what eval and bon share: tasks, sandbox, and (when
// generating) the policy and its sampler.
type evalSetup struct {
	tasks []eval.Task
	ev    *eval.Evaluator
	quiet bool
	log   func(string, ...any)
}

// newEvalSetup starts the sandbox, computes the expected outputs of
// value-comparing tasks in it, and loads the policy unless a samples file
// is graded.
func newEvalSetup(ctx context.Context, cfg configs.Eval, in evalInputs, quiet bool, log func(string, ...any)) (*evalSetup, func(), error) {
	runner, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: cfg.ExecWorkers, Timeout: cfg.ExecTimeout})
	if err != nil {
		return nil, nil, err
	}
	ev := &eval.Evaluator{Exec: runner, Timeout: cfg.ExecTimeout, Batch: cfg.BatchSize, MaxNew: cfg.GenerateMaxLen,
		Seed: uint64(cfg.Seed), Style: eval.PromptStyle(cfg.PromptStyle)}
	s := &evalSetup{tasks: in.tasks, ev: ev, quiet: quiet, log: log}
	if slices.ContainsFunc(s.tasks, eval.Task.NeedsPrepare) {
		if err := eval.Prepare(ctx, runner, s.tasks); err != nil {
			runner.Close()
			return nil, nil, err
		}
	}
	if cfg.Samples == "" {
		b, err := backend.Open(cfg.Backend)
		if err != nil {
			runner.Close()
			return nil, nil, err
		}
		if ev.Policy, err = trainer.LoadPolicyModel(ctx, b, cfg.Model, cfg.Seed); err != nil {
			runner.Close()
			return nil, nil, err
		}
		if ev.Engine, err = rollout.New(ev.Policy.Model); err != nil {
			runner.Close()
			return nil, nil, err
		}
	}
	return s, func() { runner.Close() }, nil
}

// generate samples the greedy answer and n samples per task, with a
// progress bar over all of them.
func (s *evalSetup) generate(ctx context.Context, cfg configs.Eval, n int) (greedy, sampled [][]eval.Completion, err error) {
	bar := progress.New(len(s.tasks)*(1+n), "generate", progress.Options{Quiet: s.quiet})
	defer bar.Finish()
	s.ev.Generated = bar.Add
	defer func() { s.ev.Generated = nil }()
	if greedy, err = s.ev.Generate(ctx, s.tasks, 1, rollout.Sampling{}); err != nil {
		return nil, nil, err
	}
	if n > 0 {
		if sampled, err = s.ev.Generate(ctx, s.tasks, n, rollout.Sampling{Temperature: cfg.Temperature, TopP: cfg.TopP}); err != nil {
			return nil, nil, err
		}
	}
	return greedy, sampled, nil
}

// check runs every greedy and sampled completion in the sandbox, with a
// progress bar over the programs.
func (s *evalSetup) check(ctx context.Context, greedy, sampled [][]eval.Completion) error {
	total := 0
	for _, cs := range append(slices.Clone(greedy), sampled...) {
		total += len(cs)
	}
	bar := progress.New(total, "execute", progress.Options{Quiet: s.quiet})
	defer bar.Finish()
	s.ev.Checked = bar.Add
	defer func() { s.ev.Checked = nil }()
	if err := s.ev.Check(ctx, s.tasks, greedy); err != nil {
		return err
	}
	return s.ev.Check(ctx, s.tasks, sampled)
}

// bonResult is what BestOfN computes: the checked and scored completions
// and the Table-2 rows.
type bonResult struct {
	greedy, sampled [][]eval.Completion
	rows            []eval.BestOfN
	plusRows        []eval.BestOfN // base + plus tests, when every task has plus tests
}

// BestOfN samples max(N) completions per task, checks and scores them, and
// returns the Table-2 rows.
func BestOfN(ctx context.Context, s *evalSetup, cfg configs.BoN) (bonResult, error) {
	rm, err := rewards.LoadRM(ctx, s.ev.Policy.Model.Backend, cfg.RewardModel, rewards.RMLoadOptions{Seed: uint64(cfg.Seed)})
	if err != nil {
		return bonResult{}, err
	}
	greedy, sampled, err := s.generate(ctx, cfg.Eval, slices.Max(cfg.N))
	if err != nil {
		return bonResult{}, err
	}
	if err := s.check(ctx, greedy, sampled); err != nil {
		return bonResult{}, err
	}
	if err := eval.Score(ctx, rm, s.tasks, sampled); err != nil {
		return bonResult{}, err
	}
	res := bonResult{greedy: greedy, sampled: sampled}
	if res.rows, err = eval.TableRows(greedy, sampled, cfg.N, false); err != nil {
		return res, err
	}
	if allHavePlus(s.tasks) {
		res.plusRows, err = eval.TableRows(greedy, sampled, cfg.N, true)
	}
	return res, err
}

// allHavePlus reports whether every task has evalplus's plus tests.
func allHavePlus(tasks []eval.Task) bool {
	for _, t := range tasks {
		if !t.HasPlus() {
			return false
		}
	}
	return len(tasks) > 0
}
