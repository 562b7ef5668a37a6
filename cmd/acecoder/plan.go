package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"acecoder/internal/cli"
	"acecoder/plan"
	"acecoder/policy"
)

func init() { register(newPlanCmd) }

type planFlags struct {
	modelConfig, rmConfig, kind, device string
	microBatch, seqLen, rows, rowLen    int
	loraRank                            int
	loraAlpha                           float64
	checkpointing                       bool
}

func newPlanCmd(*cli.Globals) *cobra.Command {
	var f planFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "memory of a training run, part by part, for full fine-tuning and LoRA",
		Long: `Estimates the peak memory of a training run of the model in --model-config
(a Hugging Face config.json; no weights needed) from the shapes the trainers
allocate: weights, LoRA adapters, optimiser state, the frozen reference, the
reward model, the sampler's weight copy and KV cache, and one micro-batch's
activations and logits, all float32 as the trainers hold them; then whether it
fits --device-memory. It prints full fine-tuning and LoRA of --lora-rank;
with --gradient-checkpointing, activations as such a run keeps them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(f, cmd.OutOrStdout()) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.modelConfig, "model-config", "", "config.json of the model to train (required)")
	fl.StringVar(&f.rmConfig, "rm-config", "", "config.json of the reward model of a train-policy run with reward=rm")
	fl.StringVar(&f.kind, "kind", "policy", "policy (train-policy) | rm (train-rm) | sft")
	fl.StringVar(&f.device, "device-memory", "", "memory to fit in, e.g. 80GiB or 24GiB")
	fl.IntVar(&f.microBatch, "micro-train-batch-size", 4, "sequences per forward/backward")
	fl.IntVar(&f.seqLen, "max-len", 2048, "tokens per training sequence")
	fl.IntVar(&f.rows, "rollout-rows", 64, "sequences decoded together (train-policy)")
	fl.IntVar(&f.rowLen, "rollout-len", 2048, "prompt + generated tokens per decoded sequence")
	fl.IntVar(&f.loraRank, "lora-rank", 16, "rank of the LoRA variant")
	fl.Float64Var(&f.loraAlpha, "lora-alpha", 32, "alpha of the LoRA variant")
	fl.BoolVar(&f.checkpointing, "gradient-checkpointing", false, "the run recomputes each layer's activations in the backward pass (model section's gradient_checkpointing)")
	return cmd
}

func runPlan(f planFlags, w io.Writer) error {
	if f.modelConfig == "" {
		return cli.Usagef("--model-config is required")
	}
	if f.kind != "policy" && f.kind != "rm" && f.kind != "sft" {
		return cli.Usagef("--kind %q: want policy, rm or sft", f.kind)
	}
	if f.microBatch <= 0 || f.seqLen <= 0 || f.rows <= 0 || f.rowLen <= 0 || f.loraRank <= 0 || !(f.loraAlpha > 0) {
		return cli.Usagef("batch sizes, lengths, --lora-rank and --lora-alpha must be positive")
	}
	var device int64
	if f.device != "" {
		d, err := plan.ParseBytes(f.device)
		if err != nil {
			return cli.UsageError{Err: fmt.Errorf("--device-memory: %w", err)}
		}
		device = d
	}
	c, err := policy.LoadConfig(f.modelConfig)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	r := plan.Run{Kind: f.kind, Model: c, MicroBatch: f.microBatch, SeqLen: f.seqLen, RolloutRows: f.rows, RolloutLen: f.rowLen,
		GradientCheckpointing: f.checkpointing}
	if f.rmConfig != "" {
		if r.RM, err = policy.LoadConfig(f.rmConfig); err != nil {
			return cli.UsageError{Err: err}
		}
	}
	plan.Print(w, fmt.Sprintf("%s, full fine-tuning:", f.modelConfig), plan.Estimate(r), device)
	r.LoRA = &policy.LoRA{Rank: f.loraRank, Alpha: f.loraAlpha}
	plan.Print(w, fmt.Sprintf("%s, LoRA rank %d on every projection:", f.modelConfig, f.loraRank), plan.Estimate(r), device)
	return nil
}
