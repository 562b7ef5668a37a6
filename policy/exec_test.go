package policy

import (
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestWeightChangesReachCompiledGraphs: an executor compiled before a
// weight changes must compute with the new weights, as a model built with
// them from the start does (see VariablesAsParameters).
func TestWeightChangesReachCompiledGraphs(t *testing.T) {
	cfg := tinyConfig(t, "tiny-qwen2")
	a, err := New(testBackend(t), cfg, InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(testBackend(t), cfg, InitOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	batch := LeftPad(mixedSeqs([]int{5, 3}, cfg.VocabSize, 1), 0)
	logits := func(m *Model) []float32 {
		out, err := m.Logits(batch)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := tensors.CopyFlatData[float32](out)
		if err != nil {
			t.Fatal(err)
		}
		return vals
	}
	before, want := logits(a), logits(b)
	if slices.Equal(before, want) {
		t.Fatal("seeds 1 and 2 gave the same logits")
	}
	for _, p := range cfg.Params() {
		vals, _, err := b.Weight(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.SetWeight(p.Name, vals); err != nil {
			t.Fatal(err)
		}
	}
	if got := logits(a); !slices.Equal(got, want) {
		t.Fatalf("after copying seed 2's weights, logits[0:3] = %v, want %v (the compiled graph kept the old weights)", got[:3], want[:3])
	}
}
