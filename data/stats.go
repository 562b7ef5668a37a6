package data

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Table is a Table-1-style summary of one stage's output.
type Table struct {
	File           string
	Examples       int            // rows (questions, or pairs for a pair file)
	Tests          int            // asserts over all rows
	Programs       int            // sampled programs (inferences)
	Pairs          int            // preference pairs (pair files)
	PairQuestions  int            // distinct questions among the pairs (-1: unknown)
	PairsPerModel  map[string]int // pairs by model (project pair files)
	MeanPassRate   float64        // over all programs
	Malformed      int
	MalformedLines []string
}

// AvgTests is the mean number of tests per example.
func (t *Table) AvgTests() float64 {
	if t.Examples == 0 {
		return 0
	}
	return float64(t.Tests) / float64(t.Examples)
}

// String renders the table.
func (t *Table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", t.File)
	fmt.Fprintf(&b, "  %-22s %d\n", "examples", t.Examples)
	if t.Tests > 0 {
		fmt.Fprintf(&b, "  %-22s %.2f\n", "avg tests", t.AvgTests())
	}
	if t.Programs > 0 {
		fmt.Fprintf(&b, "  %-22s %d (mean pass rate %.3f)\n", "programs", t.Programs, t.MeanPassRate)
	}
	switch {
	case t.Pairs > 0 && t.PairQuestions > 0:
		fmt.Fprintf(&b, "  %-22s %d over %d questions\n", "pairs", t.Pairs, t.PairQuestions)
	case t.Pairs > 0:
		fmt.Fprintf(&b, "  %-22s %d\n", "pairs", t.Pairs)
	}
	models := make([]string, 0, len(t.PairsPerModel))
	for m := range t.PairsPerModel {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, m := range models {
		fmt.Fprintf(&b, "  %-22s %d\n", "pairs "+m, t.PairsPerModel[m])
	}
	fmt.Fprintf(&b, "  %-22s %d\n", "malformed", t.Malformed)
	return b.String()
}

// statRow decodes any stage's JSONL row.
type statRow struct {
	ID         any         `json:"id"`
	Tests      []string    `json:"tests"`
	TestCases  []string    `json:"test_cases"`
	Inferences []Inference `json:"inferences"`
	Chosen     *string     `json:"chosen"`
	ModelName  string      `json:"model_name"`
}

// Stats summarises a stage output or a public dataset file (JSONL, or
// AceCode-87K / AceCodePair-300K Parquet).
func Stats(ctx context.Context, path string) (*Table, error) {
	t := &Table{File: path, PairsPerModel: map[string]int{}}
	var rateSum float64
	questions := map[string]bool{}
	add := func(r statRow) {
		if r.Chosen != nil {
			t.Pairs++
			questions[fmt.Sprint(r.ID)] = true
			if r.ModelName != "" {
				t.PairsPerModel[r.ModelName]++
			}
			return
		}
		t.Examples++
		t.Tests += len(r.Tests) + len(r.TestCases)
		for _, inf := range r.Inferences {
			t.Programs++
			rateSum += inf.PassRate
		}
	}
	var bad []*LineError
	var err error
	switch {
	case IsParquet(path) && parquetHasColumn(path, "chosen"):
		bad, err = ReadPairs(ctx, path, func(p FactoryPair) error {
			c := p.Chosen
			add(statRow{ID: p.ID, Chosen: &c})
			return nil
		})
		t.PairQuestions = -1 // AceCodePair ids number pairs, not questions
	case IsParquet(path):
		bad, err = ReadAceCode(ctx, path, func(r AceCodeRow) error {
			add(statRow{TestCases: r.TestCases, Inferences: r.Inferences})
			return nil
		})
	default:
		bad, err = ReadJSONL(ctx, path, func(_ int, r statRow) error { add(r); return nil })
	}
	if err != nil {
		return nil, err
	}
	if t.PairQuestions == 0 {
		t.PairQuestions = len(questions)
	}
	if t.Programs > 0 {
		t.MeanPassRate = rateSum / float64(t.Programs)
	}
	t.Malformed = len(bad)
	for i, e := range bad {
		if i < keepMalformed {
			t.MalformedLines = append(t.MalformedLines, e.Error())
		}
	}
	return t, nil
}

// parquetHasColumn reports whether the Parquet file at path has a top-level
// column named col (false when it cannot be read).
func parquetHasColumn(path, col string) (has bool) {
	defer func() {
		if recover() != nil {
			has = false
		}
	}()
	f, size, err := openSized(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if checkFooter(f, size) != nil {
		return false
	}
	pf, err := parquet.OpenFile(io.ReaderAt(f), size)
	if err != nil {
		return false
	}
	_, ok := pf.Schema().Lookup(col)
	return ok
}
