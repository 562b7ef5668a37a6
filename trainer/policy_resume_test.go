package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/policy/chat"
	"acecoder/rewards"
	"acecoder/rundir"
)

// policyRunFixture writes what a train-policy run reads: a tiny model
// config, a tokenizer, a random reward model directory and the digit
// prompts as AceCode rows.
func policyRunFixture(t *testing.T) configs.Policy {
	t.Helper()
	dir := t.TempDir()
	tm := tinyTextModel(t, 3)
	js, err := tm.Model.Config.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	modelCfg := filepath.Join(dir, "config.json")
	os.WriteFile(modelCfg, js, 0o644)
	tokDir := filepath.Join(dir, "tok")
	if err := tm.Tok.Save(tokDir); err != nil {
		t.Fatal(err)
	}
	tmpl, _ := chat.ChatML()
	rm, err := rewards.NewRM(backend.MustOpenGo(), tm.Model.Config, tm.Tok, tmpl, 11)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.SetHead(randomHead(tm.Model.Config.HiddenSize), 0); err != nil {
		t.Fatal(err)
	}
	rmDir := filepath.Join(dir, "rm")
	if err := rm.Save(context.Background(), rmDir); err != nil {
		t.Fatal(err)
	}
	prompts := filepath.Join(dir, "prompts.jsonl")
	f, _ := os.Create(prompts)
	for i := range 8 {
		line, _ := json.Marshal(map[string]any{"id": "d" + string(rune('a'+i)), "question": digitQuestion, "test_cases": digitTests})
		f.Write(append(line, '\n'))
	}
	f.Close()
	cfg := configs.DefaultPolicy()
	cfg.Model = configs.Model{InitConfig: modelCfg, Tokenizer: tokDir, ChatTemplate: "plain"}
	cfg.Reward, cfg.RewardModel, cfg.PromptData = "rm", rmDir, []string{prompts}
	cfg.SamplesPerPrompt, cfg.RolloutBatchSize, cfg.TrainBatchSize, cfg.MicroBatchSize = 4, 2, 4, 4
	cfg.MaxEpochs, cfg.NumEpisodes, cfg.GenerateMaxLen, cfg.SaveSteps = 2, 1, 5, 0
	cfg.Optim.LearningRate = 1e-3
	return cfg
}

// randomHead makes the reward model's scores vary between completions.
func randomHead(d int) []float32 {
	w := make([]float32, d)
	for i := range w {
		w[i] = float32((i*37)%11-5) / 5
	}
	return w
}

func runPolicy(t *testing.T, cfg configs.Policy, dir string, stopAfter int) error {
	t.Helper()
	return runPolicyWith(t, cfg, dir, stopAfter, newTestRunner(t))
}

// runPolicyWith runs train-policy in dir on runner, cancelled (as SIGINT
// does) after step stopAfter (-1: never).
func runPolicyWith(t *testing.T, cfg configs.Policy, dir string, stopAfter int, runner JobRunner) error {
	t.Helper()
	run, err := rundir.Create(rundir.Options{Dir: dir, Name: "p", Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	return TrainPolicy(ctx, cfg, run, PolicyRunOptions{Quiet: true, Backend: backend.MustOpenGo(), Runner: runner,
		OnStep: func(step int, _ map[string]float64) {
			if step == stopAfter {
				cancel()
			}
		}})
}

// Interrupting a run (as SIGINT does) and resuming it gives the same
// weights and the same logged metrics as an uninterrupted run.
func TestPolicyResumeIsBitIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two training runs")
	}
	cfg := policyRunFixture(t)
	straight, parted := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := runPolicy(t, cfg, straight, -1); err != nil {
		t.Fatal(err)
	}
	if err := runPolicy(t, cfg, parted, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	cfg.Resume = "latest"
	if err := runPolicy(t, cfg, parted, -1); err != nil {
		t.Fatal(err)
	}
	a := loadWeights(t, filepath.Join(straight, PolicyModelDir))
	b := loadWeights(t, filepath.Join(parted, PolicyModelDir))
	for name, w := range a {
		if !slices.Equal(w, b[name]) {
			t.Errorf("weight %s differs after resume", name)
		}
	}
	init := tinyTextModel(t, 3).Model
	w0, _, _ := init.Weight("model.embed_tokens.weight")
	if slices.Equal(w0, a["model.embed_tokens.weight"]) {
		t.Error("training did not change the weights")
	}
	ma, mb := metricsWithout(t, straight, "time/", "perf/"), metricsWithout(t, parted, "time/", "perf/")
	if len(ma) != 5 || !slices.EqualFunc(ma, mb, func(x, y map[string]float64) bool { return mapsEqual(x, y) }) {
		t.Errorf("metrics differ:\nstraight %v\nresumed  %v", ma, mb)
	}
	if ma[4]["reward/std"] == 0 {
		t.Error("rewards did not vary: the test would not exercise the update")
	}
}

func loadWeights(t *testing.T, dir string) map[string][]float32 {
	t.Helper()
	tm, err := LoadPolicyModel(context.Background(), backend.MustOpenGo(), configs.Model{Path: dir, ChatTemplate: "plain"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, p := range tm.Model.Config.Params() {
		w, _, err := tm.Model.Weight(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[p.Name] = w
	}
	return out
}

func metricsWithout(t *testing.T, dir string, prefixes ...string) []map[string]float64 {
	t.Helper()
	recs, err := rundir.ReadMetrics(filepath.Join(dir, rundir.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		for k := range r {
			for _, p := range prefixes {
				if len(k) >= len(p) && k[:len(p)] == p {
					delete(r, k)
				}
			}
		}
	}
	return recs
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// With no runner given, train-policy executes through an embedded NATS
// JetStream queue and logs the queue's metrics with each step.
func TestPolicyRunThroughEmbeddedQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a queue and trains")
	}
	cfg := policyRunFixture(t)
	cfg.Reward, cfg.MaxSteps = "rule", 1
	dir := filepath.Join(t.TempDir(), "q")
	run, err := rundir.Create(rundir.Options{Dir: dir, Name: "q", Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	if err := TrainPolicy(context.Background(), cfg, run, PolicyRunOptions{Quiet: true, Backend: backend.MustOpenGo()}); err != nil {
		t.Fatalf("train-policy through the embedded queue: %v", err)
	}
	recs := metricsWithout(t, dir)
	last := recs[len(recs)-1]
	found := false
	for k, v := range last {
		if len(k) > 6 && k[:6] == "queue/" && v > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no queue metrics in the step record: %v", last)
	}
	if last["optim/updates"] < 1 {
		t.Errorf("no update took place: %v", last)
	}
}
