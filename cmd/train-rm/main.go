// Command train-rm trains a Bradley-Terry reward model (the policy backbone
// with a scalar value head) on preference pairs of programs.
//
//	train-rm --config configs/rm-tiny.yaml [--key value ...] [--print-config]
//
// The run directory receives config.yaml, run.json, metrics.jsonl,
// checkpoints/step-%08d/ and, at the end, model/ (the reward model as a
// Hugging Face directory). --resume latest continues the newest valid
// checkpoint of out_dir; --resume PATH a given checkpoint. SIGINT/SIGTERM
// write a final checkpoint before exiting.
package main

import (
	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/progress"
	"acecoder/trainer"
)

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("train-rm", "train a Bradley-Terry reward model on preference pairs")
	cfg := configs.DefaultRM()
	c := cli.WithConfig(root, &cfg)
	sweep := cli.AddSweepFlags(root)
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		newCfg := func() any { c := configs.DefaultRM(); return &c }
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
		return trainer.TrainRM(cmd.Context(), cfg, run, trainer.RMRunOptions{Quiet: g.Quiet, Log: progress.LogWriter(cmd.ErrOrStderr())})
	}
	return root
}

func main() { cli.Main(newRoot()) }
