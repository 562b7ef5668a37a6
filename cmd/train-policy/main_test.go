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
