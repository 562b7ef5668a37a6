package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/eval"
	"acecoder/internal/cli"
)

func init() {
	register(newEvalCmd)
	register(newBoNCmd)
}

func newEvalCmd(g *cli.Globals) *cobra.Command {
	cfg := configs.DefaultEval()
	cmd := &cobra.Command{Use: "eval", Short: "greedy pass@1 and sampled pass@k (base and plus tests) of a policy on a benchmark file, or of a samples file (--samples)", Args: cobra.NoArgs}
	c := cli.WithConfig(cmd, &cfg)
	evalAliases(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		log := evalLog(cmd, "eval")
		in, err := readEvalInputs(cfg, log)
		if err != nil {
			return err
		}
		run, err := startEvalRun(cmd, cfg, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		s, closeFn, err := newEvalSetup(cmd.Context(), cfg, in, g.Quiet, log)
		if err != nil {
			return err
		}
		defer closeFn()
		greedy, sampled := in.greedy, in.sampled
		if cfg.Samples == "" {
			greedy, sampled, err = s.generate(cmd.Context(), cfg, slices.Max(cfg.N))
			if err != nil {
				return err
			}
		}
		if err := s.check(cmd.Context(), greedy, sampled); err != nil {
			return err
		}
		sum, err := eval.Summarise(greedy, sampled, cfg.K, s.tasks...)
		if err != nil {
			return err
		}
		files, err := evalFiles(s.tasks, greedy, sampled, cfg.Samples == "", sum)
		if err != nil {
			return err
		}
		if err := eval.WriteFiles(run.Dir, files); err != nil {
			return err
		}
		if err := eval.PrintSummary(cmd.OutOrStdout(), filepath.Base(cfg.Bench), sum, cfg.K); err != nil {
			return err
		}
		return run.Metrics.Log(0, summaryMetrics(sum))
	}
	return cmd
}

// evalFiles are the files eval writes: the samples it generated (a graded
// samples file is not copied), each task's results and the summary.
func evalFiles(tasks []eval.Task, greedy, sampled [][]eval.Completion, withSamples bool, sum eval.Summary) (map[string][]byte, error) {
	files := map[string][]byte{}
	if withSamples {
		data, err := eval.EncodeSamples(tasks, greedy, sampled)
		if err != nil {
			return nil, err
		}
		files[eval.SamplesFile] = data
	}
	data, err := eval.EncodeResults(tasks, greedy, sampled)
	if err != nil {
		return nil, err
	}
	files[eval.ResultsFile] = data
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	files[eval.SummaryFile] = append(js, '\n')
	return files, nil
}

// summaryMetrics are the summary's numbers as eval/ metrics.
func summaryMetrics(s eval.Summary) map[string]float64 {
	m := map[string]float64{}
	if s.GreedyTasks > 0 {
		m["eval/greedy_pass@1"] = s.Greedy
	}
	if s.GreedyPlus != nil {
		m["eval/greedy_plus_pass@1"] = *s.GreedyPlus
	}
	for k, v := range s.PassAtK {
		m["eval/"+k] = v
	}
	for k, v := range s.PlusPassAtK {
		m["eval/plus_"+k] = v
	}
	return m
}

// evalAliases keeps the flag names of earlier versions working.
func evalAliases(cmd *cobra.Command) {
	cli.Alias(cmd, "model", "model-path")
	cli.Alias(cmd, "workers", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	cli.Alias(cmd, "max-new-tokens", "generate-max-len")
}

func newBoNCmd(g *cli.Globals) *cobra.Command {
	cfg := configs.DefaultBoN()
	cmd := &cobra.Command{Use: "bon", Short: "best-of-N with a reward model: Greedy / Average / Oracle / RM@N (the paper's Table 2)", Args: cobra.NoArgs}
	c := cli.WithConfig(cmd, &cfg)
	evalAliases(cmd)
	cli.Alias(cmd, "rm", "reward-pretrain")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		log := evalLog(cmd, "bon")
		in, err := readEvalInputs(cfg.Eval, log)
		if err != nil {
			return err
		}
		run, err := startEvalRun(cmd, cfg.Eval, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		s, closeFn, err := newEvalSetup(cmd.Context(), cfg.Eval, in, g.Quiet, log)
		if err != nil {
			return err
		}
		defer closeFn()
		res, err := BestOfN(cmd.Context(), s, cfg)
		if err != nil {
			return err
		}
		files, err := bonFiles(s.tasks, res, cfg)
		if err != nil {
			return err
		}
		if err := eval.WriteFiles(run.Dir, files); err != nil {
			return err
		}
		title := fmt.Sprintf("best-of-N on %s (%d tasks)", cfg.Bench, len(s.tasks))
		if res.plusRows == nil {
			return eval.PrintTable(cmd.OutOrStdout(), title, res.rows)
		}
		if err := eval.PrintTable(cmd.OutOrStdout(), title+", base tests", res.rows); err != nil {
			return err
		}
		return eval.PrintTable(cmd.OutOrStdout(), title+", base + plus tests", res.plusRows)
	}
	return cmd
}

// bonFiles are the files bon writes: every sample, each task's results,
// the reward model's pick per task for each N, and the table.
func bonFiles(tasks []eval.Task, res bonResult, cfg configs.BoN) (map[string][]byte, error) {
	sum, err := eval.Summarise(res.greedy, res.sampled, cfg.K, tasks...)
	if err != nil {
		return nil, err
	}
	files, err := evalFiles(tasks, res.greedy, res.sampled, true, sum)
	if err != nil {
		return nil, err
	}
	for _, n := range cfg.N {
		if files[eval.SelectedFile(n)], err = eval.EncodeSelected(tasks, res.sampled, n); err != nil {
			return nil, err
		}
	}
	table := struct {
		Base []eval.BestOfN `json:"base"`
		Plus []eval.BestOfN `json:"plus,omitempty"`
	}{res.rows, res.plusRows}
	data, err := json.MarshalIndent(table, "", "  ")
	if err != nil {
		return nil, err
	}
	files[eval.TableFile] = append(data, '\n')
	return files, nil
}
