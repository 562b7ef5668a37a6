package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/rundir"
)

func TestPlotSweepDirectory(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"r1", "r2"} {
		dir := filepath.Join(root, name)
		os.MkdirAll(dir, 0o755)
		m, err := rundir.OpenMetrics(filepath.Join(dir, rundir.MetricsFile))
		if err != nil {
			t.Fatal(err)
		}
		for s := 1; s <= 3; s++ {
			m.Log(s, map[string]float64{"loss/train": 1 / float64(s), "lr": 0.1})
		}
		m.Close()
	}
	out := filepath.Join(root, "p.png")
	code, stdout, errs := runAcecoder("plot", root, "--out", out, "--keys", "loss/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "2 runs, 1 metrics") {
		t.Errorf("stdout = %q", stdout)
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 1000 {
		t.Errorf("png: %v", err)
	}
	code, _, errs = runAcecoder("plot", t.TempDir())
	if code != 2 || !strings.Contains(errs, "no metrics.jsonl") {
		t.Errorf("empty dir: exit %d, %q", code, errs)
	}
}
