package data

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// PairsConfig configures the pairs stage. Input is AceCode rows (JSONL or
// Parquet). Output receives this project's PairRow JSONL; FactoryOutput
// (optional) the AceCodePair / LLaMA-Factory JSONL; ParquetOutput (optional)
// the AceCodePair-300K Parquet. Each output is written atomically.
type PairsConfig struct {
	Input, Output, FactoryOutput, ParquetOutput string
	Rule                                        PairRule
	Log                                         io.Writer
	// DropNonASCII skips questions with a non-ASCII character, as
	// AceCoder's create_rm_dataset.py does.
	DropNonASCII bool
	// FactoryFormat shapes the factory and Parquet rows: FactoryAceCoder
	// (default) or FactoryCompletions.
	FactoryFormat string
}

// Factory row formats.
const (
	// FactoryAceCoder is AceCodePair-300K's text: the instruction is the
	// question with its first test in the "Please provide…" block, chosen
	// and rejected are the preamble, the program and a closing fence.
	FactoryAceCoder = "acecoder"
	// FactoryCompletions uses the row's sampling conversation as the
	// instruction and the stored completions as they are.
	FactoryCompletions = "completions"
)

// Pairs builds preference pairs per question and model.
func Pairs(ctx context.Context, cfg PairsConfig) (*Summary, error) {
	sum := &Summary{Stage: "pairs"}
	factory, err := factoryFunc(cfg.FactoryFormat)
	if err != nil {
		return nil, err
	}
	outs, err := openPairOutputs(cfg)
	if err != nil {
		return nil, err
	}
	defer outs.abort()
	var next int64
	bad, err := ReadAceCode(ctx, cfg.Input, func(r AceCodeRow) error {
		sum.Read++
		if cfg.DropNonASCII && !isASCII(r.Question) {
			sum.count("dropped: non-ASCII question", 1)
			sum.Dropped++
			return nil
		}
		pairs := rowPairs(r, cfg.Rule)
		if len(pairs) > 0 {
			sum.count("questions with pairs", 1)
		} else {
			sum.Dropped++
		}
		for _, p := range pairs {
			if err := outs.write(p, factory(r, p, next)); err != nil {
				return err
			}
			next++
			sum.Written++
		}
		return nil
	})
	sum.addMalformed(cfg.Log, bad)
	if err != nil {
		return sum, err
	}
	return sum, outs.commit()
}

// rowPairs applies the rule to each model's inferences of one row; models
// keep their first-seen order.
func rowPairs(r AceCodeRow, rule PairRule) []PairRow {
	var models []string
	byModel := map[string][]Inference{}
	for _, inf := range r.Inferences {
		if _, ok := byModel[inf.ModelName]; !ok {
			models = append(models, inf.ModelName)
		}
		byModel[inf.ModelName] = append(byModel[inf.ModelName], inf)
	}
	var out []PairRow
	for _, m := range models {
		infs := byModel[m]
		rates, texts := make([]float64, len(infs)), make([]string, len(infs))
		for i, inf := range infs {
			rates[i], texts[i] = inf.PassRate, inf.Completion
		}
		for _, p := range SelectPairs(rates, texts, rule) {
			c, j := infs[p.Chosen], infs[p.Rejected]
			out = append(out, PairRow{ID: r.ID, Source: r.Source, ModelName: m, Question: r.Question,
				Chosen: c.Completion, Rejected: j.Completion, ChosenPassRate: c.PassRate, RejectedPassRate: j.PassRate,
				ChosenCompletion: c.CompletionID, RejectedCompletion: j.CompletionID, idNum: r.idNum})
		}
	}
	return out
}

// completionsPair is the FactoryCompletions row: the instruction is the
// last user turn of the row's conversation (the question when it has
// none); chosen and rejected are the completions as stored.
func completionsPair(r AceCodeRow, p PairRow, id int64) FactoryPair {
	instr := r.Question
	for _, m := range r.ContextMessages {
		if m.Role == "user" {
			instr = m.Content
		}
	}
	return FactoryPair{Instruction: instr, Chosen: p.Chosen, Rejected: p.Rejected, ID: id}
}

// atomicFile is a temporary file renamed over its target on commit.
type atomicFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
}

func createAtomic(path string) (*atomicFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("data: output dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("data: temp output: %w", err)
	}
	return &atomicFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

func (a *atomicFile) commit() error {
	if err := a.w.Flush(); err != nil {
		return fmt.Errorf("data: write %s: %w", a.path, err)
	}
	if err := a.tmp.Sync(); err != nil {
		return fmt.Errorf("data: sync %s: %w", a.path, err)
	}
	if err := a.tmp.Close(); err != nil {
		return fmt.Errorf("data: close %s: %w", a.path, err)
	}
	if err := os.Rename(a.tmp.Name(), a.path); err != nil {
		return fmt.Errorf("data: rename to %s: %w", a.path, err)
	}
	a.tmp = nil
	return nil
}

func (a *atomicFile) abort() {
	if a != nil && a.tmp != nil {
		a.tmp.Close()
		os.Remove(a.tmp.Name())
	}
}

type pairOutputs struct {
	pairs, factory, pq *atomicFile
	pqw                *parquet.GenericWriter[FactoryPair]
}

func openPairOutputs(cfg PairsConfig) (*pairOutputs, error) {
	o := &pairOutputs{}
	var err error
	if o.pairs, err = createAtomic(cfg.Output); err != nil {
		return nil, err
	}
	if cfg.FactoryOutput != "" {
		if o.factory, err = createAtomic(cfg.FactoryOutput); err != nil {
			o.abort()
			return nil, err
		}
	}
	if cfg.ParquetOutput != "" {
		if o.pq, err = createAtomic(cfg.ParquetOutput); err != nil {
			o.abort()
			return nil, err
		}
		o.pqw = parquet.NewGenericWriter[FactoryPair](o.pq.w)
	}
	return o, nil
}

func (o *pairOutputs) write(p PairRow, f FactoryPair) error {
	if err := writeJSONLine(o.pairs.w, p); err != nil {
		return err
	}
	if o.factory != nil {
		if err := writeJSONLine(o.factory.w, f); err != nil {
			return err
		}
	}
	if o.pqw != nil {
		if _, err := o.pqw.Write([]FactoryPair{f}); err != nil {
			return fmt.Errorf("data: parquet write: %w", err)
		}
	}
	return nil
}

func (o *pairOutputs) commit() error {
	if o.pqw != nil {
		if err := o.pqw.Close(); err != nil {
			return fmt.Errorf("data: parquet close: %w", err)
		}
	}
	for _, a := range []*atomicFile{o.pairs, o.factory, o.pq} {
		if a != nil {
			if err := a.commit(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (o *pairOutputs) abort() {
	o.pairs.abort()
	o.factory.abort()
	o.pq.abort()
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("data: encode: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("data: write: %w", err)
	}
	return nil
}
