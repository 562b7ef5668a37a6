//go:build gpu

package policy

// GPU check (make gpu-check): on a machine with an NVIDIA GPU and jax's CUDA
// PJRT plugin, run
//
//	ACECODER_GPU_BACKEND=xla:/abs/path/xla_cuda_plugin.so GOMLX_NO_AUTO_INSTALL=1 \
//	GOEXPERIMENT=simd go test -tags gpu -run TestGPU -v ./policy/
//
// It checks tiny-model logits CPU vs GPU and logs the forward tokens/s of a
// random model shaped like Qwen2.5-0.5B (testdata/models/qwen2-0.5b-shape).
// testdata/models/qwen2-0.5b-shape/torch_forward.py measures the same
// forward in PyTorch + transformers for comparison.

import (
	"math"
	"os"
	"testing"
	"time"

	"acecoder/backend"

	"github.com/gomlx/compute"
)

func gpuBackend(t *testing.T) compute.Backend {
	spec := os.Getenv("ACECODER_GPU_BACKEND")
	if spec == "" {
		t.Skip("set ACECODER_GPU_BACKEND=xla:/abs/path/xla_cuda_plugin.so to run the GPU check")
	}
	b, err := backend.Open(spec)
	if err != nil {
		t.Fatalf("open %s: %v", spec, err)
	}
	return b
}

// TestGPUParity compares tiny-model logits (both architectures, padded
// batch) on the GPU with the pure-Go backend.
func TestGPUParity(t *testing.T) {
	gpu := gpuBackend(t)
	for _, name := range []string{"tiny-qwen2", "tiny-llama"} {
		t.Run(name, func(t *testing.T) {
			cpu := tinyModel(t, name, 21)
			onGPU, err := New(gpu, cpu.Config, InitOptions{Seed: 21, Std: 0.08, PerturbAll: true})
			if err != nil {
				t.Fatal(err)
			}
			b := LeftPad(mixedSeqs([]int{33, 17, 5}, cpu.Config.VocabSize, 8), 0)
			want := flat32(t, must(cpu.Logits(b)))
			got := flat32(t, must(onGPU.Logits(b)))
			s, v := len(b.IDs[0]), cpu.Config.VocabSize
			worst := 0.0
			for r := range b.IDs {
				for p := range s {
					if b.Mask[r][p] == 0 {
						continue
					}
					worst = math.Max(worst, relDiff(got[(r*s+p)*v:(r*s+p+1)*v], toF64(want[(r*s+p)*v:(r*s+p+1)*v])))
				}
			}
			t.Logf("%s: worst relative difference GPU vs CPU %.2e", name, worst)
			// XLA may run float32 matmuls in TF32 on the GPU: allow 1e-2.
			if worst > 1e-2 {
				t.Errorf("GPU logits differ from CPU by %.2e relative", worst)
			}
		})
	}
}

// TestGPUForwardSpeed logs forward (scoring) tokens/s of the 0.5B-shaped
// random model at batch 8 × 512, float32.
func TestGPUForwardSpeed(t *testing.T) {
	gpu := gpuBackend(t)
	cfg := tinyConfig(t, "qwen2-0.5b-shape")
	start := time.Now()
	m, err := New(gpu, cfg, InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("random init of %d parameters in %s", m.NumParameters(), time.Since(start).Round(time.Millisecond))
	const bsz, seq, iters = 8, 512, 10
	b := fullBatch(bsz, seq, cfg.VocabSize)
	start = time.Now()
	if _, err := m.NextTokenLogProbs(b); err != nil {
		t.Fatal(err)
	}
	t.Logf("compile + first forward: %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	for range iters {
		if _, err := m.NextTokenLogProbs(b); err != nil {
			t.Fatal(err)
		}
	}
	sec := time.Since(start).Seconds() / iters
	t.Logf("0.5B-shaped forward, batch %d x %d float32: %.1f ms/step, %.0f tokens/s", bsz, seq, sec*1000, bsz*seq/sec)
}
