package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/internal/rowid"
	"acecoder/policy"
	"acecoder/policy/chat"
	"acecoder/policy/tokenizer"
	"acecoder/progress"
	"acecoder/rollout"
)

func init() { register(newLocalSampleCmd) }

func newLocalSampleCmd(g *cli.Globals) *cobra.Command {
	cfg := configs.DefaultSample()
	cmd := &cobra.Command{
		Use:   "sample",
		Short: "sample N completions per prompt from a local model",
		Long: `Reads prompts as JSON lines ({"task_id"|"id", "question"|"prompt"|"messages"}),
samples n completions of each with the local model and writes one JSON line per
sample as it finishes. Templates: acecoder (AceCoder's user prompt
"Please provide a self-contained Python script that solves the following
problem in a markdown code block: …" with the assistant turn prefilled by
"Below is a Python script with a self-contained function that solves the
problem and passes corresponding tests:\n` + "```python" + `"), chat (the question
as the user turn, or "messages" as given) or raw (the prompt text as is).
Formats: full (ids, log-probs, mask, finish reason, text) or evalplus
(task_id, solution).`,
		Args: cobra.NoArgs,
	}
	c := cli.WithConfig(cmd, &cfg)
	cli.Alias(cmd, "model", "model-path")
	cli.Alias(cmd, "output", "out")
	cli.Alias(cmd, "max-new-tokens", "generate-max-len")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if printed, err := c.Load(cmd); err != nil || printed {
			return err
		}
		run, err := cli.StartRun(cmd, cfg.Run, &cfg)
		if err != nil {
			return err
		}
		defer run.Close()
		if cfg.Out == "" {
			cfg.Out = filepath.Join(run.Dir, "samples.jsonl")
		}
		return runSample(cmd.Context(), cfg, g.Quiet, cmd.ErrOrStderr())
	}
	return cmd
}

// generator is a loaded model with its text layer.
type generator struct {
	engine *rollout.Engine
	text   policy.Text
	name   string
}

// loadGenerator opens the backend and loads the model (or initialises a
// random one from init_config), its tokenizer and chat template.
func loadGenerator(ctx context.Context, backendSpec string, mc configs.Model, seed int64) (*generator, error) {
	b, err := backend.Open(backendSpec)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	var m *policy.Model
	dir := mc.Path
	if dir != "" {
		m, err = policy.Load(ctx, b, dir, policy.Options{})
	} else {
		var pc *policy.Config
		if pc, err = policy.LoadConfig(mc.InitConfig); err == nil {
			m, err = policy.New(b, pc, policy.InitOptions{Seed: uint64(seed)})
		}
		dir = filepath.Dir(mc.InitConfig)
	}
	if err != nil {
		return nil, err
	}
	tokPath := mc.Tokenizer
	if tokPath == "" {
		tokPath = dir
	}
	var tok *tokenizer.Tokenizer
	if st, serr := os.Stat(tokPath); serr == nil && st.IsDir() {
		tok, err = tokenizer.LoadDir(tokPath)
	} else {
		tok, err = tokenizer.Load(tokPath)
	}
	if err != nil {
		return nil, err
	}
	tmpl, err := policy.LoadTemplate(mc.ChatTemplate, dir)
	if err != nil {
		return nil, err
	}
	e, err := rollout.New(m)
	if err != nil {
		return nil, err
	}
	return &generator{engine: e, text: policy.Text{Tok: tok, Template: tmpl}, name: filepath.Base(filepath.Clean(dir))}, nil
}

// validVocab is the number of ids the tokenizer can produce (the model's
// embedding may be padded beyond it).
func (g *generator) validVocab() int {
	return min(g.text.Tok.VocabSize(), g.engine.Model().Config.VocabSize)
}

// promptRow is one line of a prompts file.
type promptRow struct {
	TaskID   rowid.ID       `json:"task_id"` // string or number, written back as it came
	ID       rowid.ID       `json:"id"`
	Question string         `json:"question"`
	Prompt   string         `json:"prompt"`
	Messages []chat.Message `json:"messages"`
}

func readPrompts(path string) ([]promptRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []promptRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		r, err := parsePromptRow(sc.Bytes(), len(rows))
		if err != nil {
			return nil, fmt.Errorf("sample: %s line %d: %w", path, line, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// parsePromptRow decodes one prompts line; a row without task_id or id is
// named by its index.
func parsePromptRow(line []byte, index int) (promptRow, error) {
	var r promptRow
	if err := json.Unmarshal(line, &r); err != nil {
		return r, err
	}
	if r.TaskID.IsZero() {
		r.TaskID = r.ID
	}
	if r.TaskID.IsZero() {
		r.TaskID = rowid.String(strconv.Itoa(index))
	}
	if r.Question == "" && r.Prompt == "" && len(r.Messages) == 0 {
		return r, errors.New("no question, prompt or messages")
	}
	return r, nil
}

// encodePrompt applies the template to one prompt row.
func encodePrompt(t policy.Text, template string, r promptRow) ([]int32, error) {
	q := r.Question
	if q == "" {
		q = r.Prompt
	}
	switch {
	case template == "raw":
		return t.Encode(q), nil
	case template == "acecoder" && q != "":
		return t.AceCoderPrompt(q)
	case len(r.Messages) > 0:
		return t.ChatPrompt(r.Messages, "")
	}
	return t.ChatPrompt([]chat.Message{{"role": "user", "content": q}}, "")
}

func runSample(ctx context.Context, cfg configs.Sample, quiet bool, log io.Writer) error {
	rows, err := readPrompts(cfg.Prompts)
	if err != nil {
		return err
	}
	gen, err := loadGenerator(ctx, cfg.Backend, cfg.Model, cfg.Seed)
	if err != nil {
		return err
	}
	reqs := make([]rollout.Request, len(rows))
	for i, r := range rows {
		ids, err := encodePrompt(gen.text, cfg.Template, r)
		if err != nil {
			return fmt.Errorf("sample: prompt %s: %w", r.TaskID, err)
		}
		reqs[i] = rollout.Request{PromptIDs: ids, N: cfg.N}
	}
	opts := rollout.Options{
		Sampling:     rollout.Sampling{Temperature: cfg.Temperature, TopP: cfg.TopP, TopK: cfg.TopK, ValidVocab: gen.validVocab()},
		MaxNewTokens: cfg.GenerateMaxLen, StopIDs: gen.text.StopIDs(), BatchSize: cfg.BatchSize,
		Seed: uint64(cfg.Seed), Detokenize: gen.text.Decode,
	}
	f, err := os.Create(cfg.Out)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	bar := progress.New(len(rows)*cfg.N, "sample", progress.Options{Quiet: quiet})
	out := make(chan rollout.Sample)
	errc := make(chan error, 1)
	go func() { errc <- gen.engine.Stream(ctx, reqs, opts, out); close(out) }()
	var werr error
	for s := range out {
		if werr == nil {
			werr = writeSample(w, cfg, rows[s.PromptIndex].TaskID, s)
		}
		bar.Add(1)
	}
	bar.Finish()
	if err := <-errc; err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("sample: %s: %w", cfg.Out, werr)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(log, "sample: %d samples written to %s\n", len(rows)*cfg.N, cfg.Out)
	return nil
}

// finiteFloats encodes non-finite values (the −Inf log-prob of a token
// outside the sampling support) as null.
type finiteFloats []float32

func (x finiteFloats) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, v := range x {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
	}
	return append(b, ']'), nil
}

func writeSample(w *bufio.Writer, cfg configs.Sample, taskID rowid.ID, s rollout.Sample) error {
	var row any
	if cfg.Format == "evalplus" {
		row = struct {
			TaskID   rowid.ID `json:"task_id"`
			Solution string   `json:"solution"`
		}{taskID, solution(cfg.Template, s.Text)}
	} else {
		row = struct {
			TaskID        rowid.ID     `json:"task_id"`
			PromptIndex   int          `json:"prompt_index"`
			SampleIndex   int          `json:"sample_index"`
			Seed          uint64       `json:"seed"`
			PromptIDs     []int32      `json:"prompt_ids"`
			CompletionIDs []int32      `json:"completion_ids"`
			LogProbs      finiteFloats `json:"logprobs"`
			RawLogProbs   finiteFloats `json:"raw_logprobs"`
			GeneratedMask []bool       `json:"generated_mask"`
			FinishReason  string       `json:"finish_reason"`
			Completion    string       `json:"completion"`
		}{taskID, s.PromptIndex, s.SampleIndex, s.Seed, s.PromptIDs, s.CompletionIDs, s.LogProbs, s.RawLogProbs,
			s.GeneratedMask, s.FinishReason, s.Text}
	}
	b, err := json.Marshal(row)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// solution extracts the program of a completion: with the acecoder
// template the completion continues an open ```python fence, so the
// program runs up to the closing fence; otherwise it is the first fenced
// block, or the whole text when there is none.
func solution(template, text string) string {
	if template != "acecoder" {
		i := strings.Index(text, "```")
		if i < 0 {
			return text
		}
		text = text[i+3:]
		if nl := strings.IndexByte(text, '\n'); nl >= 0 {
			text = text[nl+1:]
		}
	}
	if j := strings.Index(text, "```"); j >= 0 {
		text = text[:j]
	}
	return text
}
