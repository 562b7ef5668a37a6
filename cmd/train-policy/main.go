// Command train-policy trains a policy with Reinforce++ (or GRPO / RLOO /
// REINFORCE with a baseline) from rule rewards (executed tests), a reward
// model, or reward servers (remote, OpenRLHF's remote_rm_url).
//
//	train-policy --config configs/policy-tiny.yaml --reward rule|rm [--print-config]
//	train-policy --config configs/policy-acecoder.yaml --reward remote --remote-rm-url http://host:5000/get_reward
package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/rundir"
	"acecoder/trainer"
)

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("train-policy", "train a policy with Reinforce++ from rule, reward-model or remote rewards")
	cli.TrainCommand(root, g, cli.Train[configs.Policy]{
		Defaults: configs.DefaultPolicy, Sweeps: true,
		Run: func(c *configs.Policy) configs.Run { return c.Run },
		Train: func(ctx context.Context, cfg configs.Policy, run *rundir.Run, quiet bool, log io.Writer) error {
			return trainer.TrainPolicy(ctx, cfg, run, trainer.PolicyRunOptions{Quiet: quiet, Log: log})
		},
	})
	return root
}

func main() { cli.Main(newRoot()) }
