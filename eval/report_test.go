package eval

import (
	"strings"
	"testing"
)

// The reports write each task's id as its row did (a string stays a
// string, a number a number), except MBPP's numbers, which become
// evalplus's Mbpp/<number>.
func TestReportsKeepIDKinds(t *testing.T) {
	rows := `{"task_id": "HumanEval/0", "prompt": "def f(x):\n", "entry_point": "f", "test": "def check(candidate):\n    assert candidate(1) == 2\n"}
{"task_id": 11, "text": "Add one.", "code": "def add_one(x): return x + 1", "test_list": ["assert add_one(1) == 2"]}
{"id": "oss_0", "question": "Add one.", "test_cases": ["assert g(1) == 2"]}
`
	tasks, _, err := parseBench(strings.NewReader(rows), "b.jsonl")
	if err != nil || len(tasks) != 3 {
		t.Fatalf("%d tasks, %v", len(tasks), err)
	}
	tasks = append(tasks, Task{ID: "made/in/code"})
	comps := make([][]Completion, len(tasks))
	data, err := EncodeResults(tasks, nil, comps)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, want := range []string{`"task_id":"HumanEval/0"`, `"task_id":"Mbpp/11"`, `"task_id":"oss_0"`, `"task_id":"made/in/code"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("results line %d = %s, want %s", i+1, lines[i], want)
		}
	}
	if _, err := parseRow([]byte(`{"task_id": {"a": 1}, "question": "q", "test_cases": ["assert f() == 1"]}`)); err == nil {
		t.Error("an object id was accepted")
	}
}
