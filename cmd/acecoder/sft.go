package main

import (
	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/progress"
	"acecoder/trainer"
)

func init() { register(newSFTCmd) }

func newSFTCmd(g *cli.Globals) *cobra.Command {
	cfg := configs.DefaultSFT()
	cmd := &cobra.Command{
		Use:   "sft",
		Short: "supervised fine-tuning of a policy on (question, program) rows",
		Args:  cobra.NoArgs,
	}
	c := cli.WithConfig(cmd, &cfg)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		return trainer.TrainSFT(cmd.Context(), cfg, run, trainer.SFTRunOptions{Quiet: g.Quiet, Log: progress.LogWriter(cmd.ErrOrStderr())})
	}
	return cmd
}
