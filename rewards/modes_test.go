package rewards

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func rawCalls(s ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(s))
	for i, x := range s {
		out[i] = json.RawMessage(x)
	}
	return out
}

// canonicalOutputs runs the reference program on the calls and returns
// the expected values, failing the test if any call has none.
func canonicalOutputs(t *testing.T, r *Runner, program, entry string, calls []json.RawMessage) []json.RawMessage {
	t.Helper()
	outs, err := r.Outputs(context.Background(), Job{ID: "canonical", Program: program, EntryPoint: entry, Calls: calls})
	if err != nil {
		t.Fatal(err)
	}
	exp := make([]json.RawMessage, len(outs))
	for i, o := range outs {
		if o.Status != StatusPass {
			t.Fatalf("canonical call %d: %s (%s)", i, o.Status, o.Reason)
		}
		exp[i] = o.Value
	}
	return exp
}

// TestValueCases: outputs of the canonical solution, then candidates
// judged against them, a verdict per call.
func TestValueCases(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	canonical := "import math\ndef f(xs, k):\n    if k < 0:\n        raise ValueError('k')\n" +
		"    return (sorted(xs)[:k], math.sqrt(k), {'n': len(xs)})\n"
	calls := rawCalls(`[[3, 1, 2], 2]`, `[[], 0]`, `[[5, 5], 1]`)
	exp := canonicalOutputs(t, r, canonical, "f", calls)
	if got := string(exp[0]); !strings.HasPrefix(got, `["t", [["l", [["i", "0x1"], ["i", "0x2"]]], ["f", "0x1.6a09e667f3bcdp+0"]`) {
		t.Errorf("canonical output 0 = %s", got)
	}
	tests := []struct {
		name    string
		program string
		want    []Status
		reason  string // of the first non-pass verdict
	}{
		{name: "canonical", program: canonical, want: []Status{StatusPass, StatusPass, StatusPass}},
		{
			// EvalPlus's tolerance covers floats and flat sequences of floats only.
			name:    "float inside a mixed tuple is exact",
			program: "def f(xs, k):\n    return (sorted(xs)[:k], k ** 0.5 + 1e-9, {'n': len(xs)})\n",
			want:    []Status{StatusFail, StatusFail, StatusFail}, reason: "got ([1, 2], 1.4142135633730952",
		},
		{
			name:    "list instead of tuple",
			program: "def f(xs, k):\n    return [sorted(xs)[:k], k ** 0.5, {'n': len(xs)}]\n",
			want:    []Status{StatusFail, StatusFail, StatusFail}, reason: "got [[1, 2]",
		},
		{
			name:    "one wrong call",
			program: "def f(xs, k):\n    return (sorted(xs)[:k] if xs != [5, 5] else [], k ** 0.5, {'n': len(xs)})\n",
			want:    []Status{StatusPass, StatusPass, StatusFail}, reason: "want ([5], 1.0",
		},
		{
			name:    "raises",
			program: "def f(xs, k):\n    raise KeyError(k)\n",
			want:    []Status{StatusError, StatusError, StatusError}, reason: "KeyError: 2",
		},
		{
			name:    "entry point missing",
			program: "def g(xs, k):\n    return 1\n",
			want:    []Status{StatusError, StatusError, StatusError}, reason: "does not define f",
		},
		{
			name:    "load error",
			program: "def f(:\n",
			want:    []Status{StatusError, StatusError, StatusError}, reason: "program: SyntaxError",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Do(context.Background(), Job{ID: tc.name, Program: tc.program, EntryPoint: "f", Calls: calls, Expected: exp})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, statuses(res)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s%+v", diff, res.Tests)
			}
			for _, v := range res.Tests {
				if v.Inside {
					t.Errorf("value case judged inside: %+v", v)
				}
				if v.Status != StatusPass {
					if !strings.Contains(v.Reason, tc.reason) {
						t.Errorf("reason %q, want it to contain %q", v.Reason, tc.reason)
					}
					break
				}
			}
		})
	}
}

// TestOutputsRecordsFailures: Outputs says which calls have no value.
func TestOutputsRecordsFailures(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	outs, err := r.Outputs(context.Background(), Job{ID: "o", Prompt: "def f(x):\n", Completion: "    return [x] if x else object()\n",
		EntryPoint: "f", Calls: rawCalls(`[1]`, `[0]`, `["a"]`), Expected: rawCalls(`["n"]`)})
	if err != nil {
		t.Fatal(err)
	}
	want := []CallOutput{
		{Status: StatusPass, Value: json.RawMessage(`["l", [["i", "0x1"]]]`)},
		{Status: StatusFail, Reason: "returned a object, not a built-in value"},
		{Status: StatusPass, Value: json.RawMessage(`["l", [["s", "a"]]]`)},
	}
	if diff := cmp.Diff(want, outs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if _, err := r.Outputs(context.Background(), Job{ID: "bad", Program: "x", EntryPoint: "f", Calls: rawCalls(`{}`)}); err == nil ||
		!strings.Contains(err.Error(), `job "bad": calls[0]`) {
		t.Errorf("bad call: %v", err)
	}
}

// TestIOCases: stdin/stdout cases, a verdict per case.
func TestIOCases(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	cases := []IOCase{{Input: "2\n1 2\n", Output: "3\n"}, {Input: "3\n5 5 5\n", Output: "15\n"}, {Input: "1\n-4\n", Output: "-4"}}
	tests := []struct {
		name    string
		program string
		want    []Status
		reason  string
	}{
		{name: "reads and sums", program: "n = int(input())\nprint(sum(map(int, input().split()[:n])))\n", want: []Status{StatusPass, StatusPass, StatusPass}},
		{name: "sys.stdin and main guard", program: "import sys\ndef main():\n    data = sys.stdin.read().split()\n    sys.stdout.write('%d  \\n\\n' % sum(map(int, data[1:])))\nif __name__ == '__main__':\n    main()\n",
			want: []Status{StatusPass, StatusPass, StatusPass}},
		{name: "os.write on fd 1", program: "import os, sys\nv = sum(map(int, sys.stdin.read().split()[1:]))\nos.write(1, b'%d\\n' % v)\n", want: []Status{StatusPass, StatusPass, StatusPass}},
		{name: "wrong answer", program: "input()\nprint(max(map(int, input().split())))\n", want: []Status{StatusFail, StatusFail, StatusPass}, reason: `line 1: got "2", want "3"`},
		{name: "sys.exit(0) after the answer", program: "import sys\ninput()\nprint(sum(map(int, input().split())))\nsys.exit(0)\n", want: []Status{StatusPass, StatusPass, StatusPass}},
		{name: "sys.exit(1) is an error", program: "import sys\ninput()\nprint(sum(map(int, input().split())))\nsys.exit(1)\n", want: []Status{StatusError, StatusError, StatusError}, reason: "SystemExit: 1"},
		{name: "exception", program: "input()\ninput()\ninput()\n", want: []Status{StatusError, StatusError, StatusError}, reason: "EOFError"},
		{name: "syntax error", program: "print(\n", want: []Status{StatusError, StatusError, StatusError}, reason: "program: SyntaxError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Do(context.Background(), Job{ID: tc.name, Program: tc.program, IO: cases})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, statuses(res)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s%+v", diff, res.Tests)
			}
			for _, v := range res.Tests {
				if v.Status != StatusPass {
					if !strings.Contains(v.Reason, tc.reason) {
						t.Errorf("reason %q, want it to contain %q", v.Reason, tc.reason)
					}
					break
				}
			}
		})
	}
}

// TestUnitTestCases: a verdict per test method, named Class.method.
func TestUnitTestCases(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	module := `import unittest
from unittest.mock import patch
import os

class Base(unittest.TestCase):
    def test_shared(self):
        self.assertEqual(task_func(1), 2)

class TestCases(Base):
    @classmethod
    def setUpClass(cls):
        cls.k = 10
    def setUp(self):
        self.x = 3
    def test_b_setup(self):
        self.assertEqual(task_func(self.x), 4)
        self.assertEqual(self.k, 10)
    def test_a_fail(self):
        self.assertEqual(task_func(1), 5)
    def test_error(self):
        {}['missing']
    @unittest.skip("not today")
    def test_skipped(self):
        pass
    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertEqual(task_func(i), i + 1)
    @patch('os.listdir', return_value=['a'])
    def test_mock(self, m):
        self.assertEqual(listing(), ['a'])
    @unittest.expectedFailure
    def test_expected_failure(self):
        self.assertEqual(task_func(0), 0)
    def helper(self):
        raise AssertionError('not a test')

class NotATest:
    def test_x(self):
        pass

@unittest.skip("whole class")
class Skipped(unittest.TestCase):
    def test_y(self):
        pass
`
	res, err := r.Do(context.Background(), Job{ID: "u", Program: "import os\ndef task_func(x):\n    return x + 1\ndef listing():\n    return os.listdir('/')\n", UnitTest: module})
	if err != nil {
		t.Fatal(err)
	}
	want := []Verdict{
		{Name: "Base.test_shared", Status: StatusPass},
		{Name: "TestCases.test_a_fail", Status: StatusFail, Reason: "AssertionError: 2 != 5"},
		{Name: "TestCases.test_b_setup", Status: StatusPass},
		{Name: "TestCases.test_error", Status: StatusError, Reason: "KeyError: 'missing'"},
		{Name: "TestCases.test_expected_failure", Status: StatusPass},
		{Name: "TestCases.test_mock", Status: StatusPass},
		{Name: "TestCases.test_shared", Status: StatusPass},
		{Name: "TestCases.test_skipped", Status: StatusSkipped, Reason: "test skipped: SkipTest: not today"},
		{Name: "TestCases.test_subtests", Status: StatusPass},
		{Name: "Skipped.test_y", Status: StatusSkipped, Reason: "test skipped: class skipped: whole class"},
	}
	for i := range want {
		want[i].Inside = true
	}
	if diff := cmp.Diff(want, res.Tests); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}

	res, err = r.Do(context.Background(), Job{ID: "bad", Program: "x = 1", UnitTest: "class T(unittest.TestCase:\n"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tests) != 1 || res.Tests[0].Status != StatusError || !strings.Contains(res.Tests[0].Reason, "does not parse") {
		t.Errorf("unparsable module: %+v", res.Tests)
	}
}
