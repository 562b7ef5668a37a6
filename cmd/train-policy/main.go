// Command train-policy trains a policy with Reinforce++ (or GRPO / RLOO /
// REINFORCE with a baseline) from rule rewards (executed tests) or a reward
// model.
//
//	train-policy --config configs/policy-tiny.yaml --reward rule|rm [--print-config]
package main

import (
	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/progress"
	"acecoder/trainer"
)

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("train-policy", "train a policy with Reinforce++ from rule or reward-model rewards")
	cfg := configs.DefaultPolicy()
	c := cli.WithConfig(root, &cfg)
	sweep := cli.AddSweepFlags(root)
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		newCfg := func() any { c := configs.DefaultPolicy(); return &c }
		if ran, err := sweep.Run(cmd, c, newCfg, g.Quiet); ran {
			return err
		}
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		return trainer.TrainPolicy(cmd.Context(), cfg, run, trainer.PolicyRunOptions{Quiet: g.Quiet, Log: progress.LogWriter(cmd.ErrOrStderr())})
	}
	return root
}

func main() { cli.Main(newRoot()) }
