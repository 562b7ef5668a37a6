package data

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sampleAceRows() []AceCodeRow {
	return []AceCodeRow{
		{ID: "q1", Source: "oss", Question: "Add.", TestCases: []string{"assert add(1,2)==3", "assert add(0,0)==0"},
			Inferences: []Inference{
				{ModelName: "m", CompletionID: 0, Completion: "def add(a,b): return a+b", PassRate: 1, TestResults: []int{1, 1}},
				{ModelName: "m", CompletionID: 1, Completion: "def add(a,b): return a", PassRate: 0.5, TestResults: []int{0, 1}},
			},
			ContextMessages: []Message{{Role: "user", Content: "Please solve"}}},
		{ID: "q2", Source: "evol", Question: "Nothing.", TestCases: []string{"assert True"}},
	}
}

func TestParquetRoundTrip(t *testing.T) {
	dir := t.TempDir()
	ace := filepath.Join(dir, "ace.parquet")
	rows := sampleAceRows()
	if err := writeFileAtomic(ace, func(w io.Writer) error { return WriteAceCodeParquet(w, rows) }); err != nil {
		t.Fatal(err)
	}
	var got []AceCodeRow
	bad, err := ReadAceCode(context.Background(), ace, func(r AceCodeRow) error { got = append(got, r); return nil })
	if err != nil || len(bad) != 0 {
		t.Fatalf("ReadAceCode: %v, bad %v", err, bad)
	}
	if diff := cmp.Diff(rows, got, cmpNilEmpty); diff != "" {
		t.Errorf("AceCode round trip (-want +got):\n%s", diff)
	}

	pairsPath := filepath.Join(dir, "pairs.parquet")
	pairs := []FactoryPair{{Instruction: "i", Chosen: "c", Rejected: "r", ID: 3}, {Instruction: "j", Input: "x", Chosen: "c2", Rejected: "r2", ID: 4}}
	if err := writeFileAtomic(pairsPath, func(w io.Writer) error { return WritePairsParquet(w, pairs) }); err != nil {
		t.Fatal(err)
	}
	var gotPairs []FactoryPair
	if _, err := ReadPairs(context.Background(), pairsPath, func(p FactoryPair) error { gotPairs = append(gotPairs, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pairs, gotPairs, cmpNilEmpty); diff != "" {
		t.Errorf("pairs round trip (-want +got):\n%s", diff)
	}
	tbl, err := Stats(context.Background(), pairsPath)
	if err != nil || tbl.All.Pairs != 2 {
		t.Errorf("Stats on pair parquet = %+v, %v; want 2 pairs", tbl, err)
	}
	tbl, err = Stats(context.Background(), ace)
	if err != nil || tbl.All.Examples != 2 || tbl.All.Tests != 3 || tbl.All.Programs != 2 || tbl.BySource["oss"].Tests != 2 {
		t.Errorf("Stats on AceCode parquet = %+v, %v", tbl, err)
	}
}

func TestReadParquetCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.parquet")
	os.WriteFile(path, []byte("PAR1 this is not parquet PAR1"), 0o644)
	if _, err := ReadAceCode(context.Background(), path, func(AceCodeRow) error { return nil }); err == nil {
		t.Error("corrupt file read without error")
	}
}

// FuzzReadParquet feeds mutated Parquet bytes to both readers: they must
// return rows or an error, never panic or hang.
func FuzzReadParquet(f *testing.F) {
	var ace, pairs bytes.Buffer
	if err := WriteAceCodeParquet(&ace, sampleAceRows()); err != nil {
		f.Fatal(err)
	}
	if err := WritePairsParquet(&pairs, []FactoryPair{{Instruction: "i", Chosen: "c", Rejected: "r", ID: 1}}); err != nil {
		f.Fatal(err)
	}
	f.Add(ace.Bytes())
	f.Add(pairs.Bytes())
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		r := bytes.NewReader(b)
		_ = readParquet(ctx, r, int64(len(b)), "fuzz", func(_ int, p pqAceCode) error { _ = p.row(); return nil })
		_ = readParquet(ctx, r, int64(len(b)), "fuzz", func(_ int, p FactoryPair) error { return nil })
	})
}

// Files written by other tools may use narrower types (int32 ids, float32
// rates, boolean test results) or lack a column; the reader converts them.
type variantInference struct {
	ModelName    string  `parquet:"model_name"`
	CompletionID int32   `parquet:"completion_id"`
	Completion   string  `parquet:"completion"`
	PassRate     float32 `parquet:"pass_rate"`
	TestResults  []bool  `parquet:"test_results,list"`
}

type variantRow struct {
	ID         string             `parquet:"id"`
	Question   string             `parquet:"question"`
	TestCases  []string           `parquet:"test_cases,list"`
	Inferences []variantInference `parquet:"inferences,list"`
}

func TestParquetSchemaVariants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "variant.parquet")
	rows := []variantRow{{ID: "a", Question: "q", TestCases: []string{"assert 1", "assert 2"},
		Inferences: []variantInference{{ModelName: "m", CompletionID: 3, Completion: "c", PassRate: 0.5, TestResults: []bool{true, false}}}}}
	if err := writeFileAtomic(path, func(w io.Writer) error { return writeParquet(w, rows) }); err != nil {
		t.Fatal(err)
	}
	var got []AceCodeRow
	if _, err := ReadAceCode(context.Background(), path, func(r AceCodeRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []AceCodeRow{{ID: "a", Question: "q", TestCases: []string{"assert 1", "assert 2"},
		Inferences: []Inference{{ModelName: "m", CompletionID: 3, Completion: "c", PassRate: 0.5, TestResults: []int{1, 0}}}}}
	if diff := cmp.Diff(want, got, cmpNilEmpty); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
