package data

import (
	"context"
	"io"
	"slices"
)

// HardConfig configures the hard stage. Input is AceCode rows (JSONL or
// Parquet); Output is JSONL and ParquetOutput (optional) AceCode-87K Parquet,
// both written atomically.
type HardConfig struct {
	Input, Output, ParquetOutput string
	Log                          io.Writer
	// Models, when set, keeps only these models' inferences for the pass
	// rates (AceCoder's get_hard_data.py uses "qwen_coder_2.5" and
	// "llama3_instruct"); a question with none of them is not kept. The
	// rows are written whole.
	Models []string
	// R1System puts R1SystemPrompt as a system turn before each kept row's
	// context_messages (the script's add_r1_system_prompt).
	R1System bool
}

// R1SystemPrompt is the DeepSeek-R1-style system prompt of AceCoder's
// get_hard_data.py, which asks for <think> and <answer> tags.
const R1SystemPrompt = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. " +
	"The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. " +
	"The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, " +
	"i.e., <think> reasoning process here </think> <answer> answer here </answer>.\n"

// hardRates returns the pass rates of r's inferences by the given models
// (all of them when models is empty).
func hardRates(r AceCodeRow, models []string) []float64 {
	var rs []float64
	for _, inf := range r.Inferences {
		if len(models) == 0 || slices.Contains(models, inf.ModelName) {
			rs = append(rs, inf.PassRate)
		}
	}
	return rs
}

// withR1System returns r's conversation (its question when it has none)
// with the R1 system prompt first.
func withR1System(r AceCodeRow) AceCodeRow {
	msgs := r.ContextMessages
	if len(msgs) == 0 {
		msgs = []Message{{Role: "user", Content: r.Question}}
	}
	r.ContextMessages = append([]Message{{Role: "system", Content: R1SystemPrompt}}, msgs...)
	return r
}

// Hard writes the RL subset chosen by HardSubset. It reads the input twice
// (pass rates first, rows second) so that memory holds only the rates.
func Hard(ctx context.Context, cfg HardConfig) (*Summary, error) {
	sum := &Summary{Stage: "hard"}
	var rates [][]float64
	bad, err := ReadAceCode(ctx, cfg.Input, func(r AceCodeRow) error {
		rates = append(rates, hardRates(r, cfg.Models))
		return nil
	})
	sum.addMalformed(cfg.Log, bad)
	if err != nil {
		return sum, err
	}
	sum.Read = len(rates)
	keep := map[int]bool{}
	for _, q := range HardSubset(rates) {
		keep[q] = true
	}
	out, err := createAtomic(cfg.Output)
	if err != nil {
		return sum, err
	}
	defer out.abort()
	var kept []AceCodeRow
	idx := 0
	_, err = ReadAceCode(ctx, cfg.Input, func(r AceCodeRow) error {
		defer func() { idx++ }()
		if !keep[idx] {
			sum.Dropped++
			return nil
		}
		sum.Written++
		if cfg.R1System {
			r = withR1System(r)
		}
		if cfg.ParquetOutput != "" {
			kept = append(kept, r)
		}
		return writeJSONLine(out.w, r)
	})
	if err != nil {
		return sum, err
	}
	if cfg.ParquetOutput != "" {
		if err := writeFileAtomic(cfg.ParquetOutput, func(w io.Writer) error { return WriteAceCodeParquet(w, kept) }); err != nil {
			return sum, err
		}
	}
	return sum, out.commit()
}
