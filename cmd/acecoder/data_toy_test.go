package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataToy(t *testing.T) {
	out := t.TempDir()
	code, stdout, errs := runAcecoder("data", "toy", "--out-dir", out, "--seed", "3", "--rl", "0.3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "held-out tasks") {
		t.Errorf("stdout %q", stdout)
	}
	for _, name := range []string{"train-tasks.jsonl", "rl-tasks.jsonl", "heldout-tasks.jsonl"} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), `"test_cases"`) {
				t.Errorf("%s: row without test_cases: %s", name, sc.Text())
			}
			n++
		}
		f.Close()
		if n < 30 {
			t.Errorf("%s: %d rows", name, n)
		}
	}
}

func TestDataToyRejectsBadFractions(t *testing.T) {
	for _, args := range [][]string{{"--rl", "0.8"}, {"--heldout", "-0.1"}} {
		code, _, errs := runAcecoder(append([]string{"data", "toy", "--out", t.TempDir()}, args...)...)
		if code != 2 || !strings.Contains(errs, "fractions") {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming the fractions", args, code, errs)
		}
	}
}
