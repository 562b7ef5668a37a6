package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readFixture reads a benchmark file of testdata/ and fails on bad rows.
func readFixture(t *testing.T, name string) []Task {
	t.Helper()
	tasks, skipped, err := ReadBench(filepath.Join("testdata", name))
	if err != nil || len(skipped) > 0 {
		t.Fatalf("%s: %v %v", name, err, skipped)
	}
	return tasks
}

func TestReadEachBenchmarkFormat(t *testing.T) {
	type summary struct {
		ID, Entry, FnName string
		Format            Format
		Base, Plus, Cases int
		Atol              float64
		HasRef, HasTest   bool
	}
	sum := func(task Task) summary {
		return summary{ID: task.ID, Entry: task.EntryPoint, FnName: task.FnName, Format: task.Format, Base: len(task.BaseInputs),
			Plus: len(task.PlusInputs), Cases: len(task.Cases), Atol: task.Atol, HasRef: task.Reference != "", HasTest: task.TestCode != ""}
	}
	tests := []struct {
		name string
		want []summary
	}{
		{"humanevalplus.jsonl", []summary{
			{ID: "HumanEval/0", Entry: "add", Format: EvalPlus, Base: 3, Plus: 3, HasRef: true},
			{ID: "HumanEval/1", Entry: "mean", Format: EvalPlus, Base: 2, Plus: 2, HasRef: true}}},
		{"mbppplus.jsonl", []summary{
			{ID: "Mbpp/2", Entry: "similar_elements", Format: EvalPlus, Base: 3, Plus: 3, HasRef: true},
			{ID: "Mbpp/82", Entry: "volume_sphere", Format: EvalPlus, Base: 3, Plus: 2, Atol: 1e-4, HasRef: true}}},
		{"livecodebench.jsonl", []summary{
			{ID: "abc000_a", Format: StdIO, Cases: 3},
			{ID: "1", Entry: "twoSum", FnName: "twoSum", Format: StdIO, Cases: 3}}},
		{"apps.jsonl", []summary{
			{ID: "4000", Format: StdIO, Cases: 2, HasRef: true},
			{ID: "4001", Entry: "larger", FnName: "larger", Format: StdIO, Cases: 2, HasRef: true}}},
		{"codecontests.jsonl", []summary{{ID: "1_A. Doubling", Format: StdIO, Cases: 3, HasRef: true}}},
		{"bigcodebench.jsonl", []summary{{ID: "BigCodeBench/0", Entry: "task_func", Format: BigCodeBench, HasRef: true, HasTest: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []summary
			for _, task := range readFixture(t, tc.name) {
				got = append(got, sum(task))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
		})
	}
}

// The decoded cases keep their text: LiveCodeBench's packed private cases,
// APPS's call-based arguments one JSON value per line with the return
// value unwrapped, CodeContests' Python 3 reference.
func TestReadCaseContents(t *testing.T) {
	lcb := readFixture(t, "livecodebench.jsonl")
	if diff := cmp.Diff([]IOCase{{"1 2\n", "3\n"}, {"10 20\n", "30\n"}, {"-4 4\n", "0\n"}}, lcb[0].Cases); diff != "" {
		t.Errorf("LiveCodeBench stdin cases (-want +got):\n%s", diff)
	}
	if lcb[1].Cases[1] != (IOCase{"[3, 2, 4]\n6", "[1, 2]"}) || !strings.HasPrefix(lcb[1].Starter, "class Solution:") {
		t.Errorf("LiveCodeBench functional task: %+v", lcb[1])
	}
	apps := readFixture(t, "apps.jsonl")
	if apps[1].Cases[1] != (IOCase{"9\n-1", "9"}) {
		t.Errorf("APPS call-based case: %+v", apps[1].Cases[1])
	}
	cc := readFixture(t, "codecontests.jsonl")
	if cc[0].Reference != "n = int(input())\nprint(2 * n)\n" {
		t.Errorf("CodeContests reference %q", cc[0].Reference)
	}
	bcb := readFixture(t, "bigcodebench.jsonl")
	if !strings.HasSuffix(bcb[0].Reference, "\"\"\"\n\n    return sum(1 for a, b in itertools.combinations(numbers, 2) if a + b == 0)\n") ||
		!strings.HasPrefix(bcb[0].Instruct, "Count the unordered pairs") {
		t.Errorf("BigCodeBench task: %+v", bcb[0])
	}
}

// Rows that name a format but break it are refused with the reason.
func TestReadBadRows(t *testing.T) {
	for _, tc := range []struct{ name, row, want string }{
		{"evalplus without canonical", `{"task_id": "HumanEval/0", "prompt": "p", "entry_point": "f", "base_input": [[1]]}`, "canonical_solution"},
		{"evalplus input not a list", `{"task_id": "X/1", "prompt": "p", "entry_point": "f", "canonical_solution": "c", "base_input": [1]}`, "base_input[0]"},
		{"evalplus bad atol", `{"task_id": "X/1", "prompt": "p", "entry_point": "f", "canonical_solution": "c", "base_input": [[1]], "atol": "x"}`, "atol"},
		{"lcb unknown testtype", `{"question_id": "q", "question_content": "c", "public_test_cases": "[{\"input\": \"1\", \"output\": \"1\", \"testtype\": \"x\"}]"}`, `testtype "x"`},
		{"lcb bad packing", `{"question_id": "q", "question_content": "c", "public_test_cases": "[]", "private_test_cases": "@@@"}`, "private_test_cases"},
		{"lcb bad func_name", `{"question_id": "q", "question_content": "c", "public_test_cases": "[{\"input\": \"1\", \"output\": \"1\", \"testtype\": \"functional\"}]", "metadata": "{\"func_name\": \"a(b)\"}"}`, "not a Python identifier"},
		{"apps lengths", `{"problem_id": 1, "question": "q", "input_output": "{\"inputs\": [\"1\"], \"outputs\": []}"}`, "1 inputs and 0 outputs"},
		{"codecontests no cases", `{"name": "n", "description": "d", "public_tests": {"input": [], "output": []}}`, "no test cases"},
		{"bigcodebench no test", `{"task_id": "BigCodeBench/1", "complete_prompt": "def task_func(): pass"}`, "without test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, skipped, _ := parseBench(strings.NewReader(tc.row), "b.jsonl")
			if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), tc.want) || !strings.HasPrefix(skipped[0].Error(), "b.jsonl:1: ") {
				t.Errorf("skipped = %v, want one naming %q", skipped, tc.want)
			}
		})
	}
}

// Only a pickled str is unpickled; anything else is refused.
func TestUnpickleString(t *testing.T) {
	good := []byte("\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00\x8c\x03abc\x94.")
	if s, err := unpickleString(good); err != nil || string(s) != "abc" {
		t.Errorf("unpickleString = %q, %v", s, err)
	}
	for _, bad := range []string{"", ".", "\x80\x04\x8c\x03abc", "\x80\x04\x8c\x09abc\x94.", "\x80\x04cos\nsystem\n.", "\x80\x04\x8c\x01a\x8c\x01b."} {
		if _, err := unpickleString([]byte(bad)); err == nil {
			t.Errorf("unpickleString(%q): want an error", bad)
		}
	}
}

// fixtureLines are the rows of testdata files, as fuzz seeds.
func fixtureLines(f *testing.F, names ...string) {
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) > 0 {
				f.Add(line)
			}
		}
	}
}

// fuzzRow checks what any row gives: an error, or a task of a known format
// with the fields its jobs need.
func fuzzRow(t *testing.T, data []byte) {
	task, err := parseRow(data)
	if err != nil {
		return
	}
	if task.ID == "" || task.Format == "" {
		t.Fatalf("task without id or format: %+v", task)
	}
	switch task.Format {
	case EvalPlus:
		if len(task.BaseInputs) == 0 || task.EntryPoint == "" || task.Atol < 0 {
			t.Fatalf("evalplus task %+v", task)
		}
		for _, in := range append(task.BaseInputs, task.PlusInputs...) {
			var args []json.RawMessage
			if json.Unmarshal(in, &args) != nil {
				t.Fatalf("argument list %s is not a JSON array", in)
			}
		}
	case StdIO:
		if len(task.Cases) == 0 || (task.FnName != "" && !isIdentifier(task.FnName)) {
			t.Fatalf("stdio task %+v", task)
		}
	case BigCodeBench:
		if task.TestCode == "" || task.EntryPoint == "" {
			t.Fatalf("BigCodeBench task %+v", task)
		}
	}
}

func FuzzReadEvalPlus(f *testing.F) {
	fixtureLines(f, "humanevalplus.jsonl", "mbppplus.jsonl")
	f.Fuzz(fuzzRow)
}

func FuzzReadStdIO(f *testing.F) {
	fixtureLines(f, "livecodebench.jsonl", "apps.jsonl", "codecontests.jsonl")
	f.Fuzz(fuzzRow)
}

func FuzzReadBigCodeBench(f *testing.F) {
	fixtureLines(f, "bigcodebench.jsonl")
	f.Fuzz(fuzzRow)
}

func FuzzUnpickleString(f *testing.F) {
	f.Add([]byte("\x80\x04\x95\x07\x00\x00\x00\x00\x00\x00\x00\x8c\x03abc\x94."))
	f.Add([]byte("\x80\x02X\x02\x00\x00\x00hi."))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := unpickleString(data)
		if err == nil && !bytes.Contains(data, s) {
			t.Fatalf("unpickled %q is not in the input", s)
		}
	})
}
