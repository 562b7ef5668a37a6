package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/checkpoints"
	"acecoder/rundir"
	"acecoder/trainer"
)

// TestTrainsAndResumes runs three steps of the tiny reward model on the
// generated pairs fixture, then resumes the run for one more step.
func TestTrainsAndResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--config", repoFile(t, "configs/rm-tiny.yaml"), "--quiet", "--out_dir", out,
		"--model-path=", "--model-init_config", repoFile(t, "testdata/rm/tiny-config.json"),
		"--train_data", repoFile(t, "testdata/rm/property-pairs.jsonl"),
		"--max_length", "96", "--train_batch_size", "8", "--micro_train_batch_size", "4",
		"--eval_steps", "2", "--save_steps", "2", "--max_steps", "3"}
	code, _, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "held-out pair accuracy") || !strings.Contains(errs, "reward model saved") {
		t.Errorf("stderr lacks the summaries:\n%s", errs)
	}
	for _, f := range []string{"model/config.json", "model/model.safetensors", "model/tokenizer.json",
		"checkpoints/step-00000002/manifest.json", "checkpoints/step-00000003/manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	code, _, errs = run(t, append(args[:len(args)-1], "4", "--resume", "latest")...)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "resumed from") {
		t.Errorf("resume did not report the checkpoint:\n%s", errs)
	}
	steps, _ := checkpoints.Steps(filepath.Join(out, trainer.RMCheckpointDir))
	if len(steps) != 2 || steps[0] != 4 || steps[1] != 3 { // keep_last: 2 in rm-tiny.yaml
		t.Errorf("checkpoints after resume: %v, want [4 3]", steps)
	}
	recs, err := rundir.ReadMetrics(filepath.Join(out, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]int{}
	for _, r := range recs {
		if _, ok := r["loss/bt"]; ok {
			seen[r["step"]]++
		}
	}
	for step := 1.0; step <= 4; step++ {
		if seen[step] != 1 {
			t.Errorf("step %g logged %d times", step, seen[step])
		}
	}
}
