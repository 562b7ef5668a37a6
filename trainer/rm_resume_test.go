package trainer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"acecoder/backend"
	"acecoder/checkpoints"
	"acecoder/configs"
	"acecoder/rundir"
)

func resumeConfig(t *testing.T, dir string) configs.RM {
	cfg := tinyRMConfig(t, dir, propertyPairs(80, 5)) // 64 training pairs: 4 steps per epoch
	cfg.MaxEpochs = 2
	cfg.HeadDropout = 0.1
	cfg.Optim.WeightDecay = 0.01
	cfg.Margin = 0.1
	cfg.EvalSteps, cfg.SaveSteps = 2, 4
	return cfg
}

func trainRM(t *testing.T, ctx context.Context, cfg configs.RM, dir string, onStep func(int, map[string]float64)) error {
	t.Helper()
	r, err := rundir.Create(rundir.Options{Dir: dir, Name: "rm-test", Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return TrainRM(ctx, cfg, r, RMRunOptions{Quiet: true, Backend: backend.MustOpenGo(), OnStep: onStep})
}

// metricsWithoutTiming reads metrics.jsonl without the wall-clock fields.
func metricsWithoutTiming(t *testing.T, dir string) []map[string]float64 {
	t.Helper()
	recs, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		delete(r, "perf/tokens_per_s")
	}
	return recs
}

// TestResumeMatchesUninterrupted interrupts a run after 2 steps (mid-epoch,
// between checkpoints, as the evaluation due at step 2 starts), resumes it
// to 8 steps (across the epoch boundary)
// and compares weights, optimizer state and metrics with an uninterrupted
// 8-step run, byte for byte. Gradient accumulation, head dropout, weight
// decay and a margin are all on.
func TestResumeMatchesUninterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains 16 steps")
	}
	base := t.TempDir()
	cfg := resumeConfig(t, base)
	full, cut := filepath.Join(base, "full"), filepath.Join(base, "cut")
	if err := trainRM(t, context.Background(), cfg, full, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := trainRM(t, ctx, cfg, cut, func(step int, _ map[string]float64) {
		if step == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if steps, _ := checkpoints.Steps(filepath.Join(cut, RMCheckpointDir)); len(steps) == 0 || steps[0] != 2 {
		t.Fatalf("interrupted run left checkpoints %v, want the newest at step 2", steps)
	}
	cfg.Resume = checkpoints.ResumeLatest
	if err := trainRM(t, context.Background(), cfg, cut, nil); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(RMCheckpointDir, checkpoints.StepDirName(8))
	for _, f := range []string{filepath.Join(last, RMWeightsFile), filepath.Join(last, RMOptimizerFile), filepath.Join(last, "cursor.json"),
		filepath.Join(RMModelDir, "model.safetensors")} {
		a, errA := os.ReadFile(filepath.Join(full, f))
		b, errB := os.ReadFile(filepath.Join(cut, f))
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v", f, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", f)
		}
	}
	if d := cmp.Diff(metricsWithoutTiming(t, full), metricsWithoutTiming(t, cut)); d != "" {
		t.Errorf("metrics differ (-uninterrupted +resumed):\n%s", d)
	}
	checkTamperedRefused(t, cfg, full)
	cfg.Resume, cfg.MaxLength = filepath.Join(full, last), cfg.MaxLength-1
	err = trainRM(t, context.Background(), cfg, filepath.Join(base, "other-length"), nil)
	if err == nil || !strings.Contains(err.Error(), "max_length") {
		t.Errorf("resume with another max_length: err = %v", err)
	}
}

// checkTamperedRefused flips one byte of a checkpoint's optimizer state and
// truncates another's weights: resuming from either is refused.
func checkTamperedRefused(t *testing.T, cfg configs.RM, run string) {
	root := filepath.Join(run, RMCheckpointDir)
	for _, tc := range []struct {
		name string
		file string
		edit func([]byte) []byte
	}{
		{"tampered", RMOptimizerFile, func(b []byte) []byte { b[len(b)/2] ^= 1; return b }},
		{"truncated", RMWeightsFile, func(b []byte) []byte { return b[:len(b)-10] }},
	} {
		ck := filepath.Join(root, checkpoints.StepDirName(8))
		path := filepath.Join(ck, tc.file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(data)
		if err := os.WriteFile(path, tc.edit(data), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg.Resume = ck
		err = trainRM(t, context.Background(), cfg, filepath.Join(t.TempDir(), tc.name), nil)
		if !errors.Is(err, checkpoints.ErrInvalid) {
			t.Errorf("%s %s: resume err = %v, want checkpoints.ErrInvalid", tc.name, tc.file, err)
		}
		os.WriteFile(path, orig, 0o644)
	}
}
