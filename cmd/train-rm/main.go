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
	"context"
	"io"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/rundir"
	"acecoder/trainer"
)

func newRoot() *cobra.Command {
	root, g := cli.NewRoot("train-rm", "train a Bradley-Terry reward model on preference pairs")
	cli.TrainCommand(root, g, cli.Train[configs.RM]{
		Defaults: configs.DefaultRM, Sweeps: true,
		Run: func(c *configs.RM) configs.Run { return c.Run },
		Train: func(ctx context.Context, cfg configs.RM, run *rundir.Run, quiet bool, log io.Writer) error {
			return trainer.TrainRM(ctx, cfg, run, trainer.RMRunOptions{Quiet: quiet, Log: log})
		},
	})
	return root
}

func main() { cli.Main(newRoot()) }
