package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/eval"
	"acecoder/internal/cli"
	"acecoder/rewards"
	"acecoder/rollout"
	"acecoder/trainer"
)

func init() {
	register(newEvalCmd)
	register(newBoNCmd)
}

// evalSetup is what eval and bon share: tasks, policy, engine, sandbox.
type evalSetup struct {
	tasks []eval.Task
	ev    *eval.Evaluator
}

func newEvalSetup(ctx context.Context, cfg configs.Eval, log func(string, ...any)) (*evalSetup, func(), error) {
	tasks, skipped, err := eval.ReadBench(cfg.Bench)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range skipped {
		log("skipped %v", s)
	}
	if cfg.Limit > 0 && cfg.Limit < len(tasks) {
		tasks = tasks[:cfg.Limit]
	}
	b, err := backend.Open(cfg.Backend)
	if err != nil {
		return nil, nil, err
	}
	tm, err := trainer.LoadPolicyModel(ctx, b, cfg.Model, cfg.Seed)
	if err != nil {
		return nil, nil, err
	}
	eng, err := rollout.New(tm.Model)
	if err != nil {
		return nil, nil, err
	}
	runner, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: cfg.ExecWorkers, Timeout: cfg.ExecTimeout})
	if err != nil {
		return nil, nil, err
	}
	ev := &eval.Evaluator{Policy: tm, Engine: eng, Exec: runner, Timeout: cfg.ExecTimeout, Batch: cfg.BatchSize,
		MaxNew: cfg.GenerateMaxLen, Seed: uint64(cfg.Seed)}
	return &evalSetup{tasks: tasks, ev: ev}, func() { runner.Close() }, nil
}

// greedyAndSampled generates and checks the greedy answer and n samples
// per task.
func (s *evalSetup) greedyAndSampled(ctx context.Context, cfg configs.Eval, n int) (greedy, sampled [][]eval.Completion, err error) {
	if greedy, err = s.ev.Generate(ctx, s.tasks, 1, rollout.Sampling{}); err != nil {
		return nil, nil, err
	}
	if err = s.ev.Check(ctx, s.tasks, greedy); err != nil {
		return nil, nil, err
	}
	if n > 0 {
		if sampled, err = s.ev.Generate(ctx, s.tasks, n, rollout.Sampling{Temperature: cfg.Temperature, TopP: cfg.TopP}); err != nil {
			return nil, nil, err
		}
		if err = s.ev.Check(ctx, s.tasks, sampled); err != nil {
			return nil, nil, err
		}
	}
	return greedy, sampled, nil
}

func newEvalCmd(*cli.Globals) *cobra.Command {
	cfg := configs.DefaultEval()
	cmd := &cobra.Command{Use: "eval", Short: "greedy pass@1 and sampled pass@k of a policy on a HumanEval / MBPP / AceCode file", Args: cobra.NoArgs}
	c := cli.WithConfig(cmd, &cfg)
	evalAliases(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		log := func(f string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "eval: "+f+"\n", a...) }
		s, closeFn, err := newEvalSetup(cmd.Context(), cfg, log)
		if err != nil {
			return err
		}
		defer closeFn()
		n := slices.Max(cfg.N)
		greedy, sampled, err := s.greedyAndSampled(cmd.Context(), cfg, n)
		if err != nil {
			return err
		}
		sum, err := eval.Summarise(greedy, sampled, cfg.K)
		if err != nil {
			return err
		}
		if err := eval.WriteSamples(run.Dir, s.tasks, greedy); err != nil {
			return err
		}
		data, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(filepath.Join(run.Dir, "summary.json"), append(data, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %d tasks, greedy pass@1 %.1f%%", cfg.Bench, sum.Tasks, sum.Greedy)
		for _, k := range cfg.K {
			if v, ok := sum.PassAtK[fmt.Sprintf("pass@%d", k)]; ok {
				fmt.Fprintf(cmd.OutOrStdout(), ", pass@%d %.1f%% (n=%d)", k, v, sum.SamplesPer)
			}
		}
		fmt.Fprintln(cmd.OutOrStdout())
		return run.Metrics.Log(0, map[string]float64{"eval/greedy_pass@1": sum.Greedy})
	}
	return cmd
}

// evalAliases keeps the flag names of earlier versions working.
func evalAliases(cmd *cobra.Command) {
	cli.Alias(cmd, "model", "model-path")
	cli.Alias(cmd, "workers", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	cli.Alias(cmd, "max-new-tokens", "generate-max-len")
}

func newBoNCmd(*cli.Globals) *cobra.Command {
	cfg := configs.DefaultBoN()
	cmd := &cobra.Command{Use: "bon", Short: "best-of-N with a reward model: Greedy / Average / Oracle / RM@N (the paper's Table 2)", Args: cobra.NoArgs}
	c := cli.WithConfig(cmd, &cfg)
	evalAliases(cmd)
	cli.Alias(cmd, "rm", "reward-pretrain")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		log := func(f string, a ...any) { fmt.Fprintf(cmd.ErrOrStderr(), "bon: "+f+"\n", a...) }
		s, closeFn, err := newEvalSetup(cmd.Context(), cfg.Eval, log)
		if err != nil {
			return err
		}
		defer closeFn()
		rows, err := BestOfN(cmd.Context(), s, cfg)
		if err != nil {
			return err
		}
		data, _ := json.MarshalIndent(rows, "", "  ")
		if err := os.WriteFile(filepath.Join(run.Dir, "table.json"), append(data, '\n'), 0o644); err != nil {
			return err
		}
		return eval.PrintTable(cmd.OutOrStdout(), fmt.Sprintf("best-of-N on %s (%d tasks)", cfg.Bench, len(s.tasks)), rows)
	}
	return cmd
}

// BestOfN samples max(N) completions per task, checks and scores them, and
// returns the Table-2 rows.
func BestOfN(ctx context.Context, s *evalSetup, cfg configs.BoN) ([]eval.BestOfN, error) {
	rm, err := rewards.LoadRM(ctx, s.ev.Policy.Model.Backend, cfg.RewardModel, rewards.RMLoadOptions{Seed: uint64(cfg.Seed)})
	if err != nil {
		return nil, err
	}
	greedy, sampled, err := s.greedyAndSampled(ctx, cfg.Eval, slices.Max(cfg.N))
	if err != nil {
		return nil, err
	}
	if err := eval.Score(ctx, rm, s.tasks, sampled); err != nil {
		return nil, err
	}
	return eval.TableRows(greedy, sampled, cfg.N)
}
