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

func init() { register(newSFTCmd) }

func newSFTCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "sft", Short: "supervised fine-tuning of a policy on (question, program) rows"}
	cli.TrainCommand(cmd, g, cli.Train[configs.SFT]{
		Defaults: configs.DefaultSFT,
		Run:      func(c *configs.SFT) configs.Run { return c.Run },
		Train: func(ctx context.Context, cfg configs.SFT, run *rundir.Run, quiet bool, log io.Writer) error {
			return trainer.TrainSFT(ctx, cfg, run, trainer.SFTRunOptions{Quiet: quiet, Log: log})
		},
	})
	return cmd
}
