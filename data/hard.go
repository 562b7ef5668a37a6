package data

import (
	"context"
	"io"
)

// HardConfig configures the hard stage. Input is AceCode rows (JSONL or
// Parquet); Output is JSONL and ParquetOutput (optional) AceCode-87K Parquet,
// both written atomically.
type HardConfig struct {
	Input, Output, ParquetOutput string
	Log                          io.Writer
}

// Hard writes the RL subset chosen by HardSubset. It reads the input twice
// (pass rates first, rows second) so that memory holds only the rates.
func Hard(ctx context.Context, cfg HardConfig) (*Summary, error) {
	sum := &Summary{Stage: "hard"}
	var rates [][]float64
	bad, err := ReadAceCode(ctx, cfg.Input, func(r AceCodeRow) error {
		rs := make([]float64, len(r.Inferences))
		for i, inf := range r.Inferences {
			rs[i] = inf.PassRate
		}
		rates = append(rates, rs)
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
