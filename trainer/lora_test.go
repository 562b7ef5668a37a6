package trainer

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"acecoder/backend"
	"acecoder/configs"
	"acecoder/rewards"
)

// TestLoRAPolicyRun: a train-policy run with LoRA adapters (rank 4) trains
// the adapters only, checkpoints them in PEFT's format, resumes bit for
// bit, and saves the adapters plus the merged model, which equals the base
// with the saved adapters merged.
func TestLoRAPolicyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two training runs")
	}
	cfg := policyRunFixture(t)
	cfg.Model.LoRARank, cfg.Model.LoRAAlpha = 4, 8
	cfg.Optim.LearningRate = 2e-2
	straight, parted := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	if err := runPolicyWith(t, cfg, straight, -1, fakeRunner{}); err != nil {
		t.Fatal(err)
	}
	if err := runPolicyWith(t, cfg, parted, 2, fakeRunner{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	cfg.Resume = "latest"
	if err := runPolicyWith(t, cfg, parted, -1, fakeRunner{}); err != nil {
		t.Fatal(err)
	}
	a, b := loadWeights(t, filepath.Join(straight, PolicyModelDir)), loadWeights(t, filepath.Join(parted, PolicyModelDir))
	for name, w := range a {
		if !slices.Equal(w, b[name]) {
			t.Errorf("merged weight %s differs after resume", name)
		}
	}
	ma, mb := metricsWithout(t, straight, "time/", "perf/"), metricsWithout(t, parted, "time/", "perf/")
	if !slices.EqualFunc(ma, mb, func(x, y map[string]float64) bool { return mapsEqual(x, y) }) {
		t.Errorf("metrics differ:\nstraight %v\nresumed  %v", ma, mb)
	}

	// The merged model is the base plus the saved adapters, and differs
	// from the base: the adapters learned something.
	base, err := LoadPolicyModel(t.Context(), backend.MustOpenGo(), cfg.Model, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Model.LoadAdapters(t.Context(), filepath.Join(straight, PolicyAdapterDir)); err != nil {
		t.Fatal(err)
	}
	changed := false
	for _, p := range base.Model.AdapterParams() {
		if !p.IsA {
			continue
		}
		w, _, err := base.Model.MergedWeight(p.Linear)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(w, a[p.Linear+".weight"]) {
			t.Errorf("%s: merged model and base + saved adapters differ", p.Linear)
		}
		w0, _, _ := base.Model.Weight(p.Linear + ".weight")
		changed = changed || !slices.Equal(w0, w)
	}
	if !changed {
		t.Error("training left every adapted weight as it was")
	}
	for _, name := range []string{"model.embed_tokens.weight", "model.norm.weight"} {
		w0, _, _ := base.Model.Weight(name)
		if !slices.Equal(w0, a[name]) {
			t.Errorf("%s is not adapted but changed", name)
		}
	}
	if vars := PolicyTrainVars(base.Model); len(vars) != len(base.Model.AdapterParams()) {
		t.Errorf("%d trainable variables, want the %d adapter matrices", len(vars), len(base.Model.AdapterParams()))
	}
}

// TestLoRARMRun: train-rm with LoRA adapters resumes bit for bit from an
// adapter checkpoint, and its merged model scores pairs as the base with
// the saved adapters and the trained head does.
func TestLoRARMRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two training runs")
	}
	dir := t.TempDir()
	cfg := resumeConfig(t, dir)
	cfg.Model.LoRARank, cfg.Model.LoRAAlpha = 4, 8
	cfg.Optim.LearningRate = 1e-2
	straight, parted := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := trainRM(t, t.Context(), cfg, straight, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	err := trainRM(t, ctx, cfg, parted, func(step int, _ map[string]float64) {
		if step == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	cfg.Resume = "latest"
	if err := trainRM(t, t.Context(), cfg, parted, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(metricsWithoutTiming(t, straight), metricsWithoutTiming(t, parted)); diff != "" {
		t.Errorf("metrics differ after resume (-straight +resumed):\n%s", diff)
	}
	merged, err := rewards.LoadRM(t.Context(), backend.MustOpenGo(), filepath.Join(straight, RMModelDir), rewards.RMLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := rewards.LoadRM(t.Context(), backend.MustOpenGo(), filepath.Join(parted, RMModelDir), rewards.RMLoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	base, err := LoadRMFromConfig(t.Context(), backend.MustOpenGo(), configs.Model{InitConfig: cfg.Model.InitConfig, ChatTemplate: "plain"}, cfg.Seed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Backbone.LoadAdapters(t.Context(), filepath.Join(straight, PolicyAdapterDir)); err != nil {
		t.Fatal(err)
	}
	w, b, _ := merged.HeadParams()
	if err := base.SetHead(w, b); err != nil {
		t.Fatal(err)
	}
	prompt, resp := []string{"Fold a and b."}, []string{"def f(a,b):\n c=a+b\n return c\n"}
	sm, _ := merged.ScorePairs(t.Context(), prompt, resp)
	sa, _ := again.ScorePairs(t.Context(), prompt, resp)
	sb, _ := base.ScorePairs(t.Context(), prompt, resp)
	if sm[0] != sa[0] {
		t.Errorf("resumed run scores %g, uninterrupted %g", sa[0], sm[0])
	}
	if math.Abs(float64(sm[0]-sb[0])) > 1e-4 {
		t.Errorf("merged model scores %g, base + saved adapters %g", sm[0], sb[0])
	}
}
