package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"acecoder/data"
	"acecoder/internal/cli"
	"acecoder/toy"
)

// newToyCmd is `acecoder data toy`: the demo's generated task suite.
func newToyCmd() *cobra.Command {
	var out string
	var seed uint64
	var tests int
	var heldOut, rl float64
	cmd := &cobra.Command{
		Use:   "toy",
		Short: "generate the toy task suite (question, reference program, buggy variants, asserts) as train, rl and held-out JSONL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if heldOut < 0 || rl < 0 || heldOut+rl >= 1 {
				return cli.UsageError{Err: fmt.Errorf("--held-out %g and --rl %g: want non-negative fractions summing below 1", heldOut, rl)}
			}
			s := toy.Generate(toy.Options{Seed: seed, TestsPerTask: tests, HeldOutFrac: heldOut, RLFrac: rl})
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			files := map[string][]toy.Task{"train-tasks.jsonl": s.Train, "heldout-tasks.jsonl": s.HeldOut}
			if rl > 0 {
				files["rl-tasks.jsonl"] = s.RL
			}
			for name, rows := range files {
				if err := data.WriteJSONLAtomic(filepath.Join(out, name), rows); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d training, %d rl and %d held-out tasks in %s\n", len(s.Train), len(s.RL), len(s.HeldOut), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out-dir", "runs/toy", "output folder")
	cmd.Flags().Uint64Var(&seed, "seed", 42, "seed")
	cmd.Flags().IntVar(&tests, "tests", 10, "asserts per task")
	cmd.Flags().Float64Var(&heldOut, "held-out", 0.25, "fraction of each family's parameters held out")
	cmd.Flags().Float64Var(&rl, "rl", 0, "fraction of each family's parameters in a third split (rl-tasks.jsonl) for sampling, pairs, the reward model and RL")
	cli.Alias(cmd, "out", "out-dir")
	cli.Alias(cmd, "heldout", "held-out")
	return cmd
}
