package eval

import (
	"context"
	"testing"
	"time"

	"acecoder/extract"
	"acecoder/rewards"
	"acecoder/toy"
)

func TestCheckAndSummariseToyTasks(t *testing.T) {
	runner, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2})
	if err != nil {
		t.Skipf("sandboxed runner unavailable: %v", err)
	}
	defer runner.Close()
	train := toy.Generate(toy.Options{Seed: 1}).Train
	var tasks []Task
	var comps [][]Completion
	for _, tk := range train[:6] {
		tasks = append(tasks, Task{ID: tk.ID, Format: AceCode, Prompt: tk.Question, Tests: tk.Tests, EntryPoint: tk.EntryPoint})
		// Sample 0 is the reference (passes), 1 and 2 buggy, 3 not Python.
		comps = append(comps, []Completion{
			{Text: tk.Program, Program: tk.Program},
			{Text: tk.Buggy[0], Program: tk.Buggy[0]},
			{Text: "```python\n" + tk.Program + "```", Program: extract.Program("```python\n"+tk.Program+"```", tk.EntryPoint)},
			{Text: "def (", Program: "def ("},
		})
	}
	ev := &Evaluator{Exec: runner, Timeout: 2 * time.Second}
	if err := ev.Check(context.Background(), tasks, comps); err != nil {
		t.Fatal(err)
	}
	for i, cs := range comps {
		if !cs[0].Passed || !cs[2].Passed || cs[3].Passed {
			t.Errorf("task %s: verdicts %v %v %v %v", tasks[i].ID, cs[0].Passed, cs[1].Passed, cs[2].Passed, cs[3].Passed)
		}
	}
	greedy := make([][]Completion, len(comps))
	for i := range comps {
		greedy[i] = comps[i][:1]
	}
	sum, err := Summarise(greedy, comps, []int{1, 4})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Greedy != 100 || sum.PassAtK["pass@4"] != 100 {
		t.Errorf("summary %+v", sum)
	}
	// Scores favouring the reference: RM@4 picks it every time.
	for i := range comps {
		for j := range comps[i] {
			comps[i][j].Score = float64(-j)
		}
	}
	rows, err := TableRows(greedy, comps, []int{4}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].RM != 100 || rows[0].Oracle != 100 {
		t.Errorf("rows %+v", rows)
	}
}

// TestTableRowsPlus: with plus, a completion that passes its base tests but
// not its plus tests counts as failing, in every column.
func TestTableRowsPlus(t *testing.T) {
	c := func(base, plus bool, score float64) Completion {
		return Completion{Passed: base, PlusPassed: base && plus, Score: score}
	}
	// One task: greedy passes base only; the RM's pick (highest score)
	// passes base only; one other sample passes both.
	greedy := [][]Completion{{c(true, false, 0)}}
	sampled := [][]Completion{{c(true, false, 3), c(true, true, 1), c(false, false, 2), c(true, false, 0)}}
	base, err := TableRows(greedy, sampled, []int{4}, false)
	if err != nil {
		t.Fatal(err)
	}
	plus, err := TableRows(greedy, sampled, []int{4}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := BestOfN{N: 4, Greedy: 100, Average: 75, Oracle: 100, RM: 100}
	if base[0] != want {
		t.Errorf("base rows %+v, want %+v", base[0], want)
	}
	want = BestOfN{N: 4, Greedy: 0, Average: 25, Oracle: 100, RM: 0}
	if plus[0] != want {
		t.Errorf("plus rows %+v, want %+v", plus[0], want)
	}
}
