package data

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Subset counts one part of a file (all rows, or one source).
type Subset struct {
	Examples int // rows that are questions
	Tests    int // asserts over those rows
	Programs int // sampled programs (inferences)
	Pairs    int // preference pairs
}

// AvgTests is the mean number of tests per example.
func (s Subset) AvgTests() float64 {
	if s.Examples == 0 {
		return 0
	}
	return float64(s.Tests) / float64(s.Examples)
}

func (s *Subset) add(r statRow) {
	if r.Chosen != nil {
		s.Pairs++
		return
	}
	s.Examples++
	s.Tests += len(r.Tests) + len(r.TestCases)
	s.Programs += len(r.Inferences)
}

// Table is a Table-1-style summary of one stage's output: totals and the
// same numbers per source subset (e.g. evol, oss, stack).
type Table struct {
	File           string
	All            Subset
	BySource       map[string]*Subset
	PairQuestions  int            // distinct questions among the pairs (-1: unknown)
	PairsPerModel  map[string]int // pairs by model (project pair files)
	MeanPassRate   float64        // over all programs
	Malformed      int
	MalformedLines []string
}

// String renders the table, one line per subset.
func (t *Table) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n  %-16s %9s %9s %9s %9s\n", t.File, "subset", "examples", "avg tests", "programs", "pairs")
	line := func(name string, s Subset) {
		fmt.Fprintf(&b, "  %-16s %9d %9.2f %9d %9d\n", name, s.Examples, s.AvgTests(), s.Programs, s.Pairs)
	}
	sources := make([]string, 0, len(t.BySource))
	for k := range t.BySource {
		sources = append(sources, k)
	}
	sort.Strings(sources)
	for _, k := range sources {
		if len(sources) > 1 || k != "" {
			line(orDash(k), *t.BySource[k])
		}
	}
	line("all", t.All)
	if t.All.Programs > 0 {
		fmt.Fprintf(&b, "  mean pass rate %.3f\n", t.MeanPassRate)
	}
	if t.PairQuestions > 0 {
		fmt.Fprintf(&b, "  pairs over %d questions\n", t.PairQuestions)
	}
	models := make([]string, 0, len(t.PairsPerModel))
	for m := range t.PairsPerModel {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, m := range models {
		fmt.Fprintf(&b, "  pairs of %s: %d\n", m, t.PairsPerModel[m])
	}
	fmt.Fprintf(&b, "  malformed lines %d\n", t.Malformed)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// statRow decodes any stage's JSONL row.
type statRow struct {
	ID         any         `json:"id"`
	Source     string      `json:"source"`
	Tests      []string    `json:"tests"`
	TestCases  []string    `json:"test_cases"`
	Inferences []Inference `json:"inferences"`
	Chosen     *string     `json:"chosen"`
	ModelName  string      `json:"model_name"`
}

// Stats summarises a stage output or a public dataset file (JSONL, or
// AceCode-87K / AceCodePair-300K Parquet).
func Stats(ctx context.Context, path string) (*Table, error) {
	t := &Table{File: path, BySource: map[string]*Subset{}, PairsPerModel: map[string]int{}}
	var rateSum float64
	questions := map[string]bool{}
	add := func(r statRow) {
		t.All.add(r)
		if t.BySource[r.Source] == nil {
			t.BySource[r.Source] = &Subset{}
		}
		t.BySource[r.Source].add(r)
		if r.Chosen != nil {
			questions[fmt.Sprint(r.ID)] = true
			if r.ModelName != "" {
				t.PairsPerModel[r.ModelName]++
			}
		}
		for _, inf := range r.Inferences {
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
			add(statRow{Source: r.Source, TestCases: r.TestCases, Inferences: r.Inferences})
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
	if t.All.Programs > 0 {
		t.MeanPassRate = rateSum / float64(t.All.Programs)
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
