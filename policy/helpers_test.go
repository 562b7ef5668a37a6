package policy

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"acecoder/backend"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
)

// repoRoot walks up from the test's directory to the one holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// tinyConfig loads testdata/models/<name>/config.json.
func tinyConfig(t testing.TB, name string) *Config {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join(repoRoot(t), "testdata", "models", name, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// tinyModel is a seeded random model with every weight perturbed and a
// larger std than HF's, so activations are far from trivial.
func tinyModel(t testing.TB, name string, seed uint64) *Model {
	t.Helper()
	m, err := New(testBackend(t), tinyConfig(t, name), InitOptions{Seed: seed, Std: 0.08, PerturbAll: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testBackend is the pure-Go backend, or the one named by
// ACECODER_TEST_BACKEND (e.g. onnx:/abs/libonnxruntime.so.1 with -tags
// onnx), so the same tests check other backends.
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	spec := os.Getenv("ACECODER_TEST_BACKEND")
	if spec == "" {
		return backend.MustOpenGo()
	}
	b, err := backend.Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func flat32(t testing.TB, x *tensors.Tensor) []float32 {
	t.Helper()
	v, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// relDiff is max|a−b| / max(max|b|, tiny): error relative to the scale of
// the reference vector.
func relDiff(a []float32, b []float64) float64 {
	var num, den float64
	for i := range b {
		num = math.Max(num, math.Abs(float64(a[i])-b[i]))
		den = math.Max(den, math.Abs(b[i]))
	}
	return num / math.Max(den, 1e-30)
}

// mixedSeqs returns sequences of different lengths with ids below vocab.
func mixedSeqs(lens []int, vocab int, seed int) [][]int32 {
	var out [][]int32
	for i, n := range lens {
		q := make([]int32, n)
		for j := range q {
			q[j] = int32((seed*7919 + i*104729 + j*131 + j*j*17) % vocab)
		}
		out = append(out, q)
	}
	return out
}

func must[T any](x T, err error) T {
	if err != nil {
		panic(err)
	}
	return x
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}
