package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSamplesForms(t *testing.T) {
	file := `{"task_id": "HumanEval/0", "solution": "def f(x):\n    return x\n", "decoding": "greedy", "index": 0}
{"task_id": "HumanEval/0", "completion": "    return x\n"}

{"task_id": 2, "solution": "def g(): pass"}
{"id": "oss_1", "question": "q", "inferences": [{"model_name": "m", "completion": "a"}, {"completion": "b"}]}
`
	got, err := parseSamples(strings.NewReader(file), "s.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{TaskID: "HumanEval/0", Solution: "def f(x):\n    return x\n", Decoding: Greedy, Line: 1},
		{TaskID: "HumanEval/0", Completion: "    return x\n", Decoding: Sampled, Line: 2},
		{TaskID: "2", Solution: "def g(): pass", Decoding: Sampled, Line: 4},
		{TaskID: "oss_1", Completion: "a", Decoding: Sampled, Line: 5},
		{TaskID: "oss_1", Completion: "b", Decoding: Sampled, Line: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("samples (-want +got):\n%s", diff)
	}
	tasks := []Task{
		{ID: "HumanEval/0", Format: HumanEval, Prompt: "def f(x):\n", EntryPoint: "f", Check: "def check(c): pass"},
		{ID: "Mbpp/2", Format: MBPP, Prompt: "p", Tests: []string{"assert g() is None"}, EntryPoint: "g"},
		{ID: "Mbpp/3", Format: MBPP, Prompt: "p", Tests: []string{"assert h() is None"}, EntryPoint: "h"},
		{ID: "oss_1", Format: AceCode, Prompt: "q", Tests: []string{"assert a == 1"}},
	}
	used, greedy, sampled, err := GroupSamples(tasks, got, "s.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(used) != 3 || used[1].ID != "Mbpp/2" || len(greedy[0]) != 1 || len(sampled[0]) != 1 || len(sampled[2]) != 2 {
		t.Fatalf("grouped %d tasks: %v / %v", len(used), greedy, sampled)
	}
	// A completion that does not define the entry point continues the
	// prompt, evalplus's rule.
	if p := sampled[0][0].Program; p != "def f(x):\n    return x\n" {
		t.Errorf("continued completion = %q", p)
	}
	if _, _, _, err := GroupSamples(tasks, append(got, Sample{TaskID: "HumanEval/0", Solution: "x", Decoding: Greedy, Line: 9}), "s.jsonl"); err == nil ||
		!strings.Contains(err.Error(), "s.jsonl:9: task HumanEval/0 has a second greedy sample") {
		t.Errorf("second greedy sample: %v", err)
	}
}

func TestParseSamplesErrorsNameLines(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 12; i++ {
		b.WriteString(`{"task_id": "a"}` + "\n")
	}
	_, err := parseSamples(strings.NewReader(b.String()), "s.jsonl")
	if err == nil || !strings.Contains(err.Error(), "s.jsonl:1: task a:") || !strings.Contains(err.Error(), "s.jsonl:10:") ||
		strings.Contains(err.Error(), "s.jsonl:11:") || !strings.Contains(err.Error(), "2 more bad rows") {
		t.Errorf("err = %v", err)
	}
	for _, row := range []string{`[1]`, `{"solution": "x"}`, `{"task_id": {"a": 1}, "solution": "x"}`, `{"task_id": "a", "solution": 3}`,
		`{"task_id": "a", "inferences": [{}]}`} {
		if _, err := parseSamples(strings.NewReader(row), "s.jsonl"); err == nil || !strings.HasPrefix(err.Error(), "s.jsonl:1: ") {
			t.Errorf("%s: err = %v", row, err)
		}
	}
}

func FuzzParseSamples(f *testing.F) {
	f.Add([]byte(`{"task_id": "HumanEval/0", "solution": "x", "decoding": "greedy"}`))
	f.Add([]byte(`{"task_id": 3, "completion": "y"}` + "\n\n" + `{"id": "z", "inferences": [{"completion": "c"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := parseSamples(strings.NewReader(string(data)), "f")
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.TaskID == "" || (s.Decoding != Greedy && s.Decoding != Sampled) || s.Line <= 0 {
				t.Fatalf("bad sample %+v", s)
			}
		}
	})
}
