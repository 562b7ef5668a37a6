package queue

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"acecoder/rewards"
)

// execWorkload makes n deterministic programs with `tests` asserts each and
// the number of asserts each should pass. A third of the programs are off
// by one on even inputs, so about half their tests fail.
func execWorkload(n, tests int, seed uint64) ([]rewards.Job, []int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	jobs, want := make([]rewards.Job, n), make([]int, n)
	for i := range jobs {
		a, b := rng.IntN(40)+2, rng.IntN(90)+1
		buggy := rng.IntN(3) == 0
		bug := ""
		if buggy {
			bug = " + (1 if x % 2 == 0 else 0)"
		}
		var prog string
		var val func(x int) string
		if i%2 == 0 {
			prog = fmt.Sprintf("def f(x):\n    return x * %d + %d%s\n", a, b, bug)
			val = func(x int) string { return fmt.Sprint(x*a + b) }
		} else {
			prog = fmt.Sprintf("def f(x):\n    s = str(x * %d + %d%s)\n    return s[::-1] + '-' + str(len(s))\n", a, b, bug)
			val = func(x int) string {
				s := []rune(fmt.Sprint(x*a + b))
				n := len(s)
				for l, h := 0, n-1; l < h; l, h = l+1, h-1 {
					s[l], s[h] = s[h], s[l]
				}
				return fmt.Sprintf("'%s-%d'", string(s), n)
			}
		}
		ts := make([]string, tests)
		for k := range ts {
			x := k + 1
			ts[k] = fmt.Sprintf("assert f(%d) == %s", x, val(x))
			if !buggy || x%2 != 0 {
				want[i]++
			}
		}
		jobs[i] = rewards.Job{ID: fmt.Sprintf("p%d", i), Program: prog, Tests: ts}
	}
	return jobs, want
}

// pythonOrSkip skips tests that need the sandboxed runner's interpreter.
func pythonOrSkip(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("exec jobs need /usr/bin/python3")
	}
}

// checkExecResults checks every result against the workload's expectation.
func checkExecResults(t testing.TB, jobs []rewards.Job, want []int, got []rewards.Result) {
	t.Helper()
	for i, r := range got {
		if r.ID != jobs[i].ID || r.Total != len(jobs[i].Tests) || r.Passed != want[i] {
			t.Fatalf("job %s: got id %s passed %d/%d (%v), want %d/%d", jobs[i].ID, r.ID, r.Passed, r.Total, r.Tests, want[i], len(jobs[i].Tests))
		}
	}
}

func TestExecQueueMatchesRunner(t *testing.T) {
	pythonOrSkip(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jobs, want := execWorkload(40, 6, 3)
	ropts := rewards.RunnerOptions{Workers: 2, Timeout: 4 * time.Second}
	direct, err := rewards.NewRunner(ctx, ropts)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	dres, err := direct.Run(ctx, jobs)
	if err != nil {
		t.Fatal(err)
	}
	checkExecResults(t, jobs, want, dres)
	x, err := StartExec(ctx, ExecOptions{Runner: ropts, Config: testConfig(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	qres, err := x.Run(ctx, jobs)
	if err != nil {
		t.Fatal(err)
	}
	checkExecResults(t, jobs, want, qres)
	for i := range jobs {
		if fmt.Sprint(dres[i]) != fmt.Sprint(qres[i]) {
			t.Fatalf("job %s: direct %+v, queue %+v", jobs[i].ID, dres[i], qres[i])
		}
	}
	// Stream: every index once, results as the runner's.
	in := make(chan rewards.Job)
	go func() {
		defer close(in)
		for _, j := range jobs {
			in <- j
		}
	}()
	seen := make([]bool, len(jobs))
	for sr := range x.Stream(ctx, in) {
		if sr.Err != nil || seen[sr.Index] || fmt.Sprint(sr.Result) != fmt.Sprint(dres[sr.Index]) {
			t.Fatalf("stream index %d: err %v repeated %v result %+v", sr.Index, sr.Err, seen[sr.Index], sr.Result)
		}
		seen[sr.Index] = true
	}
	if strings.Contains(fmt.Sprint(seen), "false") {
		t.Fatalf("stream missed jobs: %v", seen)
	}
}
