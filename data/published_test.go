package data

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func inf(model string, id int, completion string, rate float64) Inference {
	return Inference{ModelName: model, CompletionID: id, Completion: completion, PassRate: rate}
}

// TestPairsPublished pins AceCodePair-300K's rules on hand-worked rows:
// pairs within one model's programs, the 0.4 gap with rounding, non-ASCII
// questions dropped, and the published instruction and response text.
func TestPairsPublished(t *testing.T) {
	dir := t.TempDir()
	pre := "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:\n```python"
	rows := []AceCodeRow{
		{ID: "q1", Source: "oss", Question: "Write f(x) returning x.", TestCases: []string{"  assert f(1) == 1 ", "assert f(2) == 2"},
			Inferences: []Inference{
				inf("m1", 0, pre+"\ndef f(x):\n    return x\n```", 0.95),
				inf("m1", 1, pre+"def f(x):\n    return 1\n```", 0.55),
				inf("m2", 2, pre+"\ndef f(x):\n    return x + 0\n```", 1),
				inf("m2", 3, pre+"\ndef f(x):\n    return abs(x)\n```", 0.5),
			}},
		{ID: "q2", Source: "oss", Question: "Écrire g(x) qui renvoie x.", TestCases: []string{"assert g(1) == 1"},
			Inferences: []Inference{inf("m1", 0, "def g(x):\n    return x", 1), inf("m1", 1, "def g(x):\n    return 1", 0.5)}},
	}
	in := filepath.Join(dir, "rows.jsonl")
	if err := WriteJSONLAtomic(in, rows); err != nil {
		t.Fatal(err)
	}
	run := func(cfg PairsConfig) ([]PairRow, []FactoryPair, *Summary) {
		t.Helper()
		cfg.Input, cfg.Output, cfg.FactoryOutput, cfg.Rule = in, filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "factory.jsonl"), DefaultPairRule()
		sum, err := Pairs(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return readRows[PairRow](t, cfg.Output), readRows[FactoryPair](t, cfg.FactoryOutput), sum
	}

	pairs, factory, sum := run(PairsConfig{DropNonASCII: true})
	// m1: 0.95 vs 0.55 (gap 0.4 by rounding); m2: 1 vs 0.5. Never m2's 1
	// against m1's 0.55: pairs are built per model.
	got := [][2]int{}
	for _, p := range pairs {
		got = append(got, [2]int{p.ChosenCompletion, p.RejectedCompletion})
	}
	if diff := cmp.Diff([][2]int{{0, 1}, {2, 3}}, got); diff != "" {
		t.Errorf("pairs (-want +got):\n%s", diff)
	}
	if sum.Dropped != 1 || sum.Counts["dropped: non-ASCII question"] != 1 {
		t.Errorf("summary %+v: want the non-ASCII question dropped", sum)
	}
	wantInstr := "Please provide a self-contained Python script that solves the following problem in a markdown code block:\n```\n" +
		"\"\"\"\nWrite f(x) returning x.\nassert f(1) == 1\n\"\"\"\n\n```\n"
	want := []FactoryPair{
		{Instruction: wantInstr, Chosen: pre + "\ndef f(x):\n    return x\n```", Rejected: pre + "\ndef f(x):\n    return 1\n```", ID: 0},
		{Instruction: wantInstr, Chosen: pre + "\ndef f(x):\n    return x + 0\n```", Rejected: pre + "\ndef f(x):\n    return abs(x)\n```", ID: 1},
	}
	if diff := cmp.Diff(want, factory); diff != "" {
		t.Errorf("factory rows (-want +got):\n%s", diff)
	}

	pairs, factory, _ = run(PairsConfig{FactoryFormat: FactoryCompletions})
	if len(pairs) != 3 || pairs[2].ID != "q2" {
		t.Errorf("without the ASCII rule: %d pairs, want q2's too", len(pairs))
	}
	if factory[0].Instruction != rows[0].Question || factory[0].Chosen != rows[0].Inferences[0].Completion {
		t.Errorf("completions format: %+v", factory[0])
	}
}

// TestHardPublished: the hard subset computed on the two published models'
// inferences only, and the R1 system prompt put first.
func TestHardPublished(t *testing.T) {
	dir := t.TempDir()
	rates := func(model string, rs ...float64) []Inference {
		var out []Inference
		for i, r := range rs {
			out = append(out, inf(model, i, "x", r))
		}
		return out
	}
	rows := []AceCodeRow{
		{ID: "a", Question: "qa", Inferences: append(rates("qwen_coder_2.5", 0, 0, 1, 1), rates("other", 1, 1, 1, 1)...)},
		{ID: "b", Question: "qb", Inferences: append(rates("qwen_coder_2.5", 0.2, 0.2, 0.2, 0.2), rates("other", 0, 1, 0, 1)...)},
		{ID: "c", Question: "qc", Inferences: append(rates("qwen_coder_2.5", 1, 1, 1, 0), rates("other", 0, 0, 0, 0)...)},
		{ID: "d", Question: "qd", Inferences: rates("other", 0, 1)},
	}
	in := filepath.Join(dir, "rows.jsonl")
	if err := WriteJSONLAtomic(in, rows); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		models []string
		want   []string
	}{
		// qwen only: means a .5, b .2, c .75 (d has none) → median .5 keeps
		// a, b; stds .5, 0 → median .25 keeps a.
		{"published models", []string{"qwen_coder_2.5", "llama3_instruct"}, []string{"a"}},
		// all: means .75, .35, .375, .5 → median .4375 keeps b, c; stds
		// .384, .484 → median .434 keeps c.
		{"all models", nil, []string{"c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".jsonl")
			if _, err := Hard(context.Background(), HardConfig{Input: in, Output: out, Models: tc.models, R1System: true}); err != nil {
				t.Fatal(err)
			}
			got := readRows[AceCodeRow](t, out)
			if diff := cmp.Diff(tc.want, ids(got, func(r AceCodeRow) string { return r.ID })); diff != "" {
				t.Fatalf("kept (-want +got):\n%s", diff)
			}
			wantMsgs := []Message{{Role: "system", Content: R1SystemPrompt}, {Role: "user", Content: got[0].Question}}
			if diff := cmp.Diff(wantMsgs, got[0].ContextMessages); diff != "" {
				t.Errorf("context_messages (-want +got):\n%s", diff)
			}
			if len(got[0].Inferences) != 8 {
				t.Errorf("row written with %d inferences, want all 8", len(got[0].Inferences))
			}
		})
	}
}
