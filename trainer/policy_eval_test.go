package trainer

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"acecoder/backend"
)

// TestPolicyEvalData: with eval_data, train-policy logs the actor's greedy
// pass@1 on those tasks at the start, every eval_steps rollouts and at the
// end. The programs run on fakeRunner (every test of an even-length
// program passes), so the test checks the wiring, not a learning effect.
func TestPolicyEvalData(t *testing.T) {
	cfg := policyRunFixture(t)
	dir := t.TempDir()
	evalData := filepath.Join(dir, "heldout.jsonl")
	var rows []byte
	for i, q := range []string{"Pick a digit.", "Pick one digit.", "Name a digit."} {
		line, _ := json.Marshal(map[string]any{"id": i, "question": q, "test_cases": []string{"assert f() == 1"}})
		rows = append(append(rows, line...), '\n')
	}
	if err := os.WriteFile(evalData, rows, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Reward, cfg.EvalData, cfg.EvalSteps, cfg.MaxSteps = "rule", evalData, 2, 3
	run := newRun(t, filepath.Join(dir, "run"))
	err := TrainPolicy(context.Background(), cfg, run, PolicyRunOptions{Quiet: true, Backend: backend.MustOpenGo(), Runner: fakeRunner{}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(run.Dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		if p, ok := m["eval/pass@1"].(float64); ok {
			if p < 0 || p > 100 {
				t.Errorf("eval/pass@1 = %v", p)
			}
			steps = append(steps, int(m["step"].(float64)))
		}
	}
	if want := []int{0, 2, 3}; len(steps) != len(want) || steps[0] != 0 || steps[1] != 2 || steps[2] != 3 {
		t.Errorf("eval/pass@1 logged at steps %v, want %v", steps, want)
	}
}
