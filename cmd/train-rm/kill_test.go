package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"acecoder/checkpoints"
	"acecoder/rundir"
	"acecoder/trainer"
)

// childEnv makes the test binary act as train-rm (see TestMain).
const childEnv = "ACECODER_TRAIN_RM_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main() // exits
	}
	os.Exit(m.Run())
}

// TestSIGKILLLeavesUsableCheckpoint runs train-rm in a child process that
// checkpoints after every step, kills it with SIGKILL at a few different
// moments (often while a checkpoint is being written), and checks each
// time that the newest checkpoint verifies and that a run resumes from it.
func TestSIGKILLLeavesUsableCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs train-rm in child processes")
	}
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"--config", repoFile(t, "configs/rm-tiny.yaml"), "--quiet", "--out_dir", out,
		"--model-path=", "--model-init_config", repoFile(t, "testdata/rm/tiny-config.json"),
		"--train_data", repoFile(t, "testdata/rm/property-pairs.jsonl"),
		"--max_length", "96", "--train_batch_size", "4", "--micro_train_batch_size", "4",
		"--eval_steps", "0", "--save_steps", "1", "--keep_last", "2", "--max_steps", "400", "--resume", "latest"}
	root := filepath.Join(out, trainer.RMCheckpointDir)
	last := int64(-1)
	for round, delay := range []time.Duration{0, 7 * time.Millisecond, 23 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for a checkpoint newer than the last one, then a little more.
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			if steps, _ := checkpoints.Steps(root); len(steps) > 0 && steps[0] > last+1 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		ck, skipped, err := checkpoints.Latest(root)
		if err != nil {
			t.Fatalf("round %d: no usable checkpoint after SIGKILL: %v (skipped %v)", round, err, skipped)
		}
		if ck.Step() <= last {
			t.Fatalf("round %d: newest valid checkpoint is step %d, not past %d", round, ck.Step(), last)
		}
		last = ck.Step()
	}
	// A final in-process run resumes from the newest checkpoint.
	code, _, errs := run(t, append(args[:len(args)-4], "--max_steps", strconv.FormatInt(last+1, 10), "--resume", "latest")...)
	if code != 0 {
		t.Fatalf("resume after SIGKILL: exit %d: %s", code, errs)
	}
}

// TestSIGINTWritesFinalCheckpoint interrupts train-rm (a child process)
// with SIGINT between periodic checkpoints: it exits 1 after writing a
// checkpoint of the last completed step.
func TestSIGINTWritesFinalCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("runs train-rm in a child process")
	}
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "--config", repoFile(t, "configs/rm-tiny.yaml"), "--quiet", "--out_dir", out,
		"--model-path=", "--model-init_config", repoFile(t, "testdata/rm/tiny-config.json"),
		"--train_data", repoFile(t, "testdata/rm/property-pairs.jsonl"),
		"--max_length", "96", "--train_batch_size", "4", "--micro_train_batch_size", "4",
		"--eval_steps", "0", "--save_steps", "1000", "--max_steps", "400")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(out, rundir.MetricsFile)
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if data, err := os.ReadFile(metrics); err == nil && strings.Contains(string(data), "loss/bt") {
			break
		}
	}
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	ck, _, err := checkpoints.Latest(filepath.Join(out, trainer.RMCheckpointDir))
	if err != nil {
		t.Fatalf("no final checkpoint: %v; stderr:\n%s", err, stderr.String())
	}
	if ck.Step() < 1 || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("final checkpoint at step %d; stderr:\n%s", ck.Step(), stderr.String())
	}
}
