package configs_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"acecoder/rundir"
)

// readmeCommands are the example-config commands of the README, each with
// the overrides that make it a smoke run (none touches a path).
var readmeCommands = map[string][][]string{
	"sft-tiny.yaml":    {{"acecoder", "sft", "--max-steps", "2"}},
	"rm-tiny.yaml":     {{"train-rm", "--max-steps", "2"}},
	"policy-tiny.yaml": {{"train-policy", "--reward", "rule", "--max-steps", "1"}, {"train-policy", "--reward", "rm", "--max-steps", "1"}},
}

// Every example config that a README command uses runs end to end, as the
// README writes it, on the data the demo makes: the smoke demo writes
// runs/demo beside a copy of configs/, the commands run from another
// folder, and each must train and save a model. A stale path in a config
// (or a README command without a case here) fails.
func TestREADMEConfigsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs the smoke demo (about a minute)")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`--config configs/([a-z0-9-]+\.yaml)`).FindAllStringSubmatch(string(readme), -1) {
		used[m[1]] = true
		if readmeCommands[m[1]] == nil {
			t.Errorf("the README runs configs/%s, which this test does not run", m[1])
		}
	}
	for name := range readmeCommands {
		if !used[name] {
			t.Errorf("configs/%s is run here but the README does not use it", name)
		}
	}
	root := t.TempDir()
	bin := buildBinaries(t, filepath.Join(root, "bin"))
	if err := os.CopyFS(filepath.Join(root, "configs"), os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(root, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, elsewhere, bin, "acecoder", "demo", "--scale", "smoke", "--until", "train-rm", "--out-dir", filepath.Join(root, "runs", "demo"), "-q")
	for _, name := range slices.Sorted(maps.Keys(readmeCommands)) {
		for i, args := range readmeCommands[name] {
			out := filepath.Join(root, "out", strings.TrimSuffix(name, ".yaml")+"-"+string(rune('a'+i)))
			full := append(slices.Clone(args), "--config", filepath.Join(root, "configs", name), "--out-dir", out, "-q")
			t.Run(strings.Join(append([]string{name}, args[1:]...), " "), func(t *testing.T) {
				run(t, elsewhere, bin, full...)
				recs, err := rundir.ReadMetrics(filepath.Join(out, rundir.MetricsFile))
				if err != nil || len(recs) == 0 {
					t.Errorf("no metrics: %v", err)
				}
				if _, err := os.Stat(filepath.Join(out, "model", "config.json")); err != nil {
					t.Errorf("no model saved: %v", err)
				}
			})
		}
	}
}

// buildBinaries builds the three commands with the toolchain running the
// test.
func buildBinaries(t *testing.T, dir string) string {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(goCmd, "build", "-o", dir+string(os.PathSeparator), "./cmd/acecoder", "./cmd/train-rm", "./cmd/train-policy")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// run runs one of the binaries in dir and fails the test on a non-zero exit.
func run(t *testing.T, dir, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, args[0]), args[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Logf("%s: %s", strings.Join(args, " "), time.Since(start).Round(time.Second))
}
