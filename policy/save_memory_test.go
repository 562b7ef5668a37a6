package policy

import (
	"path/filepath"
	"runtime"
	"testing"
)

// TestSaveAllocatesLessThanTheLargestTensor: Save streams each weight from
// its buffer to the file, and computes a LoRA model's merged matrices one
// at a time in a reused buffer, so what it allocates in all stays below
// the largest tensor (here the 65.5 MB embedding of a 39M-parameter model;
// its adapted matrices add up to more), let alone a copy of the weights.
func TestSaveAllocatesLessThanTheLargestTensor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 39M-parameter model")
	}
	cfg, err := LoadConfig(filepath.Join("..", "testdata", "models", "mid-32k", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(testBackend(t), cfg, InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	largest := int64(0)
	for _, p := range cfg.Params() {
		largest = max(largest, int64(4*numElements(p.Shape)))
	}
	for _, lora := range []bool{false, true} {
		if lora {
			if err := m.AddAdapters(LoRA{Rank: 8, Alpha: 16}, 2); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := m.Save(t.Context(), dir, SaveOptions{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		alloc := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("LoRA %v: Save allocated %.1f MiB; largest tensor %.1f MiB", lora, float64(alloc)/(1<<20), float64(largest)/(1<<20))
		if alloc >= largest {
			t.Errorf("LoRA %v: Save allocated %d bytes, not less than the largest tensor (%d bytes)", lora, alloc, largest)
		}
	}
}
