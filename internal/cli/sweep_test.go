package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/configs"
	"acecoder/rundir"
)

// When ACECODER_SWEEP_CHILD is set the test binary acts as a training
// command: it writes a metrics log derived from its flags into --out-dir
// and fails for --max-epochs=13.
func TestMain(m *testing.M) {
	if os.Getenv("ACECODER_SWEEP_CHILD") != "" {
		os.Exit(fakeTrainer(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeTrainer(args []string) int {
	var dir string
	vals := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		vals[k] = v
		if k == "out-dir" {
			dir = v
		}
	}
	if vals["max-epochs"] == "13" {
		fmt.Fprintln(os.Stderr, "unlucky")
		return 1
	}
	m, err := rundir.OpenMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		return 1
	}
	defer m.Close()
	var lr float64
	fmt.Sscan(vals["optim-learning-rate"], &lr)
	_ = m.Log(1, map[string]float64{"loss/train": 1})
	_ = m.Log(2, map[string]float64{"loss/train": lr, "eval/accuracy": float64(len(args))})
	// Count invocations so the test can see that finished runs are skipped.
	f, _ := os.OpenFile(filepath.Join(dir, "calls"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString("x")
	f.Close()
	return 0
}

func writeSweep(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(p, []byte(text), 0o644)
	return p
}

func rmCfg() any { c := configs.DefaultRM(); return &c }

func TestLoadSweepExpandsGridAndRuns(t *testing.T) {
	base := filepath.Join("..", "..", "configs", "rm-tiny.yaml")
	s, err := configs.LoadSweep(writeSweep(t, `name: lr
grid:
  optim.learning_rate: [0.1, 0.01]
  margin: [0, 0.5]
runs:
  - {max_epochs: 3}
`), rmCfg, base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range s.Runs {
		names = append(names, r.Name)
	}
	want := "000_margin=0_learning_rate=0.1 001_margin=0_learning_rate=0.01 002_margin=0.5_learning_rate=0.1 003_margin=0.5_learning_rate=0.01 004_max_epochs=3"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("runs = %s\nwant   %s", got, want)
	}
	if got := strings.Join(s.Runs[1].Args(), " "); got != "--margin=0 --optim-learning-rate=0.01" {
		t.Errorf("args = %s", got)
	}
}

func TestLoadSweepRejectsBadOverrides(t *testing.T) {
	base := filepath.Join("..", "..", "configs", "rm-tiny.yaml")
	for _, tc := range []struct{ name, text, want string }{
		{"unknown key", "grid: {lerning_rate: [1]}\n", `unknown key "lerning_rate"`},
		{"wrong type", "runs: [{max_epochs: many}]\n", `key "max_epochs"`},
		{"invalid value", "runs: [{max_epochs: 0}]\n", `"max_epochs": must be > 0`},
		{"unknown field", "grdi: {}\n", "grdi"},
		{"empty", "name: x\n", "neither grid nor runs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configs.LoadSweep(writeSweep(t, tc.text), rmCfg, base)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestRunSweepResumesAndSummarises(t *testing.T) {
	t.Setenv("ACECODER_SWEEP_CHILD", "1")
	base := filepath.Join("..", "..", "configs", "rm-tiny.yaml")
	s, err := configs.LoadSweep(writeSweep(t, "grid:\n  optim.learning_rate: [0.5, 0.25]\n  max_epochs: [1, 13]\n"), rmCfg, base)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	exe, _ := os.Executable()
	opts := SweepOptions{Root: root, Parallel: 2, Exe: exe, Quiet: true, Stderr: &strings.Builder{}}
	results, err := RunSweep(context.Background(), s, opts)
	if err == nil || !strings.Contains(err.Error(), "2 of 4 runs failed") {
		t.Fatalf("err = %v, want the two max_epochs=13 runs to fail", err)
	}
	done := 0
	for _, r := range results {
		if r.Status == "done" {
			done++
			if r.Final["loss/train"] != 0.5 && r.Final["loss/train"] != 0.25 {
				t.Errorf("%s final loss = %v", r.Name, r.Final["loss/train"])
			}
		}
	}
	if done != 2 {
		t.Fatalf("%d runs done, want 2: %+v", done, results)
	}
	// Rerun: finished runs are skipped (not called again), failed ones retried.
	results, _ = RunSweep(context.Background(), s, opts)
	for _, r := range results {
		calls, _ := os.ReadFile(filepath.Join(r.Dir, "calls"))
		if strings.Contains(r.Name, "max_epochs=1_") || strings.HasSuffix(r.Name, "max_epochs=1") {
			if r.Status != "skipped" || string(calls) != "x" {
				t.Errorf("%s: status %s, %d calls; want skipped after one call", r.Name, r.Status, len(calls))
			}
		}
	}
	var summary []SweepResult
	data, err := os.ReadFile(filepath.Join(root, "summary.json"))
	if err != nil || json.Unmarshal(data, &summary) != nil || len(summary) != 4 {
		t.Fatalf("summary.json: %v %s", err, data)
	}
	tsv, _ := os.ReadFile(filepath.Join(root, "summary.tsv"))
	if !strings.HasPrefix(string(tsv), "run\tstatus\teval/accuracy\tloss/train\tstep\n") {
		t.Errorf("summary.tsv header: %q", strings.SplitN(string(tsv), "\n", 2)[0])
	}
}
