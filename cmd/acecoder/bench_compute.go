package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/bench"
	"acecoder/internal/cli"
)

type benchComputeFlags struct {
	shapes, backends, torch, torchDir, openBLAS string
	steps, warmup, decodeRuns                   int
}

func newBenchComputeCmd(*cli.Globals) *cobra.Command {
	var f benchComputeFlags
	cmd := &cobra.Command{
		Use:   "compute",
		Short: "train, score and decode speed side by side with the PyTorch reference",
		Long: `Measures, on the PyTorch reference's two shapes (a: d128, 4 layers, vocab 512,
batch 8 x 128; b: d256, 6 layers, vocab 2048, batch 8 x 256; float32), a training
step (forward, backward, AdamW as the trainers run it), a scoring forward to
per-token log-probs, and greedy KV-cache decoding through the sampler at batch 1
and 16 (16-token prompts, 100 new tokens, mean step time). Medians of --steps
steps after --warmup. When a Python with torch is found (/usr/bin/python3 first)
and the reference script in ../shared/bench/torch, it runs that script in the
same run and prints the ratio; Debian's torch needs OpenBLAS (--openblas DIR, see
the script's README) or it uses the 20-35x slower reference BLAS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchCompute(cmd.Context(), f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.shapes, "shapes", "a,b", "shapes to measure: a, b or a,b")
	cmd.Flags().StringVar(&f.backends, "backend", backend.Default, "comma-separated compute backends (go, onnx:/abs/libonnxruntime.so.1, xla:/abs/plugin.so)")
	cmd.Flags().StringVar(&f.torch, "torch", "auto", "PyTorch reference: auto (run it when found) | off | a Python interpreter")
	cmd.Flags().StringVar(&f.torchDir, "torch-dir", "", "folder of the reference's bench.py (default: ../shared/bench/torch above the current directory)")
	cmd.Flags().StringVar(&f.openBLAS, "openblas", os.Getenv("ACECODER_OPENBLAS"), "folder with an OpenBLAS libblas.so.3 for the reference (env ACECODER_OPENBLAS)")
	cmd.Flags().IntVar(&f.steps, "steps", 20, "timed train and score steps")
	cmd.Flags().IntVar(&f.warmup, "warmup", 3, "untimed steps first (compilation)")
	cmd.Flags().IntVar(&f.decodeRuns, "decode-runs", 3, "timed generations per decode batch size")
	return cmd
}

func runBenchCompute(ctx context.Context, f benchComputeFlags, out, log io.Writer) error {
	var o bench.Options
	for _, name := range strings.Split(f.shapes, ",") {
		s, ok := bench.Shapes[strings.TrimSpace(name)]
		if !ok {
			return cli.Usagef("--shapes: unknown shape %q (want a or b)", name)
		}
		o.Shapes = append(o.Shapes, s)
	}
	var names []string
	for _, spec := range strings.Split(f.backends, ",") {
		b, err := backend.Open(strings.TrimSpace(spec))
		if err != nil {
			return cli.UsageError{Err: err}
		}
		name, _, _ := strings.Cut(strings.TrimSpace(spec), ":")
		o.Backends = append(o.Backends, bench.NamedBackend{Name: name, Backend: b})
		names = append(names, name)
	}
	if f.steps < 1 || f.warmup < 1 || f.decodeRuns < 1 {
		return cli.Usagef("--steps, --warmup and --decode-runs must be at least 1")
	}
	o.Steps, o.Warmup, o.DecodeRuns, o.Log = f.steps, f.warmup, f.decodeRuns, log
	if f.torch != "off" {
		python := f.torch
		if python == "auto" {
			python = ""
		}
		t, err := bench.FindTorch(f.torchDir, python)
		switch {
		case err != nil && f.torch != "auto":
			return cli.UsageError{Err: err}
		case err != nil:
			fmt.Fprintf(log, "PyTorch column skipped: %v\n", err)
		default:
			t.OpenBLAS = f.openBLAS
			o.Torch = t
		}
	}
	rows, torch, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if torch != nil {
		blas := torch["train_step"].BLAS
		fmt.Fprintf(out, "PyTorch %s, %d threads, BLAS %s\n", torch["train_step"].Torch, o.Torch.Threads, strings.Join(blas, " "))
		if !strings.Contains(strings.Join(blas, " "), "openblas") {
			fmt.Fprintln(out, "warning: the reference ran on the reference BLAS, not OpenBLAS; its numbers are far too low (pass --openblas DIR)")
		}
	}
	return bench.PrintTable(out, rows, names)
}
