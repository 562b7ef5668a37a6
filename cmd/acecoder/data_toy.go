package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"acecoder/data"
	"acecoder/toy"
)

// newToyCmd is `acecoder data toy`: the demo's generated task suite.
func newToyCmd() *cobra.Command {
	var out string
	var seed uint64
	var tests int
	var heldOut float64
	cmd := &cobra.Command{
		Use:   "toy",
		Short: "generate the toy task suite (question, reference program, buggy variants, asserts) as train and held-out JSONL",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			train, held := toy.Generate(toy.Options{Seed: seed, TestsPerTask: tests, HeldOutFrac: heldOut})
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			for name, rows := range map[string][]toy.Task{"train-tasks.jsonl": train, "heldout-tasks.jsonl": held} {
				if err := data.WriteJSONLAtomic(filepath.Join(out, name), rows); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d training and %d held-out tasks in %s\n", len(train), len(held), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "runs/toy", "output folder")
	cmd.Flags().Uint64Var(&seed, "seed", 42, "seed")
	cmd.Flags().IntVar(&tests, "tests", 10, "asserts per task")
	cmd.Flags().Float64Var(&heldOut, "heldout", 0.25, "fraction of each family's parameters held out")
	return cmd
}
