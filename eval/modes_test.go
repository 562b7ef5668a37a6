package eval

import (
	"context"
	"strings"
	"testing"
	"time"

	"acecoder/rewards"
)

// sandbox starts a runner for the test, or skips without one.
func sandbox(t *testing.T) *rewards.Runner {
	t.Helper()
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2})
	if err != nil {
		t.Skipf("sandboxed runner unavailable: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// grade prepares the tasks and checks one program per task.
func grade(t *testing.T, r *rewards.Runner, tasks []Task, programs []string) []Completion {
	t.Helper()
	if err := Prepare(context.Background(), r, tasks); err != nil {
		t.Fatal(err)
	}
	comps := make([][]Completion, len(tasks))
	for i, p := range programs {
		comps[i] = []Completion{{Program: p}}
	}
	ev := &Evaluator{Exec: r, Timeout: 3 * time.Second}
	if err := ev.Check(context.Background(), tasks, comps); err != nil {
		t.Fatal(err)
	}
	out := make([]Completion, len(tasks))
	for i := range comps {
		out[i] = comps[i][0]
	}
	return out
}

// Every reference program of the testdata rows passes its tests, in each
// test style: evalplus's base and plus calls, stdin/stdout cases,
// functional calls, unittest modules.
func TestReferencesPassEachTestStyle(t *testing.T) {
	r := sandbox(t)
	for _, file := range []string{"humanevalplus.jsonl", "mbppplus.jsonl", "apps.jsonl", "codecontests.jsonl", "bigcodebench.jsonl"} {
		t.Run(file, func(t *testing.T) {
			tasks := readFixture(t, file)
			var progs []string
			for _, task := range tasks {
				progs = append(progs, task.Reference)
			}
			for i, c := range grade(t, r, tasks, progs) {
				if !c.Passed || !c.PlusPassed || c.Status != StatusPass {
					t.Errorf("%s: reference: %s %+v", tasks[i].ID, c.Status, c.Result.Tests)
				}
			}
		})
	}
	t.Run("livecodebench.jsonl", func(t *testing.T) {
		tasks := readFixture(t, "livecodebench.jsonl")
		progs := []string{"a, b = map(int, input().split())\nprint(a + b)\n",
			"from typing import List\n\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n" +
				"        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n"}
		for i, c := range grade(t, r, tasks, progs) {
			if !c.Passed {
				t.Errorf("%s: %s %+v", tasks[i].ID, c.Status, c.Result.Tests)
			}
		}
	})
}

// Programs that try to pass without solving pass nothing: one per claim.
func TestAdversarialProgramsPassNothing(t *testing.T) {
	r := sandbox(t)
	he := Task{ID: "HumanEval/90", Format: HumanEval, EntryPoint: "inc", Prompt: "def inc(x):\n",
		Check: "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 6\n"}
	heOpaque := he
	heOpaque.ID, heOpaque.Check = "HumanEval/91", "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == x + 1\n"
	plus := readFixture(t, "humanevalplus.jsonl")[0] // add(a, b)
	stdin := readFixture(t, "codecontests.jsonl")[0] // print 2n; public case 3 -> 6
	lcb := readFixture(t, "livecodebench.jsonl")[1]  // twoSum, functional
	bcb := readFixture(t, "bigcodebench.jsonl")[0]   // task_func, unittest
	alwaysEqual := "class _Eq:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\n"
	tests := []struct {
		name string
		task Task
		prog string
	}{
		{"HumanEval: check redefined by the program", heOpaque, "def inc(x):\n    return 0\n\ndef check(candidate):\n    return True\n"},
		{"HumanEval: builtins patched so assert cannot fail", heOpaque,
			"import builtins\nbuiltins.AssertionError = type('E', (Exception,), {})\ndef inc(x):\n    return 0\n"},
		{"HumanEval: a result equal to everything", heOpaque, alwaysEqual + "def inc(x):\n    return _Eq()\n"},
		{"HumanEval: exit before the tests", heOpaque, "import os\nos._exit(0)\ndef inc(x):\n    return 0\n"},
		{"HumanEval: check replaced through the caller's frame", heOpaque,
			"import sys\ndef inc(x):\n    f = sys._getframe(1)\n    f.f_globals['check'] = lambda c: None\n    return 0\n"},
		{"evalplus: base outputs hard-coded", plus, "def add(a, b):\n    return {(1, 2): 3, (0, 0): 0, (7, -3): 4}.get((a, b), 0)\n"},
		{"evalplus: a result equal to everything", plus, alwaysEqual + "def add(a, b):\n    return _Eq()\n"},
		{"stdin/stdout: prints the example's output", stdin, "print(6)\n"},
		{"stdin/stdout: looks for the expected output", stdin,
			"import os, sys\nfor p in ['.', '/tmp', '/proc/self/fd']:\n    try:\n        for n in os.listdir(p):\n            try:\n                sys.stdout.write(open(os.path.join(p, n)).read())\n            except Exception:\n                pass\n    except Exception:\n        pass\n"},
		{"stdin/stdout: exits 0 without output", stdin, "import os\nos._exit(0)\n"},
		{"functional: a result equal to everything", lcb, alwaysEqual + "class Solution:\n    def twoSum(self, nums, target):\n        return _Eq()\n"},
		{"unittest: os._exit(0) in the program", bcb, "import os\nos._exit(0)\ndef task_func(numbers):\n    return 0\n"},
		{"unittest: os._exit(0) when called", bcb, "import os\ndef task_func(numbers):\n    os._exit(0)\n"},
		{"unittest: assertEqual patched", bcb, "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\ndef task_func(numbers):\n    return -1\n"},
		{"unittest: TestCase run patched to succeed", bcb,
			"import unittest\nunittest.TestCase.run = lambda self, result=None: result\nunittest.TestCase.__call__ = lambda self, *a, **k: None\ndef task_func(numbers):\n    return -1\n"},
	}
	tasks := make([]Task, len(tests))
	progs := make([]string, len(tests))
	for i, tc := range tests {
		tasks[i], progs[i] = tc.task, tc.prog
	}
	for i, c := range grade(t, r, tasks, progs) {
		tc := tests[i]
		if c.Status == StatusPass || c.PlusPassed || (c.Passed && !strings.Contains(tc.name, "hard-coded")) {
			t.Errorf("%s: passed=%v plus=%v %s: %+v", tc.name, c.Passed, c.PlusPassed, c.Status, c.Result.Tests)
		}
		if strings.Contains(tc.name, "hard-coded") && !c.Passed {
			t.Errorf("%s: the base calls are the hard-coded ones and should pass: %+v", tc.name, c.Result.Tests)
		}
	}
}
