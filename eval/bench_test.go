package eval

import (
	"strings"
	"testing"

	"acecoder/internal/shareddata"
)

func TestReadFormats(t *testing.T) {
	rows := `{"task_id": "HumanEval/0", "prompt": "def f(x):\n", "entry_point": "f", "test": "def check(candidate):\n    assert candidate(1) == 2\n", "canonical_solution": "    return x + 1\n"}
{"task_id": 11, "text": "Write a function to add one.", "code": "def add_one(x): return x + 1", "test_list": ["assert add_one(1) == 2"], "test_setup_code": ""}
{"id": "toy/a", "question": "Return x plus 1.", "test_cases": ["assert plus_one(1) == 2", "assert plus_one(2) == 3"]}
not json
{"id": "x"}
{"id": "toy/a", "question": "dup", "test_cases": ["assert g(1) == 1"]}
`
	tasks, skipped, err := parseBench(strings.NewReader(rows), "b.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 3 {
		t.Fatalf("%d tasks, want 3", len(tasks))
	}
	want := []struct {
		id     string
		format Format
		entry  string
	}{{"HumanEval/0", HumanEval, "f"}, {"Mbpp/11", MBPP, "add_one"}, {"toy/a", AceCode, "plus_one"}}
	for i, w := range want {
		if tasks[i].ID != w.id || tasks[i].Format != w.format || tasks[i].EntryPoint != w.entry {
			t.Errorf("task %d = %+v, want %+v", i, tasks[i], w)
		}
	}
	if len(skipped) != 3 || !strings.HasPrefix(skipped[0].Error(), "b.jsonl:4:") || !strings.Contains(skipped[2].Error(), "repeats line 3") {
		t.Errorf("skipped = %v", skipped)
	}
	job, err := tasks[0].Job("j", "    return x + 1\n", "")
	if err != nil || job.Prompt != tasks[0].Prompt || job.Completion == "" || job.EntryPoint != "f" {
		t.Errorf("HumanEval job = %+v, %v", job, err)
	}
	if job, _ := tasks[0].Job("j", "", "def f(x):\n    return x + 1\n"); job.Program == "" {
		t.Errorf("a whole program defining the entry point should run as the program: %+v", job)
	}
}

func TestReadSharedBenchmarks(t *testing.T) {
	he, skipped, err := ReadBench(shareddata.Path(t, "benchmarks/humaneval/HumanEval.jsonl.gz"))
	if err != nil || len(he) != 164 || len(skipped) != 0 {
		t.Errorf("HumanEval: %d tasks, %v, %v", len(he), skipped, err)
	}
	mb, skipped, err := ReadBench(shareddata.Path(t, "benchmarks/mbpp/mbpp.jsonl"))
	if err != nil || len(mb) != 974 || len(skipped) != 0 {
		t.Errorf("MBPP: %d tasks, %v, %v", len(mb), len(skipped), err)
	}
	for _, task := range mb {
		if task.EntryPoint == "" {
			t.Errorf("MBPP %s: no entry point from %q", task.ID, task.Tests[0])
			break
		}
	}
}

func FuzzParseBench(f *testing.F) {
	f.Add([]byte(`{"task_id": "a", "prompt": "p", "test": "t", "entry_point": "e"}`))
	f.Add([]byte(`{"id": 3, "question": "q", "test_cases": ["assert f(1) == 1"]}`))
	f.Add([]byte(`{"task_id": 1, "text": "t", "test_list": ["assert (x(1)"]}` + "\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tasks, _, _ := parseBench(strings.NewReader(string(data)), "f")
		for _, task := range tasks {
			if task.ID == "" || task.Format == "" {
				t.Fatalf("task without id or format: %+v", task)
			}
		}
	})
}
