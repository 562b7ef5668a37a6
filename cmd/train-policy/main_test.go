package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"acecoder/internal/cli"
)

func run(args ...string) (int, string, string) {
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := cli.Run(context.Background(), root, args, &errb)
	return code, out.String(), errb.String()
}

func TestPrintConfigWithOverrides(t *testing.T) {
	code, out, errs := run("--config", filepath.Join("..", "..", "configs", "policy-tiny.yaml"), "--print-config",
		"--advantage_estimator", "grpo", "--reward", "rm", "--reward_pretrain", "/models/rm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"advantage_estimator: grpo", "reward: rm", "reward_pretrain: /models/rm"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed config lacks %q", want)
		}
	}
}

func TestBadConfigExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("model: {init_config: m.json}\nprompt_data: [p.jsonl]\nadvantage_estimator: ppo\n"), 0o644)
	code, _, errs := run("--config", bad)
	if code != cli.ExitUsage || !strings.Contains(errs, `"advantage_estimator": must be one of`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	code, _, errs = run("--config", bad, "--sweep", "x.yaml", "--max_steps", "3")
	if code != cli.ExitUsage || !strings.Contains(errs, "--sweep takes") {
		t.Errorf("sweep with a key flag: exit %d, stderr %q", code, errs)
	}
}

func TestFlagConvention(t *testing.T) {
	for _, err := range cli.CheckFlags(newRoot()) {
		t.Error(err)
	}
}

func TestPrintConfigTemplate(t *testing.T) {
	code, out, errs := run("--print-config", "--reward", "rm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"# REQUIRED: reward=rm needs a reward model directory\nreward_pretrain: \"\"",
		"# REQUIRED: at least one prompt file is needed\nprompt_data: []", "reward: rm"} {
		if !strings.Contains(out, want) {
			t.Errorf("template lacks %q:\n%s", want, out)
		}
	}
}

// Relative paths in a config file resolve against its folder, whatever
// the working directory; a missing one exits 2 naming the key and path.
func TestConfigPathsRelativeToTheFile(t *testing.T) {
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "configs")
	os.MkdirAll(cfgDir, 0o755)
	file := filepath.Join(cfgDir, "p.yaml")
	os.WriteFile(file, []byte("model: {init_config: ../m/config.json}\nprompt_data: [../data/hard.jsonl]\n"), 0o644)
	code, _, errs := run("--config", file, "--out-dir", filepath.Join(dir, "run"))
	want := `key "model.init_config": ` + filepath.Join(dir, "m", "config.json") + ": no such file"
	if code != cli.ExitUsage || !strings.Contains(errs, want) || !strings.Contains(errs, filepath.Join(dir, "data", "hard.jsonl")) {
		t.Errorf("exit %d, stderr %q: want %d naming %q", code, errs, cli.ExitUsage, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); !os.IsNotExist(err) {
		t.Errorf("a run directory was made: %v", err)
	}
}
