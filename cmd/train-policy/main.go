// Command train-policy trains a policy with Reinforce++ (or GRPO / RLOO /
// REINFORCE with a baseline) from rule rewards (executed tests) or a reward
// model.
//
//	train-policy --config configs/policy-tiny.yaml --reward rule|rm [--print-config]
package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
)

func newRoot() *cobra.Command {
	root, _ := cli.NewRoot("train-policy", "train a policy with Reinforce++ from rule or reward-model rewards")
	cfg := configs.DefaultPolicy()
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
		return fmt.Errorf("the policy training loop: %w", cli.ErrNotBuilt)
	}
	return root
}

func main() { cli.Main(newRoot()) }
