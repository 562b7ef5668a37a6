package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/rewards"
)

func init() { register(newServeRewardCmd) }

type serveRewardFlags struct {
	addr, reward, python string
	workers, concurrent  int
	timeout              time.Duration
	maxBody              int64
}

func newServeRewardCmd(*cli.Globals) *cobra.Command {
	var f serveRewardFlags
	cmd := &cobra.Command{
		Use:   "serve-reward",
		Short: "serve rule rewards over HTTP (OpenRLHF remote reward protocol)",
		Long: `POST {"query": [...], "prompts": [...], "labels": [...]} returns
{"rewards": [...], "scores": [...], "extra_logs": {...}}. Each label holds the
sample's tests: a JSON list of asserts, a JSON string holding one, or
{"tests": [...], "entry_point": "..."}. The program is extracted from the
response (query minus prompt). Point OpenRLHF's --remote_rm_url at it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, err := rewards.ParseRewardKind(f.reward)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			return runServeReward(cmd.Context(), f, kind, cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:5000", "listen address")
	cmd.Flags().IntVar(&f.workers, "exec-workers", 0, "sandboxed worker processes (default: one per CPU)")
	cmd.Flags().DurationVar(&f.timeout, "exec-timeout", 4*time.Second, "wall-clock limit per test")
	cmd.Flags().StringVar(&f.reward, "rule-reward", "pass_rate", "reward: pass_rate | binary")
	cmd.Flags().StringVar(&f.python, "python", "", "Python interpreter (default /usr/bin/python3, then python3 on PATH)")
	cmd.Flags().IntVar(&f.concurrent, "concurrency", 4, "requests scored at once")
	cmd.Flags().Int64Var(&f.maxBody, "max-body", 64<<20, "largest request body in bytes (larger: 413)")
	cli.Alias(cmd, "workers", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	cli.Alias(cmd, "reward", "rule-reward")
	cli.Alias(cmd, "max-concurrent", "concurrency")
	return cmd
}

func runServeReward(ctx context.Context, f serveRewardFlags, kind rewards.RewardKind, stderr io.Writer) error {
	sandboxGC()
	r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: f.workers, Timeout: f.timeout, Python: f.python})
	if err != nil {
		return err
	}
	defer r.Close()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return cli.UsageError{Err: fmt.Errorf("serve-reward: %w", err)}
	}
	fmt.Fprintf(stderr, "serve-reward: listening on http://%s (%s reward, protections: %v)\n", ln.Addr(), kind, r.Protections())
	h := rewards.NewRewardHandler(r, rewards.RewardServerOptions{Kind: kind, MaxBodyBytes: f.maxBody, MaxConcurrent: f.concurrent})
	return rewards.ServeReward(ctx, ln, h, 30*time.Second)
}
