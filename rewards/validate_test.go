package rewards

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJobValidate(t *testing.T) {
	raw := func(s ...string) []json.RawMessage {
		out := make([]json.RawMessage, len(s))
		for i, x := range s {
			out[i] = json.RawMessage(x)
		}
		return out
	}
	tests := []struct {
		name string
		job  Job
		want []string // substrings of the error; none: valid
	}{
		{name: "asserts", job: Job{ID: "a", Program: "x = 1", Tests: []string{"assert x == 1"}}},
		{name: "humaneval", job: Job{ID: "h", Prompt: "def f():\n", Completion: "    return 1\n", Test: "def check(c): pass", EntryPoint: "f"}},
		{name: "calls", job: Job{ID: "c", Program: "def f(x): return x", EntryPoint: "f", Calls: raw("[1]", " [[2], 3] "), Expected: raw(`["i", "0x1"]`, `["l", []]`), Atol: 1e-6}},
		{name: "outputs", job: Job{ID: "o", Program: "def f(x): return x", EntryPoint: "f", Calls: raw("[1]"), Outputs: true}},
		{name: "io", job: Job{ID: "i", Program: "print(input())", IO: []IOCase{{Input: "1\n", Output: "1\n"}}}},
		{name: "unittest", job: Job{ID: "u", Program: "def f(): return 1", UnitTest: "import unittest"}},
		{name: "empty job", job: Job{ID: "e"}},
		{
			name: "mixed modes", job: Job{ID: "m", Program: "x", Tests: []string{"assert 1"}, IO: []IOCase{{}}},
			want: []string{`job "m"`, "2 modes (tests, io)"},
		},
		{
			name: "mixed humaneval and unittest", job: Job{ID: "m2", Program: "x", Test: "t", EntryPoint: "f", UnitTest: "u"},
			want: []string{`job "m2"`, "test, unittest"},
		},
		{
			name: "calls without entry point or expected",
			job:  Job{ID: "c1", Program: "x", Calls: raw("[1]", "{}", "1")},
			want: []string{`job "c1": calls needs entry_point`, "calls[1]: not a JSON array", "calls[2]", "3 calls but 0 expected"},
		},
		{
			name: "bad expected and atol", job: Job{ID: "c2", Program: "x", EntryPoint: "f", Calls: raw("[1]"), Expected: raw(`1`), Atol: -1},
			want: []string{`job "c2": expected[0]: not a value`, "atol -1"},
		},
		{
			name: "outputs with expected", job: Job{ID: "c3", Program: "x", EntryPoint: "f", Calls: raw("[1]"), Expected: raw(`["n"]`), Outputs: true},
			want: []string{"expected must be empty"},
		},
		{
			name: "entry point not an identifier", job: Job{ID: "c4", Program: "x", EntryPoint: "f(1)", Calls: raw("[1]"), Outputs: true},
			want: []string{`entry_point "f(1)" is not a Python identifier`},
		},
		{
			name: "io without program, with setup", job: Job{ID: "i1", Setup: "x = 1", IO: []IOCase{{}}},
			want: []string{`job "i1": setup is not used`, "io needs a program"},
		},
		{
			name: "unittest with prompt", job: Job{ID: "u1", Prompt: "def f():", UnitTest: "u"},
			want: []string{"unittest jobs take program"},
		},
		{name: "atol outside calls", job: Job{ID: "a1", Program: "x", Tests: []string{"assert 1"}, Atol: 1}, want: []string{"atol is used only with calls"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.job.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the job, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
