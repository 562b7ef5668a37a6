package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/internal/cli"
	"acecoder/policy"
)

func init() { register(newLogitsCmd) }

func newLogitsCmd(*cli.Globals) *cobra.Command {
	var dir, backendSpec string
	cmd := &cobra.Command{
		Use:   "logits",
		Short: "print the logits of a model for given token ids",
		Long: `Reads JSON lines {"input_ids":[...]} on stdin and writes one line
{"logits":[[...],...]} per input: float32 logits for every position, as
transformers' model(input_ids).logits[0] gives them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return cli.Usagef("--model-path DIR is required")
			}
			if err := cli.NeedInputs([2]string{"model-path", dir}); err != nil {
				return err
			}
			return logits(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), dir, backendSpec)
		},
	}
	cmd.Flags().StringVar(&dir, "model-path", "", "Hugging Face model directory (config.json + safetensors)")
	cmd.Flags().StringVar(&backendSpec, "backend", backend.Default, "compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	cli.Alias(cmd, "model", "model-path")
	return cmd
}

func logits(ctx context.Context, in io.Reader, out io.Writer, dir, backendSpec string) error {
	b, err := backend.Open(backendSpec)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	m, err := policy.Load(ctx, b, dir, policy.Options{})
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for line := 1; sc.Scan(); line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(sc.Bytes()) == 0 {
			continue
		}
		var req struct {
			InputIDs []int32 `json:"input_ids"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("logits: line %d: %w", line, err)
		}
		if len(req.InputIDs) == 0 {
			return fmt.Errorf("logits: line %d: input_ids is empty", line)
		}
		for i, id := range req.InputIDs {
			if id < 0 || int(id) >= m.Config.VocabSize {
				return fmt.Errorf("logits: line %d: input_ids[%d] = %d outside the vocabulary [0, %d)", line, i, id, m.Config.VocabSize)
			}
		}
		res, err := m.SequenceLogits([][]int32{req.InputIDs})
		if err != nil {
			return fmt.Errorf("logits: line %d: %w", line, err)
		}
		if err := enc.Encode(map[string][][]float32{"logits": res[0]}); err != nil {
			return fmt.Errorf("logits: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("logits: reading stdin: %w", err)
	}
	return w.Flush()
}
