package rewards

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newTestRunner starts a runner for a test and closes it at cleanup.
func newTestRunner(t testing.TB, opts RunnerOptions) *Runner {
	t.Helper()
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	r, err := NewRunner(context.Background(), opts)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func statuses(res Result) []Status {
	out := make([]Status, len(res.Tests))
	for i, v := range res.Tests {
		out[i] = v.Status
	}
	return out
}

func TestRunnerVerdicts(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	tests := []struct {
		name    string
		job     Job
		want    []Verdict
		passed  int
		allPass bool
	}{
		{
			name: "mixed",
			job: Job{Program: "def add(a, b):\n    return a + b\n", Tests: []string{
				"assert add(1, 2) == 3", "assert add(1, 2) == 4", "assert 'ab' == add('a', 'b')",
				"assert add(1, 2) != 4", "assert add(1) == 1", "assert add(2, 2) > 10", "assert add(1,",
			}},
			want: []Verdict{
				{Status: StatusPass}, {Status: StatusFail, Reason: "got 3, want 4"}, {Status: StatusPass},
				{Status: StatusPass, Inside: true},
				{Status: StatusError, Reason: "TypeError: add() missing 1 required positional argument: 'b'"},
				{Status: StatusFail, Reason: "AssertionError", Inside: true},
				{Status: StatusError, Reason: "test does not parse: '(' was never closed", Inside: true},
			},
			passed: 3,
		},
		{
			name:   "setup runs after the program",
			job:    Job{Program: "def f():\n    return K\n", Setup: "K = [1, (2, 3)]", Tests: []string{"assert f() == [1, (2, 3)]", "assert f() == [1, [2, 3]]"}},
			want:   []Verdict{{Status: StatusPass}, {Status: StatusFail, Reason: "got [1, (2, 3)], want [1, [2, 3]]"}},
			passed: 1,
		},
		{
			name:    "load error fails every test",
			job:     Job{Program: "def f(:\n", Tests: []string{"assert f() == 1", "assert f() == 2"}},
			want:    []Verdict{{Status: StatusError, Reason: "program: SyntaxError: invalid syntax (<program>, line 1)"}, {Status: StatusError, Reason: "program: SyntaxError: invalid syntax (<program>, line 1)"}},
			passed:  0,
			allPass: false,
		},
		{
			name: "humaneval with a loop runs check whole",
			job: Job{Prompt: "def f(x):\n", Completion: "    return x\n", EntryPoint: "f",
				Test: "def check(candidate):\n    for i in range(3):\n        assert candidate(i) == i\n"},
			want:    []Verdict{{Status: StatusPass, Inside: true}},
			passed:  1,
			allPass: true,
		},
		{
			name:    "no tests",
			job:     Job{Program: "x = 1\n"},
			want:    []Verdict{},
			allPass: false,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Do(context.Background(), tc.job)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Tests); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			if res.Passed != tc.passed || res.AllPassed != tc.allPass || res.Total != len(tc.want) {
				t.Errorf("passed %d total %d all %v; want %d %d %v", res.Passed, res.Total, res.AllPassed, tc.passed, len(tc.want), tc.allPass)
			}
		})
	}
}

func TestProgramBudgetSkips(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Workers: 1, Timeout: 300 * time.Millisecond, ProgramTimeout: 500 * time.Millisecond})
	res, err := r.Do(context.Background(), Job{
		Program: "import time\ndef f():\n    time.sleep(10)\n",
		Tests:   []string{"assert f() == 1", "assert f() == 1", "assert f() == 1", "assert f() == 1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(res)
	if got[0] != StatusTimeout || got[len(got)-1] != StatusSkipped {
		t.Errorf("statuses %v: want timeouts then skipped", got)
	}
}

func TestStreamAndRun(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{})
	jobs := BenchWorkload(40, 3, 3)
	want, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	in := make(chan Job)
	go func() {
		for _, j := range jobs {
			in <- j
		}
		close(in)
	}()
	seen := 0
	for sr := range r.Stream(context.Background(), in) {
		if sr.Err != nil {
			t.Fatal(sr.Err)
		}
		if diff := cmp.Diff(want[sr.Index], sr.Result); diff != "" {
			t.Errorf("job %d: stream differs from run:\n%s", sr.Index, diff)
		}
		seen++
	}
	if seen != len(jobs) {
		t.Errorf("stream gave %d results for %d jobs", seen, len(jobs))
	}
}

// TestWorkerRestart: a worker killed from outside, and one that stops
// answering, are replaced; the pool keeps working.
func TestWorkerRestart(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Workers: 1, Timeout: 200 * time.Millisecond})
	job := Job{Program: "def f():\n    return 1\n", Tests: []string{"assert f() == 1"}}
	ctx := context.Background()

	syscall.Kill(r.slots[0].p.cmd.Process.Pid, syscall.SIGKILL)
	res, err := r.Do(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tests[0].Status != StatusCrash || !strings.Contains(res.Tests[0].Reason, "worker died") {
		t.Errorf("job on a killed worker: %+v", res.Tests)
	}

	if res, err = r.Do(ctx, job); err != nil || !res.AllPassed {
		t.Fatalf("after restart: %+v, %v", res, err)
	}
	syscall.Kill(r.slots[0].p.cmd.Process.Pid, syscall.SIGSTOP)
	if res, err = r.Do(ctx, job); err != nil {
		t.Fatal(err)
	}
	if res.Tests[0].Status != StatusTimeout || !strings.Contains(res.Tests[0].Reason, "did not answer") {
		t.Errorf("job on a stopped worker: %+v", res.Tests)
	}
	if res, err = r.Do(ctx, job); err != nil || !res.AllPassed {
		t.Fatalf("after restart: %+v, %v", res, err)
	}
}

func TestRuleReward(t *testing.T) {
	mk := func(s ...Status) Result {
		r := Result{}
		for _, x := range s {
			r.Tests = append(r.Tests, Verdict{Status: x})
		}
		r.summarise()
		return r
	}
	tests := []struct {
		name   string
		res    Result
		kind   RewardKind
		reward float64
	}{
		{"all pass rate", mk(StatusPass, StatusPass), RewardPassRate, 1},
		{"half pass rate", mk(StatusPass, StatusTimeout), RewardPassRate, 0.5},
		{"half binary", mk(StatusPass, StatusFail), RewardBinary, 0},
		{"all binary", mk(StatusPass), RewardBinary, 1},
		{"no tests", mk(), RewardPassRate, 0},
		{"no tests binary", mk(), RewardBinary, 0},
		{"skipped counts as not passed", mk(StatusPass, StatusSkipped, StatusCrash, StatusError), RewardPassRate, 0.25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleReward(tc.res, tc.kind); got != tc.reward {
				t.Errorf("RuleReward = %v, want %v", got, tc.reward)
			}
		})
	}
	for _, s := range []string{"", "pass_rate", "binary"} {
		if _, err := ParseRewardKind(s); err != nil {
			t.Errorf("ParseRewardKind(%q): %v", s, err)
		}
	}
	if _, err := ParseRewardKind("max"); err == nil {
		t.Error("ParseRewardKind(max): no error")
	}
}

// TestJobIDs: a job's id may be a JSON string or number.
func TestJobIDs(t *testing.T) {
	tests := []struct {
		name, in, want string
		bad            bool
	}{
		{name: "string", in: `{"id": "oss_0", "program": "x = 1", "tests": ["assert x == 1"]}`, want: "oss_0"},
		{name: "number", in: `{"id": 11, "program": "x = 1"}`, want: "11"},
		{name: "none", in: `{"program": "x = 1"}`, want: ""},
		{name: "object", in: `{"id": {"a": 1}}`, bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var j Job
			err := json.Unmarshal([]byte(tc.in), &j)
			if (err != nil) != tc.bad {
				t.Fatalf("err = %v", err)
			}
			if !tc.bad && (j.ID != tc.want || j.Program != "x = 1") {
				t.Errorf("got %+v, want id %q", j, tc.want)
			}
		})
	}
}

// TestProgramWithInvalidUTF8: a sampled program may hold bytes that are
// not UTF-8; they reach Python as U+FFFD (as through JSON) and the program
// gets verdicts, not a failed job.
func TestProgramWithInvalidUTF8(t *testing.T) {
	r := newTestRunner(t, RunnerOptions{Workers: 1})
	ctx := context.Background()
	res, err := r.Do(ctx, Job{Program: "s = '\xc2\xff\xf1'\ndef f():\n    return len(s)\n", Tests: []string{"assert f() == 3"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.AllPassed {
		t.Errorf("verdicts %+v, want the three bytes read as three U+FFFD", res.Tests)
	}
	res, err = r.Do(ctx, Job{Program: "def f():\n    return 1\n\x8c\n", Tests: []string{"assert f() == 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tests[0].Status != StatusError || !strings.Contains(res.Tests[0].Reason, "SyntaxError") {
		t.Errorf("verdict %+v, want a SyntaxError for a stray byte", res.Tests[0])
	}
}
