package trainer

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

var updateFixtures = flag.Bool("update-fixtures", false, "rewrite testdata/rm/acecodepair.parquet")

func TestParsePairJSONL(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Pair
		wantErr string
	}{
		{"acecodepair", `{"instruction":"I","input":"","chosen":"c","rejected":"r","id":5}`,
			[]Pair{{ID: "5", Prompt: "I", Chosen: "c", Rejected: "r"}}, ""},
		{"acecodepair with input", `{"instruction":"I","input":"X","chosen":"c","rejected":"r","id":"a"}`,
			[]Pair{{ID: "a", Prompt: "I\nX", Chosen: "c", Rejected: "r"}}, ""},
		{"project row", `{"id":"q","question":"Q","tests":["assert 1"],"chosen":"c","rejected":"r","chosen_pass_rate":1,"rejected_pass_rate":0.5,"model_name":"m"}`,
			[]Pair{{ID: "q", Prompt: "Q", Chosen: "c", Rejected: "r", ChosenPassRate: 1, RejectedPassRate: 0.5}}, ""},
		{"margin", `{"question":"Q","chosen":"c","rejected":"r","margin":0.75}`,
			[]Pair{{Prompt: "Q", Chosen: "c", Rejected: "r", Margin: 0.75}}, ""},
		{"blank lines", "\n" + `{"question":"Q","chosen":"c","rejected":""}` + "\n\n",
			[]Pair{{Prompt: "Q", Chosen: "c"}}, ""},
		{"missing rejected", `{"question":"Q","chosen":"c"}`, nil, ":1: row lacks"},
		{"no prompt", `{"chosen":"c","rejected":"r"}`, nil, "neither"},
		{"bad json on line 2", `{"question":"Q","chosen":"c","rejected":"r"}` + "\n{", nil, ":2:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePairJSONL(context.Background(), strings.NewReader(tc.in), "x.jsonl")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("pairs (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzParsePairJSONL(f *testing.F) {
	f.Add([]byte(`{"instruction":"I","input":"","chosen":"c","rejected":"r","id":5}`))
	f.Add([]byte(`{"question":"Q","chosen":"c","rejected":"r","chosen_pass_rate":1}` + "\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParsePairJSONL(context.Background(), bytes.NewReader(data), "fuzz")
		if err == nil && len(ps) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d pairs from %d lines", len(ps), bytes.Count(data, []byte("\n"))+1)
		}
	})
}

func FuzzParsePairParquet(f *testing.F) {
	var buf bytes.Buffer
	_ = parquet.Write(&buf, []pqAcePair{{Instruction: "I", Chosen: "c", Rejected: "r", ID: "1"}})
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParsePairParquet(context.Background(), bytes.NewReader(data), int64(len(data)), "fuzz")
	})
}

func TestParquetSchemas(t *testing.T) {
	type required struct { // AceCodePair written without optional columns
		Instruction string `parquet:"instruction"`
		Chosen      string `parquet:"chosen"`
		Rejected    string `parquet:"rejected"`
	}
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  []Pair
	}{
		{"acecodepair", func(b *bytes.Buffer) error {
			return parquet.Write(b, []pqAcePair{{Instruction: "I", Input: "X", Chosen: "c", Rejected: "r", ID: "7"}})
		}, []Pair{{ID: "7", Prompt: "I\nX", Chosen: "c", Rejected: "r"}}},
		{"required columns, no input or id", func(b *bytes.Buffer) error {
			return parquet.Write(b, []required{{"I", "c", "r"}, {"J", "d", "s"}})
		}, []Pair{{Prompt: "I", Chosen: "c", Rejected: "r"}, {Prompt: "J", Chosen: "d", Rejected: "s"}}},
		{"project rows", func(b *bytes.Buffer) error {
			return parquet.Write(b, []pqProjectPair{{ID: "q", Question: "Q", Chosen: "c", Rejected: "r", ChosenPassRate: 1, RejectedPassRate: 0.5}})
		}, []Pair{{ID: "q", Prompt: "Q", Chosen: "c", Rejected: "r", ChosenPassRate: 1, RejectedPassRate: 0.5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.write(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := ParsePairParquet(context.Background(), bytes.NewReader(buf.Bytes()), int64(buf.Len()), "x.parquet")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("pairs (-want +got):\n%s", d)
			}
		})
	}
}

func TestPairFixtures(t *testing.T) {
	dir := filepath.Join("..", "testdata", "rm")
	ctx := context.Background()
	ace, err := ReadPairs(ctx, filepath.Join(dir, "acecodepair.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	pq := filepath.Join(dir, "acecodepair.parquet")
	if *updateFixtures {
		var rows []pqAcePair
		for _, p := range []struct{ i, in, c, r, id string }{
			{"Write a function add(a, b) that returns the sum of a and b.", "", ace[0].Chosen, ace[0].Rejected, "0"},
			{"Write a function is_even(n).", "n is an integer.", ace[1].Chosen, ace[1].Rejected, "1"},
		} {
			rows = append(rows, pqAcePair{Instruction: p.i, Input: p.in, Chosen: p.c, Rejected: p.r, ID: p.id})
		}
		if err := parquet.WriteFile(pq, rows); err != nil {
			t.Fatal(err)
		}
	}
	fromPQ, err := ReadPairs(ctx, pq)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ace, fromPQ); d != "" {
		t.Errorf("Parquet and JSONL fixtures differ (-jsonl +parquet):\n%s", d)
	}
	if ace[1].Prompt != "Write a function is_even(n).\nn is an integer." {
		t.Errorf("prompt = %q", ace[1].Prompt)
	}
	own, err := ReadPairFiles(ctx, []string{filepath.Join(dir, "pairs.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if len(own) != 2 || own[0].ChosenPassRate != 1 || own[0].RejectedPassRate != 0.25 || own[1].ID != "q-9" {
		t.Errorf("project pairs = %+v", own)
	}
	if _, err := os.Stat(pq); err != nil {
		t.Fatal(err)
	}
}

func TestSplitEvalKeepsQuestionsTogether(t *testing.T) {
	var pairs []Pair
	for q := range 10 {
		for j := range q%3 + 1 {
			pairs = append(pairs, Pair{ID: fmt.Sprintf("q%d-%d", q, j), Prompt: fmt.Sprintf("question %d", q)})
		}
	}
	key := func(p Pair) string { return p.Prompt }
	train, eval := SplitEval(pairs, 0.2, 7, key)
	if len(train)+len(eval) != len(pairs) {
		t.Fatalf("%d + %d pairs, want %d", len(train), len(eval), len(pairs))
	}
	side := map[string]string{}
	for name, part := range map[string][]Pair{"train": train, "eval": eval} {
		for _, p := range part {
			if s, ok := side[p.Prompt]; ok && s != name {
				t.Errorf("%s has pairs in both train and eval", p.Prompt)
			}
			side[p.Prompt] = name
		}
	}
	questions := 0
	for _, s := range side {
		if s == "eval" {
			questions++
		}
	}
	if questions != 2 { // ceil(0.2 · 10)
		t.Errorf("%d questions held out, want 2", questions)
	}
	again, _ := SplitEval(pairs, 0.2, 7, key)
	if !slices.EqualFunc(train, again, func(a, b Pair) bool { return a.ID == b.ID }) {
		t.Error("same seed gave another split")
	}
	// One question: the split falls back to pairs, and training keeps one.
	one := []Pair{{ID: "a", Prompt: "q"}, {ID: "b", Prompt: "q"}}
	if tr, ev := SplitEval(one, 0.9, 1, key); len(tr) != 1 || len(ev) != 1 {
		t.Errorf("one question, 2 pairs: %d train, %d eval; want 1 and 1", len(tr), len(ev))
	}
}
