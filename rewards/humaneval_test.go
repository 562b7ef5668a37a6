package rewards

import (
	"acecoder/internal/shareddata"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type humanEvalProblem struct {
	TaskID     string `json:"task_id"`
	Prompt     string `json:"prompt"`
	Solution   string `json:"canonical_solution"`
	Test       string `json:"test"`
	EntryPoint string `json:"entry_point"`
}

func loadHumanEval(t testing.TB) []humanEvalProblem {
	path := filepath.Join(shareddata.Dir(t), "benchmarks", "humaneval", "HumanEval.jsonl.gz")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("HumanEval not available: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []humanEvalProblem
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p humanEvalProblem
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHumanEvalCanonical runs all 164 canonical solutions (each must pass
// every test) and a broken variant of each (body replaced by a wrong
// return; must not pass them all).
func TestHumanEvalCanonical(t *testing.T) {
	problems := loadHumanEval(t)
	if len(problems) != 164 {
		t.Fatalf("got %d HumanEval problems, want 164", len(problems))
	}
	r := newTestRunner(t, RunnerOptions{Timeout: 20 * time.Second})
	var jobs []Job
	for _, p := range problems {
		base := Job{ID: p.TaskID, Prompt: p.Prompt, Test: p.Test, EntryPoint: p.EntryPoint}
		good, bad := base, base
		good.Completion = p.Solution
		bad.ID += "/broken"
		bad.Completion = "    return None\n"
		jobs = append(jobs, good, bad)
	}
	res, err := r.Run(context.Background(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	split := 0
	for i := 0; i < len(res); i += 2 {
		good, bad := res[i], res[i+1]
		if !good.AllPassed {
			t.Errorf("%s canonical: %d/%d passed: %+v", good.ID, good.Passed, good.Total, good.Tests)
		}
		if bad.AllPassed {
			t.Errorf("%s: the broken variant passed all %d tests", bad.ID, bad.Total)
		}
		if good.Total > 1 {
			split++
		}
	}
	t.Logf("%d of %d problems split into per-assert verdicts", split, len(problems))
}
