package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/internal/cli"
	"acecoder/rundir"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code = cli.Run(context.Background(), root, args, &errb)
	return code, out.String(), errb.String()
}

func repoFile(t *testing.T, rel string) string {
	t.Helper()
	return filepath.Join("..", "..", rel)
}

func TestPrintConfig(t *testing.T) {
	code, out, errs := run(t, "--config", repoFile(t, "configs/rm-tiny.yaml"), "--print-config", "--max_length", "99")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"name: rm-tiny", "max_length: 99", "learning_rate: 0.001"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInputExitsTwoWithOneLine(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("name: a\nbogus_key: 1\n"), 0o644)
	wrongType := filepath.Join(dir, "type.yaml")
	os.WriteFile(wrongType, []byte("max_epochs: many\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--config", unknown}, `unknown.yaml:2: unknown key "bogus_key"`},
		{"wrong type", []string{"--config", wrongType}, `type.yaml:1: key "max_epochs": want integer`},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, "none.yaml: no such file"},
		{"bad flag value", []string{"--max_epochs", "x"}, `invalid argument "x" for "--max-epochs"`},
		{"unknown flag", []string{"--nope"}, "unknown flag: --nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := run(t, tc.args...)
			if code != cli.ExitUsage {
				t.Errorf("exit %d, want %d", code, cli.ExitUsage)
			}
			if !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("stderr = %q, want one line containing %q", errs, tc.want)
			}
		})
	}
}

// A run records its resolved config, with every path absolute, so it can
// be rerun from anywhere with --config <run>/config.yaml.
func TestRunDirectoryWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	code, _, errs := run(t, "--config", repoFile(t, "configs/rm-tiny.yaml"), "--out_dir", out, "-q",
		"--model-path=", "--model-init-config", repoFile(t, "testdata/rm/tiny-config.json"),
		"--train-data", repoFile(t, "testdata/rm/property-pairs.jsonl"), "--max-length", "96",
		"--train-batch-size", "4", "--micro-train-batch-size", "4", "--max-steps", "1", "--eval-steps", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range []string{rundir.ConfigFile, rundir.InfoFile, rundir.MetricsFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run directory lacks %s: %v", f, err)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(out, rundir.ConfigFile))
	abs, _ := filepath.Abs(repoFile(t, "testdata/rm/property-pairs.jsonl"))
	if !strings.Contains(string(cfg), "out_dir: "+out) || !strings.Contains(string(cfg), "- "+abs) {
		t.Errorf("config.yaml does not hold the resolved config with absolute paths:\n%s", cfg)
	}
}

// A missing input exits 2 naming the key and the file, and leaves no run
// directory behind.
func TestMissingInputExitsTwoBeforeRunDirectory(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	code, _, errs := run(t, "--model-init-config", repoFile(t, "testdata/rm/tiny-config.json"),
		"--train-data", filepath.Join(dir, "pairs.jsonl"), "--out-dir", out)
	if code != cli.ExitUsage || !strings.Contains(errs, `key "train_data": `+filepath.Join(dir, "pairs.jsonl")+": no such file") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a run directory was made: %v", err)
	}
}

// --print-config needs no config file: it prints the defaults with the
// required keys marked.
func TestPrintConfigTemplate(t *testing.T) {
	code, out, errs := run(t, "--print-config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"# REQUIRED: give a model directory", "# REQUIRED: at least one pair file is needed\ntrain_data: []"} {
		if !strings.Contains(out, want) {
			t.Errorf("template lacks %q:\n%s", want, out)
		}
	}
}

func TestFlagConvention(t *testing.T) {
	for _, err := range cli.CheckFlags(newRoot()) {
		t.Error(err)
	}
}
