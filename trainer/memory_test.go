package trainer

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/internal/cli"
	"acecoder/plan"
	"acecoder/policy"
	"acecoder/rewards"
)

// Memory tests run one training command in a child process (this test
// binary re-executed with ACECODER_MEMORY_PROBE set), so that the peak RSS
// the kernel reports (VmHWM) is that run's alone. The child prints its RSS
// after every step and its peak at the end.

const memoryProbeEnv = "ACECODER_MEMORY_PROBE"

// midConfig is testdata/models/mid-32k: hidden 512, 8 layers, 8/2 heads,
// ff 1408, vocab 32000, tied (38.6M parameters).
var midConfig = filepath.Join("..", "testdata", "models", "mid-32k", "config.json")

// rssKiB reads a field (VmRSS, VmHWM) of /proc/self/status in KiB.
func rssKiB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v
		}
	}
	return -1
}

// TestMemoryProbeChild is the child side; it does nothing unless
// ACECODER_MEMORY_PROBE names a probe.
func TestMemoryProbeChild(t *testing.T) {
	probe := os.Getenv(memoryProbeEnv)
	if probe == "" {
		t.Skip("child process of the memory tests only")
	}
	steps, _ := strconv.Atoi(os.Getenv(memoryProbeEnv + "_STEPS"))
	debug.SetGCPercent(cli.GCPercent) // as the binaries run
	dir := t.TempDir()
	onStep := func(step int, _ map[string]float64) {
		fmt.Printf("MEMPROBE step %d rss %d\n", step, rssKiB("VmRSS"))
	}
	switch probe {
	case "rm":
		cfg := midRMConfig(t, dir, steps)
		if err := TrainRM(context.Background(), cfg, newRun(t, filepath.Join(dir, "run")), RMRunOptions{Quiet: true, Backend: backend.MustOpenGo(), OnStep: onStep}); err != nil {
			t.Fatal(err)
		}
	case "policy":
		cfg := midPolicyConfig(t, dir, steps)
		err := TrainPolicy(context.Background(), cfg, newRun(t, filepath.Join(dir, "run")),
			PolicyRunOptions{Quiet: true, Backend: backend.MustOpenGo(), Runner: fakeRunner{}, OnStep: onStep})
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown probe %q", probe)
	}
	fmt.Printf("MEMPROBE peak %d\n", rssKiB("VmHWM"))
}

// midRMConfig trains the mid-size model as a reward model on 8-pair steps
// whose sides are all cut to max_length (128 tokens), so every step has
// the same shapes and compiled graphs.
func midRMConfig(t *testing.T, dir string, steps int) configs.RM {
	pairs := propertyPairs(8*steps, 3)
	for i := range pairs {
		pairs[i].Prompt = strings.Repeat("Fold the two numbers as the operators say. ", 3) + pairs[i].Prompt
	}
	cfg := tinyRMConfig(t, dir, pairs)
	cfg.Model.InitConfig = midConfig
	cfg.TrainBatchSize, cfg.MicroBatchSize = 8, 4
	cfg.EvalFraction = 0
	cfg.MaxLength = 128
	return cfg
}

// midPolicyConfig runs Reinforce++ on the mid-size model: rollouts of 4
// prompts × 4 samples of 48 tokens, one optimiser step each in micro-batches
// of 4, the rule reward from fakeRunner.
func midPolicyConfig(t *testing.T, dir string, steps int) configs.Policy {
	prompts := filepath.Join(dir, "prompts.jsonl")
	var sb strings.Builder
	for i := range 4 * steps {
		fmt.Fprintf(&sb, `{"id": "q%d", "question": %q, "test_cases": ["assert f(1) == 2"]}`+"\n", i, "Write f(x) returning x + 1.")
	}
	if err := os.WriteFile(prompts, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := configs.DefaultPolicy()
	cfg.Model = configs.Model{InitConfig: midConfig, ChatTemplate: "plain"}
	cfg.PromptData = []string{prompts}
	cfg.SamplesPerPrompt, cfg.RolloutBatchSize, cfg.TrainBatchSize, cfg.MicroBatchSize = 4, 4, 16, 4
	cfg.GenerateMaxLen, cfg.SaveSteps, cfg.MaxSteps = 48, 0, steps
	return cfg
}

// fakeRunner stands in for the sandbox (the memory probe measures the
// training process, and the sandbox runs in other processes): every test
// of a program whose length is even passes.
type fakeRunner struct{}

func (fakeRunner) Run(_ context.Context, jobs []rewards.Job) ([]rewards.Result, error) {
	out := make([]rewards.Result, len(jobs))
	for i, j := range jobs {
		status := rewards.StatusFail
		if len(j.Program)%2 == 0 {
			status = rewards.StatusPass
		}
		r := rewards.Result{ID: j.ID, Total: len(j.Tests)}
		for range j.Tests {
			r.Tests = append(r.Tests, rewards.Verdict{Status: status})
		}
		if status == rewards.StatusPass {
			r.Passed, r.PassRate, r.AllPassed = r.Total, 1, true
		}
		out[i] = r
	}
	return out, nil
}

// memoryProbe runs a probe in a child and returns the RSS after each step
// and the peak, in MiB.
func memoryProbe(t *testing.T, probe string, steps int) (perStep []float64, peak float64) {
	t.Helper()
	if testing.Short() {
		t.Skip("memory probes train a 38.6M-parameter model; skipped with -short")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryProbeChild$", "-test.v")
	cmd.Env = append(os.Environ(), memoryProbeEnv+"="+probe, fmt.Sprintf("%s_STEPS=%d", memoryProbeEnv, steps))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe %s: %v\n%s", probe, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 5 && f[0] == "MEMPROBE" && f[1] == "step":
			v, _ := strconv.ParseFloat(f[4], 64)
			perStep = append(perStep, v/1024)
		case len(f) == 3 && f[0] == "MEMPROBE" && f[1] == "peak":
			v, _ := strconv.ParseFloat(f[2], 64)
			peak = v / 1024
		}
	}
	if len(perStep) != steps || peak == 0 {
		t.Fatalf("probe %s printed %d step lines and peak %.0f MiB, want %d steps:\n%s", probe, len(perStep), peak, steps, out)
	}
	return perStep, peak
}

// TestMemoryRMSteps trains the mid-size reward model for 10 steps: its
// peak RSS must lie within 25% of plan.Estimate, and RSS must stay flat
// once the heap has reached its working size.
func TestMemoryRMSteps(t *testing.T) {
	checkMemory(t, "rm", 10, plan.Run{Kind: "rm", Model: loadMid(t), MicroBatch: 8, SeqLen: 128})
}

// TestMemoryPolicySteps does the same for 8 Reinforce++ rollouts and
// updates (4 prompts × 4 samples, decoded together, micro-batches of 4
// sequences of up to 128 tokens).
func TestMemoryPolicySteps(t *testing.T) {
	checkMemory(t, "policy", 8, plan.Run{Kind: "policy", Model: loadMid(t), MicroBatch: 4, SeqLen: 128,
		RolloutRows: 16, RolloutLen: 128})
}

func loadMid(t *testing.T) *policy.Config {
	cfg, err := policy.LoadConfig(midConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// checkMemory runs probe for steps steps and checks its peak RSS against
// plan.Estimate (within 25%), and that RSS stays flat once the heap has
// reached its working size: a leak of one weight-sized tensor per step
// (147 MiB here) would grow it by more than the 10% allowed.
func checkMemory(t *testing.T, probe string, steps int, run plan.Run) {
	perStep, peak := memoryProbe(t, probe, steps)
	const mib = 1 << 20
	parts := plan.Estimate(run)
	est := float64(plan.Total(parts)) / mib
	t.Logf("%s, mid-size model: RSS after each step %.0f MiB, peak %.0f MiB", probe, perStep, peak)
	for _, p := range parts {
		t.Logf("  estimate: %-32s %6.0f MiB", p.Name, float64(p.Bytes)/mib)
	}
	t.Logf("  estimate: total %.0f MiB (peak / estimate = %.2f)", est, peak/est)
	if peak > 1.25*est || peak < 0.75*est {
		t.Errorf("peak RSS %.0f MiB is not within 25%% of the estimate %.0f MiB", peak, est)
	}
	early := slices.Max(perStep[1:min(5, len(perStep))])
	if last := perStep[len(perStep)-1]; last > early*1.1 {
		t.Errorf("RSS grew from %.0f MiB (max of steps 2-5) to %.0f MiB at step %d", early, last, len(perStep))
	}
}
