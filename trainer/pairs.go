package trainer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"acecoder/rewards"
)

// Pair is one preference pair: a prompt and two responses, Chosen better
// than Rejected.
type Pair struct {
	ID       string
	Prompt   string
	Chosen   string
	Rejected string
	// Pass rates of the two programs when the source records them (this
	// project's pair rows); zero when unknown.
	ChosenPassRate, RejectedPassRate float64
	// Margin is the row's optional "margin" (OpenRLHF's margin loss).
	Margin float64
}

// pairRow is the union of the two row formats:
//   - AceCodePair (AceCodePair-300K / LLaMA-Factory): instruction, input,
//     chosen, rejected, id;
//   - this project's pair rows: id, question, tests, chosen, rejected,
//     chosen_pass_rate, rejected_pass_rate (and more, ignored).
type pairRow struct {
	ID               json.RawMessage `json:"id"`
	Instruction      *string         `json:"instruction"`
	Input            string          `json:"input"`
	Question         *string         `json:"question"`
	Chosen           *string         `json:"chosen"`
	Rejected         *string         `json:"rejected"`
	ChosenPassRate   float64         `json:"chosen_pass_rate"`
	RejectedPassRate float64         `json:"rejected_pass_rate"`
	Margin           float64         `json:"margin"`
}

// AcePrompt joins AceCodePair's instruction and input as LLaMA-Factory's
// alpaca format does: "instruction\ninput" when input is non-empty.
func AcePrompt(instruction, input string) string { return rewards.AcePrompt(instruction, input) }

func (r pairRow) pair() (Pair, error) {
	if r.Chosen == nil || r.Rejected == nil {
		return Pair{}, errors.New(`row lacks "chosen" or "rejected"`)
	}
	p := Pair{ID: rawID(r.ID), Chosen: *r.Chosen, Rejected: *r.Rejected,
		ChosenPassRate: r.ChosenPassRate, RejectedPassRate: r.RejectedPassRate, Margin: r.Margin}
	switch {
	case r.Question != nil:
		p.Prompt = *r.Question
	case r.Instruction != nil:
		p.Prompt = AcePrompt(*r.Instruction, r.Input)
	default:
		return Pair{}, errors.New(`row has neither "question" nor "instruction"`)
	}
	return p, nil
}

// rawID renders a JSON id (string or number) as text.
func rawID(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// ParsePairJSONL reads pair rows (either format, one JSON object per line;
// blank lines skipped) from r. A malformed line is an error naming it.
func ParsePairJSONL(ctx context.Context, r io.Reader, name string) ([]Pair, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	var out []Pair
	for line := 1; sc.Scan(); line++ {
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var row pairRow
		if err := json.Unmarshal(b, &row); err != nil {
			return nil, fmt.Errorf("trainer: pairs %s:%d: %w", name, line, err)
		}
		p, err := row.pair()
		if err != nil {
			return nil, fmt.Errorf("trainer: pairs %s:%d: %w", name, line, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trainer: pairs %s: %w", name, err)
	}
	return out, nil
}

// ReadPairs reads a pair file: Parquet (by the .parquet extension) or
// JSONL, in either row format.
func ReadPairs(ctx context.Context, path string) ([]Pair, error) {
	if strings.EqualFold(filepath.Ext(path), ".parquet") {
		return readPairsParquet(ctx, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trainer: pairs: %w", err)
	}
	defer f.Close()
	return ParsePairJSONL(ctx, f, path)
}

// ReadPairFiles reads and concatenates several pair files in order.
func ReadPairFiles(ctx context.Context, paths []string) ([]Pair, error) {
	var out []Pair
	for _, p := range paths {
		ps, err := ReadPairs(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}
