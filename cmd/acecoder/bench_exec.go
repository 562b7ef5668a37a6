package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/rewards"
	"acecoder/rewards/benchexec"
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
	timeout                          time.Duration
	noIsolation, synthetic, timeouts bool
	data                             string
}

func newBenchExecCmd(*cli.Globals) *cobra.Command {
	var f benchExecFlags
	cmd := &cobra.Command{
		Use:   "exec",
		Short: "acecoder exec beside an AceCoder-style harness on a realistic mixed workload",
		Long: `Builds a mixed workload (seed 1): HumanEval and MBPP reference programs
(from --data, by default ../shared/data beside the working directory or a
directory above it) with generated programs that import typing, math,
itertools and other modules (70% of them), loop, raise, return wrong answers
and time out, and prints the mix. Then, rounds times, runs
` + "`acecoder exec --exec-workers N`" + ` (full isolation) and an AceCoder-style harness
(a process pool of N, one forked child per program, no isolation) on the same
file, alternating which goes first, and prints programs/s and tests passed
for both, with the ratio.

--synthetic measures instead the sandboxed runner itself on the old generated
workload (programs × tests asserts importing nothing, about 30% wrong) on a
warm runner.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.synthetic {
				return runBenchExec(cmd.Context(), f, cmd.OutOrStdout())
			}
			return runBenchMix(cmd.Context(), f, cmd.OutOrStdout())
		},
	}
	cmd.Flags().IntVar(&f.programs, "programs", 500, "programs per round")
	cmd.Flags().IntVar(&f.tests, "tests", 15, "asserts per generated program")
	cmd.Flags().IntVar(&f.workers, "exec-workers", 2, "sandboxed worker processes (and harness pool processes)")
	cmd.Flags().IntVar(&f.rounds, "rounds", 3, "rounds")
	cmd.Flags().DurationVar(&f.timeout, "exec-timeout", time.Second, "wall-clock limit per test, for both")
	cmd.Flags().BoolVar(&f.timeouts, "timeouts", true, "include the generated programs that time out")
	cmd.Flags().StringVar(&f.data, "data", "", "folder with benchmarks/humaneval and benchmarks/mbpp (default: ../shared/data if found)")
	cmd.Flags().BoolVar(&f.synthetic, "synthetic", false, "the runner alone on the old synthetic workload")
	cmd.Flags().BoolVar(&f.noIsolation, "no-isolation", false, "with --synthetic: rlimits only (for comparison)")
	cli.Alias(cmd, "workers", "exec-workers")
	return cmd
}

// runBenchMix compares acecoder exec with the AceCoder-style harness.
func runBenchMix(ctx context.Context, f benchExecFlags, w io.Writer) error {
	if f.data == "" {
		f.data = benchexec.FindSharedData()
	}
	wl, err := benchexec.Build(benchexec.Options{Programs: f.programs, Tests: f.tests, Seed: 1, DataDir: f.data, NoTimeouts: !f.timeouts})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "acecoder-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	jobs := filepath.Join(dir, "jobs.jsonl")
	if err := benchexec.WriteJobs(jobs, wl.Jobs); err != nil {
		return err
	}
	binary, err := os.Executable()
	if err != nil {
		return err
	}
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			return fmt.Errorf("bench exec: no python3: %w", err)
		}
	}
	corpora := f.data
	if corpora == "" {
		corpora = "none found (generated programs only)"
	}
	fmt.Fprintf(w, "workload: seed 1, HumanEval/MBPP from %s\n", corpora)
	benchexec.WriteMix(w, wl)
	fmt.Fprintf(w, "host: %s\n", rewards.Host())
	fmt.Fprintf(w, "acecoder exec --exec-workers %d --exec-timeout %s vs the AceCoder-style harness (pool of %d, fork per program, no isolation), %s\n",
		f.workers, f.timeout, f.workers, python)
	rounds, err := benchexec.Compare(ctx, benchexec.CompareOptions{Binary: binary, Python: python, Jobs: jobs,
		Workers: f.workers, Timeout: f.timeout, Rounds: f.rounds}, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "median ratio: %.2f\n", benchexec.MedianRatio(rounds))
	return nil
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
