package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/internal/cli"
	"acecoder/rewards"
)

func init() { register(newScoreCmd) }

// scoreOptions are the flags of acecoder score.
type scoreOptions struct {
	rm, in, out, backend, field, chatTemplate string
	batch, maxLength                          int
	preamble                                  bool
}

func newScoreCmd(*cli.Globals) *cobra.Command {
	var o scoreOptions
	cmd := &cobra.Command{
		Use:   "score",
		Short: "score samples with a reward model",
		Long: `Reads JSON lines, each a sample with a prompt ("question", "prompt" or
"instruction" + "input") and a response ("completion", "response", "program"
or "output"), scores each (prompt, response) with the reward model, and writes
every line back unchanged but for an added reward field (default "reward").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.rm == "" || o.in == "" {
				return cli.Usagef("--reward-pretrain DIR and --in FILE are required")
			}
			if err := cli.NeedInputs([2]string{"reward-pretrain", o.rm}, [2]string{"in", o.in}); err != nil {
				return err
			}
			return runScore(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rm, "reward-pretrain", "", "reward-model directory (Hugging Face format, as train-rm writes to <run>/model)")
	f.StringVar(&o.in, "in", "", "samples JSONL")
	f.StringVar(&o.out, "out", "", "output JSONL (default stdout)")
	f.StringVar(&o.backend, "backend", backend.Default, "compute backend: go | xla:/abs/pjrt_plugin.so | onnx:/abs/lib.so")
	f.StringVar(&o.field, "field", "reward", "name of the added field")
	f.StringVar(&o.chatTemplate, "chat-template", "", "chat template: '' from the model directory, 'plain' (ChatML) or a .jinja file")
	f.IntVar(&o.batch, "batch-size", 8, "sequences per forward pass")
	f.IntVar(&o.maxLength, "max-length", 2048, "tokens per sample; longer ones are truncated")
	f.BoolVar(&o.preamble, "preamble", false, "prefix each response with AceCoder's assistant preamble (as in training with preamble: true)")
	cli.Alias(cmd, "rm", "reward-pretrain")
	cli.Alias(cmd, "batch", "batch-size")
	return cmd
}

func runScore(ctx context.Context, o scoreOptions, stdout io.Writer) error {
	b, err := backend.Open(o.backend)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	lines, prompts, responses, err := readSamples(o.in, o.field)
	if err != nil {
		return err
	}
	rm, err := rewards.LoadRM(ctx, b, o.rm, rewards.RMLoadOptions{ChatTemplate: o.chatTemplate})
	if err != nil {
		return err
	}
	rm.BatchSize, rm.MaxLength = o.batch, o.maxLength
	if o.preamble {
		for i := range responses {
			responses[i] = rewards.WithPreamble(responses[i])
		}
	}
	scores, err := rm.ScorePairs(ctx, prompts, responses)
	if err != nil {
		return err
	}
	w := stdout
	var f *os.File
	if o.out != "" {
		if f, err = os.Create(o.out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	for i, line := range lines {
		bw.Write(withField(line, o.field, scores[i]))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

// readSamples reads the non-blank lines of a JSONL file and each sample's
// prompt and response.
func readSamples(path, field string) (lines [][]byte, prompts, responses []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		p, r, err := sampleText(line, field)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("score: %s:%d: %w", path, n+1, err)
		}
		lines, prompts, responses = append(lines, line), append(prompts, p), append(responses, r)
	}
	return lines, prompts, responses, nil
}

// sampleText extracts the prompt and response of one sample.
func sampleText(line []byte, field string) (prompt, response string, err error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return "", "", err
	}
	if _, ok := obj[field]; ok {
		return "", "", fmt.Errorf("sample already has a %q field (choose another with --field)", field)
	}
	str := func(keys ...string) (string, bool) {
		for _, k := range keys {
			var s string
			if raw, ok := obj[k]; ok && json.Unmarshal(raw, &s) == nil {
				return s, true
			}
		}
		return "", false
	}
	prompt, ok := str("question", "prompt")
	if !ok {
		ins, okI := str("instruction")
		if !okI {
			return "", "", fmt.Errorf(`no prompt ("question", "prompt" or "instruction")`)
		}
		in, _ := str("input")
		prompt = rewards.AcePrompt(ins, in)
	}
	response, ok = str("completion", "response", "program", "output")
	if !ok {
		return "", "", fmt.Errorf(`no response ("completion", "response", "program" or "output")`)
	}
	return prompt, response, nil
}

// withField appends "field": score to a JSON object's text, keeping the
// rest of the line byte for byte.
func withField(line []byte, field string, score float32) []byte {
	key, _ := json.Marshal(field)
	val := strconv.FormatFloat(float64(score), 'g', -1, 32)
	body := bytes.TrimSuffix(bytes.TrimSpace(line), []byte("}"))
	out := append([]byte(nil), body...)
	if len(bytes.TrimSpace(body[1:])) > 0 {
		out = append(out, ',')
	}
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, val...)
	return append(out, '}')
}
