package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"acecoder/internal/cli"
)

func runAcecoder(args ...string) (int, string, string) {
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := cli.Run(context.Background(), root, args, &errb)
	return code, out.String(), errb.String()
}

func TestDoctorGoBackend(t *testing.T) {
	code, out, errs := runAcecoder("doctor", "--backend", "go")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "matmul check ok") {
		t.Errorf("doctor output lacks the computation check:\n%s", out)
	}
	for _, want := range []string{"root:", "namespaces:", "seccomp:", "cgroups:"} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks the sandbox's %s line:\n%s", want, out)
		}
	}
}

func TestMissingPluginFailsFast(t *testing.T) {
	start := time.Now()
	code, _, errs := runAcecoder("doctor", "--backend", "xla:/nonexistent.so")
	if code == 0 || !strings.Contains(errs, "/nonexistent.so") || !strings.Contains(errs, "not found") {
		t.Fatalf("exit %d, stderr %q: want a failure naming the plugin", code, errs)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s: must not try a download", d)
	}
	code, _, errs = runAcecoder("doctor", "--backend", "cuda")
	if code != cli.ExitUsage || !strings.Contains(errs, `unknown kind "cuda"`) {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
