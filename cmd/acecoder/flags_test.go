package main

import (
	"os"
	"strings"
	"testing"

	"acecoder/internal/cli"
)

// Every command of acecoder follows the flag convention (see
// cli.CheckFlags): one canonical name per idea, no two spellings, help on
// every flag, --version on the binary.
func TestFlagConvention(t *testing.T) {
	for _, err := range cli.CheckFlags(newRoot()) {
		t.Error(err)
	}
}

// --print-config prints a template, the required keys marked, without a
// config file and without making a run directory.
func TestPrintConfigWithoutRequiredKeys(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"eval", []string{"# REQUIRED: give a model directory", "# REQUIRED: a benchmark file is needed\nbench: \"\""}},
		{"bon", []string{"# REQUIRED: a reward model directory is needed\nreward_pretrain: \"\"", "exec_workers: 0"}},
		{"sample", []string{"# REQUIRED: a prompts file is needed", "generate_max_len: 1024"}},
		{"sft", []string{"# REQUIRED: at least one file is needed\ntrain_data: []"}},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			code, out, errs := runAcecoder(tc.cmd, "--print-config", "--runs_dir", t.TempDir())
			if code != cli.ExitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("template lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// Positional-argument errors and missing inputs exit 2 before any work.
func TestCommandLineErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"stats without a file", []string{"data", "stats"}, "requires at least 1 arg"},
		{"stats of a missing file", []string{"data", "stats", dir + "/none.jsonl"}, "none.jsonl: no such file"},
		{"plot without a run", []string{"plot"}, "requires at least 1 arg"},
		{"eval of a missing bench", []string{"eval", "--model-path", dir, "--bench", dir + "/he.jsonl", "--out-dir", dir + "/run"}, `missing input: key "bench": ` + dir + "/he.jsonl: no such file"},
		{"score of a missing file", []string{"score", "--reward-pretrain", dir, "--in", dir + "/s.jsonl"}, "--in " + dir + "/s.jsonl: no such file"},
		{"pairs of a missing file", []string{"data", "pairs", "--in", dir + "/rows.jsonl", "--out", dir + "/p.jsonl"}, "rows.jsonl: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runAcecoder(tc.args...)
			if code != cli.ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q: want %d naming %q", code, errs, cli.ExitUsage, tc.want)
			}
		})
	}
	if entries, _ := readDirNames(dir); len(entries) != 0 {
		t.Errorf("a refused command left %v behind", entries)
	}
}

func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}
