package trainer

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"acecoder/backend"
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
