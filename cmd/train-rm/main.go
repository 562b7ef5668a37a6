// Command train-rm trains a Bradley-Terry reward model (the policy backbone
// with a scalar value head) on preference pairs of programs.
//
//	train-rm --config configs/rm-tiny.yaml [--key value ...] [--print-config]
package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
)

func newRoot() *cobra.Command {
	root, _ := cli.NewRoot("train-rm", "train a Bradley-Terry reward model on preference pairs")
	cfg := configs.DefaultRM()
	c := cli.WithConfig(root, &cfg)
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		return fmt.Errorf("the reward-model training loop: %w", cli.ErrNotBuilt)
	}
	return root
}

func main() { cli.Main(newRoot()) }
