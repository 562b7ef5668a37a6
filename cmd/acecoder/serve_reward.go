package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/data"
	"acecoder/internal/cli"
	"acecoder/rewards"
)

func init() { register(newServeRewardCmd) }

type serveRewardFlags struct {
	addr, reward, python  string
	rm, backend, template string
	datasets              []string
	workers, concurrent   int
	batch, maxLength      int
	timeout               time.Duration
	maxBody               int64
	bonus                 float64
	stripThink            bool
}

func newServeRewardCmd(*cli.Globals) *cobra.Command {
	var f serveRewardFlags
	cmd := &cobra.Command{
		Use:   "serve-reward",
		Short: "serve rewards over HTTP (OpenRLHF remote reward protocol and the AceCoder fork's)",
		Long: `POST {"query": [...], "prompts": [...], "labels": [...]} (OpenRLHF's labelled
shape) returns {"rewards": [...], "scores": [...], "extra_logs": {...}}. Each label
holds the sample's tests: a JSON list of asserts, a JSON string holding one, or
{"tests": [...], "entry_point": "..."}; the response is the query minus its prompt.

POST {"query": [...]} alone is the AceCoder fork's protocol (serve_rm.py): each
query is a Qwen2 (ChatML) or Llama 3 rendering of the conversation; its first
user turn finds the tests, by the SHA-256 of its text, among the rows of
--dataset (AceCode rows: context_messages or question, and test_cases; JSONL or
Parquet), and the turn after it is the response. Unknown questions are a 400
that says how many.

With --reward-pretrain DIR every query is scored by that reward model instead
([user, response] through its chat template). Point OpenRLHF's --remote_rm_url,
or train-policy's remote_rm_url, at http://ADDR/get_reward.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, err := rewards.ParseRewardKind(f.reward)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			if f.rm != "" && len(f.datasets) > 0 {
				return cli.Usagef("serve-reward: --reward-pretrain scores with a reward model and --dataset looks tests up: give one")
			}
			ins := [][2]string{{"reward-pretrain", f.rm}}
			for _, d := range f.datasets {
				ins = append(ins, [2]string{"dataset", d})
			}
			if err := cli.NeedInputs(ins...); err != nil {
				return err
			}
			return runServeReward(cmd.Context(), f, kind, cmd.ErrOrStderr())
		},
	}
	f.add(cmd)
	return cmd
}

// add registers the flags on cmd.
func (f *serveRewardFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.addr, "addr", "127.0.0.1:5000", "listen address")
	fs.IntVar(&f.workers, "exec-workers", 0, "sandboxed worker processes (default: one per CPU)")
	fs.DurationVar(&f.timeout, "exec-timeout", 4*time.Second, "wall-clock limit per test")
	fs.StringVar(&f.reward, "rule-reward", "pass_rate", "reward: pass_rate | binary")
	fs.Float64Var(&f.bonus, "all-pass-bonus", 0, "added to the reward of a program that passes every test (the AceCoder fork adds 0.5)")
	fs.BoolVar(&f.stripThink, "strip-think", false, "remove <think>…</think> from each response before extracting its program (R1-style policies)")
	fs.StringSliceVar(&f.datasets, "dataset", nil, "AceCode rows whose questions and test_cases answer query-only requests (JSONL or Parquet; repeatable)")
	fs.StringVar(&f.rm, "reward-pretrain", "", "score with this reward model directory instead of executing tests")
	fs.StringVar(&f.backend, "backend", backend.Default, "compute backend of the reward model: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	fs.StringVar(&f.template, "chat-template", "", "reward model's chat template: '' from its directory, 'plain' (ChatML) or a .jinja file")
	fs.IntVar(&f.batch, "batch-size", 8, "reward-model sequences per forward pass")
	fs.IntVar(&f.maxLength, "max-length", 2048, "reward-model tokens per sample; longer ones are truncated")
	fs.StringVar(&f.python, "python", "", "Python interpreter (default /usr/bin/python3, then python3 on PATH)")
	fs.IntVar(&f.concurrent, "concurrency", 4, "requests scored at once")
	fs.Int64Var(&f.maxBody, "max-body", 64<<20, "largest request body in bytes (larger: 413)")
	cli.Alias(cmd, "workers", "exec-workers")
	cli.Alias(cmd, "timeout", "exec-timeout")
	cli.Alias(cmd, "reward", "rule-reward")
	cli.Alias(cmd, "max-concurrent", "concurrency")
	cli.Alias(cmd, "rm", "reward-pretrain")
}

func runServeReward(ctx context.Context, f serveRewardFlags, kind rewards.RewardKind, stderr io.Writer) error {
	opts := rewards.RewardServerOptions{Kind: kind, AllPassBonus: f.bonus, StripThink: f.stripThink,
		MaxBodyBytes: f.maxBody, MaxConcurrent: f.concurrent}
	var runner rewards.JobRunner
	mode := fmt.Sprintf("%s rule reward", kind)
	if f.rm != "" {
		b, err := backend.Open(f.backend)
		if err != nil {
			return cli.UsageError{Err: err}
		}
		if opts.RM, err = rewards.LoadRM(ctx, b, f.rm, rewards.RMLoadOptions{ChatTemplate: f.template}); err != nil {
			return err
		}
		opts.RM.BatchSize, opts.RM.MaxLength = f.batch, f.maxLength
		mode = "reward model " + f.rm
	} else {
		if len(f.datasets) > 0 {
			qs, err := data.LoadQuestionSet(ctx, f.datasets, stderr)
			if err != nil {
				return cli.UsageError{Err: fmt.Errorf("serve-reward: --dataset: %w", err)}
			}
			if qs.Duplicates > 0 {
				fmt.Fprintf(stderr, "serve-reward: %d repeated questions keep their first row's tests\n", qs.Duplicates)
			}
			opts.Questions = qs
			mode += fmt.Sprintf(", %d dataset questions", qs.Len())
		}
		r, err := rewards.NewRunner(ctx, rewards.RunnerOptions{Workers: f.workers, Timeout: f.timeout, Python: f.python})
		if err != nil {
			return err
		}
		defer r.Close()
		runner = r
		mode += fmt.Sprintf(", protections: %v", r.Protections())
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return cli.UsageError{Err: fmt.Errorf("serve-reward: %w", err)}
	}
	fmt.Fprintf(stderr, "serve-reward: listening on http://%s (%s)\n", ln.Addr(), mode)
	return rewards.ServeReward(ctx, ln, rewards.NewRewardHandler(runner, opts), 30*time.Second)
}
