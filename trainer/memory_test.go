package trainer

import (
	"bufio"
	"context"
	"fmt"
	"maps"
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

// TestMemoryRMSteps trains the mid-size reward model for 10 steps and
// checks the peak RSS against a budget built from the parts, and that RSS
// stops growing after the first steps (it would, with a leak per step).
//
// Budget: an optimiser step reads the weights, gradient accumulators and
// two Adam moments (16 bytes per parameter) and writes new ones (16 more);
// activations of one micro-batch (8 sequences × 128 tokens) kept for the
// backward pass, about 20·D + 3·FF float32 per token and layer; the
// collector's headroom (cli.GCPercent); 400 MiB for the Go runtime, the
// test binary and the compiled graphs.
func TestMemoryRMSteps(t *testing.T) {
	cfg := loadMid(t)
	p := params(rewards.BackboneParams(cfg))
	checkMemory(t, "rm", 10, map[string]float64{
		"optimiser state (32 B/param)": 32 * p,
		"activations":                  activations(cfg, 8*128),
	})
}

// TestMemoryPolicySteps runs 8 Reinforce++ rollouts and updates of the
// mid-size model. Budget, beyond the optimiser state as above: the frozen
// reference (4 B/param), the sampler's stacked copy of the matrices
// (4 B/param), activations of a micro-batch of 4 sequences (≤ 128 tokens)
// and its logits over the 32k vocabulary with the log-softmax's
// intermediates (4 tensors).
func TestMemoryPolicySteps(t *testing.T) {
	cfg := loadMid(t)
	p := params(cfg.Params())
	checkMemory(t, "policy", 8, map[string]float64{
		"optimiser state (32 B/param)": 32 * p,
		"reference and stacked copy":   8 * p,
		"activations":                  activations(cfg, 4*128),
		"logits":                       4 * 4 * 128 * float64(cfg.VocabSize) * 4,
	})
}

func loadMid(t *testing.T) *policy.Config {
	cfg, err := policy.LoadConfig(midConfig)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// params counts the scalars of ps.
func params(ps []policy.Param) float64 {
	n := 0.0
	for _, p := range ps {
		k := 1.0
		for _, d := range p.Shape {
			k *= float64(d)
		}
		n += k
	}
	return n
}

// activations is the float32 bytes kept for the backward pass of tokens
// tokens: about 20·D + 3·FF per token and layer.
func activations(c *policy.Config, tokens int) float64 {
	return float64(tokens*c.NumHiddenLayers*(20*c.HiddenSize+3*c.IntermediateSize)) * 4
}

// checkMemory runs probe for steps steps and checks its peak RSS against
// the sum of parts (bytes) plus the collector's headroom (cli.GCPercent)
// and 400 MiB for the Go runtime, the test binary and compiled graphs, and
// that RSS stays flat once the heap has reached its working size: a leak
// of one weight-sized tensor per step (147 MiB here) would grow it by
// more than the 10% allowed over the last steps.
func checkMemory(t *testing.T, probe string, steps int, parts map[string]float64) {
	perStep, peak := memoryProbe(t, probe, steps)
	const mib = 1 << 20
	sum := 0.0
	for _, v := range parts {
		sum += v
	}
	budget := sum/mib*(1+cli.GCPercent/100.0) + 400
	t.Logf("%s, mid-size model: RSS after each step %.0f MiB, peak %.0f MiB", probe, perStep, peak)
	for _, k := range slices.Sorted(maps.Keys(parts)) {
		t.Logf("  budget part %s: %.0f MiB", k, parts[k]/mib)
	}
	t.Logf("  budget %.0f MiB (GC headroom %d%%, base 400 MiB)", budget, cli.GCPercent)
	if peak > budget {
		t.Errorf("peak RSS %.0f MiB exceeds the budget of %.0f MiB", peak, budget)
	}
	early := slices.Max(perStep[1:min(5, len(perStep))])
	if last := perStep[len(perStep)-1]; last > early*1.1 {
		t.Errorf("RSS grew from %.0f MiB (max of steps 2-5) to %.0f MiB at step %d", early, last, len(perStep))
	}
}
