package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"
)

// pqAcePair is AceCodePair-300K's Parquet schema.
type pqAcePair struct {
	Instruction string  `parquet:"instruction,optional"`
	Input       string  `parquet:"input,optional"`
	Chosen      string  `parquet:"chosen,optional"`
	Rejected    string  `parquet:"rejected,optional"`
	ID          string  `parquet:"id,optional"`
	Margin      float64 `parquet:"margin,optional"`
}

// pqProjectPair is this project's pair rows in Parquet.
type pqProjectPair struct {
	ID               string  `parquet:"id,optional"`
	Question         string  `parquet:"question,optional"`
	Chosen           string  `parquet:"chosen,optional"`
	Rejected         string  `parquet:"rejected,optional"`
	ChosenPassRate   float64 `parquet:"chosen_pass_rate,optional"`
	RejectedPassRate float64 `parquet:"rejected_pass_rate,optional"`
	Margin           float64 `parquet:"margin,optional"`
}

// readPairsParquet picks the row type from the file's columns: "question"
// means this project's rows, "instruction" AceCodePair's.
func readPairsParquet(ctx context.Context, path string) (_ []Pair, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trainer: pairs: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("trainer: pairs: %w", err)
	}
	return ParsePairParquet(ctx, f, st.Size(), path)
}

// ParsePairParquet reads pair rows from a Parquet file of size bytes.
func ParsePairParquet(ctx context.Context, r io.ReaderAt, size int64, name string) (_ []Pair, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("trainer: pairs %s: corrupt Parquet file: %v", name, p)
		}
	}()
	pf, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("trainer: pairs %s: %w", name, err)
	}
	cols := map[string]bool{}
	for _, fl := range pf.Schema().Fields() {
		cols[fl.Name()] = true
	}
	if !cols["chosen"] || !cols["rejected"] {
		return nil, fmt.Errorf("trainer: pairs %s: no chosen/rejected columns", name)
	}
	switch {
	case cols["question"]:
		return readRows(ctx, pf, name, func(p pqProjectPair) Pair {
			return Pair{ID: p.ID, Prompt: p.Question, Chosen: p.Chosen, Rejected: p.Rejected,
				ChosenPassRate: p.ChosenPassRate, RejectedPassRate: p.RejectedPassRate, Margin: p.Margin}
		})
	case cols["instruction"]:
		return readRows(ctx, pf, name, func(p pqAcePair) Pair {
			return Pair{ID: p.ID, Prompt: AcePrompt(p.Instruction, p.Input), Chosen: p.Chosen, Rejected: p.Rejected, Margin: p.Margin}
		})
	}
	return nil, fmt.Errorf("trainer: pairs %s: neither a question nor an instruction column", name)
}

func readRows[T any](ctx context.Context, pf *parquet.File, name string, conv func(T) Pair) ([]Pair, error) {
	rd := parquet.NewGenericReader[T](pf)
	defer rd.Close()
	buf := make([]T, 64)
	var out []Pair
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, rerr := rd.Read(buf)
		for _, v := range buf[:n] {
			out = append(out, conv(v))
		}
		if errors.Is(rerr, io.EOF) {
			return out, nil
		}
		if rerr != nil {
			return nil, fmt.Errorf("trainer: pairs %s: row %d: %w", name, len(out), rerr)
		}
	}
}
