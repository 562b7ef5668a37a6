package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/demo"
	"acecoder/internal/cli"
	"acecoder/progress"
)

func init() { register(newDemoCmd) }

func newDemoCmd(g *cli.Globals) *cobra.Command {
	var dir, backendSpec, scale, until string
	var seed int64
	var temperature float64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "the end-to-end small-scale AceCoder replication on the CPU (toy tasks → SFT → pairs → RM → best-of-N → Reinforce++)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc := demo.Full
			switch scale {
			case "full":
			case "smoke":
				sc = demo.Smoke
			default:
				return cli.Usagef("--scale %q: want full or smoke", scale)
			}
			if temperature > 0 {
				sc.Temperature = temperature
			}
			if until != "" && !slices.Contains(demo.StageNames, until) {
				return cli.Usagef("--until %q: want one of %s", until, strings.Join(demo.StageNames, ", "))
			}
			if _, err := backend.Parse(backendSpec); err != nil {
				return cli.UsageError{Err: err}
			}
			start := time.Now()
			rep, err := demo.Run(cmd.Context(), demo.Options{Dir: dir, Seed: seed, Backend: backendSpec,
				Quiet: g.Quiet, Log: progress.LogWriter(cmd.ErrOrStderr()), Scale: sc, Until: until})
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout())
			rep.Print(cmd.OutOrStdout())
			fmt.Fprintf(cmd.ErrOrStderr(), "demo: finished in %s\n", time.Since(start).Round(time.Second))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out-dir", "runs/demo", "demo folder (an interrupted demo resumes from the stages already done there)")
	cmd.Flags().StringVar(&backendSpec, "backend", backend.Default, "compute backend")
	cmd.Flags().StringVar(&scale, "scale", "full", "full (the README's numbers) or smoke (minutes, for tests)")
	cmd.Flags().StringVar(&until, "until", "", "stop after this stage ("+strings.Join(demo.StageNames, ", ")+")")
	cmd.Flags().Int64Var(&seed, "seed", 42, "seed of the task suite and every stage")
	cmd.Flags().Float64Var(&temperature, "temperature", 0, "sampling temperature of the pairs, best-of-N and RL stages (default: the scale's, 0.7)")
	cli.Alias(cmd, "out", "out-dir")
	return cmd
}
