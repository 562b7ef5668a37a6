package rewards_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"acecoder/internal/shareddata"
	"acecoder/rewards"
	"acecoder/rewards/benchexec"
)

// freshVerdict runs one MBPP test the plain way: program, setup and the
// assert in a fresh python3, and reads the outcome from how it ended.
const freshVerdict = `import sys
src = sys.stdin.read().split("\0")
g = {"__name__": "__main__"}
try:
    exec(src[0] + "\n" + src[1], g)
    exec(src[2], g)
    print("pass")
except AssertionError:
    print("fail")
except BaseException:
    print("error")
`

func freshPython(ctx context.Context, python, program, setup, test string) (rewards.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-I", "-c", freshVerdict)
	cmd.Stdin = strings.NewReader(program + "\x00" + setup + "\x00" + test)
	cmd.Dir = "/"
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return rewards.StatusTimeout, nil
	}
	lines := strings.Fields(string(out))
	if err != nil || len(lines) == 0 {
		return "", fmt.Errorf("python: %v (%q)", err, out)
	}
	return rewards.Status(lines[len(lines)-1]), nil
}

// TestMBPPVerdictsMatchFreshPython runs every MBPP reference solution
// against its test_list in the sandbox and each (solution, test) pair in a
// fresh python3, and requires the same verdict (pass, fail or error) for
// all 2,922 tests. Programs print to stdout in both; only the verdict
// counts.
func TestMBPPVerdictsMatchFreshPython(t *testing.T) {
	if testing.Short() {
		t.Skip("2,922 fresh interpreters: skipped with -short")
	}
	rows, err := benchexec.ReadMBPPRows(shareddata.Path(t, "benchmarks", "mbpp", "mbpp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		t.Skip("no /usr/bin/python3")
	}
	// Generous limits: task 123 takes seconds alone and much longer beside
	// a full test run; this test compares verdicts, not speed.
	r, err := rewards.NewRunner(context.Background(), rewards.RunnerOptions{Workers: 2, Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	jobs := make([]rewards.Job, len(rows))
	for i, row := range rows {
		jobs[i] = rewards.Job{ID: fmt.Sprint(row.TaskID), Program: row.Code, Setup: row.Setup, Tests: row.Tests}
	}
	ctx := context.Background()
	got, err := r.Run(ctx, jobs)
	if err != nil {
		t.Fatal(err)
	}
	want := make([][]rewards.Status, len(rows))
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, row := range rows {
		want[i] = make([]rewards.Status, len(row.Tests))
		for k, test := range row.Tests {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				s, err := freshPython(ctx, python, row.Code, row.Setup, test)
				mu.Lock()
				defer mu.Unlock()
				want[i][k] = s
				if err != nil {
					errs = append(errs, fmt.Errorf("task %d test %d: %w", row.TaskID, k, err))
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	tests, passed, differ := 0, 0, 0
	for i, row := range rows {
		for k, w := range want[i] {
			tests++
			v := got[i].Tests[k]
			if v.Status == rewards.StatusPass {
				passed++
			}
			if v.Status != w {
				differ++
				t.Errorf("task %d, %s: sandbox %s (%s), fresh python3 %s", row.TaskID, row.Tests[k], v.Status, v.Reason, w)
			}
		}
	}
	if tests != 2922 {
		t.Errorf("%d tests, want MBPP's 2,922", tests)
	}
	t.Logf("%d MBPP tests, %d pass, %d verdicts differ from fresh python3", tests, passed, differ)
}

var importLine = regexp.MustCompile(`(?m)^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)`)

// importedModules returns the top-level modules a source file imports.
func importedModules(src string) map[string]bool {
	mods := map[string]bool{}
	for _, m := range importLine.FindAllStringSubmatch(src, -1) {
		names := strings.Split(m[1], ",")
		if m[1] == "" {
			names = []string{m[2]}
		}
		for _, n := range names {
			n = strings.Fields(strings.TrimSpace(n))[0]
			mods[strings.SplitN(n, ".", 2)[0]] = true
		}
	}
	return mods
}

// TestPreloadCoversCorpora counts the modules HumanEval's prompts,
// solutions and test modules and MBPP's reference solutions import, and
// checks that every
// standard-library module imported by two or more programs of either
// corpus is in DefaultPreload.
func TestPreloadCoversCorpora(t *testing.T) {
	rows, err := benchexec.ReadMBPPRows(shareddata.Path(t, "benchmarks", "mbpp", "mbpp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	he, err := benchexec.ReadHumanEval(shareddata.Path(t, "benchmarks", "humaneval", "HumanEval.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	preloaded := map[string]bool{"sys": true, "os": true} // the worker's own imports
	for _, m := range rewards.DefaultPreload {
		preloaded[m] = true
	}
	count := func(name string, sources []string) {
		counts := map[string]int{}
		for _, src := range sources {
			for m := range importedModules(src) {
				counts[m]++
			}
		}
		mods := make([]string, 0, len(counts))
		for m := range counts {
			mods = append(mods, m)
		}
		sort.Slice(mods, func(i, j int) bool { return counts[mods[i]] > counts[mods[j]] })
		var parts []string
		for _, m := range mods {
			parts = append(parts, fmt.Sprintf("%s %d", m, counts[m]))
			if counts[m] >= 2 && !preloaded[m] {
				t.Errorf("%s: %s is imported by %d programs but not preloaded", name, m, counts[m])
			}
		}
		t.Logf("%s (%d programs): %s", name, len(sources), strings.Join(parts, ", "))
	}
	var mbpp, human []string
	for _, r := range rows {
		mbpp = append(mbpp, r.Code+"\n"+r.Setup)
	}
	for _, j := range he {
		human = append(human, j.Prompt+j.Completion+"\n"+j.Test) // the test module runs in the sandbox too
	}
	count("MBPP", mbpp)
	count("HumanEval", human)
}
