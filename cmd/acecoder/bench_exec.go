package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/rewards"
)

func init() { register(newBenchCmd) }

// newBenchCmd is the bench command; its exec subcommand measures the
// sandboxed runner, compute the compute core against PyTorch.
func newBenchCmd(g *cli.Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "benchmarks", Args: cobra.NoArgs}
	cmd.AddCommand(newBenchExecCmd(g), newBenchComputeCmd(g))
	return cmd
}

type benchExecFlags struct {
	programs, tests, workers, rounds int
	noIsolation                      bool
}

func newBenchExecCmd(*cli.Globals) *cobra.Command {
	var f benchExecFlags
	cmd := &cobra.Command{
		Use:   "exec",
		Short: "throughput of the sandboxed runner on a generated workload",
		Long: `Generates programs × tests asserts (about 30% of the programs wrong, seed 1)
and runs them rounds times on a warm runner, printing programs/s and tests/s
per round and the CPU time per program of the workers and of this process.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchExec(cmd.Context(), f, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&f.programs, "programs", 500, "programs per round")
	cmd.Flags().IntVar(&f.tests, "tests", 15, "asserts per program")
	cmd.Flags().IntVar(&f.workers, "exec-workers", 2, "sandboxed worker processes")
	cmd.Flags().IntVar(&f.rounds, "rounds", 3, "rounds")
	cmd.Flags().BoolVar(&f.noIsolation, "no-isolation", false, "rlimits only (for comparison)")
	cli.Alias(cmd, "workers", "exec-workers")
	return cmd
}

func runBenchExec(ctx context.Context, f benchExecFlags, w io.Writer) error {
	r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: f.workers, NoIsolation: f.noIsolation})
	if err != nil {
		return err
	}
	defer r.Close()
	jobs := rewards.BenchWorkload(f.programs, f.tests, 1)
	if _, err := r.Run(ctx, jobs[:min(20, len(jobs))]); err != nil { // warm-up
		return err
	}
	fmt.Fprintf(w, "workers=%d protections=%v\n", f.workers, r.Protections())
	fmt.Fprintf(w, "%-6s %12s %12s %10s %16s %12s\n", "round", "programs/s", "tests/s", "pass-rate", "worker-cpu-ms/p", "go-cpu-ms/p")
	for round := 1; round <= f.rounds; round++ {
		cpu0, start := r.CPUUsage(), time.Now()
		res, err := r.Run(ctx, jobs)
		if err != nil {
			return err
		}
		secs, cpu1 := time.Since(start).Seconds(), r.CPUUsage()
		passed, total := 0, 0
		for _, x := range res {
			passed, total = passed+x.Passed, total+x.Total
		}
		n := float64(len(jobs))
		fmt.Fprintf(w, "%-6d %12.1f %12.1f %10.3f %16.2f %12.2f\n", round, n/secs, float64(total)/secs,
			float64(passed)/float64(max(total, 1)),
			float64(cpu1.Workers-cpu0.Workers)/float64(time.Millisecond)/n,
			float64(cpu1.Self-cpu0.Self)/float64(time.Millisecond)/n)
	}
	return nil
}
