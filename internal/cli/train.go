package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"acecoder/configs"
	"acecoder/progress"
	"acecoder/rundir"
)

// Train describes a training command for TrainCommand.
type Train[C any] struct {
	// Defaults returns the command's default config.
	Defaults func() C
	// Run returns the run section of a config.
	Run func(c *C) configs.Run
	// Sweeps adds --sweep and --parallel.
	Sweeps bool
	// Train runs the training in run's directory; log takes one-line
	// messages (they end any progress bar's line first).
	Train func(ctx context.Context, cfg C, run *rundir.Run, quiet bool, log io.Writer) error
}

// TrainCommand makes cmd a training command: --config and the config's
// flags, optional sweeps, --print-config, the inputs checked and the run
// directory made (cli.StartRun), then t.Train. The three training
// commands (train-rm, train-policy, acecoder sft) are this and their
// trainer.
func TrainCommand[C any](cmd *cobra.Command, g *Globals, t Train[C]) {
	cfg := t.Defaults()
	c := WithConfig(cmd, &cfg)
	var sweep *SweepFlags
	if t.Sweeps {
		sweep = AddSweepFlags(cmd)
	}
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if sweep != nil {
			newCfg := func() any { c := t.Defaults(); return &c }
			if ran, err := sweep.Run(cmd, c, newCfg, g.Quiet); ran {
				return err
			}
		}
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := StartRun(cmd, t.Run(&cfg), &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		return t.Train(cmd.Context(), cfg, run, g.Quiet, progress.LogWriter(cmd.ErrOrStderr()))
	}
}
